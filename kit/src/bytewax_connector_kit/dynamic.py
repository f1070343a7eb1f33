"""Contract checks for dynamic (stateless) Bytewax sources (`DynamicSource`).

A test module describes its source once with a `DynamicCase`: an `Adapter`
to its upstream (see `common`; its partitions are the upstream's shards), a
function that builds the source over a `connect` with the `Options` a check
asks for, and the example module. It then calls the `check_*` functions
below, one test each.

As for partitioned sources, the checks are properties run under several
`Plan`s of the upstream (other shard names, idle shards, repeated values,
transient empty reads, slow calls), with batch sizes 1 and 3, accounting for
every client, thread, file descriptor and log record. Sources need not end:
a check stops reading once every record it expects is out.

Async sources (`DynamicCase.is_async`) run their client on an event loop of
their own, which they must expose as a `loop` property so that the checks
can see it closed; each `next_batch` may run it for up to `Options.timeout`.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast, runtime_checkable

from bytewax.inputs import DynamicSource, StatelessSourcePartition

from .common import (
    BATCH_SIZES,
    CLIENT_TIMEOUT,
    FLOW_POLL,
    HAND_POLL,
    IDLE_PAUSE,
    INJECTED_KINDS,
    MEMORY_ITEMS,
    PROBE_NAMES,
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
    reproducible,
    resolve,
    run_cluster,
    wait_for,
)

X = TypeVar("X")
C = TypeVar("C")
T = TypeVar("T")

LOOP_TIMEOUT = timedelta(milliseconds=5)
"""How long one `next_batch` of an async source may run its event loop."""

SLOW_CONNECT = timedelta(milliseconds=50)
"""How long an async `connect` takes in the timeout check: slow, but well
within the client timeout it is built with there (`SLOW_CONNECT_TIMEOUT`),
so `build` must succeed."""

SLOW_CONNECT_TIMEOUT = timedelta(milliseconds=900)
"""The client timeout of that check: under a second, so that `.seconds`
turns it into 0."""

HUNG_CONNECT = timedelta(seconds=4)
"""How long an async `connect` that ignores its timeout takes in the timeout
check: `build` must give up after `client_timeout` (the source's
`asyncio.wait_for`), long before."""

SLOW_LOOP_TIMEOUT = timedelta(milliseconds=60)
"""The loop timeout of the check that slows every call to `Plan.slow`."""


@dataclass(frozen=True)
class Options:
    """How a check wants the source under test built.

    Attributes:
        batch_size: Most records one `next_batch` returns.
        poll_interval: How long an idle partition waits before asking again.
        client_timeout: Longest one client call may take, connecting included.
        timeout: Async sources: longest one `next_batch` runs the event loop.
    """

    batch_size: int = 3
    poll_interval: timedelta = HAND_POLL
    client_timeout: timedelta = CLIENT_TIMEOUT
    timeout: timedelta = LOOP_TIMEOUT


@dataclass(frozen=True)
class DynamicCase(Generic[X, C]):
    """Everything the checks need to know about one dynamic source.

    Attributes:
        adapter: Reaches the upstream (see `common.Adapter`).
        make_source: Builds the source under test over a `connect` returned by
            the adapter, with the given options.
        example: The example module, run as `python -m bytewax.run
            <example>:flow`, e.g. `examples.events`.
        root: The project's root: examples run from there.
        budget: Every wall-clock limit (see `common.Budget`).
        is_async: The source runs an async client on its own event loop.
        full_batches: The client returns `batch_size` records whenever that
            many are ready (False for clients that may return fewer).
    """

    adapter: Adapter[Any, X, C]
    make_source: Callable[[C, Options], DynamicSource[X]]
    example: str
    root: Path = field(default_factory=Path.cwd)
    budget: Budget = field(default_factory=Budget)
    is_async: bool = False
    full_batches: bool = True


@runtime_checkable
class HasLoop(Protocol):
    """A partition that runs an async client on its own event loop."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...


# --- One check's upstream, clients and clock --------------------------------


@dataclass
class _Part(Generic[X]):
    """A worker's partition driven by hand, with its source's options."""

    inner: StatelessSourcePartition[X]
    worker: int
    workers: int
    options: Options

    @property
    def name(self) -> str:
        return f"worker {self.worker} of {self.workers}"


@dataclass(kw_only=True)
class _Check(Harness, Generic[X, C]):
    case: DynamicCase[X, C]
    plan: Plan
    upstream: Any
    records: dict[str, list[X]] = field(default_factory=dict)
    rounds: Iterator[int] = field(default_factory=itertools.count)

    @property
    def adapter(self) -> Adapter[Any, X, C]:
        return self.case.adapter

    def source(self, options: Options | None = None) -> DynamicSource[X]:
        connect = self.ledger.wrap(self.adapter.connect(self.upstream))
        return self.case.make_source(connect, options or Options())

    def key(self, record: X) -> Hashable:
        return self.adapter.key(record)

    def keys(self, records: Sequence[X]) -> list[Hashable]:
        return [self.key(record) for record in records]

    def shards(self) -> list[str]:
        shards = list(self.adapter.partitions(self.upstream))
        assert len(shards) >= 3, f"the adapter's upstream has shards {shards}"
        return shards

    def publish(self, per_shard: int) -> list[X]:
        """Append `per_shard` records to every shard the plan does not leave idle."""
        label = next(self.rounds)
        added: list[X] = []
        for shard in self.shards():
            if shard in self.plan.idle:
                continue
            values = self.plan.values(shard, per_shard, f"r{label}")
            records = self.adapter.append(self.upstream, shard, values)
            self.records.setdefault(shard, []).extend(records)
            added += records
        return added

    def total(self) -> int:
        return sum(len(records) for records in self.records.values())

    def build(
        self,
        source: DynamicSource[X],
        worker: int = 0,
        workers: int = 1,
        options: Options | None = None,
    ) -> _Part[X]:
        inner = self.op(
            f"build(worker {worker} of {workers})",
            lambda: source.build(STEP_ID, worker, workers),
            (STEP_ID, f"worker {worker}"),
        )
        self.built.append(inner.close)
        return _Part(inner, worker, workers, options or Options())

    def next_batch(self, part: _Part[X]) -> list[X]:
        allowance = part.options.timeout.total_seconds() if self.case.is_async else 0.0

        def timed() -> list[X]:
            _, client = self.ledger.here()
            start = time.perf_counter()
            batch = list(part.inner.next_batch())
            total = time.perf_counter() - start
            _, client_after = self.ledger.here()
            kind = "busy" if batch else "idle"
            self.stats.add(kind, total, client_after - client, allowance)
            return batch

        return self.op(
            f"next_batch() of {part.name}", timed, (STEP_ID, f"worker {part.worker}")
        )

    def next_awake(self, part: _Part[X]) -> datetime | None:
        return self.op(f"next_awake() of {part.name}", part.inner.next_awake)

    def close(self, part: _Part[X], what: str = "close()") -> None:
        self.op(f"{what} of {part.name}", part.inner.close)

    def reading(self, part: _Part[X]) -> Reading:
        return Reading(
            what=part.name,
            batch_size=part.options.batch_size,
            poll_interval=part.options.poll_interval,
            full=self.case.full_batches,
        )

    def read(self, part: _Part[X], count: int) -> list[X]:
        """Read `count` items by hand (see `common.read_by_hand`)."""
        return read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            self.reading(part),
            self.case.budget,
            count=count,
        )

    def drain_to_end(self, part: _Part[X]) -> list[X]:
        """Read by hand until `StopIteration` (an upstream that ended)."""
        reading = self.reading(part)
        return read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            replace(reading, what=f"{reading.what} of an upstream that ended"),
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
    case: DynamicCase[X, C], plan: Plan | None = None
) -> Iterator[_Check[X, C]]:
    """Open a fresh upstream for `plan`; on the way out, account for everything."""
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
        check.stats.assert_within(
            case.budget, what="next_batch()", client=not case.is_async
        )


# --- Spying on a source in dataflows ----------------------------------------


@dataclass
class Call(Generic[X]):
    """One `next_batch` call seen by the spy."""

    worker: int
    at: float
    items: list[X]


@dataclass
class SpyLog(Generic[X]):
    """What the spy saw, over all workers of one run."""

    builds: list[tuple[int, int]] = field(default_factory=list)
    calls: list[Call[X]] = field(default_factory=list)
    eofs: list[int] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def items_of(self, worker: int) -> list[X]:
        """Return every item `worker` emitted, in order."""
        calls = [call for call in self.calls if call.worker == worker]
        return [item for call in calls for item in call.items]

    def emitted(self) -> int:
        """Return how many items all workers emitted."""
        return sum(len(call.items) for call in self.calls)


class SpySource(DynamicSource[X]):
    """Wraps a dynamic source, records what its partitions do, and stops them.

    Args:
        inner: The source under test.
        expected: Stop every worker once this many items are out in total.
        quiet: Stop a worker after this many empty calls in a row (only when
            all its data was in the upstream before the run).
    """

    def __init__(
        self,
        inner: DynamicSource[X],
        *,
        expected: int | None = None,
        quiet: int | None = None,
    ) -> None:
        self.inner = inner
        self.expected = expected
        self.quiet = quiet
        self.log: SpyLog[X] = SpyLog()

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> _SpyPartition[X]:
        with self.log.lock:
            self.log.builds.append((worker_index, worker_count))
        part = self.inner.build(step_id, worker_index, worker_count)
        return _SpyPartition(self, part, worker_index)


class _SpyPartition(StatelessSourcePartition[X]):
    def __init__(
        self, spy: SpySource[X], inner: StatelessSourcePartition[X], worker: int
    ) -> None:
        self._spy = spy
        self._inner = inner
        self._worker = worker
        self._empty_in_a_row = 0

    def _stop_now(self) -> bool:
        spy = self._spy
        if spy.quiet is not None and self._empty_in_a_row >= spy.quiet:
            return True
        with spy.log.lock:
            return spy.expected is not None and spy.log.emitted() >= spy.expected

    def next_batch(self) -> list[X]:
        now = time.monotonic()
        if self._stop_now():
            raise StopIteration
        try:
            with in_call():
                items = list(self._inner.next_batch())
        except StopIteration:
            with self._spy.log.lock:
                self._spy.log.eofs.append(self._worker)
            raise
        self._empty_in_a_row = 0 if items else self._empty_in_a_row + 1
        with self._spy.log.lock:
            self._spy.log.calls.append(Call(self._worker, now, items))
        return items

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def close(self) -> None:
        with self._spy.log.lock:
            self._spy.log.closes.append(self._worker)
        self._inner.close()


def _run_publishing_later(
    spy: SpySource[X],
    budget: Budget,
    workers: int,
    then: Callable[[], object],
    *,
    idle_calls: int,
) -> list[X]:
    """Run `spy`; once every worker made `idle_calls` empty calls, call `then`."""

    def ready() -> bool:
        with spy.log.lock:
            calls = list(spy.log.calls)
        return all(
            sum(1 for c in calls if c.worker == worker and not c.items) >= idle_calls
            for worker in range(workers)
        )

    def publish() -> None:
        if wait_for(ready, budget.flow):
            then()

    publisher = threading.Thread(target=publish, name=f"{THREAD_PREFIX}-publish")
    publisher.start()
    try:
        return collect(spy, budget, workers=workers)
    finally:
        publisher.join()


# --- Driven by hand ---------------------------------------------------------


def check_reads_by_hand(case: DynamicCase[X, C]) -> None:
    """One worker reads everything, in order per shard, whatever the upstream does.

    Under every plan and with batch sizes 1 and 3: a backlog of more than
    two batches per shard comes in full batches, the partition asks to be
    called again at once after a batch and one poll interval after an empty
    one, returns empty batches once it has read everything (it does not end
    while the upstream has not), then reads records published afterwards.
    """

    def run(plan: Plan) -> None:
        for size in BATCH_SIZES:
            with _checking(case, plan) as check:
                options = Options(batch_size=size)
                part = check.build(check.source(options), options=options)
                first = check.publish(2 * size + 1)
                got = check.read(part, len(first))
                later = check.publish(1)
                got += check.read(part, len(later))
                check.close(part)
                assert_each_once_in_order(got, check.records, check.key)
                check.assert_released("close()")

    planned(run)


def _read_shares(check: _Check[X, C], parts: Sequence[_Part[X]]) -> dict[int, list[X]]:
    """Call every worker in turn until together they returned every record."""
    got: dict[int, list[X]] = {part.worker: [] for part in parts}
    total = check.total()
    last_record = time.monotonic()
    while sum(len(items) for items in got.values()) < total:
        quiet = time.monotonic() - last_record
        assert quiet < check.case.budget.quiet.total_seconds(), (
            f"the workers read {sum(len(i) for i in got.values())} of {total} "
            f"records, then nothing for {quiet:.1f} s: are some shards in no "
            "worker's share?"
        )
        progress = False
        for part in parts:
            batch = check.next_batch(part)
            assert len(batch) <= part.options.batch_size
            got[part.worker] += batch
            progress = progress or bool(batch)
        if progress:
            last_record = time.monotonic()
        else:
            time.sleep(0.001)
    for part in parts:
        extra = check.next_batch(part)
        assert extra == [], f"{part.name} read more than was stored: {extra}"
    return got


def _assert_shares(check: _Check[X, C], got: dict[int, list[X]], what: str) -> None:
    shares = {worker: set(check.keys(items)) for worker, items in got.items()}
    for i, j in itertools.combinations(sorted(shares), 2):
        both = shares[i] & shares[j]
        example = sorted(map(str, both))[:3]
        assert not both, f"{what}: workers {i} and {j} both read {example}"
    output = [item for items in got.values() for item in items]
    assert_each_once_in_order(output, check.records, check.key)


def check_shares_disjoint_and_complete(case: DynamicCase[X, C]) -> None:
    """Driven by hand, 2 and 3 workers read disjoint shares that cover everything.

    Under every plan: every record is read by one worker only, once, and
    each shard's records keep their order.
    """

    def run(plan: Plan) -> None:
        for workers in (2, 3):
            with _checking(case, plan) as check:
                check.publish(4)
                source = check.source()
                parts = [check.build(source, w, workers) for w in range(workers)]
                got = _read_shares(check, parts)
                for part in parts:
                    check.close(part)
                _assert_shares(check, got, f"{workers} workers")
                check.assert_released("close() of every worker")

    planned(run)


def check_end_of_data(case: DynamicCase[X, C]) -> None:
    """When the upstream ends, each worker ends after its share, not before.

    Under every plan (transient empty reads must not end a worker), with 2
    workers: each reads its share and then raises `StopIteration`; over an
    upstream that ended empty, at once. Needs an adapter that can end its
    upstream (`Adapter.finish`).
    """

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            check.publish(3)
            assert case.adapter.finish(check.upstream), (
                "the adapter cannot end its upstream: leave this check out"
            )
            source = check.source()
            parts = [check.build(source, w, 2) for w in range(2)]
            got = {part.worker: check.drain_to_end(part) for part in parts}
            for part in parts:
                check.close(part)
            _assert_shares(check, got, "2 workers to the end")
            check.assert_released("the end of the upstream")

    planned(run)


def check_idle(case: DynamicCase[X, C]) -> None:
    """An idle partition returns `[]` soon, asks for a poll interval, keeps quiet.

    Driven by hand over an empty upstream, `SAMPLES` calls per worker of 2:
    `next_batch` returns nothing, spending little time in its own code (an
    async one may run its loop for `Options.timeout`) and its client's (see
    `Budget`); `next_awake` is aware UTC, one poll interval after each call,
    the same when asked twice; nothing is logged at WARNING or above, and not
    a record per call. While idle (in its calls, which an async source spends
    waiting for its client, and between them) the process keeps the CPU
    mostly free (see `IdleCpu`).
    """
    cpu = IdleCpu()
    with _checking(case) as check:
        source = check.source()
        with capture_logs() as logs:
            for worker in range(2):
                part = check.build(source, worker, 2)
                logs.clear()
                for _ in range(SAMPLES):
                    before = datetime.now(timezone.utc)
                    with cpu.measure("in next_batch()"):
                        batch = check.next_batch(part)
                    assert batch == []
                    after = datetime.now(timezone.utc)
                    moment = assert_aware_utc(
                        check.next_awake(part),
                        not_before=before + HAND_POLL,
                        not_after=after + HAND_POLL,
                    )
                    assert check.next_awake(part) == moment, "asked twice"
                    with cpu.measure("between calls"):
                        time.sleep(IDLE_PAUSE.total_seconds())
                assert_quiet(logs, what=part.name, calls=SAMPLES)
                check.close(part)
        check.assert_released("close()")
    cpu.assert_idle("an idle worker")


def loop_of(part: object) -> asyncio.AbstractEventLoop:
    """Return the event loop of an async partition (its `loop` property)."""
    assert isinstance(part, HasLoop), f"{type(part).__name__} has no `loop`"
    return part.loop


class _AsyncioErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def check_close_twice(case: DynamicCase[X, C]) -> None:
    """`close()` closes the client once, however often it is called.

    Covers a partition that is idle (for async clients, with a read pending),
    one closed while records are still waiting, and, when the adapter can end
    its upstream, one that reached the end. An async partition's `close()`
    also closes its event loop, leaving no task unfinished and no error
    logged by asyncio (such as "Task was destroyed but it is pending").
    """
    errors = _AsyncioErrors()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(errors)
    try:
        with _checking(case) as check:
            idle = check.build(check.source())
            assert check.next_batch(idle) == []
            pending: set[asyncio.Task[object]] = set()
            if case.is_async:
                pending = asyncio.all_tasks(loop_of(idle.inner))
                assert pending, "the interrupted read is pending"
            parts = [idle]
            check.publish(4)
            busy = check.build(check.source())
            assert len(check.next_batch(busy)) > 0
            parts.append(busy)
            if case.adapter.finish(check.upstream):
                done = check.build(check.source())
                check.drain_to_end(done)
                parts.append(done)
            for part in parts:
                check.close(part)
                check.close(part, "second close()")
                if case.is_async:
                    loop = loop_of(part.inner)
                    assert loop.is_closed(), "close() left the event loop open"
                    assert not asyncio.all_tasks(loop), "close() left a task unfinished"
            for task in pending:
                # A read left pending and not cancelled runs on when close()
                # runs the loop: what it reads then is lost, or it fails with
                # an error no one retrieves.
                assert task.cancelled(), (
                    f"close() did not cancel the read in flight: {task!r}"
                )
            check.assert_released("close() twice")
            del idle, busy, parts
            gc.collect()
    finally:
        asyncio_logger.removeHandler(errors)
    assert errors.messages == [], errors.messages


def _scenario(check: _Check[X, C]) -> None:
    """Everything a source does by hand, to fail each of its client calls in turn."""
    options = Options(batch_size=2)
    source = check.source(options)
    parts: list[_Part[X]] = []
    try:
        for worker in range(2):
            part = check.build(source, worker, 2, options)
            parts.append(part)
            check.drain_to_end(part)
    finally:
        _close_all(check, parts)


def _close_all(check: _Check[X, C], parts: Sequence[_Part[X]]) -> None:
    """Close every partition, whatever fails."""
    for part in parts:
        error_of(partial(check.close, part))


def check_errors_surface(case: DynamicCase[X, C]) -> int:
    """A failing client call fails the call that made it, with its cause; nothing leaks.

    Runs a whole life (build 2 workers, read to the end, close) once per
    client call, `connect` included, making that call fail, in turn, with a
    plain error, a lost connection and a timeout. Each failure must surface
    from the very call of the source that made it: raised, not swallowed or
    turned into an empty batch; with the client's error as its explicit
    cause; naming the step and the worker; and not also logged at ERROR.
    Afterwards every client is closed (an async partition's loop too),
    whichever call failed. A failure planned inside the upstream itself
    (`Plan.fail_at`) must surface the same way. A client whose close fails
    makes `close()` raise or log it (WARNING or above), and still closes the
    loop; a shard deleted while a worker reads it (`Adapter.remove`) fails
    that worker within a few calls, not reads nothing. Needs
    `Adapter.finish`.

    Returns:
        The number of client calls failed.
    """

    def prepare(check: _Check[X, C]) -> None:
        check.publish(3)
        assert case.adapter.finish(check.upstream), (
            "the adapter cannot end its upstream: leave this check out"
        )

    with _checking(case) as check:
        prepare(check)
        _scenario(check)
        total = check.ledger.calls
    with accounted("every failing call"):
        for number in range(total):
            kind = INJECTED_KINDS[number % len(INJECTED_KINDS)]
            with _checking(case) as check:
                prepare(check)
                check.ledger.fail_call(after=number, error=partial(kind, "injected"))
                error = error_of(partial(_scenario, check))
                assert check.ledger.injected, f"client call {number} never came"
                origin = check.ledger.injected[0]
                check.assert_surfaced(error, origin, f"client call {number}")
                check.assert_released(f"client call {number} failed")
        for at in (0, 2) if case.adapter.misbehaves else ():
            with _checking(case, replace(plan_for(0), fail_at=at)) as check:
                prepare(check)
                error = error_of(partial(_scenario, check))
                fault = planned_fault(error, f"the upstream's call {at}")
                check.assert_surfaced(error, fault, f"upstream call {at}")
                check.assert_released(f"upstream call {at} failed")
        with _checking(case) as check:
            check.publish(2)
            part = check.build(check.source(), 1, 2)
            check.next_batch(part)
            what = f"close() of {part.name}"
            assert_close_failure_seen(check, what, part.inner.close, "worker 1")
            if case.is_async:
                assert loop_of(part.inner).is_closed(), (
                    f"{what}: the client's close failed, and the event loop was "
                    "left open"
                )
            check.assert_released("a client close that failed")
        _check_removed_shard(case)
    return total


def _check_removed_shard(case: DynamicCase[X, C]) -> None:
    """A shard deleted while a worker reads it fails the worker (`Adapter.remove`)."""
    with _checking(case) as check:
        check.publish(2)
        options = Options(batch_size=100)
        part = check.build(check.source(options), options=options)
        check.read(part, check.total())
        shard = next(s for s in check.shards() if s not in check.plan.idle)
        if not case.adapter.remove(check.upstream, shard):
            check.close(part)
            return
        error = first_error(
            partial(check.next_batch, part), partial(check.next_awake, part)
        )
        error_of(partial(check.close, part))
        what = f"{part.name}, reading shard {shard!r} after it was deleted,"
        assert_missing_fails(error, what, (STEP_ID, "worker 0"))
        check.assert_released("reading a deleted shard")


def check_client_timeout(case: DynamicCase[X, C]) -> None:
    """The client timeout reaches the client, in full, and ends a stalled call.

    Every `connect` gets the `client_timeout` the source was built with (as
    a `timedelta`, or in seconds: `.seconds` truncates it). An upstream call
    that never answers (`Plan.stall_at`: connecting, then a read) must fail
    the source's call once the timeout is up, with a `TimeoutError` among its
    causes, and leave no client or event loop open. An async source gives up
    a `connect` that ignores its timeout (its own `asyncio.wait_for`), and
    still builds over one that is slow but within it.
    """
    with _checking(case) as check:
        check.publish(2)
        part = check.build(check.source())
        check.read(part, check.total())
        check.close(part)
        check.ledger.assert_timeout_passed(CLIENT_TIMEOUT, "every connect")
    options = Options(client_timeout=STALL_TIMEOUT)
    for at in (0, 1) if case.adapter.misbehaves else ():
        with _checking(case, replace(plan_for(0), stall_at=at)) as check:
            check.publish(2)
            source = check.source(options)
            error = error_of(partial(_stall, check, source, options))
            assert error is not None, f"a stalled upstream call ({at}) went unnoticed"
            assert caused_by(error, TIMEOUTS), (
                f"a stalled upstream call (call {at}) ended with {error!r}, not "
                "with a TimeoutError among its causes"
            )
            check.assert_released(f"a stalled call {at}")
    if case.is_async:
        with _checking(case) as check:
            check.ledger.hang_connect(SLOW_CONNECT)
            slow = Options(client_timeout=SLOW_CONNECT_TIMEOUT)
            part = check.build(check.source(slow), options=slow)
            check.close(part)
        with _checking(case) as check:
            check.ledger.hang_connect(HUNG_CONNECT)
            source = check.source(options)
            started = time.monotonic()
            error = error_of(partial(check.build, source, options=options))
            took = time.monotonic() - started
            assert error is not None, "a connect that never answered did not fail"
            assert caused_by(error, TIMEOUTS), (
                f"a connect that never answered ended with {error!r}, not with a "
                "TimeoutError among its causes"
            )
            assert took < HUNG_CONNECT.total_seconds(), took
            check.assert_released("a connect that never answered")


def _stall(check: _Check[X, C], source: DynamicSource[X], options: Options) -> None:
    parts: list[_Part[X]] = []
    try:
        part = check.build(source, options=options)
        parts.append(part)
        deadline = time.monotonic() + 20 * STALL_TIMEOUT.total_seconds()
        while time.monotonic() < deadline:
            check.next_batch(part)
    finally:
        _close_all(check, parts)


def check_waits_within_timeout(case: DynamicCase[X, C]) -> None:
    """An async source returns records its client delivers within the timeout.

    Every call of the upstream is slowed to `Plan.slow`, well within the
    loop timeout the source is built with: while records wait, `next_batch`
    returns some in nearly every call. One that gives up at once (a timeout
    converted with `.seconds`) returns nothing in most calls. A few empty
    calls are allowed: a machine that stalls the process past the timeout
    makes one.
    """
    if not case.is_async:
        return
    plan = replace(plan_for(0), slow_calls=1.0, slow=timedelta(milliseconds=5))
    options = Options(timeout=SLOW_LOOP_TIMEOUT)
    with _checking(case, plan) as check:
        check.publish(4)
        part = check.build(check.source(options), options=options)
        got: list[X] = []
        empty = 0
        batches = 0
        while len(got) < check.total():
            batch = check.next_batch(part)
            got += batch
            batches += 1 if batch else 0
            empty += 0 if batch else 1
            assert empty <= batches + 3, (
                f"next_batch() returned nothing {empty} times while reading "
                f"{len(got)} of {check.total()} records, although the client "
                f"delivers within {plan.slow}, inside the {options.timeout} "
                "timeout: does the source give up on the client at once?"
            )
        check.close(part)
        check.assert_released("close()")


def check_memory_is_flat(case: DynamicCase[X, C]) -> int:
    """Reading a long backlog keeps no memory per record.

    See `common.assert_memory_flat`.

    Returns:
        The bytes that stayed allocated.
    """
    with _checking(case) as check:
        shards = [s for s in check.shards() if s not in check.plan.idle]
        per_shard = 2 * MEMORY_ITEMS // len(shards) + 1
        check.publish(per_shard)
        options = Options(batch_size=100)
        part = check.build(check.source(options), options=options)

        def read_half() -> None:
            left = MEMORY_ITEMS
            while left > 0:
                left -= len(list(part.inner.next_batch()))

        def half() -> None:
            check.caller.call("reading", partial(call_inside, read_half))

        grown = assert_memory_flat(half, half, what=part.name)
        check.close(part)
        check.assert_released("a long read")
    return grown


def check_logs_name_the_worker(case: DynamicCase[X, C]) -> None:
    """Connecting and the end of the upstream are logged, naming step and worker."""
    with _checking(case) as check, capture_logs() as logs:
        part = check.build(check.source(), 1, 2)
        worker = "worker 1"
        assert_logged(logs, STEP_ID, worker, what="build")
        if case.adapter.finish(check.upstream):
            logs.clear()
            check.drain_to_end(part)
            assert_logged(logs, STEP_ID, worker, what="the end of the upstream")
        check.close(part)
        check.assert_released("close()")


# --- In dataflows -----------------------------------------------------------


def check_disjoint_and_complete(case: DynamicCase[X, C], workers: int = 3) -> None:
    """In a dataflow, workers read everything once, under an awkward upstream.

    The upstream has transient empty reads, repeated values and an idle shard
    (plan 1). Every shard's records keep their order, each worker is built
    once, and every client is closed by the end of the run.
    """
    with _checking(case, plan_for(1)) as check:
        check.publish(4)
        options = Options(poll_interval=FLOW_POLL)
        spy = SpySource(check.source(options), expected=check.total(), quiet=30)
        output = collect(spy, case.budget, workers=workers)
        builds = sorted(spy.log.builds)
        assert builds == [(i, workers) for i in range(workers)], builds
        got = {w: spy.log.items_of(w) for w in range(workers)}
        _assert_shares(check, got, f"{workers} workers")
        assert_each_once_in_order(output, check.records, check.key)
        check.assert_released("the run")


def check_live_dataflow(case: DynamicCase[X, C], workers: int = 2) -> None:
    """In a dataflow, idle workers wait a poll interval, and wake up for records.

    Every worker polls an empty upstream, then records are published from
    another thread; the run ends once all of them are out (the source itself
    need not end). While idle, no worker was polled more often than its poll
    interval allows (an empty batch that asks to be called at once spins).
    """
    with _checking(case) as check:
        shards = [s for s in check.shards() if s not in check.plan.idle]
        options = Options(poll_interval=FLOW_POLL)
        spy = SpySource(check.source(options), expected=2 * len(shards))
        period = FLOW_POLL + (options.timeout if case.is_async else timedelta(0))
        output = _run_publishing_later(
            spy, case.budget, workers, lambda: check.publish(2), idle_calls=4
        )
        assert_each_once_in_order(output, check.records, check.key)
        for worker in range(workers):
            idle = [c.at for c in spy.log.calls if c.worker == worker and not c.items]
            assert_poll_rate(len(idle), idle[-1] - idle[0], period)
        check.assert_released("the run")


def check_end_of_data_ends_the_flow(case: DynamicCase[X, C], workers: int = 2) -> None:
    """In a dataflow, when the upstream ends, every worker ends and closes its client.

    Needs an adapter that can end its upstream (`Adapter.finish`).
    """
    with _checking(case) as check:
        check.publish(2)
        options = Options(poll_interval=FLOW_POLL)
        spy = SpySource(check.source(options))

        def publish_and_finish() -> None:
            check.publish(1)
            assert case.adapter.finish(check.upstream), (
                "the adapter cannot end its upstream: leave this check out"
            )

        output = _run_publishing_later(
            spy, case.budget, workers, publish_and_finish, idle_calls=1
        )
        assert_each_once_in_order(output, check.records, check.key)
        assert sorted(spy.log.eofs) == list(range(workers)), "every worker ends"
        assert sorted(spy.log.closes) == list(range(workers)), "each is closed"
        check.assert_released("the run")


# --- The example, as processes ----------------------------------------------


def probe_shares(
    adapter: Sequence[str], make_source: Sequence[str], workers: int
) -> dict[str, list[str]]:
    """What each of `workers` workers reads in this process, for the cluster check.

    Builds the adapter (its class, called without arguments) and the source
    the case would, over an ended upstream of `PROBE_NAMES`, two records a
    shard; reads every worker's share to the end. Returns each worker's
    record keys (as `str`), by worker index; nothing without a locatable
    adapter and `make_source`, or an upstream that cannot end.
    """
    if not (adapter and make_source):
        return {}
    made = cast(Adapter[Any, Any, Any], cast(Callable[[], object], resolve(*adapter))())
    build = cast(Callable[[object, Options], DynamicSource[Any]], resolve(*make_source))
    upstream = made.open(replace(plan_for(0), names=PROBE_NAMES, idle=frozenset()))
    try:
        for shard in made.partitions(upstream):
            made.append(upstream, shard, [f"{shard} #0", f"{shard} #1"])
        if not made.finish(upstream):
            return {}
        source = build(made.connect(upstream), Options())
        shares: dict[str, list[str]] = {}
        for worker in range(workers):
            part = source.build(STEP_ID, worker, workers)
            keys: list[str] = []
            deadline = time.monotonic() + 10
            try:
                while time.monotonic() < deadline:
                    keys += [str(made.key(r)) for r in part.next_batch()]
            except StopIteration:
                pass
            finally:
                part.close()
            shares[str(worker)] = keys
        return shares
    finally:
        made.close(upstream)


def check_example_cluster(case: DynamicCase[X, C], processes: int = 2) -> None:
    """The example as a cluster of processes prints every record once, in order.

    `python -m bytewax.run <example>:flow -i K -a ...`, one worker per
    process, on ports found free, each process with its own
    `PYTHONHASHSEED`: the workers' shares are disjoint and complete however
    `hash()` falls in each process. Each process also reports the share of
    every worker over an upstream of 16 shards: worker K's share as computed
    in process K must fit with the others' (a share drawn from `hash()` of a
    string does not).
    """
    run = case.adapter.example()
    lines = {
        shard: [str(record) for record in records]
        for shard, records in run.records.items()
    }
    adapter = locate(type(case.adapter)) or ()
    make_source = locate(case.make_source) or ()
    probe = probe_code(probe_shares, adapter, make_source, processes)
    try:
        cluster = run_cluster(
            case.root,
            f"{case.example}:flow",
            budget=case.budget,
            processes=processes,
            env=run.env,
            probe=probe,
        )
    finally:
        if run.upstream is not None:
            case.adapter.close(run.upstream)
    assert_printed_once_in_order(cluster.stdouts, lines)
    shares = [cast(dict[str, list[str]], probe) for probe in cluster.probes]
    if all(shares):
        mixed = {index: shares[index][str(index)] for index in range(processes)}
        everything = sorted(key for keys in shares[0].values() for key in keys)
        combined = sorted(key for keys in mixed.values() for key in keys)
        assert combined == everything, (
            "worker shares computed in processes with different PYTHONHASHSEED "
            "overlap or leave records out: keep the assignment independent of "
            f"hash(). Per process: {mixed}"
        )
