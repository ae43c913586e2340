"""Schedules with Airflow's semantics: timetables, data intervals, catchup, time zones and DST.

A pure library (no database, no ``dagmap.sdk``): the authoring SDK and the scheduler both import it.
"""

from __future__ import annotations

from dagmap.timetables.assets import AssetTriggeredTimetable
from dagmap.timetables.backfill import iter_backfill_infos
from dagmap.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from dagmap.timetables.cron import CRON_PRESETS, CronSchedule
from dagmap.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from dagmap.timetables.parse import ScheduleArg, parse_schedule
from dagmap.timetables.run_id import dagrun_id_for
from dagmap.timetables.serialization import deserialize
from dagmap.timetables.timezones import coerce_datetime, dag_timezone, parse_timezone, timezone_name
from dagmap.timetables.trigger import CronTriggerTimetable
from dagmap.timetables.trivial import ContinuousTimetable, NullTimetable, OnceTimetable

__all__ = [
    "CRON_PRESETS",
    "AssetTriggeredTimetable",
    "ContinuousTimetable",
    "CronDataIntervalTimetable",
    "CronSchedule",
    "CronTriggerTimetable",
    "DagRunInfo",
    "DataInterval",
    "DeltaDataIntervalTimetable",
    "NullTimetable",
    "OnceTimetable",
    "ScheduleArg",
    "TimeRestriction",
    "Timetable",
    "coerce_datetime",
    "dag_timezone",
    "dagrun_id_for",
    "deserialize",
    "iter_backfill_infos",
    "parse_schedule",
    "parse_timezone",
    "timezone_name",
]
