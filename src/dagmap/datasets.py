"""``airflow.datasets`` for Airflow 2 DAG files: ``Dataset``, ``DatasetAll``, ``DatasetAny`` are dagmap's assets.

Thin re-exports of :mod:`dagmap.sdk.assets`; a dataset is an asset (Airflow 3 renamed them).
"""

from __future__ import annotations

from typing import Any

from dagmap.sdk.assets import Asset, AssetAll, AssetAny, BaseAsset

__all__ = ["Dataset", "DatasetAll", "DatasetAny"]


class Dataset(Asset):
    """Airflow 2's ``Dataset(uri, extra=None)``: an :class:`~dagmap.sdk.assets.Asset` named by its URI."""

    def __init__(self, uri: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(uri, extra=extra)


DatasetAll = AssetAll
DatasetAny = AssetAny
BaseDataset = BaseAsset
