"""Trigger rules: when a task may run given the states of its upstream tasks (Airflow's names and values)."""

from __future__ import annotations

from enum import StrEnum


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALL_SKIPPED = "all_skipped"
    ALWAYS = "always"
    # Airflow 2 names kept for DAG files that still use them.
    NONE_FAILED_OR_SKIPPED = "none_failed_or_skipped"
    DUMMY = "dummy"

    @classmethod
    def normalize(cls, value: str) -> TriggerRule:
        rule = cls(value)
        if rule is cls.NONE_FAILED_OR_SKIPPED:
            return cls.NONE_FAILED_MIN_ONE_SUCCESS
        if rule is cls.DUMMY:
            return cls.ALWAYS
        return rule
