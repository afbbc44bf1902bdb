"""Probes: the only code that talks to the world. Each returns plain facts and has a timeout."""
