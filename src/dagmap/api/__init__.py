"""The REST API (``/api/v1``, docs/api.md): a FastAPI application over ``dagmap.services``. It never parses DAG
files and never builds SQL; ``create_app`` is the entry point (``dagmap api-server``, ``dagmap standalone``)."""

from dagmap.api.app import create_app

__all__ = ["create_app"]
