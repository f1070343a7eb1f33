"""The kit's own machinery, checked without a connector."""

import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bytewax_connector_kit.common import (
    SAMPLES,
    Budget,
    Caller,
    CallStats,
    ClientLedger,
    IdleCpu,
    InjectedClientError,
    Resources,
    assert_memory_flat,
    assert_quiet,
    assert_raised_from,
    capture_logs,
    caused_by,
    hash_seeds_for,
    in_call,
    lower_quartile,
    plan_for,
    plans,
    reproducible,
    run_cluster,
    split_printed,
)


class Client:
    def __init__(self) -> None:
        self.closed = 0

    def read(self) -> str:
        return "record"

    def close(self) -> None:
        self.closed += 1


class AsyncClient:
    def __init__(self) -> None:
        self.closed = 0

    async def read(self) -> str:
        await asyncio.sleep(0)
        return "record"

    async def aclose(self) -> None:
        self.closed += 1


# --- Plans ------------------------------------------------------------------


def test_plans_are_chosen_by_the_seed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BYTEWAX_KIT_SEEDS", raising=False)
    assert [plan.seed for plan in plans()] == [0, 1, 2, 3]
    monkeypatch.setenv("BYTEWAX_KIT_SEEDS", "2,5-7")
    assert [plan.seed for plan in plans()] == [2, 5, 6, 7]


def test_the_default_plans_cover_every_oddity() -> None:
    chosen = [plan_for(seed) for seed in range(4)]
    assert any(plan.empty_reads for plan in chosen)
    assert any(plan.slow_calls for plan in chosen)
    assert any(plan.repeats for plan in chosen)
    assert any(plan.gaps for plan in chosen)
    assert any(not plan.gaps for plan in chosen)
    assert any(set(plan.idle) == set(plan.names) for plan in chosen), "empty"
    assert any(plan.idle and plan.active() for plan in chosen), "idle partitions"
    names = [name for plan in chosen for name in plan.names]
    assert any(a != b and b.startswith(a) for a in names for b in names)


def test_random_plans_are_the_same_in_every_run() -> None:
    assert plan_for(17) == plan_for(17)
    assert plan_for(17).chance("x", 1) == plan_for(17).chance("x", 1)


def test_a_failure_names_its_plan() -> None:
    plan = plan_for(2)
    with pytest.raises(AssertionError, match="BYTEWAX_KIT_SEEDS=2"), reproducible(plan):
        raise AssertionError("lost a record")


def test_repeated_values_repeat() -> None:
    values = plan_for(1).values("p", 4, "x")
    assert values[0] == values[1]
    assert values[2] == values[3]
    assert values[0] != values[2]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_plans_store_empty_and_falsy_values(seed: int) -> None:
    values = plan_for(seed).values("p", 10, "x")
    assert "" in values
    assert "0" in values or plan_for(seed).repeats
    assert values.count("") <= 4


# --- Speed verdicts ---------------------------------------------------------


def test_a_speed_verdict_needs_many_calls() -> None:
    assert lower_quartile([1.0] * (SAMPLES - 1)) is None
    assert lower_quartile([0.0] * 3 + [1.0] * (SAMPLES - 3)) == 1.0


def test_a_few_slow_calls_pass_most_slow_calls_fail() -> None:
    budget = Budget()
    stats = CallStats()
    for index in range(SAMPLES):
        stats.add("idle", 0.5 if index < SAMPLES // 4 else 0.0001, 0.0, 0.0)
    stats.assert_within(budget, what="next_batch()", client=True)
    slow = CallStats()
    for _ in range(SAMPLES):
        slow.add("idle", 0.02, 0.0, 0.0)
    with pytest.raises(AssertionError, match="own code"):
        slow.assert_within(budget, what="next_batch()", client=True)


def test_client_time_and_allowed_waits_are_not_the_connectors_own() -> None:
    stats = CallStats()
    for _ in range(SAMPLES):
        stats.add("busy", 0.024, 0.02, 0.0)
        stats.add("idle", 0.0051, 0.0, 0.005)
    stats.assert_within(Budget(), what="writing", client=False)
    with pytest.raises(AssertionError, match="client calls"):
        stats.assert_within(Budget(), what="next_batch()", client=True)


def test_idle_cpu_judges_most_samples_not_one() -> None:
    calm = IdleCpu()
    for index in range(SAMPLES):
        calm.add("idle", 0.01 if index < SAMPLES // 4 else 0.0002, 0.01)
    calm.add("idle", 0.001, 0.0005)  # too short to say anything
    calm.assert_idle("a waiting connector")
    busy = IdleCpu()
    for _ in range(SAMPLES):
        busy.add("idle", 0.009, 0.01)
    with pytest.raises(AssertionError, match="busy-wait"):
        busy.assert_idle("a spinning connector")
    few = IdleCpu()
    for _ in range(SAMPLES - 1):
        few.add("idle", 0.01, 0.01)
    few.assert_idle("too few samples for a verdict")


def test_idle_cpu_measures_a_wait_as_idle() -> None:
    cpu = IdleCpu()
    for _ in range(SAMPLES):
        with cpu.measure("sleeping"):
            time.sleep(0.004)
    assert len(cpu.samples["sleeping"]) == SAMPLES
    cpu.assert_idle("time.sleep")


# --- Deadlines ----------------------------------------------------------------


def test_a_stuck_call_keeps_its_clients_open_until_it_returns() -> None:
    held = threading.Event()
    caller = Caller(timedelta(milliseconds=50))
    with pytest.raises(AssertionError, match="did not return within"):
        caller.call("a write", held.wait)
    assert caller.stuck
    assert caller.close() is False, "the call still runs: its clients stay open"
    held.set()
    lock = threading.Event()
    waiter = Caller(timedelta(seconds=1))
    with pytest.raises(AssertionError, match="did not return within"):
        waiter.call("a write on a held lock", lambda: lock.wait(30))
    lock.set()  # the check lets go of the lock: the call returns
    assert waiter.close() is True


def _orders_under(names: list[str], seeds: tuple[str, ...]) -> list[list[list[str]]]:
    code = (
        "import json, sys; names = json.loads(sys.argv[1]); "
        "print(json.dumps([list(set(names)), sorted(names, key=hash)]))"
    )
    return [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code, json.dumps(names)],
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for seed in seeds
    ]


@pytest.mark.parametrize(
    "names",
    [["part-0", "part-1", "part-2"], ["a", "b", "c", "d"], ["eu", "us", "ap"]],
)
def test_cluster_hash_seeds_put_the_names_in_other_orders(names: list[str]) -> None:
    seeds = hash_seeds_for(names, 2)
    first, second = _orders_under(names, seeds)
    here = [list(set(names)), sorted(names, key=hash)]
    for kind, (a, b, mine) in enumerate(zip(first, second, here, strict=True)):
        assert mine not in (a, b), f"a process orders like this one ({kind=})"
        assert a != b, f"two processes order alike ({kind=})"


def test_cluster_hash_seeds_of_two_names_differ_from_here() -> None:
    names = ["x", "y"]
    seeds = hash_seeds_for(names, 3)
    assert len(seeds) == 3
    (orders,) = _orders_under(names, seeds[:1])
    assert orders != [list(set(names)), sorted(names, key=hash)]
    assert hash_seeds_for(["only"], 2) == ("1", "2")


# --- Logs -------------------------------------------------------------------


def test_routine_calls_log_neither_warnings_nor_a_record_each() -> None:
    logger = logging.getLogger("kit-test")
    with capture_logs() as records:
        logger.info("connected")
        for _ in range(8):
            logger.debug("wrote a batch")
    assert_quiet(records, what="a sink", calls=8, doing="writing healthy batches")
    with capture_logs() as records:
        logger.warning("wrote a batch")
    with pytest.raises(AssertionError, match="while writing healthy batches"):
        assert_quiet(records, what="a sink", calls=8, doing="writing healthy batches")
    with capture_logs() as records:
        for _ in range(8):
            logger.info("wrote a batch")
    with pytest.raises(AssertionError, match="at DEBUG"):
        assert_quiet(records, what="a sink", calls=8, doing="writing healthy batches")


# --- The ledger -------------------------------------------------------------


def test_the_ledger_counts_opens_closes_and_double_closes() -> None:
    ledger = ClientLedger()
    connect = ledger.wrap(Client)
    first, second = connect(), connect()
    first.close()
    assert ledger.open_now == 1
    with pytest.raises(AssertionError, match="left open"):
        ledger.assert_all_closed("the test")
    second.close()
    second.close()
    with pytest.raises(AssertionError, match="closed twice"):
        ledger.assert_all_closed("the test")


def test_the_ledger_fails_the_chosen_call_once() -> None:
    ledger = ClientLedger()
    client = ledger.wrap(Client)()
    ledger.fail_call(after=1)
    assert client.read() == "record"
    with pytest.raises(InjectedClientError):
        client.read()
    assert client.read() == "record"
    assert len(ledger.injected) == 1


def test_the_ledger_fails_async_calls_when_awaited() -> None:
    ledger = ClientLedger()

    async def scenario() -> None:
        client = await ledger.wrap(_open_async)()
        ledger.fail_call()
        with pytest.raises(InjectedClientError):
            await client.read()
        await client.aclose()

    asyncio.run(scenario())
    ledger.assert_all_closed("the scenario")


async def _open_async() -> AsyncClient:
    return AsyncClient()


def test_the_ledger_counts_an_aclose_only_once_it_ran_to_its_end() -> None:
    ledger = ClientLedger()
    loop = asyncio.new_event_loop()
    try:
        client = loop.run_until_complete(ledger.wrap(_open_async)())
        closing = loop.create_task(client.aclose())
        loop.run_until_complete(asyncio.sleep(0))
        assert not closing.done(), "a goodbye takes more than one turn of the loop"
        assert ledger.open_now == 1
        loop.run_until_complete(closing)
    finally:
        loop.close()
    ledger.assert_all_closed("an aclose awaited to its end")
    abandoned = ClientLedger()
    loop = asyncio.new_event_loop()
    try:
        client = loop.run_until_complete(abandoned.wrap(_open_async)())
        closing = loop.create_task(client.aclose())
        loop.run_until_complete(asyncio.sleep(0))
        closing.cancel()
        loop.run_until_complete(asyncio.gather(closing, return_exceptions=True))
    finally:
        loop.close()
    assert abandoned.open_now == 1, "a cancelled aclose is not a close"


def test_the_ledger_sees_timeouts_cut_by_seconds() -> None:
    ledger = ClientLedger()

    def connect(*, timeout: timedelta) -> Client:
        return Client()

    wrapped = ledger.wrap(connect)
    wrapped(timeout=timedelta(milliseconds=2750)).close()
    ledger.assert_timeout_passed(timedelta(milliseconds=2750), "the test")
    wrapped(timeout=timedelta(seconds=timedelta(milliseconds=2750).seconds)).close()
    with pytest.raises(AssertionError, match="seconds"):
        ledger.assert_timeout_passed(timedelta(milliseconds=2750), "the test")


def test_the_ledger_closes_abandoned_clients() -> None:
    ledger = ClientLedger()
    made: list[Client] = []

    def connect() -> Client:
        made.append(Client())
        return made[-1]

    ledger.wrap(connect)()
    assert ledger.close_leftovers(lambda client: client.close()) == 1  # type: ignore[attr-defined]
    assert made[0].closed == 1


def test_the_ledger_notes_calls_outside_the_connectors_calls() -> None:
    ledger = ClientLedger()
    with in_call():
        client = ledger.wrap(Client)()
        client.read()
    ledger.assert_calls_inside("the test")
    worker = threading.Thread(target=client.read)
    worker.start()
    worker.join()
    with pytest.raises(AssertionError, match="background thread"):
        ledger.assert_calls_inside("the test")
    client.close()


# --- Errors -----------------------------------------------------------------


def _raise_from(cause: Exception, how: str) -> None:
    try:
        raise cause
    except Exception as error:
        if how == "from":
            raise RuntimeError("partition 'p': failed") from error
        if how == "none":
            raise RuntimeError("partition 'p': failed") from None
        raise RuntimeError("partition 'p': failed")  # noqa: B904


@pytest.mark.parametrize(
    ("how", "ok"), [("from", True), ("none", False), ("context", False)]
)
def test_a_failure_must_carry_its_cause_explicitly(how: str, ok: bool) -> None:
    cause = InjectedClientError("down")
    with pytest.raises(RuntimeError) as raised:
        _raise_from(cause, how)
    if ok:
        assert caused_by(raised.value, InjectedClientError)
        assert_raised_from(raised.value, cause, what="x", names=["p"])
    else:
        with pytest.raises(AssertionError, match="without the client's error"):
            assert_raised_from(raised.value, cause, what="x")


def test_a_swallowed_failure_fails() -> None:
    with pytest.raises(AssertionError, match="swallowed"):
        assert_raised_from(None, InjectedClientError(), what="next_batch()")


# --- Resources --------------------------------------------------------------


def test_a_leaked_thread_and_file_are_found() -> None:
    before = Resources.now()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="leaky")
    thread.start()
    try:
        with pytest.raises(AssertionError, match="leaky"):
            before.assert_released(what="the test", settle=timedelta(0))
    finally:
        stop.set()
        thread.join()
    if before.fds is None:
        return
    leaked = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        with pytest.raises(AssertionError, match="file descriptor"):
            before.assert_released(what="the test", settle=timedelta(0))
    finally:
        leaked.close()
    before.assert_released(what="the test", settle=timedelta(seconds=1))


def test_memory_kept_per_record_is_found() -> None:
    kept: list[object] = []

    def keep() -> None:
        kept.extend(object() for _ in range(4000))

    with pytest.raises(AssertionError, match="memory grows"):
        assert_memory_flat(keep, keep, what="a leak")

    def flat() -> None:
        items = [object() for _ in range(4000)]
        del items

    assert assert_memory_flat(flat, flat, what="no leak") <= 16 * 1024


# --- Processes --------------------------------------------------------------


def test_split_printed_finds_interleaved_lines() -> None:
    printed, other = split_printed("AB\n\nC\nchatter", ["A", "B", "C"])
    assert printed == ["A", "B", "C"]
    assert other == "chatter"


@pytest.fixture
def flow_module(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "src").mkdir()
    (tmp_path / "kit_flow.py").write_text(
        "import bytewax.operators as op\n"
        "from bytewax.connectors.stdio import StdOutSink\n"
        "from bytewax.dataflow import Dataflow\n"
        "from bytewax.testing import TestingSource\n"
        "flow = Dataflow('kit')\n"
        "source = TestingSource(['alpha-kit', 'beta-kit'])\n"
        "op.output('out', op.input('in', flow, source), StdOutSink())\n",
        encoding="utf-8",
    )
    return tmp_path, "kit_flow"


def test_a_cluster_runs_on_free_ports_with_a_hash_seed_per_process(
    flow_module: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, module = flow_module
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), *_src()]))
    started = time.monotonic()
    run = run_cluster(
        root,
        f"{module}:flow",
        budget=Budget(),
        probe="result = hash('a string')\n",
    )
    assert time.monotonic() - started < 60
    assert len(set(map(str, run.probes))) == 2, run.probes
    printed, _ = split_printed("".join(run.stdouts), ["alpha-kit", "beta-kit"])
    assert sorted(printed) == ["alpha-kit", "beta-kit"]


def _src() -> list[str]:
    return [str(Path(__file__).resolve().parents[1] / "src")]
