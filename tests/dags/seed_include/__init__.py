"""Helpers of the seed DAGs (named seed_include, not include, so it never clashes with examples/dags/include)."""
