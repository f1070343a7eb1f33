"""Contract checks for dynamic Bytewax sinks (`DynamicSink`) with keyed upserts.

A test module describes its sink once with a `DynamicSinkCase`: a
`SinkAdapter` to its downstream (see `common`), whose `contents` reads back
every stored row as `(key, value)`, a function that builds the sink over a
`connect` with the `Options` a check asks for, and the example module. It
then calls the `check_*` functions below, one test each.

What they hold the sink to, beyond Bytewax's own rules:

* At least once, with no visible duplicate: every item reaches `write_batch`
  at least once, and the store ends with one row per key holding the key's
  last value, with 1 and 3 workers, 2 processes, after a fault and a resume,
  and across runs on 1, 3 and 2 workers sharing one recovery store. A
  stateless partition cannot undo anything, so replays must change nothing.
* `write_batch` writes before it returns (what a stateless partition keeps
  is lost in a crash), on the runtime's thread, in order: the last value of
  a key in batch order wins (not the largest, not the first), an empty value
  is a value; no client call carries more than `batch_size` rows, and one
  stores all its rows or none.
* Every client failure surfaces from the call that met it, with its cause,
  naming the worker, and is not also logged at ERROR; `close()` never raises
  (it logs, at WARNING or above). Nothing leaks: clients, threads, file
  descriptors, memory.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from .common import (
    BATCH_SIZES,
    CLIENT_TIMEOUT,
    INJECTED_KINDS,
    MEMORY_ITEMS,
    RECOVERY_STORE_PARTITIONS,
    SAMPLES,
    SHORT_HOLD,
    STALL_TIMEOUT,
    STEP_ID,
    TIMEOUTS,
    Budget,
    Caller,
    CallStats,
    ClientLedger,
    Fault,
    Harness,
    Item,
    KitInput,
    Plan,
    SinkAdapter,
    accounted,
    assert_gave_up_on_lock,
    assert_logged,
    assert_memory_flat,
    assert_quiet,
    assert_refused,
    assert_waited_for_lock,
    capture_logs,
    caused_by,
    error_of,
    in_call,
    make_items,
    plan_for,
    planned,
    planned_fault,
    recovery_store,
    refused_batches,
    reproducible,
    run_cluster,
    run_with_fault,
    run_write_flow,
    write_while_locked,
)

C = TypeVar("C")

Stored = Sequence[Item]
"""What a keyed downstream holds: every row stored, as `(key, value)`."""


@dataclass(frozen=True)
class Options:
    """How a check wants the sink under test built.

    Attributes:
        batch_size: The most rows one client call writes.
        client_timeout: Longest one client call may take, connecting included.
    """

    batch_size: int = 4
    client_timeout: timedelta = CLIENT_TIMEOUT


@dataclass(frozen=True)
class DynamicSinkCase(Generic[C]):
    """Everything the checks need to know about one dynamic sink.

    Attributes:
        adapter: Reaches the downstream (see `common.SinkAdapter`).
        make_sink: Builds the sink under test over a `connect` returned by the
            adapter, with the given options.
        example: The example module, e.g. `examples.orders`; it must define
            `flow`.
        root: The project's root: examples run from there.
        budget: Every wall-clock limit (see `common.Budget`).
        calls_per_write: Client calls one batch of rows may take (raise it
            for a client that needs several, e.g. begin and commit).
    """

    adapter: SinkAdapter[Any, C, Stored]
    make_sink: Callable[[C, Options], DynamicSink[Item]]
    example: str
    root: Path = field(default_factory=Path.cwd)
    budget: Budget = field(default_factory=Budget)
    calls_per_write: int = 1


# --- One check's downstream, clients and clock ------------------------------


@dataclass
class _Part:
    """A worker's partition driven by hand."""

    inner: StatelessSinkPartition[Item]
    worker: int
    workers: int

    @property
    def name(self) -> str:
        return f"worker {self.worker} of {self.workers}"


@dataclass(kw_only=True)
class _Check(Harness, Generic[C]):
    case: DynamicSinkCase[C]
    plan: Plan
    downstream: Any
    written: list[Item] = field(default_factory=list)

    @property
    def adapter(self) -> SinkAdapter[Any, C, Stored]:
        return self.case.adapter

    def sink(
        self, options: Options | None = None, downstream: object = None
    ) -> DynamicSink[Item]:
        target = self.downstream if downstream is None else downstream
        connect = self.ledger.wrap(self.adapter.connect(target))
        return self.case.make_sink(connect, options or Options())

    def stored(self, downstream: object = None) -> dict[str, str]:
        """The rows stored, by key; fails if a key has two rows."""
        target = self.downstream if downstream is None else downstream
        rows = list(self.adapter.contents(target))
        table = dict(rows)
        assert len(table) == len(rows), (
            f"{len(rows) - len(table)} duplicate rows stored: an upsert must "
            f"replace the row of its key, e.g. {sorted(rows)[:6]}"
        )
        return table

    def build(
        self, sink: DynamicSink[Item], worker: int = 0, workers: int = 1
    ) -> _Part:
        inner = self.op(
            f"build(worker {worker} of {workers})",
            lambda: sink.build(STEP_ID, worker, workers),
            (STEP_ID, f"worker {worker}"),
        )
        self.built.append(inner.close)
        return _Part(inner, worker, workers)

    def write(self, part: _Part, items: list[Item]) -> None:
        self.op(
            f"write_batch() of {len(items)} items to {part.name}",
            lambda: self.timed("write_batch", lambda: part.inner.write_batch(items)),
            (STEP_ID, f"worker {part.worker}"),
        )

    def close(self, part: _Part) -> None:
        what = f"close() of {part.name}"
        error = error_of(
            partial(self.op, what, part.inner.close, keeps=f"worker {part.worker}")
        )
        assert error is None, (
            f"{what} raised {error!r}: Bytewax calls it while a failed dataflow "
            "unwinds, where an exception aborts the process. Log, never raise"
        )

    def timed_sink(self, sink: DynamicSink[Item]) -> _TimedSink:
        return _TimedSink(sink, self.written)

    def reference(self, items: Mapping[str, Sequence[Item]]) -> dict[str, str]:
        """Run `items` into a fresh downstream on 1 worker, without faults."""
        downstream = self.adapter.open(plan_for(0))
        try:
            sink = _TimedSink(self.sink(None, downstream), [])
            run_write_flow(KitInput(items), sink, self.case.budget)
            return self.stored(downstream)
        finally:
            self.adapter.close(downstream)


@contextmanager
def _checking(
    case: DynamicSinkCase[C], plan: Plan | None = None
) -> Iterator[_Check[C]]:
    """Open a fresh downstream for `plan`; on the way out, account for everything."""
    plan = plan or plan_for(0)
    with accounted("the check"):
        downstream = case.adapter.open(plan)
        caller = Caller(case.budget.deadline)
        check = _Check(
            ledger=ClientLedger(),
            stats=CallStats(),
            caller=caller,
            case=case,
            plan=plan,
            downstream=downstream,
        )
        try:
            with reproducible(plan):
                yield check
        except BaseException:
            check.close_built()
            raise
        finally:
            idle = caller.close()
            left = (
                check.ledger.close_leftovers(case.adapter.close_client) if idle else 0
            )
            case.adapter.close(downstream)
        assert left == 0, f"{left} client(s) left open (the kit closed them)"
        check.ledger.assert_calls_inside("the check")
        check.stats.assert_within(case.budget, what="writing", client=False)


class _TimedSink(DynamicSink[Item]):
    """Pass-through sink that marks the runtime's calls and records what it accepted."""

    def __init__(self, inner: DynamicSink[Item], written: list[Item]) -> None:
        self.inner = inner
        self.written = written

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> _TimedPartition:
        with in_call():
            part = self.inner.build(step_id, worker_index, worker_count)
        return _TimedPartition(part, self)


class _TimedPartition(StatelessSinkPartition[Item]):
    def __init__(self, inner: StatelessSinkPartition[Item], sink: _TimedSink) -> None:
        self.inner = inner
        self.sink = sink

    def write_batch(self, items: list[Item]) -> None:
        with in_call():
            self.inner.write_batch(items)
        # Only what the sink accepted counts as written.
        self.sink.written.extend(items)

    def close(self) -> None:
        with in_call():
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


def _all_items(plan: Plan) -> list[Item]:
    return [item for part in make_items(plan).values() for item in part]


def _shuffled_values(plan: Plan, keys: int) -> list[Item]:
    """Items of many keys, three values each, keys interleaved at random.

    Each key's values come as `a`, `c`, `b`: its last value is neither its
    first, nor its largest, nor its smallest. One key's last value is empty.
    Any order the sink makes up (sorting, a set, `hash()`) leaves some of the
    keys with another value, whatever the seed.
    """
    rng = random.Random(f"{plan.seed}:values")
    # k1 is a prefix of k10 to k15.
    waiting = {f"k{index}": ["a", "c", "b"] for index in range(keys)}
    empty = next(iter(waiting))
    items: list[Item] = []
    while waiting:
        key = rng.choice(sorted(waiting))
        mark = waiting[key].pop(0)
        value = "" if key == empty and not waiting[key] else f"{key} {mark}"
        items.append((key, value))
        if not waiting[key]:
            del waiting[key]
    return items


class _CallWatch:
    """Watches how many keys each client call changes (see `ClientLedger.observe`)."""

    def __init__(self, check: _Check[C]) -> None:
        self._check = check
        self._table = dict(check.adapter.contents(check.downstream))
        self.largest = 0
        self.calls = 0

    def __call__(self, method: str) -> None:
        table = dict(self._check.adapter.contents(self._check.downstream))
        changed = sum(
            1 for key, value in table.items() if self._table.get(key) != value
        )
        self.largest = max(self.largest, changed)
        self._table = table
        self.calls += 1


# --- Driven by hand ---------------------------------------------------------


def check_build_write_close_twice(case: DynamicSinkCase[C]) -> None:
    """A worker's partition writes; `close()` twice closes its client once."""
    with _checking(case) as check:
        part = check.build(check.sink())
        items = _all_items(check.plan)[:5]
        check.write(part, items)
        check.close(part)
        check.close(part)
        check.ledger.assert_all_closed("close() twice")
        assert_table(check.stored(), dict(items), "after writing one batch")


def check_writes_before_returning(case: DynamicSinkCase[C]) -> None:
    """Once `write_batch` returns, its items are stored, the last value of each key.

    Under every plan: a stateless partition that keeps items to write later
    loses them in a crash (Bytewax counts them as written, and never replays
    them); within a batch and across batches the last value of a key in
    batch order wins (not the largest, not the first); an empty value is
    stored as one; nothing is logged at WARNING or above, and not a record
    per batch.
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            part = check.build(check.sink())
            done: list[Item] = []
            items = _shuffled_values(plan, keys=16)
            batches = _batches(items, 7)
            with capture_logs() as logs:
                for batch in batches:
                    check.write(part, batch)
                    done += batch
                    assert_table(
                        check.stored(),
                        dict(done),
                        "once write_batch returned (the last value of each key in "
                        "batch order, written before returning)",
                    )
            assert_quiet(
                logs,
                what=part.name,
                calls=len(batches),
                doing="writing healthy batches",
            )
            check.close(part)

    planned(run)


def check_each_call_within_the_batch_bound(case: DynamicSinkCase[C]) -> None:
    """No client call writes more than `batch_size` rows, nor one row per call.

    With batch sizes 1 and 3, batches of many distinct keys: every client
    call changes at most `batch_size` keys, and a `write_batch` takes no more
    calls than its rows need.
    """
    for size in BATCH_SIZES:
        with _checking(case) as check:
            options = Options(batch_size=size)
            part = check.build(check.sink(options))
            watch = _CallWatch(check)
            check.ledger.observe(watch)
            keys = iter(range(10**6))
            for count in (1, size, size + 1, 3 * size + 2):
                batch = [(f"key {next(keys)}", "v") for _ in range(count)]
                calls = watch.calls
                check.write(part, batch)
                most = math.ceil(count / size) * case.calls_per_write
                made = watch.calls - calls
                assert made <= most, (
                    f"writing {count} rows took {made} client calls, where "
                    f"batches of {size} need at most {most}: one call per row?"
                )
            check.ledger.observe(None)
            assert watch.largest <= size, (
                f"one client call wrote {watch.largest} rows: at most batch_size "
                f"({size}) may go in one call"
            )
            check.close(part)


def check_replay_changes_nothing(case: DynamicSinkCase[C]) -> None:
    """Writing items again, as after a crash, leaves the store as it was.

    Everything is written; then, for several points, the items from there on
    are written again by a new partition: the store must not change.
    """
    with _checking(case) as check:
        sink = check.sink()
        items = _all_items(check.plan)
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


def check_batch_is_all_or_nothing(case: DynamicSinkCase[C]) -> None:
    """A write the downstream refuses stores none of its rows, and raises.

    Under every plan, writes batches with a value the downstream refuses
    (`SinkAdapter.refused`) late among them, each in one client call
    (`batch_size` is the batch's size): a few rows, and sizes drawn from the
    plan between `ATOMIC_SIZES`, larger than any chunk a client may commit
    on its own. Each write must raise, with the downstream's error as its
    cause, and the store must hold what it held before.
    """
    refused = case.adapter.refused()
    if refused is None:
        return

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            first = check.build(check.sink())
            check.write(first, [("a", "a0"), ("b", "b0")])
            check.close(first)
            before = check.stored()
            for size, at in refused_batches(plan):
                options = Options(batch_size=size)
                part = check.build(check.sink(options))
                batch = [("a", "a1"), ("b", "b1")]
                batch += [(f"k{index}", f"v{index}") for index in range(size - 2)]
                key, _ = batch[at]
                batch[at] = (key, refused)
                error = error_of(partial(check.write, part, batch))
                what = f"a batch of {size} rows, row {at + 1} refused,"
                assert_refused(error, what)
                assert_table(
                    check.stored(),
                    before,
                    f"after {what} (a client call stores all its rows or none)",
                )
                check.close(part)

    planned(run)


def _scenario(check: _Check[C]) -> None:
    """Everything a sink does by hand, to fail each of its client calls in turn."""
    options = Options(batch_size=2)
    sink = check.sink(options)
    for worker in range(2):
        part = check.build(sink, worker, 2)
        try:
            for batch in ([("a", "1")], [("b", "1"), ("c", "1"), ("d", "1")]):
                check.write(part, batch)
        finally:
            check.close(part)


def check_errors_surface(case: DynamicSinkCase[C]) -> int:
    """A failing client call fails the call that made it, with its cause; nothing leaks.

    Runs a whole life (build two workers, write batches of one and of
    several rows, close) once per client call, `connect` included, making
    that call fail, in turn, with a plain error, a lost connection and a
    timeout. Each failure must surface from the very call of the sink that
    made it: raised, not swallowed (not in a batch of one row); with the
    client's error as its explicit cause; naming the step and the worker;
    and not also logged at ERROR. A failure inside `close()` is not raised,
    but logged at WARNING or above naming the worker. Afterwards every client
    is closed. A failure planned inside the downstream (`Plan.fail_at`) must
    surface the same way.

    Returns:
        The number of client calls failed.
    """
    with _checking(case) as check:
        _scenario(check)
        total = check.ledger.calls
    with accounted("every failing call"):
        for number in range(total):
            kind = INJECTED_KINDS[number % len(INJECTED_KINDS)]
            with _checking(case) as check, capture_logs() as logs:
                check.ledger.fail_call(after=number, error=partial(kind, "injected"))
                error = error_of(partial(_scenario, check))
                assert check.ledger.injected, f"client call {number} never came"
                if error is None:
                    assert check.kept, f"client call {number} failed, unseen"
                    check.assert_kept_logged(logs)
                else:
                    origin = check.ledger.injected[0]
                    check.assert_surfaced(error, origin, f"client call {number}")
                check.ledger.assert_all_closed(f"client call {number} failed")
        for at in (0, 2) if case.adapter.misbehaves else ():
            with _checking(case, replace(plan_for(0), fail_at=at)) as check:
                error = error_of(partial(_scenario, check))
                fault = planned_fault(error, f"the downstream's call {at}")
                check.assert_surfaced(error, fault, f"downstream call {at}")
                check.ledger.assert_all_closed(f"downstream call {at} failed")
    return total


def check_idle_is_quiet(case: DynamicSinkCase[C]) -> None:
    """With nothing to write, a worker calls no client and keeps quiet.

    `SAMPLES` empty `write_batch` calls (the runtime makes them while a
    dataflow is idle): no client call, and nothing logged at WARNING or above.
    """
    with _checking(case) as check, capture_logs() as logs:
        part = check.build(check.sink())
        check.write(part, [("a", "1")])
        logs.clear()
        calls = check.ledger.calls
        for _ in range(SAMPLES):
            check.write(part, [])
        made = check.ledger.calls - calls
        assert made == 0, f"{made} client calls for {SAMPLES} empty batches"
        assert_quiet(logs, what=part.name, calls=SAMPLES)
        check.close(part)


def check_close_never_raises(case: DynamicSinkCase[C]) -> None:
    """A failing client close in `close()` is logged, naming the worker, never raised.

    Bytewax also calls `close()` while a failed dataflow unwinds, and an
    exception there aborts the whole process (a panic during a panic), so
    the worker's real error is never reported.
    """
    with _checking(case) as check, capture_logs() as records:
        part = check.build(check.sink(), 1, 2)
        check.write(part, _all_items(check.plan)[:3])
        check.ledger.fail_close()
        check.close(part)
        assert check.ledger.open_now == 0, "close() left its client open"
        assert_logged(
            records,
            "worker 1",
            what="a failed close of worker 1",
            level=logging.WARNING,
        )


def check_client_timeout(case: DynamicSinkCase[C]) -> None:
    """The client timeout reaches the client, in full, and ends a stalled call.

    Every `connect` gets the `client_timeout` the sink was built with (as
    a `timedelta`, or in seconds: `.seconds` truncates it). A downstream call
    that never answers (`Plan.stall_at`) must fail the sink's call once the
    timeout is up, with a `TimeoutError` among its causes, and leave no
    client open. Where the downstream has a lock to hold (`SinkAdapter.hold`):
    a write waits for a lock held for `SHORT_HOLD` and succeeds; with a lock
    held past the client timeout it fails within the budget's deadline,
    raised with the backend's error as its cause (not rolled back and
    returned), storing nothing.
    """
    with _checking(case) as check:
        _scenario(check)
        check.ledger.assert_timeout_passed(CLIENT_TIMEOUT, "every connect")
    _check_held_lock(case)
    options = Options(client_timeout=STALL_TIMEOUT)
    if not case.adapter.misbehaves:
        return
    with _checking(case, replace(plan_for(0), stall_at=1)) as check:
        sink = check.sink(options)

        def stall() -> None:
            part = check.build(sink)
            try:
                check.write(part, [("a", "1")])
            finally:
                check.close(part)

        error = error_of(stall)
        assert error is not None, "a stalled downstream call went unnoticed"
        assert caused_by(error, TIMEOUTS), (
            f"a stalled downstream call ended with {error!r}, not with a "
            "TimeoutError among its causes"
        )
        check.ledger.assert_all_closed("a stalled call")


def _check_held_lock(case: DynamicSinkCase[C]) -> None:
    """A writer waits for a lock held briefly, and gives up on one held too long."""
    rows = [("a", "a0"), ("b", ""), ("c", "c0")]
    with _checking(case) as check:
        part = check.build(check.sink())
        release = case.adapter.hold(check.downstream)
        if release is None:
            check.close(part)
            return
        write = partial(check.write, part, rows)
        assert_waited_for_lock(write_while_locked(write, release, SHORT_HOLD))
        assert_table(check.stored(), dict(rows), "after a write that waited")
        check.close(part)
    with _checking(case) as check:
        part = check.build(check.sink(Options(client_timeout=STALL_TIMEOUT)))
        release = case.adapter.hold(check.downstream)
        assert release is not None
        error = write_while_locked(partial(check.write, part, rows), release, None)
        assert_gave_up_on_lock(check, error, STALL_TIMEOUT)
        assert_table(check.stored(), {}, "after a write that failed on a held lock")
        check.close(part)


def check_memory_is_flat(case: DynamicSinkCase[C]) -> int:
    """Writing many rows keeps no memory per row.

    See `common.assert_memory_flat`.

    Returns:
        The bytes that stayed allocated.
    """
    with _checking(case) as check:
        options = Options(batch_size=100)
        part = check.build(check.sink(options))
        counter = iter(range(10**9))

        def write_half() -> None:
            with in_call():
                for _ in range(MEMORY_ITEMS // 100):
                    rows = [(f"k{next(counter)}", "v") for _ in range(100)]
                    part.inner.write_batch(rows)

        def half() -> None:
            check.caller.call("writing", write_half)

        grown = assert_memory_flat(half, half, what=part.name)
        check.close(part)
    return grown


def check_logs_name_the_worker(case: DynamicSinkCase[C]) -> None:
    """Building a worker's partition is logged, naming the step and the worker."""
    with _checking(case) as check, capture_logs() as records:
        part = check.build(check.sink(), 2, 3)
        assert_logged(records, STEP_ID, "worker 2", what="building worker 2")
        check.close(part)


# --- In dataflows -----------------------------------------------------------


def check_run_main(case: DynamicSinkCase[C]) -> None:
    """One worker: every item written, one row per key with its last value."""
    check_cluster_main(case, workers=1)


def check_cluster_main(case: DynamicSinkCase[C], workers: int = 3) -> None:
    """`workers` worker threads: every item written, one row per key, last value."""
    with _checking(case, plan_for(1)) as check:
        items = make_items(check.plan)
        sink = check.timed_sink(check.sink())
        run_write_flow(KitInput(items), sink, case.budget, workers=workers)
        assert_all_written(check.written, items)
        assert_table(check.stored(), last_values(items), f"{workers} workers")
        check.ledger.assert_all_closed(f"a run on {workers} workers")


def check_recovery_after_fault(
    case: DynamicSinkCase[C], tmp_path: Path, fault: Fault = "crash"
) -> None:
    """A run that fails part-way, resumed, stores what a run without faults does.

    The first run fails once about half the items are in (see `Fault`);
    a second run resumes from the same recovery store and replays what came
    after the last snapshot. The replayed upserts must change nothing: the
    store ends as a clean run's, one row per key.
    """
    with _checking(case, plan_for(2)) as check:
        items = make_items(check.plan)
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        source = KitInput(items)
        sink = check.sink()
        run_with_fault(
            source, check.timed_sink(sink), fault, check.ledger, store, case.budget
        )
        run_write_flow(source, check.timed_sink(sink), case.budget, recovery=store)
        assert_all_written(check.written, items)
        assert_table(check.stored(), reference, f"resumed after a {fault}")


def check_rescale(
    case: DynamicSinkCase[C],
    tmp_path: Path,
    workers: Sequence[int] = (1, 3, 2),
) -> None:
    """Runs on changing worker counts share one recovery store; one row per key.

    Every run but the last writes part of each input partition and ends; the
    next resumes the store with another worker count.
    """
    with _checking(case) as check:
        items = make_items(check.plan)
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        longest = max(len(part) for part in items.values())
        share = -(-longest // len(workers))
        sink = check.sink()
        for run, count in enumerate(workers):
            budget = share if run < len(workers) - 1 else None
            source = KitInput(items, budget=budget)
            run_write_flow(
                source,
                check.timed_sink(sink),
                case.budget,
                workers=count,
                recovery=store,
            )
        assert_all_written(check.written, items)
        assert_table(check.stored(), reference, f"runs on {list(workers)}")
        check.ledger.assert_all_closed("the last run")


# --- The example, as processes ----------------------------------------------


def check_example_cluster(case: DynamicSinkCase[C], processes: int = 2) -> None:
    """The example as a cluster of processes: one row per key, its last value.

    `python -m bytewax.run <example>:flow -i K -a ...`, one worker per
    process, on ports found free, each process with its own
    `PYTHONHASHSEED`, all writing one downstream.
    """
    with _checking(case) as check:
        example = case.adapter.example()
        try:
            run_cluster(
                case.root,
                f"{case.example}:flow",
                budget=case.budget,
                processes=processes,
                env=example.env,
            )
            wanted = last_values({"example": list(example.items)})
            got = check.stored(example.downstream)
            assert_table(got, json.loads(json.dumps(wanted)), f"{processes} processes")
        finally:
            case.adapter.close(example.downstream)
