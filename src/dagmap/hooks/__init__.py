"""``airflow.hooks.*`` modules that DAG files import, as thin re-exports of :mod:`dagmap.providers`."""
