"""Contract checks for partitioned Bytewax sources (`FixedPartitionedSource`).

A test module describes its source once with a `PartitionedCase` and calls the
`check_*` functions below, one test each. The case says how to seed known
records upstream and build a source that reads exactly those and then ends, how
to build a source with nothing to read, and which example module uses the
source. Nothing here knows about the demo client, so the checks keep applying
after you replace it with a real one.

The checks use the real Bytewax runtime. In dataflows the source under test is
wrapped in a `Probe`: a pass-through source that records what each partition
does, marks every `next_batch` call for the `time.sleep` guard, and can stop a
partition after some records, stop it after an idle window or inject a fault.
The same source object serves every run of a check, as it would in a real
deployment, so state wrongly kept in the source (not in a partition) shows up.

Recovery and its duplicate bound: every partition resumes from the snapshot of
the last epoch that was completed (written to the recovery store) before the
fault. With `epoch_interval=timedelta(0)` Bytewax closes an epoch after each
`next_batch` call, and an input only reads for a new epoch once the previous
one has been completed, so at most one epoch (one batch per partition) is lost
in flight. `check_recovery_after_fault` therefore asserts: the second run
re-reads, for each partition, at most the last batch that partition emitted
before the fault, and the records delivered twice are a subset of those.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
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
    assert_aware_utc,
    assert_each_once_in_order,
    assert_poll_rate,
    assert_printed_once_in_order,
    collect,
    forbid_sleep_in_next_batch,
    identity,
    in_next_batch,
    recovery_store,
    run_module,
    wait_until,
)

X = TypeVar("X")
S = TypeVar("S")

STEP_ID = "contract"
"""The `step_id` passed to `build_part` when a check drives partitions by hand."""

DRAIN_DEADLINE = timedelta(seconds=30)
"""Longest time a finite partition may take to reach its end when driven by hand."""

IDLE_WINDOW_POLLS = 10
"""How many poll intervals the idle-polling check watches an idle partition for."""

RECOVERY_STORE_PARTITIONS = 3
"""Recovery store size: at least the most workers any check resumes it with."""

RESCALE_WORKERS = (1, 3, 2)
"""Worker counts of the successive runs sharing one recovery store."""

Fault = Literal["crash", "abort"]


@dataclass(frozen=True)
class Seeded(Generic[X, S]):
    """Known records written upstream and a source that reads exactly those.

    Attributes:
        source: Reads the records below and then ends (`StopIteration`) on
            every partition.
        records: Every record of every partition `source.list_parts()` returns,
            in the order the partition must emit them. Use distinct records, a
            few batches per partition and at least one empty partition.
    """

    source: FixedPartitionedSource[X, S]
    records: Mapping[str, Sequence[X]]


@dataclass(frozen=True)
class Live(Generic[X, S]):
    """A source over an upstream the test feeds while the source reads it.

    Attributes:
        source: Reads the upstream, which starts empty and has not ended, so
            its partitions have nothing to read and wait for more.
        append: Adds records upstream, at least one to every partition, and
            returns them by partition, in order. It may be called from another
            thread while the source reads.
        finish: Ends the upstream: partitions stop after what was appended.
    """

    source: FixedPartitionedSource[X, S]
    append: Callable[[], Mapping[str, Sequence[X]]]
    finish: Callable[[], None]


@dataclass(frozen=True)
class PartitionedCase(Generic[X, S]):
    """Everything the checks need to know about one partitioned source.

    Attributes:
        seeded: Seeds a fresh upstream with known records and returns them with
            a source over them. Called once per check.
        live: Builds a `Live` feed over a fresh upstream that is empty and has
            not ended.
        poll_interval: The poll interval the live source was built with.
        example: The example module, run as `python -m bytewax.run
            <example>:flow`, e.g. `examples.orders`.
        example_source: Builds the source the example reads (same arguments),
            to know the example's expected output: one `str(record)` per line.
        key: Identifies a record when comparing output; the default uses the
            record itself, which must then be hashable.
    """

    seeded: Callable[[], Seeded[X, S]]
    live: Callable[[], Live[X, S]]
    poll_interval: timedelta
    example: str
    example_source: Callable[[], FixedPartitionedSource[X, S]]
    key: Callable[[X], Hashable] = identity


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
        positions: `(records emitted so far, snapshot())` when built and after
            each non-empty batch.
        snapshots: Every value `snapshot()` returned to the runtime.
        calls: `next_batch` calls passed to the partition.
        idle_seconds: Time from the first call to the end of the idle window.
    """

    resume_state: S | None = None
    builds: int = 0
    batches: list[list[X]] = field(default_factory=list)
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
        budget: Stop each partition (`StopIteration`) once it has emitted at
            least this many records in this run.
        idle_window: Stop each partition at its first call this long after its
            first call (and record when in `PartLog.idle_seconds`).
        fault_after: Raise `fault()` from the first `next_batch` call made once
            this many records were emitted (over all partitions).
        fault: Builds the exception to raise.
    """

    def __init__(
        self,
        inner: FixedPartitionedSource[X, S],
        *,
        budget: int | None = None,
        idle_window: timedelta | None = None,
        fault_after: int | None = None,
        fault: Callable[[], BaseException] = InjectedFaultError,
    ) -> None:
        self.inner = inner
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
        return _ProbePartition(self, part, log)

    def emitted(self) -> int:
        """Return how many records all partitions emitted in this run."""
        with self.lock:
            return sum(log.emitted for log in self.parts.values())

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
        log: PartLog[X, S],
    ) -> None:
        self._probe = probe
        self._inner = inner
        self._log = log
        self._emitted = 0
        self._started: float | None = None

    def next_batch(self) -> list[X]:
        now = time.monotonic()
        if self._started is None:
            self._started = now
        window = self._probe.idle_window
        if window is not None and now - self._started >= window.total_seconds():
            self._log.idle_seconds = now - self._started
            raise StopIteration
        budget = self._probe.budget
        if budget is not None and self._emitted >= budget:
            raise StopIteration
        self._probe.fire_fault_if_due()
        with in_next_batch():
            batch = list(self._inner.next_batch())
        self._emitted += len(batch)
        with self._probe.lock:
            self._log.calls += 1
            if batch:
                self._log.batches.append(batch)
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


# --- Driving partitions by hand ---------------------------------------------


def drain(part: StatefulSourcePartition[X, S]) -> tuple[list[X], list[tuple[int, S]]]:
    """Call `next_batch` as the runtime would, until `StopIteration`.

    Returns:
        The records, and `(records so far, snapshot())` at the start and after
        each non-empty batch; the last one is the snapshot at the end.
    """
    records: list[X] = []
    positions = [(0, part.snapshot())]
    deadline = time.monotonic() + DRAIN_DEADLINE.total_seconds()
    while time.monotonic() < deadline:
        try:
            with in_next_batch():
                batch = list(part.next_batch())
        except StopIteration:
            return records, positions
        if batch:
            records.extend(batch)
            positions.append((len(records), part.snapshot()))
        else:
            wait_until(part.next_awake())
    msg = f"partition did not reach its end within {DRAIN_DEADLINE}"
    raise AssertionError(msg)


def _keys(case: PartitionedCase[X, S], records: Sequence[X]) -> list[Hashable]:
    return [case.key(record) for record in records]


def _positions(
    case: PartitionedCase[X, S], output: Sequence[X], records: Mapping[str, Sequence[X]]
) -> dict[str, list[int]]:
    """Map each output record to (partition, index in that partition)."""
    where = {
        case.key(record): (name, index)
        for name, part in records.items()
        for index, record in enumerate(part)
    }
    found: dict[str, list[int]] = {name: [] for name in records}
    for record in output:
        assert case.key(record) in where, f"unexpected record {record!r}"
        name, index = where[case.key(record)]
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


def check_list_parts(case: PartitionedCase[X, S]) -> None:
    """`list_parts` returns unique `str` keys, the same ones every time."""
    seeded = case.seeded()
    first = seeded.source.list_parts()
    second = seeded.source.list_parts()
    assert isinstance(first, list), (
        f"list_parts() must return a list, not {type(first)}"
    )
    assert all(isinstance(name, str) for name in first), f"non-str keys in {first!r}"
    assert len(set(first)) == len(first), f"duplicate keys in {first!r}"
    assert sorted(second) == sorted(first), "list_parts() changed between two calls"
    assert sorted(first) == sorted(seeded.records), "list_parts() != seeded partitions"


def check_reads_each_partition_in_order(case: PartitionedCase[X, S]) -> None:
    """Each partition emits its records in order, then raises `StopIteration`."""
    seeded = case.seeded()
    with forbid_sleep_in_next_batch() as violations:
        for name, expected in seeded.records.items():
            part = seeded.source.build_part(STEP_ID, name, None)
            records, _ = drain(part)
            part.close()
            assert _keys(case, records) == _keys(case, expected), f"partition {name!r}"
    assert violations == []


def check_resume_from_every_snapshot(case: PartitionedCase[X, S]) -> None:
    """Resuming from any snapshot yields exactly the rest of that partition.

    Snapshots are taken at the start, after every batch and after the end, and
    go through `pickle` as the recovery store does.
    """
    seeded = case.seeded()
    with forbid_sleep_in_next_batch() as violations:
        for name, expected in seeded.records.items():
            part = seeded.source.build_part(STEP_ID, name, None)
            _, positions = drain(part)
            part.close()
            for emitted, state in positions:
                resumed = pickle.loads(pickle.dumps(state))
                part = seeded.source.build_part(STEP_ID, name, resumed)
                rest, _ = drain(part)
                part.close()
                assert _keys(case, rest) == _keys(case, expected[emitted:]), (
                    f"partition {name!r} resumed from {state!r} ({emitted} records in)"
                )
    assert violations == []


def check_snapshot_after_end_and_close_twice(case: PartitionedCase[X, S]) -> None:
    """`snapshot()` still works after `StopIteration`; `close()` twice is safe.

    The runtime snapshots a partition right after its `StopIteration` and only
    then closes it. A partition closed while idle may be closed twice as well.
    """
    seeded = case.seeded()
    with forbid_sleep_in_next_batch() as violations:
        for name in seeded.records:
            part = seeded.source.build_part(STEP_ID, name, None)
            _, positions = drain(part)
            assert part.snapshot() == positions[-1][1]
            pickle.dumps(part.snapshot())
            part.close()
            part.close()
        idle = case.live().source
        for name in idle.list_parts():
            part = idle.build_part(STEP_ID, name, None)
            with in_next_batch():
                assert list(part.next_batch()) == []
            part.snapshot()
            part.close()
            part.close()
    assert violations == []


def check_idle_returns_at_once(case: PartitionedCase[X, S]) -> None:
    """With nothing to read, `next_batch` returns an empty batch and
    `next_awake` asks to be called one poll interval later, in aware UTC.
    """
    idle = case.live().source
    names = idle.list_parts()
    assert names, "the live source lists no partition"
    with forbid_sleep_in_next_batch() as violations:
        for name in names:
            part = idle.build_part(STEP_ID, name, None)
            before = datetime.now(timezone.utc)
            with in_next_batch():
                batch = list(part.next_batch())
            awake = part.next_awake()
            after = datetime.now(timezone.utc)
            assert batch == [], (
                f"partition {name!r} of the empty live source returned {batch!r}"
            )
            assert_aware_utc(
                awake,
                not_before=before + case.poll_interval,
                not_after=after + case.poll_interval,
            )
            part.close()
    assert violations == []


def check_idle_poll_rate(case: PartitionedCase[X, S]) -> dict[str, int]:
    """In a dataflow, an idle partition is polled about once per poll interval.

    Runs the empty live source for `IDLE_WINDOW_POLLS` poll intervals and counts the
    `next_batch` calls of each partition (see `common.assert_poll_rate`).

    Returns:
        The calls per partition, for the test to report.
    """
    window = IDLE_WINDOW_POLLS * case.poll_interval
    probe = Probe(case.live().source, idle_window=window)
    with forbid_sleep_in_next_batch() as violations:
        assert collect(probe) == []
    assert violations == []
    assert probe.parts, "the live source lists no partition"
    for log in probe.parts.values():
        assert_poll_rate(log.calls, log.idle_seconds, case.poll_interval)
    return {name: log.calls for name, log in probe.parts.items()}


def _merge(into: dict[str, list[X]], added: Mapping[str, Sequence[X]]) -> None:
    for name, records in added.items():
        into.setdefault(name, []).extend(records)


def _poll_for(part: StatefulSourcePartition[X, S], count: int) -> list[X]:
    """Poll an idle partition as the runtime would until `count` records came."""
    records: list[X] = []
    deadline = time.monotonic() + DRAIN_DEADLINE.total_seconds()
    while len(records) < count:
        assert time.monotonic() < deadline, f"got {len(records)} of {count} records"
        wait_until(part.next_awake())
        with in_next_batch():
            records.extend(part.next_batch())
    return records


def check_reads_records_that_arrive_later(case: PartitionedCase[X, S]) -> None:
    """A partition that caught up reads what is appended later, then ends.

    Drives each partition by hand: idle, records appended (twice), a snapshot
    taken in between, more records, the end. Then resumes from that snapshot:
    exactly the records appended after it follow.
    """
    live = case.live()
    names = live.source.list_parts()
    parts = {name: live.source.build_part(STEP_ID, name, None) for name in names}
    expected: dict[str, list[X]] = {name: [] for name in names}
    got: dict[str, list[X]] = {name: [] for name in names}
    with forbid_sleep_in_next_batch() as violations:
        for part in parts.values():
            with in_next_batch():
                assert list(part.next_batch()) == [], "an empty upstream has no record"
        for _ in range(2):
            _merge(expected, live.append())
            for name, part in parts.items():
                got[name] += _poll_for(part, len(expected[name]) - len(got[name]))
        middle = {
            name: (len(got[name]), part.snapshot()) for name, part in parts.items()
        }
        _merge(expected, live.append())
        live.finish()
        for name, part in parts.items():
            got[name] += drain(part)[0]
            part.close()
        for name, (emitted, state) in middle.items():
            assert _keys(case, got[name]) == _keys(case, expected[name]), name
            part = live.source.build_part(STEP_ID, name, state)
            rest, _ = drain(part)
            part.close()
            assert _keys(case, rest) == _keys(case, expected[name][emitted:]), (
                f"partition {name!r} resumed from {state!r} ({emitted} records in)"
            )
    assert violations == []


def check_live_dataflow(case: PartitionedCase[X, S]) -> None:
    """In a dataflow, idle partitions wake up for records appended later.

    Records are appended twice from another thread, a few poll intervals
    apart, then the upstream ends: the run emits every record once, in order
    per partition, and stops.
    """
    live = case.live()
    expected: dict[str, list[X]] = {}
    delay = 3 * case.poll_interval.total_seconds()

    def feed() -> None:
        _merge(expected, live.append())
        time.sleep(delay)
        _merge(expected, live.append())
        live.finish()

    timer = threading.Timer(delay, feed)
    probe = Probe(live.source, idle_window=DRAIN_DEADLINE)
    with forbid_sleep_in_next_batch() as violations:
        timer.start()
        try:
            output = collect(probe)
        finally:
            timer.cancel()
            timer.join()
    assert violations == []
    late = [name for name, log in probe.parts.items() if log.idle_seconds]
    assert not late, f"partitions {late} did not end within {DRAIN_DEADLINE}"
    assert_each_once_in_order(output, expected, case.key)
    empty_calls = {
        name: log.calls - len(log.batches) for name, log in probe.parts.items()
    }
    assert all(count > 0 for count in empty_calls.values()), (
        f"every partition waited for records at least once: {empty_calls}"
    )


def check_next_batch_never_sleeps(case: PartitionedCase[X, S]) -> None:
    """`time.sleep` never runs inside `next_batch`: with data, at the end, idle."""
    seeded = case.seeded()
    idle = case.live().source
    with forbid_sleep_in_next_batch() as violations:
        for name in seeded.records:
            part = seeded.source.build_part(STEP_ID, name, None)
            drain(part)
            part.close()
        for name in idle.list_parts():
            part = idle.build_part(STEP_ID, name, None)
            for _ in range(3):
                with in_next_batch():
                    part.next_batch()
            part.close()
    assert violations == []


def check_run_main(case: PartitionedCase[X, S]) -> None:
    """One worker (`run_main`) emits every record once, in order per partition."""
    seeded = case.seeded()
    probe = Probe(seeded.source)
    with forbid_sleep_in_next_batch() as violations:
        output = collect(probe)
    assert violations == []
    assert_each_once_in_order(output, seeded.records, case.key)
    assert {name: log.builds for name, log in probe.parts.items()} == dict.fromkeys(
        seeded.records, 1
    )


def check_cluster_main(case: PartitionedCase[X, S], workers: int = 3) -> None:
    """Several worker threads (`cluster_main`) emit every record exactly once.

    Every worker lists the partitions; each one must be built on one worker only.
    """
    seeded = case.seeded()
    probe = Probe(seeded.source)
    with forbid_sleep_in_next_batch() as violations:
        output = collect(probe, workers=workers)
    assert violations == []
    assert_each_once_in_order(output, seeded.records, case.key)
    assert {name: log.builds for name, log in probe.parts.items()} == dict.fromkeys(
        seeded.records, 1
    )


def check_recovery_after_fault(
    case: PartitionedCase[X, S], tmp_path: Path, fault: Fault = "crash"
) -> int:
    """A run that fails part-way resumes from its recovery store and loses nothing.

    The first run fails in `next_batch` once half the records were emitted:
    `crash` raises an exception (the run fails), `abort` raises
    `AbortExecution` (the run stops). The second run shares the store and ends.
    Asserted, per partition (see the module docstring for why):

    * run 1 delivered a prefix of the records, run 2 exactly the records from
      its resume point on, each once and in order, and nothing is missing;
    * the resume point is a snapshot run 1 took, and run 2 re-reads at most the
      last batch the partition emitted in run 1;
    * so the records delivered twice are among those last batches.

    Returns:
        The number of records delivered twice.
    """
    seeded = case.seeded()
    total = sum(len(records) for records in seeded.records.values())
    assert total >= 2, "seed at least two records"
    store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
    first = Probe(
        seeded.source,
        fault_after=total // 2,
        fault=InjectedFaultError if fault == "crash" else AbortExecution,
    )
    out1: list[X] = []
    with forbid_sleep_in_next_batch() as violations:
        try:
            collect(
                first, epoch_interval=timedelta(0), recovery_config=store, into=out1
            )
        except BytewaxRuntimeError as error:
            if not _caused_by(error, InjectedFaultError):
                raise
        else:
            assert fault == "abort", "the injected crash did not fail the run"
        assert first.fault_fired, "the fault was never injected"
        second = Probe(seeded.source)
        out2 = collect(second, epoch_interval=timedelta(0), recovery_config=store)
    assert violations == []

    got1 = _positions(case, out1, seeded.records)
    got2 = _positions(case, out2, seeded.records)
    duplicates = 0
    for name, records in seeded.records.items():
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
            f"partition {name!r}: records {len(got1[name])}..{resume - 1} were lost"
        )
        assert resume >= log1.emitted - last_batch, (
            f"partition {name!r}: resumed at record {resume}, more than one batch "
            f"before the {log1.emitted} records run 1 emitted"
        )
        duplicates += len(got1[name]) - resume
    return duplicates


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def check_rescale(
    case: PartitionedCase[X, S],
    tmp_path: Path,
    workers: Sequence[int] = RESCALE_WORKERS,
) -> list[dict[str, S | None]]:
    """One recovery store resumed with a changing worker count keeps positions.

    Each run but the last stops every partition once it has emitted a third of
    the longest partition; the last run reads the rest. Asserted: every run
    resumes each partition exactly where the previous run's final snapshot
    left it, builds it on one worker only, and together the runs emit every
    record once, in order per partition.

    Returns:
        The resume state of each partition, per run.
    """
    seeded = case.seeded()
    longest = max(len(records) for records in seeded.records.values())
    budget = max(1, longest // len(workers))
    store = recovery_store(
        tmp_path / "recovery", max(RECOVERY_STORE_PARTITIONS, *workers)
    )
    output: list[X] = []
    previous: Probe[X, S] | None = None
    resumed: list[dict[str, S | None]] = []
    with forbid_sleep_in_next_batch() as violations:
        for run, count in enumerate(workers):
            last = run == len(workers) - 1
            probe = Probe(seeded.source, budget=None if last else budget)
            output += collect(
                probe, workers=count, epoch_interval=timedelta(0), recovery_config=store
            )
            builds = {name: log.builds for name, log in probe.parts.items()}
            assert builds == dict.fromkeys(seeded.records, 1), (
                f"run {run + 1}: {builds}"
            )
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
    assert violations == []
    assert_each_once_in_order(output, seeded.records, case.key)
    return resumed


def _example_lines(case: PartitionedCase[X, S]) -> dict[str, list[str]]:
    source = case.example_source()
    lines: dict[str, list[str]] = {}
    for name in source.list_parts():
        part = source.build_part(STEP_ID, name, None)
        records, _ = drain(part)
        part.close()
        lines[name] = [str(record) for record in records]
    return lines


def check_example_bytewax_run(case: PartitionedCase[X, S], workers: int = 2) -> None:
    """`python -m bytewax.run <example>:flow -w 2` prints every record once.

    Each partition's lines keep their order; partitions may interleave (see
    `common.split_printed`).
    """
    stdout = run_module("bytewax.run", f"{case.example}:flow", "-w", str(workers))
    assert_printed_once_in_order(stdout, _example_lines(case))


def check_example_bytewax_testing(
    case: PartitionedCase[X, S], processes: int = 2
) -> None:
    """`python -m bytewax.testing <example>:flow -p 2 -w 1` prints every record once.

    `bytewax.testing` listens on fixed ports from 2101: never run two of these
    at once (keep the tests serial, no pytest-xdist).
    """
    stdout = run_module(
        "bytewax.testing", f"{case.example}:flow", "-p", str(processes), "-w", "1"
    )
    assert_printed_once_in_order(stdout, _example_lines(case))


def check_example_resumes_with_recovery(
    case: PartitionedCase[X, S], tmp_path: Path, workers: int = 2
) -> None:
    """The README's recovery commands work: a second run resumes at the end.

    Creates a store with `python -m bytewax.recovery DIR N`, then runs the
    example twice with `python -m bytewax.run ... -r DIR -s 10 -b 30`. The first
    run prints every record once; the second resumes every partition after its
    last record and prints nothing.
    """
    store = tmp_path / "recovery"
    store.mkdir()
    run_module("bytewax.recovery", str(store), str(RECOVERY_STORE_PARTITIONS))
    flags = ("-w", str(workers), "-r", str(store), "-s", "10", "-b", "30")
    first = run_module("bytewax.run", f"{case.example}:flow", *flags)
    assert_printed_once_in_order(first, _example_lines(case))
    second = run_module("bytewax.run", f"{case.example}:flow", *flags)
    assert second == "", f"the resumed run printed again:\n{second}"
