"""Airflow's template macros: ds_format_locale, datetime_diff_for_humans and yaml join the earlier ones."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from dagmap import DAG
from dagmap.errors import TemplateError
from dagmap.sdk.macros import datetime_diff_for_humans, ds_format_locale
from dagmap.sdk.templating import get_template_env


def _render(template: str, **context: object) -> str:
    return get_template_env(DAG("macros_dag")).from_string(template).render(**context)


def test_datetime_diff_for_humans_in_a_template() -> None:
    since = datetime(2024, 1, 3, tzinfo=UTC)
    rendered = _render(
        "{{ macros.datetime_diff_for_humans(then, since) }}", then=datetime(2024, 1, 1, tzinfo=UTC), since=since
    )
    assert rendered == "2 days before"
    assert datetime_diff_for_humans(datetime(2020, 1, 1, tzinfo=UTC)).endswith(" ago")


def test_yaml_macro_is_pyyaml() -> None:
    assert _render("{{ macros.yaml.safe_load('a: [1, 2]')['a'][1] }}") == "2"


def test_ds_format_locale_needs_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "babel", None)
    with pytest.raises(TemplateError, match=r"macros\.ds_format_locale needs the babel package"):
        ds_format_locale("12/07/2024", "%d/%m/%Y", "EEEE dd MMMM yyyy", "en_US")


def test_ds_format_locale_with_babel() -> None:
    assert ds_format_locale("12/07/2024", "%d/%m/%Y", "EEEE dd MMMM yyyy", "en_US") == "Friday 12 July 2024"


def test_earlier_macros_still_there() -> None:
    assert _render(
        "{{ macros.ds_add('2024-01-01', 7) }} {{ macros.ds_format('2024-01-08', '%Y-%m-%d', '%d/%m') }}"
    ) == ("2024-01-08 08/01")
