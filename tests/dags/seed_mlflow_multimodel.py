"""The ML Ops DAG of the seed article: one mapped ``train`` instance per model, written with TaskFlow.

Stand-ins: a small synthetic census-like table replaces the BigQuery load, MLflow logging is left out (the
full version is examples/dags/mlflow_multimodel.py), and the grids are tiny so the DAG runs in seconds.

expect:
  run: success
  load_data: success
  preprocessing: success
  feature_engineering: success
  get_models: success
  train[0..1]: success
(get_models returns [{"model_type": "lgbm", "grid_params": {...}}, {"model_type": "log_reg", ...}];
each train instance returns {"model_type": ..., "accuracy": <float between 0 and 1>, "run_id": <the run id>})
"""

import logging
from datetime import datetime

import numpy as np
import pandas as pd
import seed_include.metrics as metrics
from seed_include.grid_configs import build_estimator, models

from dagmap.decorators import dag, task


@dag(start_date=datetime(2022, 1, 1), schedule=None, catchup=False)
def mlflow_multimodel_example():
    @task
    def load_data():
        """Stand-in for the BigQuery census query: 300 deterministic rows with the same columns."""
        rng = np.random.default_rng(55)
        n = 300
        return pd.DataFrame(
            {
                "age": rng.integers(17, 90, n),
                "workclass": rng.choice([" Private ", "?", " State-gov"], n),
                "education": rng.choice(["Bachelors", "HS-grad"], n),
                "education_num": rng.integers(1, 16, n),
                "marital_status": rng.choice(["Never-married", "Married-civ-spouse"], n),
                "occupation": rng.choice(["Sales", "?", "Tech-support"], n),
                "relationship": rng.choice(["Husband", "Own-child"], n),
                "race": rng.choice(["White", "Black"], n),
                "sex": rng.choice(["Male", "Female"], n),
                "native_country": rng.choice(["United-States", "?"], n),
                "functional_weight": rng.integers(10000, 500000, n),
                "income_bracket": rng.choice(["<=50K", ">50K"], n),
            }
        )

    @task
    def preprocessing(df: pd.DataFrame):
        """Clean categorical strings, call '?' Unknown, drop unused columns."""
        for col in df.columns:
            if df.dtypes[col] == "object":
                df[col] = df[col].apply(lambda x: x.rstrip().lstrip())
        for col in ("workclass", "occupation", "native_country"):
            df[col] = df[col].apply(lambda x: "Unknown" if x == "?" else x)
        df = df.drop(columns=["education_num", "relationship", "functional_weight"])
        return df

    @task
    def feature_engineering(df: pd.DataFrame):
        """One-hot encode, bin ages, derive the target never_married."""
        for col in ("workclass", "education", "occupation", "race", "sex", "income_bracket", "native_country"):
            df = pd.get_dummies(df, prefix=col, columns=[col], dtype=int)
        df["age_bins"] = pd.cut(x=df["age"], bins=[16, 29, 39, 49, 59, 100], labels=[1, 2, 3, 4, 5]).astype(int)
        df["never_married"] = df["marital_status"].apply(lambda x: 1 if x == "Never-married" else 0)
        df = df.drop(columns=["income_bracket_<=50K", "marital_status", "age"])
        return df

    @task
    def get_models():
        """One map item per model (plain data: the estimator is built inside train)."""
        return [{"model_type": name, "grid_params": config["params"]} for name, config in models.items()]

    @task
    def train(df: pd.DataFrame, model_type: str, grid_params: dict, **kwargs):
        """Grid search with 3-fold cross-validation for one model; returns its test accuracy."""
        from sklearn.model_selection import GridSearchCV, train_test_split

        y = df["never_married"]
        X = df.drop(columns=["never_married"])
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=55, stratify=y)
        grid_search = GridSearchCV(build_estimator(model_type), param_grid=grid_params, cv=3, n_jobs=1)
        logging.info("Performing grid search for %s (run %s)", model_type, kwargs["run_id"])
        grid_search.fit(X_train, y_train)
        y_pred_class = metrics.test(grid_search.best_estimator_, X_test)
        return {
            "model_type": model_type,
            "accuracy": metrics.accuracy(y_test, y_pred_class),
            "run_id": kwargs["run_id"],
        }

    df = load_data()
    clean_data = preprocessing(df)
    features = feature_engineering(clean_data)
    train.partial(df=features).expand_kwargs(get_models())


dag = mlflow_multimodel_example()
