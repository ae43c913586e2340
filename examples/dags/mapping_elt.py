"""Load each day's CSV files from S3 into a warehouse, one mapped task instance per file, then transform.

The ELT example of "Dynamic Tasks in Airflow", written for dagmap: the seed's DAG with dagmap imports,
Snowflake replaced by a SQL warehouse (DuckDB by default, PostgreSQL through the ``warehouse`` connection).
See examples/README.md for the connections, the tables and how a re-run of a day stays idempotent.
"""

from datetime import datetime

from include.elt_settings import DEFAULT_BUCKET, S3_CONN_ID, WAREHOUSE_CONN_ID, use_default_warehouse

from dagmap import DAG
from dagmap.decorators import task
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.amazon.operators.s3 import S3CopyObjectOperator, S3DeleteObjectsOperator
from dagmap.providers.sql.operators import SQLExecuteQueryOperator
from dagmap.providers.sql.transfers import S3ToSqlOperator

use_default_warehouse()


@task
def get_s3_files(current_prefix, bucket_name):
    s3_hook = S3Hook(aws_conn_id=S3_CONN_ID)
    current_files = s3_hook.list_keys(
        bucket_name=bucket_name, prefix=current_prefix + "/", start_after_key=current_prefix + "/"
    )
    return [[file] for file in current_files]


def to_processed(file):
    """``[key]`` -> the arguments of the copy of ``key`` under ``processed/``."""
    return {"source_bucket_key": file[0], "dest_bucket_key": "processed/" + file[0]}


with DAG(
    dag_id="mapping_elt",
    start_date=datetime(2022, 4, 2),
    schedule="@daily",
    catchup=False,
    is_paused_upon_creation=True,  # it needs an S3 bucket: unpause it once the s3 connection points at one
    params={"bucket": DEFAULT_BUCKET},
    tags=["example", "elt", "s3"],
    doc_md=__doc__,
) as dag:
    files = get_s3_files(current_prefix="{{ ds_nodash }}", bucket_name="{{ params.bucket }}")

    create_landing_table = SQLExecuteQueryOperator(
        task_id="create_landing_table",
        conn_id=WAREHOUSE_CONN_ID,
        sql="include/elt_landing.sql",
        split_statements=True,
    )

    copy_to_warehouse = S3ToSqlOperator.partial(
        task_id="copy_to_warehouse",
        table="elt_landing_{{ ds_nodash }}",
        s3_bucket="{{ params.bucket }}",
        header=True,
        delimiter=",",
        sql_conn_id=WAREHOUSE_CONN_ID,
        aws_conn_id=S3_CONN_ID,
    ).expand(s3_keys=files)

    move_s3 = S3CopyObjectOperator.partial(
        task_id="move_s3",
        source_bucket_name="{{ params.bucket }}",
        dest_bucket_name="{{ params.bucket }}",
        aws_conn_id=S3_CONN_ID,
    ).expand_kwargs(files.map(to_processed))

    delete_landing_files = S3DeleteObjectsOperator(
        task_id="delete_landing_files",
        bucket="{{ params.bucket }}",
        prefix="{{ ds_nodash }}" + "/",
        aws_conn_id=S3_CONN_ID,
    )

    transform_in_warehouse = SQLExecuteQueryOperator(
        task_id="transform_in_warehouse",
        conn_id=WAREHOUSE_CONN_ID,
        sql="include/transform.sql",
        split_statements=True,
    )

    create_landing_table >> copy_to_warehouse
    copy_to_warehouse >> [move_s3, transform_in_warehouse]
    move_s3 >> delete_landing_files
