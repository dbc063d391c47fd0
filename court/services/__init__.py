"""Domain services: plain arguments in, domain objects out, every action audited."""
