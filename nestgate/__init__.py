"""nestgate: a pytest deployment gate for MediaNest-shaped Docker Swarm stacks."""

__version__ = "0.1.0"
