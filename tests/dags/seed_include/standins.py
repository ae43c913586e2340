"""Stand-ins for provider operators the seed's ELT DAG uses (the lead replaces them with real providers).

Each accepts the seed's arguments, templates what the real operator templates, and returns what it did.
"""

from __future__ import annotations

from typing import Any

from dagmap.operators import EmptyOperator


class S3ToSnowflakeOperator(EmptyOperator):
    template_fields = ("s3_keys", "file_format")

    def __init__(
        self,
        *,
        s3_keys: list[str] | None = None,
        file_format: str,
        snowflake_conn_id: str = "snowflake_default",
        stage: str | None = None,
        table: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.s3_keys = s3_keys
        self.file_format = file_format
        self.snowflake_conn_id = snowflake_conn_id

    def execute(self, context: dict[str, Any]) -> Any:
        return {"loaded": list(self.s3_keys or []), "file_format": self.file_format}


class S3CopyObjectOperator(EmptyOperator):
    template_fields = ("source_bucket_key", "dest_bucket_key")

    def __init__(self, *, source_bucket_key: str, dest_bucket_key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_bucket_key = source_bucket_key
        self.dest_bucket_key = dest_bucket_key

    def execute(self, context: dict[str, Any]) -> Any:
        return f"{self.source_bucket_key} -> {self.dest_bucket_key}"


class S3DeleteObjectsOperator(EmptyOperator):
    template_fields = ("prefix",)

    def __init__(self, *, prefix: str, bucket: str = "my-bucket", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix
        self.bucket = bucket

    def execute(self, context: dict[str, Any]) -> Any:
        return f"deleted {self.bucket}/{self.prefix}"


class SnowflakeOperator(EmptyOperator):
    template_fields = ("sql",)
    template_ext = (".sql",)

    def __init__(self, *, sql: str, snowflake_conn_id: str = "snowflake_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sql = sql

    def execute(self, context: dict[str, Any]) -> Any:
        return self.sql.strip()
