"""Helpers of the example DAGs; importable as ``include`` because the DAGs folder is on ``sys.path``."""
