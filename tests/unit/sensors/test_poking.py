"""The poke loop with a fake clock and sleep: timeout, soft_fail, backoff capped by max_wait, the XCom value."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from dagmap.errors import AirflowFailException, SensorTimeout, TaskFailedNoRetry, TaskSkipped, TaskTimeoutError
from dagmap.sensors.poking import PokeReturnValue, PokeSettings, next_poke_interval, poke_until_done


class FakeTime:
    """A clock that moves only when the loop sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def poker(results: Iterable[object]) -> tuple[Callable[[], object], list[int]]:
    values = iter(results)
    calls: list[int] = []

    def poke() -> object:
        calls.append(1)
        value = next(values)
        if isinstance(value, BaseException):
            raise value
        return value

    return poke, calls


def run(results: Iterable[object], **settings: object) -> tuple[object, FakeTime, int]:
    fake = FakeTime()
    poke, calls = poker(results)
    value = poke_until_done(poke, PokeSettings(**settings), clock=fake.clock, sleep=fake.sleep)  # type: ignore[arg-type]
    return value, fake, len(calls)


def test_pokes_every_interval_until_done() -> None:
    value, fake, pokes = run([False, 0, None, True], poke_interval=5, timeout=100)
    assert value is None
    assert pokes == 4
    assert fake.sleeps == [5, 5, 5]


def test_poke_return_value_gives_the_xcom() -> None:
    value, _, pokes = run(
        [PokeReturnValue(False, "no"), PokeReturnValue(True, {"rows": 3})], poke_interval=1, timeout=9
    )
    assert value == {"rows": 3}
    assert pokes == 2


def test_times_out_with_no_retry_failure() -> None:
    with pytest.raises(SensorTimeout) as raised:
        run([False] * 100, poke_interval=3, timeout=10)
    assert isinstance(raised.value, TaskFailedNoRetry)
    assert "timed out" in raised.value.message


def test_last_poke_happens_at_the_timeout() -> None:
    fake = FakeTime()
    poke, calls = poker([False] * 100)
    with pytest.raises(SensorTimeout):
        poke_until_done(poke, PokeSettings(poke_interval=4, timeout=10), clock=fake.clock, sleep=fake.sleep)
    assert fake.sleeps == [4, 4, 2]
    assert len(calls) == 4


def test_zero_timeout_pokes_once() -> None:
    fake = FakeTime()
    poke, calls = poker([False])
    with pytest.raises(SensorTimeout):
        poke_until_done(poke, PokeSettings(poke_interval=4, timeout=0), clock=fake.clock, sleep=fake.sleep)
    assert len(calls) == 1
    assert fake.sleeps == []


def test_soft_fail_timeout_skips() -> None:
    with pytest.raises(TaskSkipped) as raised:
        run([False] * 100, poke_interval=3, timeout=10, soft_fail=True)
    assert "timed out" in raised.value.message


@pytest.mark.parametrize("error", [AirflowFailException("no"), SensorTimeout("late"), TaskTimeoutError("slow")])
def test_soft_fail_turns_a_no_retry_failure_of_poke_into_a_skip(error: Exception) -> None:
    with pytest.raises(TaskSkipped):
        run([error], poke_interval=1, timeout=10, soft_fail=True)
    with pytest.raises(type(error)):
        run([error], poke_interval=1, timeout=10)


def test_soft_fail_does_not_hide_other_errors() -> None:
    with pytest.raises(ValueError, match="broken"):
        run([ValueError("broken")], poke_interval=1, timeout=10, soft_fail=True)


def test_never_fail_skips_on_any_error() -> None:
    with pytest.raises(TaskSkipped):
        run([ValueError("broken")], poke_interval=1, timeout=10, never_fail=True)


def test_silent_fail_counts_an_error_as_not_done(caplog: pytest.LogCaptureFixture) -> None:
    value, _, pokes = run(
        [ValueError("flaky"), PokeReturnValue(True, 7)], poke_interval=1, timeout=10, silent_fail=True
    )
    assert (value, pokes) == (7, 2)
    assert "flaky" in caplog.text


def test_a_skip_raised_by_poke_is_a_skip() -> None:
    with pytest.raises(TaskSkipped, match="not today"):
        run([TaskSkipped("not today")], poke_interval=1, timeout=10)


def test_exponential_backoff_doubles_and_is_capped_by_max_wait() -> None:
    _, fake, _ = run([False] * 6 + [True], poke_interval=1, timeout=1000, exponential_backoff=True, max_wait=10)
    assert fake.sleeps == [1, 2, 4, 8, 10, 10]


def test_exponential_backoff_never_sleeps_past_the_timeout() -> None:
    fake = FakeTime()
    poke, _ = poker([False] * 100)
    settings = PokeSettings(poke_interval=2, timeout=20, exponential_backoff=True)
    with pytest.raises(SensorTimeout):
        poke_until_done(poke, settings, clock=fake.clock, sleep=fake.sleep)
    assert fake.sleeps == [2, 4, 8, 6]


def test_next_poke_interval() -> None:
    settings = PokeSettings(poke_interval=3, timeout=100, exponential_backoff=True, max_wait=20)
    assert [next_poke_interval(settings, count, 0) for count in (1, 2, 3, 4)] == [3, 6, 12, 20]
    assert next_poke_interval(settings, 1, 99) == 1
    assert next_poke_interval(PokeSettings(poke_interval=3, timeout=10), 50, 0) == 3
    huge = PokeSettings(poke_interval=1, timeout=1e9, exponential_backoff=True)
    assert next_poke_interval(huge, 10_000, 0) == 1e9
