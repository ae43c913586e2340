"""Set-based queries over the metadata database. Every function takes a ``Session``; the caller owns the
transaction (commit or roll back). Task instance states change only in ``task_instances``."""
