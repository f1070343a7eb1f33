"""Contract checks for dynamic (stateless) Bytewax sources (`DynamicSource`).

A test module describes its source once with a `DynamicCase`: an `Adapter`
to its upstream (see `common`; its partitions are the upstream's shards), a
function that builds the source over a `connect`, and the settings it was
built with. It then calls the `check_*` functions below, one test each.

Every check opens a fresh upstream through the adapter and seeds it itself.
Sources need not end: a dataflow check stops every worker once all the
records it expects are out, and stops a worker that has read nothing for
`QUIET_POLLS` calls in a row when all its data was there from the start.
Every call the checks make has a deadline, every `next_batch` is timed (see
`CallBudget`), and the clients are counted through `ClientLedger`.

Async partitions must expose their event loop as a `loop` property, so that
the checks can see it closed.
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Generic, Protocol, TypeVar, runtime_checkable

from bytewax.inputs import DynamicSource, StatelessSourcePartition

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
    run_module,
    timed_next_batch,
    wait_until,
)

U = TypeVar("U")
X = TypeVar("X")
C = TypeVar("C")

STEP_ID = "contract_step"
"""The `step_id` passed to `build` when a check drives a partition by hand."""

QUIET_POLLS = 10
"""Empty calls in a row after which a worker whose data was all seeded before
the run is taken to have read its whole share."""

IDLE_WINDOW = timedelta(seconds=1)
"""How long the idle-polling check watches idle partitions."""

BACKLOG_BATCHES = 12
"""Full batches waiting for the only worker in the backlog check."""


@dataclass(frozen=True)
class DynamicCase(Generic[U, X, C]):
    """Everything the checks need to know about one dynamic source.

    Attributes:
        adapter: Reaches the upstream (see `common.Adapter`).
        make_source: Builds the source under test over a `connect` returned by
            the adapter.
        poll_interval: The poll interval `make_source` builds with.
        batch_size: The batch size `make_source` builds with.
        example: The example module, run as `python -m bytewax.run
            <example>:flow`, e.g. `examples.events`.
        timeout: For async clients, the longest one `next_batch` call waits
            for the client; None for sync clients (they never wait).
        budget: How long `next_batch` calls may take.
    """

    adapter: Adapter[U, X, C]
    make_source: Callable[[C], DynamicSource[X]]
    poll_interval: timedelta
    batch_size: int
    example: str
    timeout: timedelta | None = None
    budget: CallBudget = field(default_factory=CallBudget)

    @property
    def idle_period(self) -> timedelta:
        """Expected time between two `next_batch` calls of an idle partition."""
        return self.poll_interval + (self.timeout or timedelta(0))


@runtime_checkable
class HasLoop(Protocol):
    """A partition that runs an async client on its own event loop."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...


# --- One check's upstream, clients and clock --------------------------------


@dataclass
class _Check(Generic[U, X, C]):
    case: DynamicCase[U, X, C]
    upstream: U
    ledger: ClientLedger
    times: CallTimes
    caller: Caller
    records: dict[str, list[X]] = field(default_factory=dict)
    rounds: Iterator[int] = field(default_factory=itertools.count)

    def source(self) -> DynamicSource[X]:
        connect = self.ledger.wrap(self.case.adapter.connect(self.upstream))
        return self.case.make_source(connect)

    def key(self, record: X) -> Hashable:
        return self.case.adapter.key(record)

    def keys(self, records: Sequence[X]) -> list[Hashable]:
        return [self.key(record) for record in records]

    def shards(self) -> list[str]:
        shards = list(self.case.adapter.partitions(self.upstream))
        assert len(shards) >= 3, f"the adapter's upstream has shards {shards}"
        return shards

    def publish(self, per_shard: int) -> list[X]:
        """Append `per_shard` records to every shard; return them all."""
        label = next(self.rounds)
        added: list[X] = []
        for shard in self.shards():
            values = [f"{shard} {label} #{index}" for index in range(per_shard)]
            records = self.case.adapter.append(self.upstream, shard, values)
            self.records.setdefault(shard, []).extend(records)
            added += records
        return added

    def total(self) -> int:
        return sum(len(records) for records in self.records.values())

    def build(
        self, source: DynamicSource[X], worker: int = 0, workers: int = 1
    ) -> StatelessSourcePartition[X]:
        return self.caller.call(
            f"build(worker {worker} of {workers})",
            lambda: source.build(STEP_ID, worker, workers),
        )

    def next_batch(self, part: StatelessSourcePartition[X]) -> list[X]:
        batch = self.caller.call(
            "next_batch()", lambda: timed_next_batch(part.next_batch, self.times)
        )
        size = self.case.batch_size
        assert len(batch) <= size, f"a batch of {len(batch)}, batch size is {size}"
        return batch

    def next_awake(self, part: StatelessSourcePartition[X]) -> datetime | None:
        return self.caller.call("next_awake()", part.next_awake)

    def close(self, part: StatelessSourcePartition[X], what: str = "close()") -> None:
        self.caller.call(what, part.close)

    def read(self, part: StatelessSourcePartition[X], count: int) -> list[X]:
        """Read `count` items by hand (see `common.read_by_hand`)."""
        return read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            what="the partition",
            count=count,
        )

    def drain_to_end(self, part: StatelessSourcePartition[X]) -> list[X]:
        """Read by hand until `StopIteration` (an upstream that ended)."""
        return read_by_hand(
            lambda: self.next_batch(part),
            lambda: self.next_awake(part),
            what="the partition of an upstream that ended",
            count=None,
        )


@contextmanager
def _checking(case: DynamicCase[U, X, C]) -> Iterator[_Check[U, X, C]]:
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
        times: Where each `next_batch` call's duration goes.
        expected: Stop every worker once this many items are out in total.
        quiet: Stop a worker after this many empty calls in a row (only when
            all its data was in the upstream before the run).
        idle_window: Stop each worker at its first call this long after its
            first call.
    """

    def __init__(
        self,
        inner: DynamicSource[X],
        times: CallTimes,
        *,
        expected: int | None = None,
        quiet: int | None = None,
        idle_window: timedelta | None = None,
    ) -> None:
        self.inner = inner
        self.times = times
        self.expected = expected
        self.quiet = quiet
        self.idle_window = idle_window
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
        self._started: float | None = None
        self._empty_in_a_row = 0

    def _stop_now(self, now: float) -> bool:
        spy = self._spy
        window = spy.idle_window
        started = self._started or now
        if window is not None and now - started >= window.total_seconds():
            return True
        if spy.quiet is not None and self._empty_in_a_row >= spy.quiet:
            return True
        with spy.log.lock:
            return spy.expected is not None and spy.log.emitted() >= spy.expected

    def next_batch(self) -> list[X]:
        now = time.monotonic()
        self._started = self._started or now
        if self._stop_now(now):
            raise StopIteration
        try:
            items = timed_next_batch(self._inner.next_batch, self._spy.times)
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


def _run(spy: SpySource[X], workers: int) -> list[X]:
    return collect(spy, workers=workers)


def _run_publishing_later(
    spy: SpySource[X],
    workers: int,
    delay: timedelta,
    then: Callable[[], object],
) -> list[X]:
    """Run `spy` while a timer calls `then` after `delay`."""
    timer = threading.Timer(delay.total_seconds(), then)
    timer.start()
    try:
        return _run(spy, workers)
    finally:
        timer.cancel()
        timer.join()


# --- The checks -------------------------------------------------------------


def check_disjoint_and_complete(case: DynamicCase[U, X, C], workers: int) -> None:
    """Each worker reads its own share; together they read everything once.

    Every shard's records keep their order, each worker is built once, and
    every client is closed by the end of the run.
    """
    with _checking(case) as check:
        check.publish(case.batch_size + 1)
        spy = SpySource(
            check.source(), check.times, expected=check.total(), quiet=QUIET_POLLS
        )
        output = _run(spy, workers)
        builds = sorted(spy.log.builds)
        assert builds == [(i, workers) for i in range(workers)], builds
        shares = [set(check.keys(spy.log.items_of(w))) for w in range(workers)]
        for i, j in itertools.combinations(range(workers), 2):
            both = shares[i] & shares[j]
            example = sorted(map(str, both))[:3]
            assert not both, f"workers {i} and {j} both read {example}"
        assert_each_once_in_order(output, check.records, check.key)
        check.ledger.assert_all_closed("the run")


def check_idle_polling(case: DynamicCase[U, X, C], workers: int = 2) -> dict[int, int]:
    """An idle partition polls about once per idle period, not in a spin.

    Runs the source over an empty upstream for `IDLE_WINDOW` and counts each
    worker's calls (see `common.assert_poll_rate`; the idle period is the poll
    interval plus, for async clients, the timeout each call waits).

    Returns:
        The number of calls per worker.
    """
    with _checking(case) as check:
        spy = SpySource(check.source(), check.times, idle_window=IDLE_WINDOW)
        assert _run(spy, workers) == []
        counts: dict[int, int] = {}
        for worker in range(workers):
            calls = [call.at for call in spy.log.calls if call.worker == worker]
            counts[worker] = len(calls)
            assert len(calls) >= 2, f"worker {worker} polled {len(calls)} times"
            assert_poll_rate(len(calls), calls[-1] - calls[0], case.idle_period)
        check.ledger.assert_all_closed("the run")
    return counts


def check_next_awake_when_idle(case: DynamicCase[U, X, C]) -> None:
    """After an empty batch, `next_awake` is aware UTC, one poll interval ahead.

    Checked three times in a row, honouring `next_awake` in between; asked
    twice, it gives the same answer.
    """
    with _checking(case) as check:
        part = check.build(check.source())
        for _ in range(3):
            before = datetime.now(timezone.utc)
            assert check.next_batch(part) == []
            after = datetime.now(timezone.utc)
            moment = assert_aware_utc(
                check.next_awake(part),
                not_before=before + case.poll_interval,
                not_after=after + case.poll_interval,
            )
            assert check.next_awake(part) == moment, "asked twice, same answer"
            wait_until(moment)
        check.close(part)
        check.ledger.assert_all_closed("close()")


def check_reads_by_hand(case: DynamicCase[U, X, C]) -> None:
    """Driven by hand: batches respect the batch size, later records arrive.

    One worker reads a backlog of more than two batches, returns empty
    batches once it has read everything (it does not end while the upstream
    has not), then reads records published afterwards.
    """
    with _checking(case) as check:
        part = check.build(check.source())
        first = check.publish(case.batch_size + 1)
        got = check.read(part, len(first))
        later = check.publish(1)
        got += check.read(part, len(later))
        check.close(part)
        assert_each_once_in_order(got, check.records, check.key)
        check.ledger.assert_all_closed("close()")


def check_backlog_is_read_at_once(case: DynamicCase[U, X, C]) -> None:
    """In a dataflow, a worker with records waiting is called again at once.

    One worker, `BACKLOG_BATCHES` full batches waiting (see
    `common.assert_backlog_read_at_once`).
    """
    with _checking(case) as check:
        shards = len(check.shards())
        check.publish(-(-BACKLOG_BATCHES * case.batch_size // shards))
        spy = SpySource(
            check.source(), check.times, expected=check.total(), quiet=QUIET_POLLS
        )
        output = _run(spy, 1)
        assert_each_once_in_order(output, check.records, check.key)
        times = [call.at for call in spy.log.calls if call.items]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert_backlog_read_at_once(gaps, case.poll_interval, case.batch_size)


def check_live_dataflow(case: DynamicCase[U, X, C], workers: int = 2) -> None:
    """In a dataflow, idle workers wake up for records published later.

    Every worker polls an empty upstream, then records are published from
    another thread; the run ends once all of them are out (the source itself
    need not end), and `time.sleep` was never called inside `next_batch`.
    """
    with _checking(case) as check:
        shards = len(check.shards())
        spy = SpySource(check.source(), check.times, expected=2 * shards)
        delay = 3 * case.idle_period
        output = _run_publishing_later(spy, workers, delay, lambda: check.publish(2))
        assert_each_once_in_order(output, check.records, check.key)
        idle = {call.worker for call in spy.log.calls if not call.items}
        assert idle == set(range(workers)), f"only workers {idle} polled while idle"
        check.ledger.assert_all_closed("the run")


def check_end_of_data_ends_the_flow(
    case: DynamicCase[U, X, C], workers: int = 2
) -> None:
    """When the upstream ends, every worker ends and closes its client.

    Needs an adapter that can end its upstream (`Adapter.finish`).
    """
    with _checking(case) as check:
        check.publish(2)
        spy = SpySource(check.source(), check.times)

        def publish_and_finish() -> None:
            check.publish(1)
            assert case.adapter.finish(check.upstream), (
                "the adapter cannot end its upstream: leave this check out"
            )

        delay = 2 * case.idle_period
        output = _run_publishing_later(spy, workers, delay, publish_and_finish)
        assert_each_once_in_order(output, check.records, check.key)
        assert sorted(spy.log.eofs) == list(range(workers)), "every worker ends"
        assert sorted(spy.log.closes) == list(range(workers)), "each is closed"
        check.ledger.assert_all_closed("the run")


def check_close_twice(case: DynamicCase[U, X, C]) -> None:
    """`close()` closes the client once, however often it is called.

    Covers a partition that is idle (for async clients, with a read pending),
    one closed while records are still waiting, and, when the adapter can end
    its upstream, one that reached the end.
    """
    with _checking(case) as check:
        idle = check.build(check.source())
        assert check.next_batch(idle) == []
        check.close(idle)
        check.close(idle, "second close()")

        check.publish(case.batch_size)
        busy = check.build(check.source())
        assert len(check.next_batch(busy)) > 0
        check.close(busy)
        check.close(busy, "second close()")

        if case.adapter.finish(check.upstream):
            done = check.build(check.source())
            check.drain_to_end(done)
            check.close(done)
            check.close(done, "second close()")
        check.ledger.assert_all_closed("close() twice")


def check_logs_and_errors_name_the_worker(case: DynamicCase[U, X, C]) -> None:
    """Logs name the step and worker on connect; so does a client's failure.

    The failure surfaces from `next_batch` as an exception whose message names
    the worker, with the client's error as its cause, and is logged.
    """
    with _checking(case) as check, capture_logs() as logs:
        part = check.build(check.source(), 1, 2)
        worker = "worker 1"
        assert_logged(logs, STEP_ID, worker, what="build")
        check.ledger.fail_next_call(InjectedClientError("injected failure"))
        error = error_of(lambda: check.next_batch(part))
        assert error is not None, "next_batch swallowed the client's failure"
        chain = describe_chain(error)
        assert caused_by(error, InjectedClientError), chain
        assert worker in chain.splitlines()[0], f"the error names no worker:\n{chain}"
        assert_logged(logs, STEP_ID, worker, what="a failure")
        check.close(part)
        check.ledger.assert_all_closed("close()")


# --- Async clients ----------------------------------------------------------


def loop_of(part: object) -> asyncio.AbstractEventLoop:
    """Return the event loop of an async partition (its `loop` property)."""
    assert isinstance(part, HasLoop), f"{type(part).__name__} has no `loop`"
    return part.loop


def check_async_timeout_bound(case: DynamicCase[U, X, C]) -> float:
    """No `next_batch` waits for the client much longer than `case.timeout`.

    While the upstream is empty the client would wait forever, so each call
    must come back empty once the timeout expires. The median idle call must
    stay within the timeout plus 5 ms (asyncio's timers are precise to about
    a millisecond here); a call still blocked at the caller's deadline fails
    the check instead of hanging it.

    Returns:
        The median idle call, in seconds.
    """
    assert case.timeout is not None, "set DynamicCase.timeout for async clients"
    bound = case.timeout + timedelta(milliseconds=5)
    with _checking(case) as check:
        part = check.build(check.source())
        for _ in range(5):
            assert check.next_batch(part) == []
        check.close(part)
        median = check.times.idle_median()
        assert median is not None
        assert median <= bound.total_seconds(), (
            f"idle calls took {median * 1000:.1f} ms (median), over {bound}"
        )
    return median


class _AsyncioErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def check_async_close(case: DynamicCase[U, X, C]) -> None:
    """`close()` closes the client and the event loop, leaving no task behind.

    For an idle partition (its read pending), a busy one and one at the end
    of data (when the adapter can end its upstream): each loop is closed
    with no unfinished task, and asyncio logged no error (such as "Task was
    destroyed but it is pending").
    """
    errors = _AsyncioErrors()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(errors)
    try:
        with _checking(case) as check:
            idle = check.build(check.source())
            assert check.next_batch(idle) == []
            assert asyncio.all_tasks(loop_of(idle)), "the interrupted read is pending"
            parts = [idle]

            check.publish(case.batch_size)
            busy = check.build(check.source())
            assert len(check.next_batch(busy)) > 0
            parts.append(busy)

            if case.adapter.finish(check.upstream):
                done = check.build(check.source())
                check.drain_to_end(done)
                parts.append(done)

            for part in parts:
                check.close(part)
                loop = loop_of(part)
                assert loop.is_closed(), "close() left the event loop open"
                assert not asyncio.all_tasks(loop), "close() left a task unfinished"
            check.ledger.assert_all_closed("close()")
            del idle, busy, parts
            gc.collect()
    finally:
        asyncio_logger.removeHandler(errors)
    assert errors.messages == [], errors.messages


# --- The example ------------------------------------------------------------


def check_example(case: DynamicCase[U, X, C], workers: int = 2) -> None:
    """`python -m bytewax.run <example>:flow -w 2` prints every record once.

    Each shard's lines keep their order; shards and workers may interleave
    (see `common.split_printed`). An example that never ends is stopped once
    every line is out.
    """
    run = case.adapter.example()
    lines = {
        shard: [str(record) for record in records]
        for shard, records in run.records.items()
    }
    args = ("bytewax.run", f"{case.example}:flow", "-w", str(workers))
    stdout = run_module(*args, env=run.env, until_printed=lines)
    assert_printed_once_in_order(stdout, lines)
