"""MediaNest reference app (nestgate testbed): a small real HTTP service over PostgreSQL and Redis."""
