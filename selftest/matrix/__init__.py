"""The exclusivity matrix: every seeded fault alone on the reference stack, all four gates."""
