"""Every trigger rule once, downstream of a mapped task whose three instances end success / failed /
skipped (each instance counts as an upstream).

expect:
  run: failed
  mixed[0]: success -> "ok"
  mixed[1]: failed
  mixed[2]: skipped
  rule_all_success: upstream_failed
  rule_all_failed: skipped
  rule_all_done: success -> "all_done"
  rule_all_done_setup_success: success -> "all_done_setup_success"
  rule_one_success: success -> "one_success"
  rule_one_failed: success -> "one_failed"
  rule_one_done: success -> "one_done"
  rule_none_failed: upstream_failed
  rule_none_failed_min_one_success: upstream_failed
  rule_none_skipped: skipped
  rule_all_skipped: skipped
  rule_always: success -> "always"
"""

from datetime import datetime

from dagmap import DAG, AirflowSkipException, TriggerRule, task

with DAG("mapping_trigger_rules", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def mixed(outcome: str) -> str:
        if outcome == "fail":
            raise RuntimeError("this instance fails")
        if outcome == "skip":
            raise AirflowSkipException("this instance skips")
        return "ok"

    upstream = mixed.expand(outcome=["ok", "fail", "skip"])

    @task
    def rule(name: str) -> str:
        return name

    for trigger_rule in (
        TriggerRule.ALL_SUCCESS,
        TriggerRule.ALL_FAILED,
        TriggerRule.ALL_DONE,
        TriggerRule.ALL_DONE_SETUP_SUCCESS,
        TriggerRule.ONE_SUCCESS,
        TriggerRule.ONE_FAILED,
        TriggerRule.ONE_DONE,
        TriggerRule.NONE_FAILED,
        TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        TriggerRule.NONE_SKIPPED,
        TriggerRule.ALL_SKIPPED,
        TriggerRule.ALWAYS,
    ):
        upstream >> rule.override(task_id=f"rule_{trigger_rule.value}", trigger_rule=trigger_rule)(trigger_rule.value)
