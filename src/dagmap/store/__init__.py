"""The metadata store: the only package that imports SQLAlchemy. ORM rows, migrations, set-based queries."""
