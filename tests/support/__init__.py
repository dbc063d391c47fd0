"""Stand-ins and helpers shared by tests of several rooms."""
