"""Contract checks for dynamic Bytewax sinks (`DynamicSink`) with keyed upserts.

A test module describes its sink once with a `DynamicSinkCase`: a
`SinkAdapter` to its downstream (see `sink_common`), whose `contents` reads
back every stored row as `(key, value)`, and a function that builds the sink
over a `connect`. It then calls the `check_*` functions below, one test each.

What they hold the sink to, beyond Bytewax's own rules:

* At least once, with no visible duplicate: every item reaches `write_batch`
  at least once, and the store ends with one row per key holding the key's
  last value, with 1 and 3 workers, 2 processes, after a fault and a resume,
  and across runs on 1, 3 and 2 workers sharing one recovery store. A
  stateless partition cannot undo anything, so replays must change nothing.
* `write_batch` writes before it returns (what a stateless partition keeps
  is lost in a crash), in one client call, in order: a later value of a key
  wins, within a batch and across batches.
* `close()` twice is safe and closes the client once, and it never raises
  (it logs); other errors raise, naming the worker. Every call has a deadline
  and a time budget (see `SinkBudget`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Generic, TypeVar

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from .common import recovery_store
from .sink_common import (
    Caller,
    ClientLedger,
    Fault,
    InjectedClientError,
    Item,
    KitInput,
    SinkAdapter,
    SinkBudget,
    WriteTimes,
    assert_logged,
    capture_logs,
    caused_by,
    describe_chain,
    error_of,
    make_items,
    run_python,
    run_with_fault,
    run_write_flow,
)

D = TypeVar("D")
C = TypeVar("C")

Stored = Sequence[Item]
"""What a keyed downstream holds: every row stored, as `(key, value)`."""

STEP_ID = "contract_step"
"""The `step_id` passed to `build` when a check drives partitions by hand."""

RECOVERY_STORE_PARTITIONS = 3
"""Recovery store size: at least the most workers any check resumes it with."""


@dataclass(frozen=True)
class DynamicSinkCase(Generic[D, C]):
    """Everything the checks need to know about one dynamic sink.

    Attributes:
        adapter: Reaches the downstream (see `sink_common.SinkAdapter`).
        make_sink: Builds the sink under test over a `connect` returned by the
            adapter.
        example: The example module, e.g. `examples.orders`; it must define
            `flow`.
        budget: How long writing calls may take.
        calls_per_write: Most client calls one `write_batch` may make (raise
            it for a client that needs several, e.g. begin and commit, and
            say why).
    """

    adapter: SinkAdapter[D, C, Stored]
    make_sink: Callable[[C], DynamicSink[Item]]
    example: str
    budget: SinkBudget = field(default_factory=SinkBudget)
    calls_per_write: int = 1


# --- One check's downstream, clients and clock ------------------------------


@dataclass
class _Check(Generic[D, C]):
    case: DynamicSinkCase[D, C]
    downstream: D
    ledger: ClientLedger
    times: WriteTimes
    caller: Caller
    written: list[Item] = field(default_factory=list)

    def sink(self, downstream: D | None = None) -> DynamicSink[Item]:
        target = self.downstream if downstream is None else downstream
        connect = self.ledger.wrap(self.case.adapter.connect(target))
        return self.case.make_sink(connect)

    def stored(self, downstream: D | None = None) -> dict[str, str]:
        """The rows stored, by key; fails if a key has two rows."""
        target = self.downstream if downstream is None else downstream
        rows = list(self.case.adapter.contents(target))
        table = dict(rows)
        assert len(table) == len(rows), (
            f"{len(rows) - len(table)} duplicate rows stored: an upsert must "
            f"replace the row of its key, e.g. {sorted(rows)[:6]}"
        )
        return table

    def build(
        self, sink: DynamicSink[Item], index: int = 0, count: int = 1
    ) -> StatelessSinkPartition[Item]:
        return self.caller.call(
            f"build(worker {index} of {count})",
            lambda: sink.build(STEP_ID, index, count),
        )

    def write(self, part: StatelessSinkPartition[Item], items: list[Item]) -> None:
        what = f"write_batch() of {len(items)} items"
        self.caller.call(
            what,
            lambda: self.times.timed(
                what, self.ledger, lambda: part.write_batch(items)
            ),
        )

    def close(self, part: StatelessSinkPartition[Item]) -> None:
        self.caller.call("close()", part.close)

    def timed(self, sink: DynamicSink[Item]) -> _TimedSink:
        return _TimedSink(sink, self)

    def reference(self, items: Mapping[str, Sequence[Item]]) -> dict[str, str]:
        """Run `items` into a fresh downstream on 1 worker, without faults."""
        downstream = self.case.adapter.open()
        try:
            run_write_flow(KitInput(items), self.sink(downstream))
            return self.stored(downstream)
        finally:
            self.case.adapter.close(downstream)


@contextmanager
def _checking(
    case: DynamicSinkCase[D, C], budget: SinkBudget | None = None
) -> Iterator[_Check[D, C]]:
    budget = budget or case.budget
    downstream = case.adapter.open()
    check = _Check(
        case, downstream, ClientLedger(), WriteTimes(), Caller(budget.deadline)
    )
    try:
        yield check
        check.times.assert_within(budget)
    finally:
        check.caller.close()
        case.adapter.close(downstream)


class _TimedSink(DynamicSink[Item]):
    """Pass-through sink that times every `write_batch` and records its items."""

    def __init__(self, inner: DynamicSink[Item], check: _Check[D, C]) -> None:
        self.inner = inner
        self.times = check.times
        self.ledger = check.ledger
        self.written = check.written

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> _TimedPartition:
        part = self.inner.build(step_id, worker_index, worker_count)
        return _TimedPartition(part, worker_index, self)


class _TimedPartition(StatelessSinkPartition[Item]):
    def __init__(
        self, inner: StatelessSinkPartition[Item], index: int, sink: _TimedSink
    ) -> None:
        self.inner = inner
        self.index = index
        self.sink = sink

    def write_batch(self, items: list[Item]) -> None:
        what = f"write_batch() of worker {self.index}"
        self.sink.times.timed(
            what, self.sink.ledger, lambda: self.inner.write_batch(items)
        )
        # Only what the sink accepted counts as written.
        self.sink.written.extend(items)

    def close(self) -> None:
        self.inner.close()


# --- Comparing what is stored -----------------------------------------------


def last_values(items: Mapping[str, Sequence[Item]]) -> dict[str, str]:
    """The table a run of `items` must leave: each key's last value."""
    return {key: value for part in items.values() for key, value in part}


def assert_table(got: Mapping[str, str], wanted: Mapping[str, str], what: str) -> None:
    """The table holds exactly `wanted`; else say which keys differ and how."""
    missing = sorted(set(wanted) - set(got))
    extra = sorted(set(got) - set(wanted))
    wrong = sorted(key for key in wanted if key in got and got[key] != wanted[key])
    problems = []
    if missing:
        problems.append(f"{len(missing)} keys missing, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} keys not written, e.g. {extra[:3]}")
    if wrong:
        shown = ", ".join(f"{k!r}: {got[k]!r}, not {wanted[k]!r}" for k in wrong[:2])
        problems.append(f"{len(wrong)} keys hold another value ({shown})")
    assert not problems, f"{what}: " + "; ".join(problems)


def assert_all_written(
    written: Sequence[Item], items: Mapping[str, Sequence[Item]]
) -> None:
    """Every item reached `write_batch` at least once."""
    seen = set(written)
    missing = [item for part in items.values() for item in part if item not in seen]
    assert not missing, f"{len(missing)} items never written, e.g. {missing[:3]}"


def _batches(items: Sequence[Item], size: int) -> list[list[Item]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _all_items() -> list[Item]:
    return [item for part in make_items().values() for item in part]


# --- Driven by hand ---------------------------------------------------------


def check_build_write_close_twice(case: DynamicSinkCase[D, C]) -> None:
    """A worker's partition writes; `close()` twice closes its client once."""
    with _checking(case) as check:
        part = check.build(check.sink())
        items = _all_items()[:5]
        check.write(part, items)
        check.close(part)
        check.close(part)
        check.ledger.assert_all_closed("close() twice")
        assert_table(check.stored(), dict(items), "after writing one batch")


def check_writes_before_returning(case: DynamicSinkCase[D, C]) -> None:
    """Once `write_batch` returns, its items are stored.

    A stateless partition that keeps items to write later loses them in a
    crash: Bytewax counts them as written, and never replays them.
    """
    with _checking(case) as check:
        part = check.build(check.sink())
        done: list[Item] = []
        for batch in _batches(_all_items(), 5):
            check.write(part, batch)
            done += batch
            assert_table(
                check.stored(),
                dict(done),
                "once write_batch returned (a stateless partition writes before)",
            )
        check.close(part)


def check_each_write_is_one_client_call(case: DynamicSinkCase[D, C]) -> None:
    """A `write_batch` makes at most `calls_per_write` client calls."""
    with _checking(case) as check:
        part = check.build(check.sink())
        for batch in _batches(_all_items(), 7):
            before = check.ledger.calls
            check.write(part, batch)
            made = check.ledger.calls - before
            assert made <= case.calls_per_write, (
                f"write_batch of {len(batch)} items made {made} client calls; "
                f"one is at most {case.calls_per_write} (a batch per call)"
            )
        check.close(part)


def check_last_value_of_a_key_wins(case: DynamicSinkCase[D, C]) -> None:
    """Values of one key, within a batch and across batches: the last one stays."""
    with _checking(case) as check:
        part = check.build(check.sink())
        check.write(part, [("a", "a #0"), ("b", "b #0"), ("a", "a #1"), ("a", "a #2")])
        wanted = {"a": "a #2", "b": "b #0"}
        assert_table(check.stored(), wanted, "a key's last value in a batch wins")
        check.write(part, [("b", "b #1"), ("c", "c #0")])
        check.write(part, [("a", "a #3")])
        wanted = {"a": "a #3", "b": "b #1", "c": "c #0"}
        assert_table(check.stored(), wanted, "a later batch replaces a key's value")
        check.close(part)


def check_replay_changes_nothing(case: DynamicSinkCase[D, C]) -> None:
    """Writing items again, as after a crash, leaves the store as it was.

    Everything is written; then, for several points, the items from there on
    are written again by a new partition: the store must not change.
    """
    with _checking(case) as check:
        sink = check.sink()
        items = _all_items()
        batches = _batches(items, 6)
        part = check.build(sink)
        for batch in batches:
            check.write(part, batch)
        check.close(part)
        once = check.stored()
        assert_table(once, dict(items), "after writing every item once")
        for start in range(0, len(batches), 3):
            part = check.build(sink)
            for batch in batches[start:]:
                check.write(part, batch)
            check.close(part)
            assert_table(check.stored(), once, f"after replaying from batch {start}")
        check.ledger.assert_all_closed("the replays")


def check_close_never_raises(case: DynamicSinkCase[D, C]) -> None:
    """A failing client close in `close()` is logged, naming the worker, never raised.

    Bytewax also calls `close()` while a failed dataflow unwinds, and an
    exception there aborts the whole process (a panic during a panic), so
    the worker's real error is never reported.
    """
    with _checking(case) as check, capture_logs() as records:
        part = check.build(check.sink(), 1, 2)
        check.write(part, _all_items()[:3])
        check.ledger.fail_close()
        error = error_of(lambda: check.close(part))
        assert error is None, f"close() raised {error!r}:\n{describe_chain(error)}"
        assert check.ledger.open_now == 0, "close() left its client open"
        assert_logged(records, "worker 1", what="a failed close of worker 1")


def check_write_time_budget(case: DynamicSinkCase[D, C]) -> None:
    """Many small writes, each timed against the budget."""
    with _checking(case) as check:
        part = check.build(check.sink())
        for batch in _batches(_all_items(), 1):
            check.write(part, batch)
        check.close(part)


def check_logs_and_errors_name_the_worker(case: DynamicSinkCase[D, C]) -> None:
    """Building is logged, and a failed write raises and logs, naming the worker."""
    with _checking(case) as check, capture_logs() as records:
        part = check.build(check.sink(), 2, 3)
        worker = "worker 2"
        assert_logged(records, STEP_ID, worker, what="building worker 2's partition")
        check.ledger.fail_call()
        error = error_of(lambda: check.write(part, _all_items()[:3]))
        assert error is not None, (
            "a client call failed and the sink raised nothing: the items are lost"
        )
        assert caused_by(error, InjectedClientError), describe_chain(error)
        assert worker in describe_chain(error), (
            f"the error does not name {worker}:\n{describe_chain(error)}"
        )
        assert_logged(records, worker, what="the failed write")
        check.close(part)


def check_blocking_client_fails_by_name(case: DynamicSinkCase[D, C]) -> None:
    """A client that blocks makes the check fail, naming the call, not hang."""
    # A short deadline keeps the check quick; 1 s is still far above what a
    # call that does not block takes, even on a loaded machine.
    budget = SinkBudget(deadline=timedelta(seconds=1))
    with _checking(case, budget) as check:
        part = check.build(check.sink())
        release = check.ledger.block_calls()
        try:
            error = error_of(lambda: check.write(part, _all_items()[:3]))
        finally:
            release.set()
        assert isinstance(error, AssertionError), f"a blocked write gave {error!r}"
        assert "write_batch() of 3 items did not return within" in str(error), error


# --- In dataflows -----------------------------------------------------------


def check_run_main(case: DynamicSinkCase[D, C]) -> None:
    """One worker: every item written, one row per key with its last value."""
    check_cluster_main(case, workers=1)


def check_cluster_main(case: DynamicSinkCase[D, C], workers: int = 3) -> None:
    """`workers` worker threads: every item written, one row per key, last value."""
    with _checking(case) as check:
        items = make_items()
        run_write_flow(KitInput(items), check.timed(check.sink()), workers=workers)
        assert_all_written(check.written, items)
        assert_table(check.stored(), last_values(items), f"{workers} workers")
        check.ledger.assert_all_closed(f"a run on {workers} workers")


def check_two_process_cluster(case: DynamicSinkCase[D, C]) -> None:
    """The example under `bytewax.testing -p 2`: one row per key, last value."""
    with _checking(case) as check:
        example = case.adapter.example()
        try:
            run_python(
                "-m",
                "bytewax.testing",
                f"{case.example}:flow",
                "-p",
                "2",
                "-w",
                "1",
                env=example.env,
            )
            wanted = last_values({"example": list(example.items)})
            assert_table(check.stored(example.downstream), wanted, "2 processes")
        finally:
            case.adapter.close(example.downstream)


def check_recovery_after_fault(
    case: DynamicSinkCase[D, C], tmp_path: Path, fault: Fault = "crash"
) -> None:
    """A run that fails part-way, resumed, stores what a run without faults does.

    The first run fails once about half the items are in (see `Fault`);
    a second run resumes from the same recovery store and replays what came
    after the last snapshot. The replayed upserts must change nothing: the
    store ends as a clean run's, one row per key.
    """
    with _checking(case) as check:
        items = make_items()
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        source = KitInput(items)
        sink = check.sink()
        run_with_fault(source, check.timed(sink), fault, check.ledger, store)
        run_write_flow(source, check.timed(sink), recovery=store)
        assert_all_written(check.written, items)
        assert_table(check.stored(), reference, f"resumed after a {fault}")


def check_rescale(
    case: DynamicSinkCase[D, C],
    tmp_path: Path,
    workers: Sequence[int] = (1, 3, 2),
) -> None:
    """Runs on changing worker counts share one recovery store; one row per key.

    Every run but the last writes part of each input partition and ends; the
    next resumes the store with another worker count.
    """
    with _checking(case) as check:
        items = make_items()
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        longest = max(len(part) for part in items.values())
        share = -(-longest // len(workers))
        sink = check.sink()
        for run, count in enumerate(workers):
            budget = share if run < len(workers) - 1 else None
            source = KitInput(items, budget=budget)
            run_write_flow(source, check.timed(sink), workers=count, recovery=store)
        assert_all_written(check.written, items)
        assert_table(check.stored(), reference, f"runs on {list(workers)}")
        check.ledger.assert_all_closed("the last run")
