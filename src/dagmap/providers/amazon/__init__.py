"""Amazon Web Services: S3. Needs the ``amazon`` extra (boto3)."""
