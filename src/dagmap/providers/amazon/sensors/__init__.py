"""Amazon sensors (``airflow.providers.amazon.aws.sensors.*``): ``dagmap.providers.amazon.sensors.s3``."""
