"""`nestgate init`: read a checkout, guess a target config for it, write it with the reasons.

discovery (reads files, runs the Compose CLI) -> guesses (pure) -> writer (pure TOML text) -> cli.
"""
