"""Train one model per entry of ``include/grid_configs.py`` as mapped task instances, log each to MLflow, pick the best.

The ML example of "Dynamic Tasks in Airflow", written for dagmap: only the imports differ from Airflow's TaskFlow.
The task bodies live in ``include/ml_pipeline.py`` so they can be tested as plain functions.
"""

from datetime import datetime
from typing import Any

import pandas as pd
from include import ml_pipeline

from dagmap import dag, task, task_group


@dag(
    schedule=None,
    start_date=datetime(2022, 1, 1),
    catchup=False,
    tags=["example", "ml", "mlflow"],
    doc_md=__doc__,
)
def mlflow_multimodel():
    @task
    def load_data() -> pd.DataFrame:
        """Census survey data shipped inside an installed package; the DataFrame goes to XCom as Parquet."""
        return ml_pipeline.load_data()

    @task_group
    def prepare(df: pd.DataFrame):
        @task
        def preprocessing(df: pd.DataFrame) -> pd.DataFrame:
            """Clean labels and drop columns that carry no information."""
            return ml_pipeline.preprocessing(df)

        @task
        def feature_engineering(df: pd.DataFrame) -> pd.DataFrame:
            """One-hot categories, bin ages, derive the target ``never_married``."""
            return ml_pipeline.feature_engineering(df)

        return feature_engineering(preprocessing(df))

    @task
    def get_models() -> list[dict[str, Any]]:
        """One map item per model: its name and its grid (plain data; estimators are not XCom values).

        Also creates the MLflow experiment, once, before the train instances start in parallel.
        """
        ml_pipeline.setup_mlflow()
        return ml_pipeline.get_models()

    @task(map_index_template="{{ model_info['model_type'] }}")
    def train(df: pd.DataFrame, model_info: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
        """Grid search with cross-validation for one model; params, metrics and the model go to MLflow."""
        return ml_pipeline.train(df, model_info, run_id)

    @task
    def pick_best(results: list[dict[str, Any]]) -> dict[str, Any]:
        """The reducer: receives every train instance's result and returns the best model's name and metric."""
        return ml_pipeline.pick_best(results)

    features = prepare(load_data())
    trained = train.partial(df=features).expand(model_info=get_models())
    pick_best(trained)


dag = mlflow_multimodel()
