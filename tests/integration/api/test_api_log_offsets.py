"""Log chunks end on a character boundary: a file being written may end in the middle of a UTF-8 character,
and the next read starts from ``next_offset``, so no character is cut in two (no server needed)."""

from __future__ import annotations

import pytest

from dagmap.services.api_views import _complete_utf8


@pytest.mark.parametrize("text", ["plain ascii", "é", "naïve €", "日本語", "emoji 🎉 end", ""])
def test_every_cut_of_a_text_ends_on_a_character(text: str) -> None:
    data = text.encode()
    for cut in range(len(data) + 1):
        head = data[:cut]
        kept = _complete_utf8(head)
        head[:kept].decode("utf-8")  # never raises: whole characters only
        assert cut - kept < 4
        assert data[kept:].decode("utf-8") == text[len(head[:kept].decode()) :]
