"""The ``dagmap`` command: argument parsing and output formatting only; the work is in dagmap.services."""
