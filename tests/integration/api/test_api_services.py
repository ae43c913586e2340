"""In-process checks of API services that need no server: log chunks end on a character boundary, and health
answers "unhealthy" (not an error) when the database cannot be reached."""

from __future__ import annotations

import pytest

from dagmap.config import reset_settings
from dagmap.services.api_summaries import health
from dagmap.services.api_views import _complete_utf8
from dagmap.store import db


@pytest.mark.parametrize("text", ["plain ascii", "é", "naïve €", "日本語", "emoji 🎉 end", ""])
def test_every_cut_of_a_text_ends_on_a_character(text: str) -> None:
    """A file being written may end in the middle of a UTF-8 character; the next read starts at next_offset."""
    data = text.encode()
    for cut in range(len(data) + 1):
        head = data[:cut]
        kept = _complete_utf8(head)
        head[:kept].decode("utf-8")  # never raises: whole characters only
        assert cut - kept < 4
        assert data[kept:].decode("utf-8") == text[len(head[:kept].decode()) :]


def test_health_of_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    reset_settings()
    db.dispose_engines()
    try:
        assert health() == {
            "metadatabase": {"status": "unhealthy"},
            "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        }
    finally:
        db.dispose_engines()
        reset_settings()
