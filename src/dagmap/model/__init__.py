"""The frozen, serialized form of a parsed DAG (``*Spec``): what the scheduler, API and UI read.

Specs hold no user code; ``from_sdk`` is the only bridge from authoring objects to specs.
"""

from dagmap.model.spec import (
    AssetSpec,
    ConcatInput,
    DagSpec,
    ExpandSpec,
    InputSpec,
    LiteralInput,
    MapInput,
    TaskGroupSpec,
    TaskSpec,
    XComInput,
    ZipInput,
    dag_spec_from_json,
    dag_spec_to_json,
)

__all__ = [
    "AssetSpec",
    "ConcatInput",
    "DagSpec",
    "ExpandSpec",
    "InputSpec",
    "LiteralInput",
    "MapInput",
    "TaskGroupSpec",
    "TaskSpec",
    "XComInput",
    "ZipInput",
    "dag_spec_from_json",
    "dag_spec_to_json",
]
