"""The ELT DAG of the seed article "Dynamic Tasks in Airflow", with local stand-ins for the provider operators.

get_s3_files is a task (the article's parse-time call would hit S3 while parsing); it lists three files.

expect:
  run: success
  get_s3_files: success -> [["20240101/file_0.csv"], ["20240101/file_1.csv"], ["20240101/file_2.csv"]]
  copy_to_snowflake[0..2]: success
  move_s3: success -> "20240101/ -> processed/20240101/"
  delete_landing_files: success -> "deleted my-bucket/20240101/"
  transform_in_snowflake: success
(logical date 2024-01-01; transform_in_snowflake returns seed_include/transform.sql rendered)
"""

from datetime import datetime

from seed_include.standins import (
    S3CopyObjectOperator,
    S3DeleteObjectsOperator,
    S3ToSnowflakeOperator,
    SnowflakeOperator,
)

from dagmap import DAG
from dagmap.decorators import task


@task
def get_s3_files(current_prefix):
    current_files = [f"{current_prefix}/file_{i}.csv" for i in range(3)]  # stand-in for S3Hook.list_keys
    return [[file] for file in current_files]


with DAG(dag_id="mapping_elt", start_date=datetime(2022, 4, 2), schedule_interval="@daily") as dag:
    copy_to_snowflake = S3ToSnowflakeOperator.partial(
        task_id="copy_to_snowflake",
        file_format="(type = 'CSV',field_delimiter = ',', skip_header=1)",
        snowflake_conn_id="snowflake",
    ).expand(s3_keys=get_s3_files(current_prefix="{{ ds_nodash }}"))

    move_s3 = S3CopyObjectOperator(
        task_id="move_s3",
        source_bucket_key="{{ ds_nodash }}" + "/",
        dest_bucket_key="processed/" + "{{ ds_nodash }}" + "/",
    )

    delete_landing_files = S3DeleteObjectsOperator(task_id="delete_landing_files", prefix="{{ ds_nodash }}" + "/")

    transform_in_snowflake = SnowflakeOperator(task_id="transform_in_snowflake", sql="seed_include/transform.sql")

    copy_to_snowflake >> [move_s3, transform_in_snowflake]
    move_s3 >> delete_landing_files
