"""The gate suites of an installed nestgate: setup.py maps the repository's top-level tests_<gate>/
folders here in the wheel (a checkout keeps them at its root). pytest.ini holds the settings the
repository's pyproject.toml gives them there (selftest/unit/test_packaging.py keeps the two equal).
Nothing here is imported: pytest collects the folders (nestgate run, nestgate controls)."""
