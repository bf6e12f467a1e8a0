"""Domain core: pure rules and values, no framework."""
