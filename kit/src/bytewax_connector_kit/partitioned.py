"""Contract checks for partitioned Bytewax sources (`FixedPartitionedSource`).

A test module describes its source once with a `PartitionedCase`: an
`Adapter` to its upstream (see `common`), a function that builds the source
over a `connect` with given `Options`, and the settings it was built with.
It then calls the `check_*` functions below, one test each.

Every check opens a fresh upstream through the adapter and seeds it itself,
with gaps in the positions where the adapter can make them (as compaction or
transaction markers do in real logs). Sources need not end: a check stops
each partition once it has emitted every record it expects. Every call the
checks make has a deadline and every `next_batch` is timed (see `CallBudget`).
The source's clients are counted through `ClientLedger`: none may stay open
after `list_parts`, after `close()` or after a run, and none may be closed
twice.

In dataflows the source under test is wrapped in a `Probe`: a pass-through
source that records what each partition does, marks every `next_batch` call
for the `time.sleep` guard, and stops a partition when a check says so.

Recovery and its duplicate bound: every partition resumes from the snapshot of
the last epoch that was completed (written to the recovery store) before the
fault. With `epoch_interval=timedelta(0)` Bytewax closes an epoch after each
`next_batch` call, and an input only reads for a new epoch once the previous
one has been completed, so at most one epoch (one batch per partition) is lost
in flight. `check_recovery_after_fault` therefore asserts: the second run
re-reads, for each partition, at most the last batch that partition emitted
before the fault.
"""

from __future__ import annotations

import itertools
import pickle
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Generic, Literal, TypeVar

from bytewax.errors import BytewaxRuntimeError
from bytewax.inputs import (
    AbortExecution,
    FixedPartitionedSource,
    StatefulSourcePartition,
)

from .common import (
    Adapter,
    CallBudget,
    Caller,
    CallTimes,
    ClientLedger,
    InjectedClientError,
    assert_aware_utc,
    assert_backlog_read_at_once,
    assert_each_once_in_order,
    assert_logged,
    assert_poll_rate,
    assert_printed_once_in_order,
    capture_logs,
    caused_by,
    collect,
    describe_chain,
    error_of,
    forbid_sleep_in_next_batch,
    read_by_hand,
    recovery_store,
    run_module,
    timed_next_batch,
)

U = TypeVar("U")
X = TypeVar("X")
S = TypeVar("S")
C = TypeVar("C")

STEP_ID = "contract_step"
"""The `step_id` passed to `build_part` when a check drives partitions by hand."""

IDLE_WINDOW_POLLS = 10
"""How many poll intervals the idle-polling check watches an idle partition for."""

BACKLOG_BATCHES = 12
"""Full batches waiting in a partition in the backlog check."""

RECOVERY_STORE_PARTITIONS = 3
"""Recovery store size: at least the most workers any check resumes it with."""

Fault = Literal["crash", "abort"]


@dataclass(frozen=True)
class Options(Generic[S]):
    """How a check wants the source under test built.

    Attributes:
        start: Where a partition without resume state starts: `"earliest"`,
            `"latest"`, or a position per partition.
        stop_at_end: True: a partition ends once it has read everything stored
            (`StopIteration`); False: it keeps waiting for more (tails).
    """

    start: Literal["earliest", "latest"] | Mapping[str, S] = "earliest"
    stop_at_end: bool = False


@dataclass(frozen=True)
class PartitionedCase(Generic[U, X, S, C]):
    """Everything the checks need to know about one partitioned source.

    Attributes:
        adapter: Reaches the upstream (see `common.Adapter`).
        make_source: Builds the source under test over a `connect` returned by
            the adapter, with the given options.
        poll_interval: The poll interval `make_source` builds with.
        batch_size: The batch size `make_source` builds with.
        example: The example module, run as `python -m bytewax.run
            <example>:flow`, e.g. `examples.orders`.
        budget: How long `next_batch` calls may take.
    """

    adapter: Adapter[U, X, C]
    make_source: Callable[[C, Options[S]], FixedPartitionedSource[X, S]]
    poll_interval: timedelta
    batch_size: int
    example: str
    budget: CallBudget = field(default_factory=CallBudget)


# --- One check's upstream, clients and clock --------------------------------


@dataclass
class _Check(Generic[U, X, S, C]):
    case: PartitionedCase[U, X, S, C]
    upstream: U
    ledger: ClientLedger
    times: CallTimes
    caller: Caller
    records: dict[str, list[X]] = field(default_factory=dict)

    def source(self, options: Options[S] | None = None) -> FixedPartitionedSource[X, S]:
        connect = self.ledger.wrap(self.case.adapter.connect(self.upstream))
        return self.case.make_source(connect, options or Options())

    def key(self, record: X) -> Hashable:
        return self.case.adapter.key(record)

    def keys(self, records: Sequence[X]) -> list[Hashable]:
        return [self.key(record) for record in records]

    def names(self) -> list[str]:
        names = list(self.case.adapter.partitions(self.upstream))
        assert len(names) >= 3, f"the adapter's upstream has partitions {names}"
        return names

    def append(self, name: str, count: int, label: str, *, gaps: bool) -> list[X]:
        """Append `count` records to a partition, with gaps where possible.

        A gap goes before every second record and after the last; the first
        record directly follows what the partition held.
        """
        adapter = self.case.adapter
        added: list[X] = []
        for index in range(count):
            if gaps and index % 2 == 1:
                adapter.gap(self.upstream, name)
            values = [f"{name} {label} #{index}"]
            added += adapter.append(self.upstream, name, values)
        if gaps and count:
            adapter.gap(self.upstream, name)
        self.records.setdefault(name, []).extend(added)
        return added

    def seed(self, sizes: Sequence[int] | None = None) -> dict[str, list[X]]:
        """Seed every partition; by default a few batches, one left empty."""
        size = self.case.batch_size
        plan = sizes or (2 * size + 1, size + 1, 0, size + 2)
        for index, name in enumerate(self.names()):
            self.append(name, plan[index % len(plan)], "seed", gaps=True)
        return {name: list(self.records.get(name, [])) for name in self.names()}

    def build(
        self, source: FixedPartitionedSource[X, S], name: str, state: S | None
    ) -> StatefulSourcePartition[X, S]:
        return self.caller.call(
            f"build_part({name!r})", lambda: source.build_part(STEP_ID, name, state)
        )

    def next_batch(self, part: StatefulSourcePartition[X, S], name: str) -> list[X]:
        batch = self.caller.call(
            f"next_batch() of partition {name!r}",
            lambda: timed_next_batch(part.next_batch, self.times),
        )
        size = self.case.batch_size
        assert len(batch) <= size, (
            f"partition {name!r} returned {len(batch)} records, batch size is {size}"
        )
        return batch

    def snapshot(self, part: StatefulSourcePartition[X, S], name: str) -> S:
        return self.caller.call(f"snapshot() of partition {name!r}", part.snapshot)

    def next_awake(
        self, part: StatefulSourcePartition[X, S], name: str
    ) -> datetime | None:
        return self.caller.call(f"next_awake() of partition {name!r}", part.next_awake)

    def close(self, part: StatefulSourcePartition[X, S], name: str) -> None:
        self.caller.call(f"close() of partition {name!r}", part.close)

    def read(
        self, part: StatefulSourcePartition[X, S], name: str, count: int
    ) -> tuple[list[X], list[tuple[int, S]]]:
        """Read `count` records by hand (see `common.read_by_hand`).

        Returns:
            The records, and `(records so far, snapshot())` at the start and
            after each non-empty batch.
        """
        positions = [(0, self.snapshot(part, name))]
        records: list[X] = []

        def note(batch: list[X]) -> None:
            records.extend(batch)
            positions.append((len(records), self.snapshot(part, name)))

        read_by_hand(
            lambda: self.next_batch(part, name),
            lambda: self.next_awake(part, name),
            what=f"partition {name!r}",
            count=count,
            on_batch=note,
        )
        return records, positions

    def drain_to_end(self, part: StatefulSourcePartition[X, S], name: str) -> list[X]:
        """Read by hand until `StopIteration` (a stop-at-end source)."""
        return read_by_hand(
            lambda: self.next_batch(part, name),
            lambda: self.next_awake(part, name),
            what=f"partition {name!r} of a stop-at-end source",
            count=None,
        )


@contextmanager
def _checking(
    case: PartitionedCase[U, X, S, C],
) -> Iterator[_Check[U, X, S, C]]:
    """Open a fresh upstream; on the way out, close it and check the budget."""
    upstream = case.adapter.open()
    caller = Caller(case.budget.deadline)
    check = _Check(case, upstream, ClientLedger(), CallTimes(), caller)
    try:
        with forbid_sleep_in_next_batch():
            yield check
    finally:
        caller.close()
        case.adapter.close(upstream)
    check.times.assert_within(case.budget)


# --- The probe --------------------------------------------------------------


class InjectedFaultError(Exception):
    """The fault `check_recovery_after_fault` raises from `next_batch`."""


@dataclass
class PartLog(Generic[X, S]):
    """What the probe saw of one partition during one run.

    Attributes:
        resume_state: The `resume_state` the partition was built with.
        builds: How many times the partition was built (on any worker).
        batches: Every non-empty batch, in order.
        batch_times: When each non-empty batch returned (monotonic seconds).
        positions: `(records emitted so far, snapshot())` when built and after
            each non-empty batch.
        snapshots: Every value `snapshot()` returned to the runtime.
        calls: `next_batch` calls passed to the partition.
        idle_seconds: Time from the first call to the end of the idle window.
    """

    resume_state: S | None = None
    builds: int = 0
    batches: list[list[X]] = field(default_factory=list)
    batch_times: list[float] = field(default_factory=list)
    positions: list[tuple[int, S]] = field(default_factory=list)
    snapshots: list[S] = field(default_factory=list)
    calls: int = 0
    idle_seconds: float = 0.0

    @property
    def emitted(self) -> int:
        """Number of records the partition emitted."""
        return sum(len(batch) for batch in self.batches)


class Probe(FixedPartitionedSource[X, S]):
    """Pass-through source that records what the partitions of `inner` do.

    Args:
        inner: The source under test.
        times: Where each `next_batch` call's duration goes.
        key: Identifies a record.
        expected: Stop a partition (`StopIteration`) once it has emitted the
            last of these records, or as many records as there are.
        seen: Keys of records emitted by earlier runs: a partition whose last
            expected record is among them is stopped at once.
        budget: Stop each partition once it has emitted at least this many
            records in this run.
        idle_window: Stop each partition at its first call this long after its
            first call (and record when in `PartLog.idle_seconds`).
        fault_after: Raise `fault()` from the first `next_batch` call made once
            this many records were emitted (over all partitions).
        fault: Builds the exception to raise.
    """

    def __init__(
        self,
        inner: FixedPartitionedSource[X, S],
        times: CallTimes,
        key: Callable[[X], Hashable],
        *,
        expected: Mapping[str, Sequence[X]] | None = None,
        seen: set[Hashable] | None = None,
        budget: int | None = None,
        idle_window: timedelta | None = None,
        fault_after: int | None = None,
        fault: Callable[[], BaseException] = InjectedFaultError,
    ) -> None:
        self.inner = inner
        self.times = times
        self.key = key
        self.expected = expected
        self.seen: set[Hashable] = set() if seen is None else seen
        self.budget = budget
        self.idle_window = idle_window
        self.fault_after = fault_after
        self.fault = fault
        self.fault_fired = False
        self.parts: dict[str, PartLog[X, S]] = {}
        self.lock = threading.Lock()

    def list_parts(self) -> list[str]:
        return self.inner.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: S | None
    ) -> _ProbePartition[X, S]:
        part = self.inner.build_part(step_id, for_part, resume_state)
        with self.lock:
            log = self.parts.setdefault(for_part, PartLog())
            log.builds += 1
            log.resume_state = resume_state
            log.positions.append((0, part.snapshot()))
        return _ProbePartition(self, part, for_part, log)

    def emitted(self) -> int:
        """Return how many records all partitions emitted in this run."""
        with self.lock:
            return sum(log.emitted for log in self.parts.values())

    def done(self, name: str, log: PartLog[X, S]) -> bool:
        """Tell whether partition `name` has emitted all it must in this run."""
        if self.budget is not None and log.emitted >= self.budget:
            return True
        if self.expected is None:
            return False
        wanted = self.expected.get(name, [])
        if not wanted or log.emitted >= len(wanted):
            return True
        last = self.key(wanted[-1])
        if last in self.seen:
            return True
        return any(self.key(item) == last for batch in log.batches for item in batch)

    def fire_fault_if_due(self) -> None:
        """Raise the fault once, when `fault_after` records were emitted."""
        if self.fault_after is None or self.fault_fired:
            return
        if self.emitted() >= self.fault_after:
            self.fault_fired = True
            raise self.fault()


class _ProbePartition(StatefulSourcePartition[X, S]):
    def __init__(
        self,
        probe: Probe[X, S],
        inner: StatefulSourcePartition[X, S],
        name: str,
        log: PartLog[X, S],
    ) -> None:
        self._probe = probe
        self._inner = inner
        self._name = name
        self._log = log
        self._started: float | None = None

    def next_batch(self) -> list[X]:
        now = time.monotonic()
        if self._started is None:
            self._started = now
        window = self._probe.idle_window
        if window is not None and now - self._started >= window.total_seconds():
            self._log.idle_seconds = now - self._started
            raise StopIteration
        with self._probe.lock:
            done = self._probe.done(self._name, self._log)
        if done:
            raise StopIteration
        self._probe.fire_fault_if_due()
        batch = timed_next_batch(self._inner.next_batch, self._probe.times)
        with self._probe.lock:
            self._log.calls += 1
            if batch:
                self._log.batches.append(batch)
                self._log.batch_times.append(time.monotonic())
                self._log.positions.append((self._log.emitted, self._inner.snapshot()))
        return batch

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def snapshot(self) -> S:
        state = self._inner.snapshot()
        with self._probe.lock:
            self._log.snapshots.append(state)
        return state

    def close(self) -> None:
        self._inner.close()


# --- Helpers for the checks -------------------------------------------------


def _positions(
    check: _Check[U, X, S, C],
    output: Sequence[X],
    records: Mapping[str, Sequence[X]],
) -> dict[str, list[int]]:
    """Map each output record to its index in its partition."""
    where = {
        check.key(record): (name, index)
        for name, part in records.items()
        for index, record in enumerate(part)
    }
    found: dict[str, list[int]] = {name: [] for name in records}
    for record in output:
        assert check.key(record) in where, f"unexpected record {record!r}"
        name, index = where[check.key(record)]
        found[name].append(index)
    return found


def _position_of(log: PartLog[X, S], state: S | None) -> int:
    """Return how many records a partition had emitted when it took `state`."""
    if state is None:
        return 0
    for emitted, snapshot in log.positions:
        if snapshot == state:
            return emitted
    msg = f"resumed from {state!r}, which no earlier run took after a whole batch"
    raise AssertionError(msg)


# --- The checks -------------------------------------------------------------


def check_list_parts(case: PartitionedCase[U, X, S, C]) -> None:
    """`list_parts` returns unique `str` keys, the same each time; no client leaks."""
    with _checking(case) as check:
        check.seed()
        source = check.source()
        first = check.caller.call("list_parts()", source.list_parts)
        second = check.caller.call("second list_parts()", source.list_parts)
        check.ledger.assert_all_closed("list_parts()")
        assert isinstance(first, list), (
            f"list_parts() must return a list, not {type(first)}"
        )
        assert all(isinstance(name, str) for name in first), f"non-str in {first!r}"
        assert len(set(first)) == len(first), f"duplicate keys in {first!r}"
        assert sorted(second) == sorted(first), "list_parts() changed between calls"
        assert sorted(first) == sorted(check.names()), (
            f"list_parts() returned {first}, the upstream has {check.names()}"
        )


def check_reads_each_partition_in_order(case: PartitionedCase[U, X, S, C]) -> None:
    """Each partition emits its records in order, across gaps in the positions.

    No batch is larger than the batch size, a partition that has read
    everything returns empty batches (it tails, it does not end), and
    `close()` closes its client.
    """
    with _checking(case) as check:
        seeded = check.seed()
        source = check.source()
        for name, expected in seeded.items():
            part = check.build(source, name, None)
            records, _ = check.read(part, name, len(expected))
            check.close(part, name)
            assert check.keys(records) == check.keys(expected), f"partition {name!r}"
        check.ledger.assert_all_closed("close() of every partition")


def check_resume_from_every_snapshot(case: PartitionedCase[U, X, S, C]) -> None:
    """Resuming from any snapshot yields exactly the rest of that partition.

    Snapshots are taken at the start and after every batch, and go through
    `pickle` as the recovery store does. The seeded positions have gaps, so a
    position computed by counting records is caught here.
    """
    with _checking(case) as check:
        seeded = check.seed()
        source = check.source()
        for name, expected in seeded.items():
            part = check.build(source, name, None)
            _, positions = check.read(part, name, len(expected))
            check.close(part, name)
            for emitted, state in positions:
                resumed = pickle.loads(pickle.dumps(state))
                part = check.build(source, name, resumed)
                rest, _ = check.read(part, name, len(expected) - emitted)
                check.close(part, name)
                assert check.keys(rest) == check.keys(expected[emitted:]), (
                    f"partition {name!r} resumed from {state!r} ({emitted} records in)"
                )
        check.ledger.assert_all_closed("close() of every partition")


def check_stop_at_end(case: PartitionedCase[U, X, S, C]) -> None:
    """With `stop_at_end`, a partition ends after its last record.

    Its snapshot stays readable after `StopIteration` (the runtime takes one
    then), and `close()` twice closes its client once.
    """
    with _checking(case) as check:
        seeded = check.seed()
        source = check.source(Options(stop_at_end=True))
        for name, expected in seeded.items():
            part = check.build(source, name, None)
            records = check.drain_to_end(part, name)
            assert check.keys(records) == check.keys(expected), f"partition {name!r}"
            state = check.snapshot(part, name)
            pickle.dumps(state)
            check.close(part, name)
            check.close(part, name)
        check.ledger.assert_all_closed("close() twice of every partition")


def check_start_positions(case: PartitionedCase[U, X, S, C]) -> None:
    """`start` picks where a partition without resume state begins.

    `"latest"` skips what is stored and reads what is appended after the
    partition was built; `"earliest"` reads everything; a position per
    partition (one taken from a snapshot) reads from there on.
    """
    with _checking(case) as check:
        names = check.names()
        before = {name: check.append(name, 3, "before", gaps=True) for name in names}
        latest = check.source(Options(start="latest"))
        parts = {name: check.build(latest, name, None) for name in names}
        for name, part in parts.items():
            assert check.next_batch(part, name) == [], (
                f'partition {name!r} started at "latest" read stored records'
            )
        after = {name: check.append(name, 2, "after", gaps=True) for name in names}
        middle: dict[str, tuple[int, S]] = {}
        for name, part in parts.items():
            records, _ = check.read(part, name, len(after[name]))
            assert check.keys(records) == check.keys(after[name]), (
                f'partition {name!r} started at "latest"'
            )
            check.close(part, name)

        earliest = check.source(Options(start="earliest"))
        for name in names:
            part = check.build(earliest, name, None)
            everything = before[name] + after[name]
            records, positions = check.read(part, name, len(everything))
            check.close(part, name)
            assert check.keys(records) == check.keys(everything), (
                f'partition {name!r} started at "earliest"'
            )
            middle[name] = positions[1]

        start = {name: state for name, (_, state) in middle.items()}
        explicit = check.source(Options(start=start))
        for name in names:
            part = check.build(explicit, name, None)
            everything = before[name] + after[name]
            emitted, state = middle[name]
            records, _ = check.read(part, name, len(everything) - emitted)
            check.close(part, name)
            assert check.keys(records) == check.keys(everything[emitted:]), (
                f"partition {name!r} started at {state!r}"
            )
        check.ledger.assert_all_closed("close() of every partition")


def check_idle_returns_at_once(case: PartitionedCase[U, X, S, C]) -> None:
    """With nothing to read, `next_batch` returns `[]` without waiting, and
    `next_awake` asks to be called one poll interval later, in aware UTC.
    """
    with _checking(case) as check:
        source = check.source()
        for name in check.names():
            part = check.build(source, name, None)
            for _ in range(3):
                before = datetime.now(timezone.utc)
                assert check.next_batch(part, name) == [], f"partition {name!r}"
                after = datetime.now(timezone.utc)
                awake = assert_aware_utc(
                    check.next_awake(part, name),
                    not_before=before + case.poll_interval,
                    not_after=after + case.poll_interval,
                )
                assert check.next_awake(part, name) == awake, "asked twice"
            check.close(part, name)
        check.ledger.assert_all_closed("close() of every partition")


def check_idle_poll_rate(case: PartitionedCase[U, X, S, C]) -> dict[str, int]:
    """In a dataflow, an idle partition is polled about once per poll interval.

    Runs the source over an empty upstream for `IDLE_WINDOW_POLLS` poll
    intervals and counts the `next_batch` calls of each partition (see
    `common.assert_poll_rate`).

    Returns:
        The calls per partition, for the test to report.
    """
    window = IDLE_WINDOW_POLLS * case.poll_interval
    with _checking(case) as check:
        probe = Probe(check.source(), check.times, check.key, idle_window=window)
        assert collect(probe) == []
        assert probe.parts, "the source lists no partition"
        for log in probe.parts.values():
            assert_poll_rate(log.calls, log.idle_seconds, case.poll_interval)
        check.ledger.assert_all_closed("the run")
    return {name: log.calls for name, log in probe.parts.items()}


def check_backlog_is_read_at_once(case: PartitionedCase[U, X, S, C]) -> None:
    """In a dataflow, a partition with records waiting is called again at once.

    Seeds `BACKLOG_BATCHES` full batches per partition and checks the time
    between consecutive batches (see `common.assert_backlog_read_at_once`).
    """
    with _checking(case) as check:
        size = BACKLOG_BATCHES * case.batch_size
        seeded = check.seed([size, size, size])
        probe = Probe(check.source(), check.times, check.key, expected=seeded)
        output = collect(probe)
        assert_each_once_in_order(output, seeded, check.key)
        for log in probe.parts.values():
            times = log.batch_times
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert_backlog_read_at_once(gaps, case.poll_interval, case.batch_size)


def check_reads_records_that_arrive_later(case: PartitionedCase[U, X, S, C]) -> None:
    """A partition that caught up reads what is appended later.

    Drives each partition by hand: idle, records appended (twice), a snapshot
    taken in between, more records. Then resumes from that snapshot: exactly
    the records appended after it follow.
    """
    with _checking(case) as check:
        source = check.source()
        names = check.names()
        parts = {name: check.build(source, name, None) for name in names}
        got: dict[str, list[X]] = {name: [] for name in names}
        for name, part in parts.items():
            assert check.next_batch(part, name) == [], "an empty upstream has no record"
        middle: dict[str, tuple[int, S]] = {}
        for round_ in range(3):
            for name, part in parts.items():
                added = check.append(name, 2, f"round {round_}", gaps=True)
                got[name] += check.read(part, name, len(added))[0]
                if round_ == 1:
                    middle[name] = (len(got[name]), check.snapshot(part, name))
        for name, part in parts.items():
            check.close(part, name)
            assert check.keys(got[name]) == check.keys(check.records[name]), name
        for name, (emitted, state) in middle.items():
            expected = check.records[name]
            part = check.build(source, name, state)
            rest, _ = check.read(part, name, len(expected) - emitted)
            check.close(part, name)
            assert check.keys(rest) == check.keys(expected[emitted:]), (
                f"partition {name!r} resumed from {state!r} ({emitted} records in)"
            )
        check.ledger.assert_all_closed("close() of every partition")


def check_live_dataflow(case: PartitionedCase[U, X, S, C]) -> None:
    """In a dataflow, idle partitions wake up for records appended later.

    Records are appended twice from another thread, a few poll intervals
    apart: the run emits every record once, in order per partition. Each
    partition is stopped once its last record is out (the source tails).
    """
    with _checking(case) as check:
        names = check.names()
        delay = 3 * case.poll_interval.total_seconds()
        appended = threading.Event()

        def feed() -> None:
            for round_ in range(2):
                for name in names:
                    check.append(name, 2, f"live {round_}", gaps=True)
                if round_ == 0:
                    time.sleep(delay)
            appended.set()

        # The feed appends 2 records to each partition twice: the probe stops
        # a partition once it has emitted those 4.
        probe = Probe(check.source(), check.times, check.key, budget=4)
        timer = threading.Timer(delay, feed)
        timer.start()
        try:
            output = collect(probe)
        finally:
            timer.cancel()
            timer.join()
        assert appended.is_set(), "the feed did not run"
        assert_each_once_in_order(output, check.records, check.key)
        empty_calls = {
            name: log.calls - len(log.batches) for name, log in probe.parts.items()
        }
        assert all(count > 0 for count in empty_calls.values()), (
            f"every partition waited for records at least once: {empty_calls}"
        )
        check.ledger.assert_all_closed("the run")


def check_next_batch_never_sleeps(case: PartitionedCase[U, X, S, C]) -> None:
    """`time.sleep` never runs inside `next_batch`: with data, idle, at the end.

    (Every check also has the guard on; this one walks all three paths.)
    """
    with _checking(case) as check:
        seeded = check.seed()
        source = check.source(Options(stop_at_end=True))
        for name in seeded:
            part = check.build(source, name, None)
            check.drain_to_end(part, name)
            check.close(part, name)
        idle = check.source()
        part = check.build(idle, check.names()[2], None)
        for _ in range(3):
            check.next_batch(part, "idle")
        check.close(part, "idle")


def check_run_main(case: PartitionedCase[U, X, S, C]) -> None:
    """One worker (`run_main`) emits every record once, in order per partition."""
    with _checking(case) as check:
        seeded = check.seed()
        probe = Probe(check.source(), check.times, check.key, expected=seeded)
        output = collect(probe)
        assert_each_once_in_order(output, seeded, check.key)
        builds = {name: log.builds for name, log in probe.parts.items()}
        assert builds == dict.fromkeys(seeded, 1), builds
        check.ledger.assert_all_closed("the run")


def check_cluster_main(case: PartitionedCase[U, X, S, C], workers: int = 3) -> None:
    """Several worker threads (`cluster_main`) emit every record exactly once.

    Every worker lists the partitions; each one must be built on one worker
    only, and every client opened on any worker is closed by the end.
    """
    with _checking(case) as check:
        seeded = check.seed()
        probe = Probe(check.source(), check.times, check.key, expected=seeded)
        output = collect(probe, workers=workers)
        assert_each_once_in_order(output, seeded, check.key)
        builds = {name: log.builds for name, log in probe.parts.items()}
        assert builds == dict.fromkeys(seeded, 1), builds
        check.ledger.assert_all_closed("the run")


def check_recovery_after_fault(
    case: PartitionedCase[U, X, S, C], tmp_path: Path, fault: Fault = "crash"
) -> int:
    """A run that fails part-way resumes from its recovery store and loses nothing.

    The first run fails in `next_batch` once half the records were emitted:
    `crash` raises an exception (the run fails), `abort` raises
    `AbortExecution` (the run stops). The second run shares the store.
    Asserted, per partition (see the module docstring for why):

    * run 1 delivered a prefix of the records, run 2 exactly the records from
      its resume point on, each once and in order, and nothing is missing;
    * the resume point is a snapshot run 1 took, and run 2 re-reads at most the
      last batch the partition emitted in run 1.

    Returns:
        The number of records delivered twice.
    """
    with _checking(case) as check:
        seeded = check.seed()
        total = sum(len(records) for records in seeded.values())
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        source = check.source()
        first = Probe(
            source,
            check.times,
            check.key,
            expected=seeded,
            fault_after=total // 2,
            fault=InjectedFaultError if fault == "crash" else AbortExecution,
        )
        out1: list[X] = []
        try:
            collect(
                first, epoch_interval=timedelta(0), recovery_config=store, into=out1
            )
        except BytewaxRuntimeError as error:
            if not caused_by(error, InjectedFaultError):
                raise
        else:
            assert fault == "abort", "the injected crash did not fail the run"
        assert first.fault_fired, "the fault was never injected"
        second = Probe(source, check.times, check.key, expected=seeded)
        out2 = collect(second, epoch_interval=timedelta(0), recovery_config=store)

        got1 = _positions(check, out1, seeded)
        got2 = _positions(check, out2, seeded)
        duplicates = 0
        for name, records in seeded.items():
            log1 = first.parts.get(name, PartLog())
            log2 = second.parts[name]
            resume = _position_of(log1, log2.resume_state)
            last_batch = len(log1.batches[-1]) if log1.batches else 0
            assert got1[name] == list(range(len(got1[name]))), (
                f"partition {name!r}: run 1 delivered {got1[name]}, not a prefix"
            )
            assert got2[name] == list(range(resume, len(records))), (
                f"partition {name!r}: run 2 resumed at record {resume}, "
                f"delivered {got2[name]}"
            )
            assert len(got1[name]) >= resume, (
                f"partition {name!r}: records {len(got1[name])}..{resume - 1} lost"
            )
            assert resume >= log1.emitted - last_batch, (
                f"partition {name!r}: resumed at record {resume}, more than one "
                f"batch before the {log1.emitted} records run 1 emitted"
            )
            duplicates += len(got1[name]) - resume
        check.ledger.assert_all_closed("the second run")
    return duplicates


def check_rescale(
    case: PartitionedCase[U, X, S, C],
    tmp_path: Path,
    workers: Sequence[int] = (1, 3, 2),
) -> list[dict[str, S | None]]:
    """One recovery store resumed with a changing worker count keeps positions.

    Each run but the last stops every partition once it has emitted a few
    records; the last run reads the rest. Asserted: every run resumes each
    partition exactly where the previous run's final snapshot left it, builds
    it on one worker only, and together the runs emit every record once, in
    order per partition.

    Returns:
        The resume state of each partition, per run.
    """
    with _checking(case) as check:
        seeded = check.seed()
        longest = max(len(records) for records in seeded.values())
        budget = max(1, longest // len(workers))
        store = recovery_store(
            tmp_path / "recovery", max(RECOVERY_STORE_PARTITIONS, *workers)
        )
        source = check.source()
        output: list[X] = []
        previous: Probe[X, S] | None = None
        resumed: list[dict[str, S | None]] = []
        seen: set[Hashable] = set()
        for run, count in enumerate(workers):
            last = run == len(workers) - 1
            probe = Probe(
                source,
                check.times,
                check.key,
                expected=seeded,
                seen=seen,
                budget=None if last else budget,
            )
            output += collect(
                probe, workers=count, epoch_interval=timedelta(0), recovery_config=store
            )
            seen.update(check.keys(output))
            builds = {name: log.builds for name, log in probe.parts.items()}
            assert builds == dict.fromkeys(seeded, 1), f"run {run + 1}: {builds}"
            resumed.append(
                {name: log.resume_state for name, log in probe.parts.items()}
            )
            for name, log in probe.parts.items():
                expected = (
                    None if previous is None else previous.parts[name].snapshots[-1]
                )
                assert log.resume_state == expected, (
                    f"run {run + 1} ({count} workers) resumed {name!r} from "
                    f"{log.resume_state!r}, not from {expected!r}"
                )
            previous = probe
        assert_each_once_in_order(output, seeded, check.key)
        check.ledger.assert_all_closed("the runs")
    return resumed


def check_logs_and_errors_name_the_partition(
    case: PartitionedCase[U, X, S, C],
) -> None:
    """Logs name the step and partition on start, resume and end; so do errors.

    A client failure inside `next_batch` surfaces as an exception whose
    message names the partition, with the client's error as its cause, and
    is logged; the partition can still be closed.
    """
    with _checking(case) as check, capture_logs() as logs:
        seeded = check.seed()
        name = next(name for name, records in seeded.items() if records)
        source = check.source(Options(stop_at_end=True))
        part = check.build(source, name, None)
        assert_logged(logs, STEP_ID, name, what="build_part")
        check.next_batch(part, name)
        state = check.snapshot(part, name)
        check.close(part, name)

        logs.clear()
        part = check.build(source, name, state)
        assert_logged(logs, STEP_ID, name, repr(state), what="a resume")
        check.drain_to_end(part, name)
        assert_logged(logs, STEP_ID, name, what="the end of a partition")
        check.close(part, name)

        logs.clear()
        part = check.build(source, name, None)
        check.ledger.fail_next_call(InjectedClientError("injected failure"))
        error = error_of(lambda: check.next_batch(part, name))
        assert error is not None, "next_batch swallowed the client's failure"
        chain = describe_chain(error)
        assert caused_by(error, InjectedClientError), chain
        assert name in chain.splitlines()[0], (
            f"the error does not name partition {name!r}:\n{chain}"
        )
        assert_logged(logs, STEP_ID, name, what="a failure")
        check.close(part, name)
        check.ledger.assert_all_closed("close() of every partition")


# --- The example ------------------------------------------------------------


def _example_lines(
    case: PartitionedCase[U, X, S, C],
) -> tuple[dict[str, list[str]], dict[str, str]]:
    run = case.adapter.example()
    lines = {
        name: [str(record) for record in records]
        for name, records in run.records.items()
    }
    return lines, dict(run.env)


def check_example_bytewax_run(
    case: PartitionedCase[U, X, S, C], workers: int = 2
) -> None:
    """`python -m bytewax.run <example>:flow -w 2` prints every record once.

    Each partition's lines keep their order; partitions may interleave (see
    `common.split_printed`). An example that never ends is stopped once every
    line is out.
    """
    lines, env = _example_lines(case)
    args = ("bytewax.run", f"{case.example}:flow", "-w", str(workers))
    stdout = run_module(*args, env=env, until_printed=lines)
    assert_printed_once_in_order(stdout, lines)


def check_example_bytewax_testing(
    case: PartitionedCase[U, X, S, C], processes: int = 2
) -> None:
    """`python -m bytewax.testing <example>:flow -p 2 -w 1` prints every record once.

    `bytewax.testing` listens on fixed ports from 2101: never run two of these
    at once (keep the tests serial, no pytest-xdist).
    """
    lines, env = _example_lines(case)
    args = ("bytewax.testing", f"{case.example}:flow", "-p", str(processes), "-w", "1")
    stdout = run_module(*args, env=env, until_printed=lines)
    assert_printed_once_in_order(stdout, lines)


def check_example_resumes_with_recovery(
    case: PartitionedCase[U, X, S, C], tmp_path: Path, workers: int = 2
) -> None:
    """The README's recovery commands work: a second run resumes at the end.

    Creates a store with `python -m bytewax.recovery DIR N`, then runs the
    example twice with `python -m bytewax.run ... -r DIR -s 10 -b 30`. The first
    run prints every record once; the second resumes every partition after its
    last record and prints nothing. The example must end by itself (a
    stop-at-end source) for the second run to finish.
    """
    lines, env = _example_lines(case)
    store = tmp_path / "recovery"
    store.mkdir()
    run_module("bytewax.recovery", str(store), str(RECOVERY_STORE_PARTITIONS))
    args = ("bytewax.run", f"{case.example}:flow", "-w", str(workers))
    flags = ("-r", str(store), "-s", "10", "-b", "30")
    first = run_module(*args, *flags, env=env)
    assert_printed_once_in_order(first, lines)
    second = run_module(*args, *flags, env=env)
    assert second == "", f"the resumed run printed again:\n{second}"
