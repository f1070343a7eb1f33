"""Contract checks for partitioned Bytewax sources (`FixedPartitionedSource`).

A test module describes its source once with a `PartitionedCase`: an
`Adapter` to its upstream (see `common`), a function that builds the source
over a `connect` with the `Options` a check asks for, and the example module.
It then calls the `check_*` functions below, one test each.

The checks are properties of the contract, each run under several `Plan`s
(see `common`): every plan gives the upstream other partition names, idle
partitions, repeated values, gaps, transient empty reads and slow calls, so
a source that only works on the data the demo happens to hold fails. The
checks build the source with several batch sizes (1 among them), honour or
pre-empt `next_awake` as the runtime may, and account for every client
(`ClientLedger`), thread, file descriptor and log record. Every call has a
deadline; speed is judged from many calls only (see `Budget`).

Recovery and its duplicate bound: every partition resumes from the snapshot of
the last epoch that was completed before the fault. With
`epoch_interval=timedelta(0)` Bytewax closes an epoch after each `next_batch`
call, and an input only reads for a new epoch once the previous one has been
completed, so at most one epoch (one batch per partition) is lost in flight:
`check_recovery_after_fault` asserts that the second run re-reads, for each
partition, at most the last batch that partition emitted before the fault.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, cast

from bytewax.errors import BytewaxRuntimeError
from bytewax.inputs import (
    AbortExecution,
    FixedPartitionedSource,
    StatefulSourcePartition,
)

from .common import (
    BATCH_SIZES,
    CLIENT_TIMEOUT,
    FLOW_POLL,
    HAND_POLL,
    IDLE_PAUSE,
    INJECTED_KINDS,
    MEMORY_ITEMS,
    PROBE_NAMES,
    RECOVERY_STORE_PARTITIONS,
    RUNTIME_CHATTER,
    SAMPLES,
    STALL_TIMEOUT,
    STEP_ID,
    THREAD_PREFIX,
    TIMEOUTS,
    Adapter,
    Budget,
    Caller,
    CallStats,
    ClientLedger,
    Harness,
    IdleCpu,
    InjectedFaultError,
    Plan,
    Reading,
    accounted,
    assert_aware_utc,
    assert_close_failure_seen,
    assert_each_once_in_order,
    assert_logged,
    assert_memory_flat,
    assert_missing_fails,
    assert_poll_rate,
    assert_printed_once_in_order,
    assert_quiet,
    call_inside,
    capture_logs,
    caused_by,
    collect,
    error_of,
    first_error,
    forbid_sleep_in_calls,
    in_call,
    locate,
    plan_for,
    planned,
    planned_fault,
    probe_code,
    read_by_hand,
    recovery_store,
    reproducible,
    resolve,
    run_cluster,
    wait_for,
)

X = TypeVar("X")
S = TypeVar("S")
C = TypeVar("C")
T = TypeVar("T")

Fault = Literal["crash", "abort"]


@dataclass(frozen=True)
class Options(Generic[S]):
    """How a check wants the source under test built.

    Attributes:
        start: Where a partition without resume state starts: `"earliest"`,
            `"latest"`, or a position per partition.
        stop_at_end: True: a partition ends once it has read everything stored
            (`StopIteration`); False: it keeps waiting for more (tails).
        batch_size: Most records one `next_batch` returns.
        poll_interval: How long an idle partition waits before asking again.
        client_timeout: Longest one client call may take, connecting included.
    """

    start: Literal["earliest", "latest"] | Mapping[str, S] = "earliest"
    stop_at_end: bool = False
    batch_size: int = 3
    poll_interval: timedelta = HAND_POLL
    client_timeout: timedelta = CLIENT_TIMEOUT


@dataclass(frozen=True)
class PartitionedCase(Generic[X, S, C]):
    """Everything the checks need to know about one partitioned source.

    Attributes:
        adapter: Reaches the upstream (see `common.Adapter`).
        make_source: Builds the source under test over a `connect` returned by
            the adapter, with the given options.
        example: The example module, run as `python -m bytewax.run
            <example>:flow`, e.g. `examples.orders`; it defines `source`.
        root: The project's root: examples run from there.
        budget: Every wall-clock limit (see `common.Budget`).
        full_batches: The client returns `batch_size` records whenever that
            many are stored (False for clients that may return fewer).
    """

    adapter: Adapter[Any, X, C]
    make_source: Callable[[C, Options[S]], FixedPartitionedSource[X, S]]
    example: str
    root: Path = field(default_factory=Path.cwd)
    budget: Budget = field(default_factory=Budget)
    full_batches: bool = True


# --- One check's upstream, clients and clock --------------------------------


@dataclass
class _Part(Generic[X, S]):
    """A partition driven by hand, with the options its source was built with."""

    inner: StatefulSourcePartition[X, S]
    name: str
    options: Options[S]


@dataclass(kw_only=True)
class _Check(Harness, Generic[X, S, C]):
    case: PartitionedCase[X, S, C]
    plan: Plan
    upstream: Any
    records: dict[str, list[X]] = field(default_factory=dict)

    @property
    def adapter(self) -> Adapter[Any, X, C]:
        return self.case.adapter

    def source(self, options: Options[S] | None = None) -> FixedPartitionedSource[X, S]:
        connect = self.ledger.wrap(self.adapter.connect(self.upstream))
        return self.case.make_source(connect, options or Options())

    def key(self, record: X) -> Hashable:
        return self.adapter.key(record)

    def keys(self, records: Sequence[X]) -> list[Hashable]:
        return [self.key(record) for record in records]

    def names(self) -> list[str]:
        names = list(self.adapter.partitions(self.upstream))
        assert len(names) >= 3, f"the adapter's upstream has partitions {names}"
        return names

    def append(self, name: str, count: int, label: str) -> list[X]:
        """Append `count` records to a partition, with gaps where the plan has them.

        A gap goes before every second record and after the last; the first
        record directly follows what the partition held.
        """
        added: list[X] = []
        for index, value in enumerate(self.plan.values(name, count, label)):
            if self.plan.gaps and index % 2 == 1:
                self.adapter.gap(self.upstream, name)
            added += self.adapter.append(self.upstream, name, [value])
        if self.plan.gaps and count:
            self.adapter.gap(self.upstream, name)
        self.records.setdefault(name, []).extend(added)
        return added

    def seed(self, sizes: Sequence[int] = (7, 4, 0, 5)) -> dict[str, list[X]]:
        """Seed every partition the plan does not leave idle."""
        names = self.names()
        for index, name in enumerate(names):
            if name not in self.plan.idle:
                self.append(name, sizes[index % len(sizes)], "seed")
        return {name: list(self.records.get(name, [])) for name in names}

    def list_parts(self, source: FixedPartitionedSource[X, S]) -> list[str]:
        return self.op("list_parts()", source.list_parts)

    def build(
        self,
        source: FixedPartitionedSource[X, S],
        name: str,
        state: S | None,
        options: Options[S] | None = None,
    ) -> _Part[X, S]:
        inner = self.op(
            f"build_part({name!r})",
            lambda: source.build_part(STEP_ID, name, state),
            (STEP_ID, name),
        )
        self.built.append(inner.close)
        return _Part(inner, name, options or Options())

    def next_batch(self, part: _Part[X, S]) -> list[X]:
        def timed() -> list[X]:
            _, client = self.ledger.here()
            start = time.perf_counter()
            batch = list(part.inner.next_batch())
            total = time.perf_counter() - start
            _, client_after = self.ledger.here()
            kind = "busy" if batch else "idle"
            self.stats.add(kind, total, client_after - client, 0.0)
            return batch

        return self.op(
            f"next_batch() of partition {part.name!r}", timed, (STEP_ID, part.name)
        )

    def snapshot(self, part: _Part[X, S]) -> S:
        return self.op(f"snapshot() of partition {part.name!r}", part.inner.snapshot)

    def next_awake(self, part: _Part[X, S]) -> datetime | None:
        return self.op(
            f"next_awake() of partition {part.name!r}", part.inner.next_awake
        )

    def close(self, part: _Part[X, S]) -> None:
        self.op(f"close() of partition {part.name!r}", part.inner.close)

    def reading(self, part: _Part[X, S]) -> Reading:
        return Reading(
            what=f"partition {part.name!r}",
            batch_size=part.options.batch_size,
            poll_interval=part.options.poll_interval,
            full=self.case.full_batches,
        )

    def read(
        self, part: _Part[X, S], count: int
    ) -> tuple[list[X], list[tuple[int, S]]]:
        """Read `count` records by hand (see `common.read_by_hand`).

        Returns:
            The records, and `(records so far, snapshot())` at the start and
            after each non-empty batch.
        """
        positions = [(0, self.snapshot(part))]
        records: list[X] = []

        def note(batch: list[X]) -> None:
            records.extend(batch)
            positions.append((len(records), self.snapshot(part)))

        read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            self.reading(part),
            self.case.budget,
            count=count,
            on_batch=note,
        )
        return records, positions

    def drain_to_end(self, part: _Part[X, S]) -> list[X]:
        """Read by hand until `StopIteration` (a stop-at-end source)."""
        return read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            replace(
                self.reading(part), what=f"{self.reading(part).what} (stop at end)"
            ),
            self.case.budget,
            count=None,
        )

    def assert_released(self, what: str) -> None:
        """Every client closed once, and no connection left open upstream."""
        self.ledger.assert_all_closed(what)
        connections = self.adapter.connections(self.upstream)
        assert connections in (None, 0), (
            f"the upstream still sees {connections} connection(s) open after {what}"
        )


@contextmanager
def _checking(
    case: PartitionedCase[X, S, C], plan: Plan | None = None
) -> Iterator[_Check[X, S, C]]:
    """Open a fresh upstream for `plan`; on the way out, account for everything.

    Closes the upstream and every client the source left open; fails if a
    thread or file descriptor opened during the check remains, if a client
    is left open, or if calls broke the budget.
    """
    plan = plan or plan_for(0)
    with accounted("the check"):
        upstream = case.adapter.open(plan)
        caller = Caller(case.budget.deadline)
        check = _Check(
            ledger=ClientLedger(),
            stats=CallStats(),
            caller=caller,
            case=case,
            plan=plan,
            upstream=upstream,
        )
        try:
            with reproducible(plan), forbid_sleep_in_calls():
                yield check
        except BaseException:
            check.close_built()
            raise
        finally:
            idle = caller.close()
            left = (
                check.ledger.close_leftovers(case.adapter.close_client) if idle else 0
            )
            case.adapter.close(upstream)
        assert left == 0, f"{left} client(s) left open (the kit closed them)"
        check.stats.assert_within(case.budget, what="next_batch()", client=True)


# --- The probe --------------------------------------------------------------


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
        idle: Times of `next_batch` calls that returned nothing.
    """

    resume_state: S | None = None
    builds: int = 0
    batches: list[list[X]] = field(default_factory=list)
    positions: list[tuple[int, S]] = field(default_factory=list)
    snapshots: list[S] = field(default_factory=list)
    calls: int = 0
    idle: list[float] = field(default_factory=list)

    @property
    def emitted(self) -> int:
        """Number of records the partition emitted."""
        return sum(len(batch) for batch in self.batches)


class Probe(FixedPartitionedSource[X, S]):
    """Pass-through source that records what the partitions of `inner` do.

    Args:
        inner: The source under test.
        key: Identifies a record.
        expected: Stop a partition (`StopIteration`) once it has emitted the
            last of these records, or as many records as there are.
        seen: Keys of records emitted by earlier runs: a partition whose last
            expected record is among them is stopped at once.
        budget: Stop each partition once it has emitted at least this many
            records in this run.
        fault_after: Raise `fault()` from the first `next_batch` call made once
            this many records were emitted (over all partitions).
        fault: Builds the exception to raise.
    """

    def __init__(
        self,
        inner: FixedPartitionedSource[X, S],
        key: Callable[[X], Hashable],
        *,
        expected: Mapping[str, Sequence[X]] | None = None,
        seen: set[Hashable] | None = None,
        budget: int | None = None,
        fault_after: int | None = None,
        fault: Callable[[], BaseException] = InjectedFaultError,
    ) -> None:
        self.inner = inner
        self.key = key
        self.expected = expected
        self.seen: set[Hashable] = set() if seen is None else seen
        self.budget = budget
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

    def next_batch(self) -> list[X]:
        with self._probe.lock:
            done = self._probe.done(self._name, self._log)
        if done:
            raise StopIteration
        self._probe.fire_fault_if_due()
        with in_call():
            batch = list(self._inner.next_batch())
        with self._probe.lock:
            self._log.calls += 1
            if batch:
                self._log.batches.append(batch)
                self._log.positions.append((self._log.emitted, self._inner.snapshot()))
            else:
                self._log.idle.append(time.monotonic())
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
    check: _Check[X, S, C],
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


# --- Driven by hand ---------------------------------------------------------


def check_list_parts(case: PartitionedCase[X, S, C]) -> None:
    """`list_parts` returns the upstream's partitions; what is not there fails.

    A list of unique `str`, the same on every call, under every plan's names
    (prefixes of one another, spaces, other scripts); every client it opens
    is closed. A partition the upstream does not have (misspelt, deleted)
    must fail loudly, at `build_part` or within the first calls of
    `next_batch`, naming it: started at `"earliest"`, at `"latest"`, with
    `stop_at_end`, or resumed from a state of another partition, it may not
    read nothing or end as if empty. The same goes for a partition deleted
    while it is read (`Adapter.remove`).
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            source = check.source()
            first = check.list_parts(source)
            second = check.list_parts(source)
            check.assert_released("list_parts()")
            assert isinstance(first, list), (
                f"list_parts() must return a list, not {type(first)}"
            )
            assert all(isinstance(name, str) for name in first), f"non-str in {first!r}"
            assert len(set(first)) == len(first), f"duplicate keys in {first!r}"
            assert second == first, f"list_parts() gave {first}, then {second}"
            assert sorted(first) == sorted(check.names()), (
                f"list_parts() returned {first}, the upstream has {check.names()}"
            )
            _check_missing(check)

    planned(run)


def _missing_name(names: Sequence[str]) -> str:
    missing = f"{names[0]}-gone"
    while missing in names:
        missing += "-gone"
    return missing


def _check_missing(check: _Check[X, S, C]) -> None:
    """Partitions the upstream does not have, or no longer has, fail loudly."""
    seeded = check.seed()
    names = list(seeded)
    missing = _missing_name(names)
    known = check.build(check.source(), names[0], None)
    state = check.snapshot(known)
    check.close(known)
    variants: list[tuple[str, Options[S], S | None]] = [
        ('started at "earliest"', Options(), None),
        ('started at "latest"', Options(start="latest"), None),
        ("with stop_at_end", Options(stop_at_end=True), None),
        (f"resumed from {state!r}", Options(), state),
    ]
    for how, options, resume in variants:
        error = _read_missing(check, check.source(options), missing, resume, options)
        assert_missing_fails(
            error,
            f"partition {missing!r}, which the upstream lacks, {how},",
            (STEP_ID,),
        )
    name = next((n for n, records in seeded.items() if records), names[0])
    options = Options(batch_size=100)
    part = check.build(check.source(options), name, None, options)
    check.read(part, len(seeded[name]))
    if check.adapter.remove(check.upstream, name):
        error = first_error(
            partial(check.next_batch, part), partial(check.next_awake, part)
        )
        what = f"partition {name!r}, deleted while it was read,"
        assert_missing_fails(error, what, (STEP_ID,))
    error_of(partial(check.close, part))
    check.assert_released("reading partitions the upstream lacks")


def _read_missing(
    check: _Check[X, S, C],
    source: FixedPartitionedSource[X, S],
    name: str,
    state: S | None,
    options: Options[S],
) -> BaseException | None:
    """Build and read a partition the upstream lacks; return what it raised."""
    try:
        part = check.build(source, name, state, options)
    except Exception as error:  # what a build that fails raises is up to it
        return error
    try:
        return first_error(
            partial(check.next_batch, part), partial(check.next_awake, part)
        )
    finally:
        error_of(partial(check.close, part))


def check_reads_each_partition_in_order(case: PartitionedCase[X, S, C]) -> None:
    """Each partition emits exactly its records, in order, whatever the upstream does.

    Under every plan (gaps, repeated values, idle partitions, transient empty
    reads, slow calls) and with batch sizes 1 and 3: no batch is larger than
    the batch size, batches are full while records wait, the partition asks
    to be called again at once after a batch and one poll interval after an
    empty one, it returns empty batches once it has read everything (it tails),
    and `close()` closes its client.
    """

    def run(plan: Plan) -> None:
        for size in BATCH_SIZES:
            with _checking(case, plan) as check:
                seeded = check.seed()
                options: Options[S] = Options(batch_size=size)
                source = check.source(options)
                for name, expected in seeded.items():
                    part = check.build(source, name, None, options)
                    records, _ = check.read(part, len(expected))
                    check.close(part)
                    assert check.keys(records) == check.keys(expected), (
                        f"partition {name!r} (batch size {size})"
                    )
                check.assert_released("close() of every partition")

    planned(run)


def check_resume_from_every_snapshot(case: PartitionedCase[X, S, C]) -> None:
    """Resuming from any snapshot yields exactly the rest of that partition.

    Partitions are built on the empty upstream (so the first snapshot is the
    upstream's very first position, such as offset 0), records are seeded,
    and snapshots are taken after every batch. Each goes through `pickle` as
    the recovery store does, and is resumed twice: by a source that starts at
    `"latest"`, and by one that starts at `"earliest"`. A resume state taken
    for no state (`if resume_state:` on an offset 0) skips or repeats records.
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            names = check.names()
            source = check.source(Options(start="latest"))
            parts = {name: check.build(source, name, None) for name in names}
            seeded = check.seed()
            for name, part in parts.items():
                expected = seeded[name]
                _, positions = check.read(part, len(expected))
                check.close(part)
                for start in ("latest", "earliest"):
                    options: Options[S] = Options(start=start)
                    resumed_source = check.source(options)
                    for emitted, state in positions:
                        resumed = pickle.loads(pickle.dumps(state))
                        again = check.build(resumed_source, name, resumed, options)
                        rest, _ = check.read(again, len(expected) - emitted)
                        check.close(again)
                        assert check.keys(rest) == check.keys(expected[emitted:]), (
                            f"partition {name!r} resumed from {state!r} "
                            f"({emitted} records in) by a source that starts at "
                            f"{start!r}"
                        )
            check.assert_released("close() of every partition")

    planned(run)


def check_stop_at_end(case: PartitionedCase[X, S, C]) -> None:
    """With `stop_at_end`, a partition ends after its last record, not before.

    Empty reads before the end (plans with transient empties) do not end it,
    an empty partition ends at once, its snapshot stays readable after
    `StopIteration` (the runtime takes one then) and resumes past everything,
    and `close()` twice closes its client once.
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            seeded = check.seed()
            options: Options[S] = Options(stop_at_end=True)
            source = check.source(options)
            for name, expected in seeded.items():
                part = check.build(source, name, None, options)
                records = check.drain_to_end(part)
                assert check.keys(records) == check.keys(expected), (
                    f"partition {name!r} ended after {len(records)} of "
                    f"{len(expected)} records"
                )
                state = check.snapshot(part)
                check.close(part)
                check.close(part)
                again = check.build(source, name, pickle.loads(pickle.dumps(state)))
                assert check.drain_to_end(again) == [], (
                    f"partition {name!r} resumed after its end read again"
                )
                check.close(again)
            check.assert_released("close() twice of every partition")

    planned(run)


def check_start_positions(case: PartitionedCase[X, S, C]) -> None:
    """`start` picks where a partition without resume state begins.

    `"latest"` skips what is stored and reads what is appended after the
    partition was built; `"earliest"` reads everything; a position per
    partition (one taken from a snapshot, a partition's very first position
    among them) reads from there on, and a partition left out of the mapping
    starts at its earliest record, so an empty mapping starts every partition
    there (it is a mapping, not the lack of one).
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            names = check.names()
            active = plan.active()
            before = {name: check.append(name, 3, "before") for name in active}
            latest: Options[S] = Options(start="latest")
            parts = {
                name: check.build(check.source(latest), name, None) for name in names
            }
            after = {name: check.append(name, 2, "after") for name in active}
            for name, part in parts.items():
                records, _ = check.read(part, len(after.get(name, [])))
                assert check.keys(records) == check.keys(after.get(name, [])), (
                    f'partition {name!r} started at "latest"'
                )
                check.close(part)
            given = names[1:]
            at_first = next((name for name in given if name in active), None)
            middle: dict[str, tuple[int, S]] = {}
            for name in names:
                everything = before.get(name, []) + after.get(name, [])
                part = check.build(check.source(), name, None)
                records, positions = check.read(part, len(everything))
                check.close(part)
                assert check.keys(records) == check.keys(everything), (
                    f'partition {name!r} started at "earliest"'
                )
                middle[name] = positions[min(1, len(positions) - 1)]
                if name == at_first:
                    # Its very first position (such as offset 0): a position
                    # like any other, not the lack of one.
                    middle[name] = positions[0]
            for start in ({name: middle[name] for name in given}, {}):
                explicit: Options[S] = Options(
                    start={name: state for name, (_, state) in start.items()}
                )
                source = check.source(explicit)
                for name in names:
                    everything = before.get(name, []) + after.get(name, [])
                    emitted = start[name][0] if name in start else 0
                    part = check.build(source, name, None, explicit)
                    records, _ = check.read(part, len(everything) - emitted)
                    check.close(part)
                    assert check.keys(records) == check.keys(everything[emitted:]), (
                        f"partition {name!r} started at {explicit.start} (a "
                        "partition left out starts at its earliest record)"
                    )
            check.assert_released("close() of every partition")

    planned(run)


def check_idle(case: PartitionedCase[X, S, C]) -> None:
    """An idle partition returns `[]` at once, asks for a poll interval, keeps quiet.

    Driven by hand over an empty upstream, `SAMPLES` calls per partition:
    `next_batch` returns nothing, spending little time in its own code and
    its client's (see `Budget`); `next_awake` is aware UTC, one poll interval
    after each call, the same when asked twice; nothing is logged at WARNING
    or above, and not a record per call. While idle (in its calls and
    between them) the process keeps the CPU mostly free (see `IdleCpu`).
    """
    cpu = IdleCpu()
    with _checking(
        case, replace(plan_for(0), idle=frozenset(plan_for(0).names))
    ) as check:
        source = check.source()
        with capture_logs() as logs:
            for name in check.names():
                part = check.build(source, name, None)
                logs.clear()
                for _ in range(SAMPLES):
                    before = datetime.now(timezone.utc)
                    with cpu.measure("in next_batch()"):
                        batch = check.next_batch(part)
                    assert batch == [], f"partition {name!r}"
                    after = datetime.now(timezone.utc)
                    awake = assert_aware_utc(
                        check.next_awake(part),
                        not_before=before + HAND_POLL,
                        not_after=after + HAND_POLL,
                    )
                    assert check.next_awake(part) == awake, "asked twice"
                    with cpu.measure("between calls"):
                        time.sleep(IDLE_PAUSE.total_seconds())
                assert_quiet(logs, what=f"partition {name!r}", calls=SAMPLES)
                check.close(part)
        check.assert_released("close() of every partition")
    cpu.assert_idle("an idle partition")


def check_reads_records_that_arrive_later(case: PartitionedCase[X, S, C]) -> None:
    """A partition that caught up reads what is appended later.

    Drives each partition by hand: idle, records appended (three times), a
    snapshot taken in between. Then resumes from that snapshot: exactly the
    records appended after it follow.
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            source = check.source()
            names = check.names()
            parts = {name: check.build(source, name, None) for name in names}
            got: dict[str, list[X]] = {name: [] for name in names}
            for part in parts.values():
                assert check.next_batch(part) == [], "an empty upstream has no record"
            middle: dict[str, tuple[int, S]] = {}
            for round_ in range(3):
                for name, part in parts.items():
                    count = 0 if name in plan.idle else 2
                    added = check.append(name, count, f"round {round_}")
                    got[name] += check.read(part, len(added))[0]
                    if round_ == 1:
                        middle[name] = (len(got[name]), check.snapshot(part))
            for name, part in parts.items():
                check.close(part)
                assert check.keys(got[name]) == check.keys(check.records.get(name, []))
            for name, (emitted, state) in middle.items():
                expected = check.records.get(name, [])
                part = check.build(source, name, state)
                rest, _ = check.read(part, len(expected) - emitted)
                check.close(part)
                assert check.keys(rest) == check.keys(expected[emitted:]), (
                    f"partition {name!r} resumed from {state!r} ({emitted} records in)"
                )
            check.assert_released("close() of every partition")

    planned(run)


def _scenario(check: _Check[X, S, C]) -> None:
    """Everything a source does by hand, to fail each of its client calls in turn."""
    options: Options[S] = Options(batch_size=2, stop_at_end=True)
    source = check.source(options)
    names = check.list_parts(source)
    parts: list[_Part[X, S]] = []
    try:
        for name in names[:2]:
            part = check.build(source, name, None, options)
            parts.append(part)
            check.drain_to_end(part)
            check.snapshot(part)
        resumed = check.build(source, names[0], check.snapshot(parts[0]), options)
        parts.append(resumed)
        check.drain_to_end(resumed)
    finally:
        _close_all(check, parts)


def _close_all(check: _Check[X, S, C], parts: Sequence[_Part[X, S]]) -> None:
    """Close every partition, whatever fails."""
    for part in parts:
        error_of(partial(check.close, part))


def check_errors_surface(case: PartitionedCase[X, S, C]) -> int:
    """A failing client call fails the call that made it, with its cause; nothing leaks.

    Runs a whole life (list, build, read to the end, snapshot, resume, close)
    once per client call, making that call fail, in turn, with a plain
    error, a lost connection and a timeout. Each failure must surface from
    the very call of the source that made it: raised, not swallowed or
    turned into an empty batch; with the client's error as its explicit
    cause (`raise ... from error`); naming the step and the partition; and
    not also logged at ERROR (Bytewax reports what is raised). Afterwards,
    every client is closed, whichever call failed (a build that fails after
    connecting included). A failure planned inside the upstream itself
    (`Plan.fail_at`) must surface the same way, and a client whose `close()`
    fails makes the partition's `close()` raise or log it (WARNING or above).

    Returns:
        The number of client calls failed.
    """
    with _checking(case) as check:
        check.seed([3, 3, 0])
        _scenario(check)
        total = check.ledger.calls
    with accounted("every failing call"):
        for number in range(total):
            kind = INJECTED_KINDS[number % len(INJECTED_KINDS)]
            with _checking(case) as check:
                check.seed([3, 3, 0])
                check.ledger.fail_call(after=number, error=partial(kind, "injected"))
                error = error_of(partial(_scenario, check))
                assert check.ledger.injected, f"client call {number} never came"
                origin = check.ledger.injected[0]
                check.assert_surfaced(error, origin, f"client call {number}")
                check.assert_released(f"client call {number} failed")
        for at in (2, 5) if case.adapter.misbehaves else ():
            plan = replace(plan_for(0), fail_at=at)
            with _checking(case, plan) as check:
                check.seed([3, 3, 0])
                error = error_of(partial(_scenario, check))
                fault = planned_fault(error, f"the upstream's call {at}")
                check.assert_surfaced(error, fault, f"upstream call {at}")
                check.assert_released(f"upstream call {at} failed")
        with _checking(case) as check:
            check.seed([3, 3, 0])
            name = check.names()[0]
            part = check.build(check.source(), name, None)
            check.next_batch(part)
            what = f"close() of partition {name!r}"
            assert_close_failure_seen(check, what, part.inner.close, name)
            check.assert_released("a client close that failed")
    return total


def check_client_timeout(case: PartitionedCase[X, S, C]) -> None:
    """The client timeout reaches the client, in full, and ends a stalled call.

    Every `connect` gets the `client_timeout` the source was built with (as
    a `timedelta`, or in seconds: `.seconds` truncates it). An upstream call
    that never answers (`Plan.stall_at`) must fail the call that made it once
    the timeout is up, with a `TimeoutError` among its causes, and leave no
    client open.
    """
    with _checking(case) as check:
        check.seed([3, 3, 0])
        _scenario(check)
        check.ledger.assert_timeout_passed(CLIENT_TIMEOUT, "every connect")
    if not case.adapter.misbehaves:
        return
    options: Options[S] = Options(client_timeout=STALL_TIMEOUT, batch_size=2)
    plan = replace(plan_for(0), stall_at=4)
    with _checking(case, plan) as check:
        check.seed([3, 3, 0])
        source = check.source(options)
        started = time.monotonic()
        error = error_of(lambda: _stall(check, source, options))
        took = time.monotonic() - started
        assert error is not None, "a stalled upstream call was not noticed"
        assert caused_by(error, TIMEOUTS), (
            f"a stalled upstream call ended with {error!r}, not with a "
            "TimeoutError among its causes"
        )
        assert took < STALL_TIMEOUT.total_seconds() * 10 + 1, took
        check.assert_released("a stalled call")


def _stall(
    check: _Check[X, S, C], source: FixedPartitionedSource[X, S], options: Options[S]
) -> None:
    parts: list[_Part[X, S]] = []
    try:
        for name in check.names():
            part = check.build(source, name, None, options)
            parts.append(part)
            check.read(part, len(check.records.get(name, [])))
    finally:
        _close_all(check, parts)


def check_memory_is_flat(case: PartitionedCase[X, S, C]) -> int:
    """Reading a long partition keeps no memory per record.

    See `common.assert_memory_flat`.

    Returns:
        The bytes that stayed allocated.
    """
    size = 100
    count = MEMORY_ITEMS
    with _checking(case, replace(plan_for(0), gaps=False)) as check:
        name = check.names()[0]
        check.append(name, 2 * count, "long")
        options: Options[S] = Options(batch_size=size)
        part = check.build(check.source(options), name, None, options)

        def read_half() -> None:
            left = count
            while left > 0:
                batch = list(part.inner.next_batch())
                left -= len(batch)
                assert batch, "a partition with records waiting returned nothing"

        def first() -> None:
            check.caller.call("reading", partial(call_inside, read_half))

        grown = assert_memory_flat(first, first, what=f"partition {name!r}")
        check.close(part)
        check.assert_released("a long read")
    return grown


def check_logs_name_the_partition(case: PartitionedCase[X, S, C]) -> None:
    """Building, resuming and the end are logged, naming the step and partition.

    The resume names the state it resumes from.
    """
    with _checking(case) as check, capture_logs() as logs:
        seeded = check.seed()
        name = next(name for name, records in seeded.items() if records)
        options: Options[S] = Options(stop_at_end=True)
        source = check.source(options)
        part = check.build(source, name, None, options)
        assert_logged(logs, STEP_ID, name, what="build_part")
        check.next_batch(part)
        state = check.snapshot(part)
        check.close(part)

        logs.clear()
        part = check.build(source, name, state, options)
        assert_logged(logs, STEP_ID, name, repr(state), what="a resume")
        check.drain_to_end(part)
        assert_logged(logs, STEP_ID, name, what="the end of a partition")
        check.close(part)
        check.assert_released("close() of every partition")


# --- In dataflows -----------------------------------------------------------


def check_run_main(case: PartitionedCase[X, S, C]) -> None:
    """One worker (`run_main`) emits every record once, in order per partition."""
    check_cluster_main(case, workers=1)


def check_cluster_main(case: PartitionedCase[X, S, C], workers: int = 3) -> None:
    """Worker threads emit every record exactly once, under an awkward upstream.

    The upstream has transient empty reads, repeated values and an idle
    partition (plan 1). Every worker lists the partitions; each one must be
    built on one worker only, and every client opened on any worker is
    closed by the end.
    """
    with _checking(case, plan_for(1)) as check:
        seeded = check.seed()
        options: Options[S] = Options(poll_interval=FLOW_POLL)
        probe = Probe(check.source(options), check.key, expected=seeded)
        output = collect(probe, case.budget, workers=workers)
        assert_each_once_in_order(output, seeded, check.key)
        builds = {name: log.builds for name, log in probe.parts.items()}
        assert builds == dict.fromkeys(seeded, 1), builds
        check.assert_released("the run")


def check_live_dataflow(case: PartitionedCase[X, S, C]) -> None:
    """In a dataflow, idle partitions wait a poll interval, and wake up for records.

    Records are appended twice from another thread, a few poll intervals
    apart: the run emits every record once, in order per partition, and
    while idle no partition was polled more often than its poll interval
    allows (an empty batch that asks to be called at once spins).
    """
    with _checking(case) as check:
        names = check.names()
        delay = 6 * FLOW_POLL.total_seconds()
        appended = threading.Event()
        options: Options[S] = Options(poll_interval=FLOW_POLL)
        probe = Probe(check.source(options), check.key, budget=4)

        def idle_everywhere() -> bool:
            with probe.lock:
                logs = list(probe.parts.values())
            return len(logs) == len(names) and all(len(log.idle) >= 3 for log in logs)

        def feed() -> None:
            # Only once every partition has waited for records a few times.
            if not wait_for(idle_everywhere, case.budget.flow):
                return
            for round_ in range(2):
                for name in names:
                    check.append(name, 2, f"live {round_}")
                if round_ == 0:
                    time.sleep(delay)
            appended.set()

        feeder = threading.Thread(target=feed, name=f"{THREAD_PREFIX}-feed")
        feeder.start()
        try:
            output = collect(probe, case.budget)
        finally:
            feeder.join()
        assert appended.is_set(), "the partitions never all waited for records"
        assert_each_once_in_order(output, check.records, check.key)
        for log in probe.parts.values():
            idle = log.idle[-1] - log.idle[0]
            assert_poll_rate(len(log.idle), idle, FLOW_POLL)
        check.assert_released("the run")


def check_recovery_after_fault(
    case: PartitionedCase[X, S, C], tmp_path: Path, fault: Fault = "crash"
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
        source = check.source(Options(poll_interval=FLOW_POLL))
        first = Probe(
            source,
            check.key,
            expected=seeded,
            fault_after=total // 2,
            fault=InjectedFaultError if fault == "crash" else AbortExecution,
        )
        out1: list[X] = []
        try:
            collect(
                first,
                case.budget,
                epoch_interval=timedelta(0),
                recovery_config=store,
                into=out1,
            )
        except BytewaxRuntimeError as error:
            if not caused_by(error, InjectedFaultError):
                raise
        else:
            assert fault == "abort", "the injected crash did not fail the run"
        assert first.fault_fired, "the fault was never injected"
        second = Probe(source, check.key, expected=seeded)
        out2 = collect(
            second, case.budget, epoch_interval=timedelta(0), recovery_config=store
        )

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
        check.assert_released("the second run")
    return duplicates


def check_rescale(
    case: PartitionedCase[X, S, C],
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
        source = check.source(Options(poll_interval=FLOW_POLL))
        output: list[X] = []
        previous: Probe[X, S] | None = None
        resumed: list[dict[str, S | None]] = []
        seen: set[Hashable] = set()
        for run, count in enumerate(workers):
            last = run == len(workers) - 1
            probe = Probe(
                source,
                check.key,
                expected=seeded,
                seen=seen,
                budget=None if last else budget,
            )
            output += collect(
                probe,
                case.budget,
                workers=count,
                epoch_interval=timedelta(0),
                recovery_config=store,
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
        check.assert_released("the runs")
    return resumed


# --- The example, as processes ----------------------------------------------


def probe_list_parts(
    adapter: Sequence[str], make_source: Sequence[str], example: str
) -> list[str]:
    """What `list_parts` returns in this process, for `check_example_cluster`.

    Builds the adapter (its class, called without arguments) and the source
    the case would, over an upstream of `PROBE_NAMES`; without them (a
    lambda, an adapter that needs arguments), asks the example's `source`.
    """
    if adapter and make_source:
        made = cast(
            Adapter[Any, Any, Any], cast(Callable[[], object], resolve(*adapter))()
        )
        build = cast(
            Callable[[object, Options[Any]], FixedPartitionedSource[Any, Any]],
            resolve(*make_source),
        )
        upstream = made.open(replace(plan_for(0), names=PROBE_NAMES))
        try:
            return list(build(made.connect(upstream), Options()).list_parts())
        finally:
            made.close(upstream)
    source = cast(FixedPartitionedSource[Any, Any], resolve(example, "source"))
    return list(source.list_parts())


def _example_lines(
    case: PartitionedCase[X, S, C],
) -> tuple[Any, dict[str, list[str]], dict[str, str]]:
    run = case.adapter.example()
    lines = {
        name: [str(record) for record in records]
        for name, records in run.records.items()
    }
    return run.upstream, lines, dict(run.env)


def check_example_cluster(
    case: PartitionedCase[X, S, C], tmp_path: Path, processes: int = 2
) -> None:
    """The example as a cluster of processes prints every record once, then resumes.

    `python -m bytewax.run <example>:flow -i K -a ... -r DIR -s 10 -b 30`,
    one worker per process, on ports found free, each process with its own
    `PYTHONHASHSEED`, with a recovery store (as the README runs it): every
    partition is read by one process, in order, and `list_parts()` gives the
    same list in every process (an order drawn from `hash()` differs
    between them). Run again on the same store, the cluster resumes every
    partition after its last record and prints nothing. The example must
    end by itself (a stop-at-end source).
    """
    upstream, lines, env = _example_lines(case)
    adapter = locate(type(case.adapter)) or ()
    make_source = locate(case.make_source) or ()
    probe = probe_code(probe_list_parts, adapter, make_source, case.example)
    here = probe_list_parts(adapter, make_source, case.example)
    store = tmp_path / "recovery"
    recovery_store(store, RECOVERY_STORE_PARTITIONS)
    flags = ("-r", str(store), "-s", "10", "-b", "30")
    try:
        first = run_cluster(
            case.root,
            f"{case.example}:flow",
            budget=case.budget,
            processes=processes,
            env=env,
            probe=probe,
            args=flags,
        )
        assert_printed_once_in_order(first.stdouts, lines)
        second = run_cluster(
            case.root,
            f"{case.example}:flow",
            budget=case.budget,
            processes=processes,
            env=env,
            args=flags,
        )
    finally:
        if upstream is not None:
            case.adapter.close(upstream)
    for index, there in enumerate(first.probes):
        assert there == here, (
            f"list_parts() gave {here} here and {there} in process {index} (another "
            "PYTHONHASHSEED): keep its order independent of hash()"
        )
    again = RUNTIME_CHATTER.sub("", "".join(second.stdouts)).strip()
    assert again == "", f"the resumed cluster printed again:\n{again}"
