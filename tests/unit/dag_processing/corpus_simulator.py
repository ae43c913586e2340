"""A tiny in-memory "dags test" for the SDK's own tests: runs a DAG to completion with the SDK runtime
(prepare_task_for_run, templating, skip decisions) and simple scheduling rules from MAPPING_SEMANTICS.md.

Not the scheduler: tasks run one by one in topological order, so only final states are meaningful.
Also parses the ``expect:`` block of the corpus files in tests/dags.
"""

from __future__ import annotations

import ast
import re
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagmap.errors import TaskFailedNoRetry, TaskSkipped, TaskTimeoutError
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import DagSpec, InputSpec, LiteralInput, MapInput, TaskSpec, XComInput, ZipInput
from dagmap.scheduler.run_state import effective_leaves
from dagmap.scheduler.setup_teardown import indirect_setups
from dagmap.sdk.context import set_current_context
from dagmap.sdk.dag import DAG
from dagmap.sdk.params import resolve_params
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run, render_map_index

MAX_MAP_LENGTH = 1024
S, F, SK, UF = "success", "failed", "skipped", "upstream_failed"


class FakeTI:
    def __init__(self, dag_id: str, task_id: str, map_index: int, try_number: int, xcom: InMemoryXComSource) -> None:
        self.dag_id, self.task_id, self.map_index, self.try_number = dag_id, task_id, map_index, try_number
        self.run_id = "manual__2024-01-01"
        self._xcom = xcom
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", **_: Any) -> Any:
        return self._xcom.get_value(task_ids, -1, key)


@dataclass
class Outcome:
    states: dict[tuple[str, int], str] = field(default_factory=dict)
    xcom: InMemoryXComSource = field(default_factory=InMemoryXComSource)
    names: dict[tuple[str, int], str | None] = field(default_factory=dict)
    errors: dict[tuple[str, int], str] = field(default_factory=dict)
    run_state: str = "running"

    def instances(self, task_id: str) -> list[int]:
        return sorted(i for (t, i) in self.states if t == task_id)


def decide(rule: str, upstream: list[str]) -> str:
    """``run``, ``skipped`` or ``upstream_failed`` for finished upstream states (each instance counts)."""
    success, failed = upstream.count(S), upstream.count(F) + upstream.count(UF)
    skipped = upstream.count(SK)
    if not upstream or rule in ("all_done", "all_done_setup_success", "always"):
        return "run"
    table = {
        "all_success": UF if failed else SK if skipped else "run",
        "all_failed": SK if success or skipped else "run",
        "one_success": "run" if success else UF,
        "one_failed": "run" if failed else SK,
        "one_done": "run" if success or failed else SK,
        "none_failed": UF if failed else "run",
        "none_failed_min_one_success": UF if failed else "run" if success else SK,
        "none_skipped": SK if skipped else "run",
        "all_skipped": SK if success or failed else "run",
    }
    return table[rule]


class Simulation:
    def __init__(self, dag: DAG, conf: dict[str, Any] | None = None) -> None:
        self.dag = dag
        self.spec: DagSpec = dag_to_spec(dag)
        self.params = resolve_params(dag.params, conf)
        self.conf = conf or {}
        self.out = Outcome()
        self.preskipped: set[str] = set()
        self.group_counts: dict[str, int] = {}

    def length(self, source: InputSpec) -> int:
        if isinstance(source, LiteralInput):
            return source.length
        if isinstance(source, XComInput):
            producer = self.spec.task(source.task_id)
            if producer.is_mapped:
                return self.out.xcom.pushed_count(source.task_id, source.key)
            return len(self.out.xcom.get_value(source.task_id, -1, source.key))
        if isinstance(source, MapInput):
            return self.length(source.source)
        lengths = [self.length(s) for s in source.sources]
        if isinstance(source, ZipInput):
            return max(lengths) if source.longest else min(lengths)
        return sum(lengths)

    def expand_count(self, expand: Any) -> int:
        count = 1
        for _, source in expand.arguments:
            count *= self.length(source)
        return count

    def xcom_sources_failed(self, expand: Any) -> bool:
        def sources(spec: InputSpec) -> list[str]:
            if isinstance(spec, XComInput):
                return [spec.task_id]
            if isinstance(spec, MapInput):
                return sources(spec.source)
            if isinstance(spec, LiteralInput):
                return []
            return [t for s in spec.sources for t in sources(s)]

        for _, source in expand.arguments:
            for task_id in sources(source):
                if not self.spec.task(task_id).is_mapped and self.out.states.get((task_id, -1)) != S:
                    return True
        return False

    def upstream_states(self, spec: TaskSpec, map_index: int) -> list[str]:
        states = []
        for up in spec.upstream_task_ids:
            up_spec = self.spec.task(up)
            same_group = spec.mapped_group_ids and up_spec.mapped_group_ids == spec.mapped_group_ids
            for index in self.out.instances(up):
                if not same_group or index == map_index:
                    states.append(self.out.states[(up, index)])
        return states

    def run(self) -> Outcome:
        for spec in self.spec.tasks:
            self.process(spec)
        leaves = effective_leaves(
            {t.task_id: t.downstream_task_ids for t in self.spec.tasks},
            {t.task_id for t in self.spec.tasks if t.is_teardown and not t.on_failure_fail_dagrun},
        )
        leaf_states = [s for (t, _), s in self.out.states.items() if t in leaves]
        self.out.run_state = F if any(s in (F, UF) for s in leaf_states) else S
        return self.out

    def setup_decision(self, spec: TaskSpec) -> str | None:
        """Airflow's setup constraint (indirect setups) and all_done_setup_success (direct setups)."""
        indirect = [s for t in indirect_setups(self.spec, spec.task_id) for s in self.states_of(t)]
        if F in indirect or UF in indirect:
            return UF
        if SK in indirect:
            return SK
        if spec.trigger_rule == "all_done_setup_success":
            setups = [s for t in spec.upstream_task_ids if self.spec.task(t).is_setup for s in self.states_of(t)]
            if setups and S not in setups:
                return SK if all(s == SK for s in setups) else UF
        return None

    def states_of(self, task_id: str) -> list[str]:
        return [self.out.states[(task_id, i)] for i in self.out.instances(task_id)]

    def process(self, spec: TaskSpec) -> None:
        task_id = spec.task_id
        if task_id in self.preskipped:
            self.out.states[(task_id, -1)] = SK
            return
        setup_decision = self.setup_decision(spec)
        if setup_decision is not None:
            self.out.states[(task_id, -1)] = setup_decision
            return
        expand = spec.expand or (self.spec.group(spec.mapped_group_ids[0]).expand if spec.mapped_group_ids else None)
        if expand is None:
            decision = decide(spec.trigger_rule, self.upstream_states(spec, -1))
            self.finish_or_run(spec, -1, decision, None)
            return
        decision = decide(spec.trigger_rule, self.upstream_states(spec, -1))
        if spec.mapped_group_ids:
            decision = "run"  # per-index decisions below
        if decision == "run" and self.xcom_sources_failed(expand):
            decision = UF
        if decision != "run":
            self.out.states[(task_id, -1)] = decision
            return
        count = self.expand_count(expand)
        if count == 0:
            self.out.states[(task_id, -1)] = SK
            return
        for index in range(count):
            own = decide(spec.trigger_rule, self.upstream_states(spec, index))
            self.finish_or_run(spec, index, own, count)

    def finish_or_run(self, spec: TaskSpec, index: int, decision: str, count: int | None) -> None:
        if decision != "run":
            self.out.states[(spec.task_id, index)] = decision
            return
        task = self.dag.get_task(spec.task_id)
        for try_number in range(1, spec.retries + 2):
            state = self.execute(task, spec, index, count, try_number)
            if state != "retry":
                break
        else:
            state = F
        self.out.states[(spec.task_id, index)] = state

    def execute(self, task: Any, spec: TaskSpec, index: int, count: int | None, try_number: int) -> str:
        ti = FakeTI(self.dag.dag_id, spec.task_id, index, try_number, self.out.xcom)
        context: dict[str, Any] = {
            "ti": ti, "task_instance": ti, "dag": self.dag, "params": self.params, "conf": self.conf,
            "ds": "2024-01-01", "ds_nodash": "20240101", "logical_date": datetime(2024, 1, 1, tzinfo=UTC),
            "run_id": ti.run_id, "expanded_ti_count": count,
        }  # fmt: skip
        operator = None
        try:
            with set_current_context(context):
                operator = prepare_task_for_run(task, map_index=index, xcom=self.out.xcom)
                context["task"] = operator
                operator.render_template_fields(context)
                result = self.call_with_timeout(operator, context, spec.execution_timeout)
                self.check_task_map(spec, result)
                decision = operator.skip_after_execute(result)
                if decision is not None:
                    self.preskipped.update(decision.task_ids)
            if result is not None and getattr(operator, "do_xcom_push", True):
                self.out.xcom.push(spec.task_id, result, map_index=index)
                if getattr(operator, "multiple_outputs", False):
                    for key, value in result.items():
                        self.out.xcom.push(spec.task_id, value, map_index=index, key=key)
            for key, value in ti.pushed.items():
                self.out.xcom.push(spec.task_id, value, map_index=index, key=key)
            state = S
        except TaskSkipped:
            state = SK
        except TaskFailedNoRetry:
            state = F
        except Exception as error:
            self.out.errors[(spec.task_id, index)] = f"{type(error).__name__}: {error}"
            state = "retry" if try_number <= spec.retries else F
        if operator is not None and state in (S, F):
            self.out.names[(spec.task_id, index)] = render_map_index(operator, context)
        return state

    def check_task_map(self, spec: TaskSpec, result: Any) -> None:
        if not spec.feeds_mapping or spec.is_mapped:
            return
        if result is None or not isinstance(result, (list, tuple, dict)) or len(result) > MAX_MAP_LENGTH:
            raise ValueError(f"unmappable return value {result!r:.40}")

    @staticmethod
    def call_with_timeout(operator: Any, context: dict[str, Any], seconds: float | None) -> Any:
        if not seconds:
            return operator.execute(context)

        def expire(*_: Any) -> None:
            raise TaskTimeoutError("timed out")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return operator.execute(context)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def simulate(dag: DAG, conf: dict[str, Any] | None = None) -> Outcome:
    return Simulation(dag, conf).run()


# --- the expect: block of corpus files -------------------------------------------------------------------

_LINE = re.compile(r"^  (?P<key>[^:]+?):\s*(?P<rest>.*)$")
_TASK = re.compile(r"^(?P<task>[\w.-]+)(\[(?P<start>\d+)(\.\.(?P<end>\d+))?\])?(?P<names> names)?$")


@dataclass
class Expectation:
    task_id: str
    indexes: list[int] | None
    """None for an unmapped task (map index -1)."""
    state: str | None = None
    values: list[Any] | None = None
    """Per index, or one value for an unmapped task; absent when nothing is stated."""
    names: list[Any] | None = None


@dataclass
class ExpectBlock:
    run: str | None = None
    conf: dict[str, Any] | None = None
    tasks: list[Expectation] = field(default_factory=list)


def parse_expect(doc: str) -> ExpectBlock:
    block = ExpectBlock()
    lines = doc.split("expect:\n", 1)[1].splitlines()
    for line in lines:
        match = _LINE.match(line)
        if not match:
            break
        key, rest = match["key"].strip(), match["rest"].strip()
        if key == "run":
            block.run = rest
            continue
        if key == "conf":
            block.conf = ast.literal_eval(rest)
            continue
        task = _TASK.match(key)
        assert task, f"bad expect line {line!r}"
        start = task["start"]
        indexes = None if start is None else list(range(int(start), int(task["end"] or start) + 1))
        expectation = Expectation(task["task"], indexes)
        if task["names"]:
            expectation.names = ast.literal_eval(rest)
        else:
            state, _, value = rest.partition("->")
            expectation.state = state.strip()
            if value.strip():
                parsed = ast.literal_eval(value.strip())
                expectation.values = parsed if indexes is not None and len(indexes) > 1 else [parsed]
        block.tasks.append(expectation)
    return block
