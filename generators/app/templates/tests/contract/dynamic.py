"""Contract checks for dynamic (stateless) Bytewax sources.

A test module describes its source once with a `DynamicCase` (how to build a
source over finite data, what that data is, and how to build one over a live
upstream the test controls) and then calls the `check_*` functions below.
Async partitions must also expose their event loop as a `loop` property.

The checks run real dataflows with `bytewax.testing.cluster_main` and wrap the
source under test in a spy that records every `next_batch` call per worker.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Generic, Protocol, TypeVar, runtime_checkable

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import DynamicSource, StatelessSourcePartition
from bytewax.testing import TestingSink, cluster_main

from tests.contract.common import (
    assert_aware_utc,
    assert_poll_rate,
    forbid_sleep_in_next_batch,
    in_next_batch,
    run_module,
    wait_until,
)

X = TypeVar("X")
T = TypeVar("T")

CLOSE_DEADLINE = timedelta(seconds=10)
"""Longest time a check lets `close()` run before failing."""

FLOW_DEADLINE = timedelta(seconds=30)
"""Longest time a check waits for a partition to reach the end of its data."""


@dataclass
class LiveFeed(Generic[X]):
    """A source over an upstream that the test controls.

    Attributes:
        source: Source reading the upstream; its upstream starts empty.
        publish: Adds at least one record for every share of the upstream
            (so every worker of a 3-worker run gets some) and returns them.
        finish: Ends the upstream: readers stop after what was published.
        open_clients: Number of upstream clients opened and not yet closed.
    """

    source: DynamicSource[X]
    publish: Callable[[], list[X]]
    finish: Callable[[], None]
    open_clients: Callable[[], int]


@dataclass
class DynamicCase(Generic[X]):
    """Everything the checks need to know about one dynamic source.

    Attributes:
        finite: Builds a source over the finite data set.
        expected: Every item that source must emit, once each.
        live: Builds a `LiveFeed` over a fresh, empty upstream.
        poll_interval: What the sources were built with: after an empty batch,
            `next_awake` is this far ahead.
        batch_size: What the sources were built with: the most items one
            `next_batch` call may return.
        timeout: For async clients, the longest one `next_batch` call may
            wait on the client; None for sync clients (they never wait).
    """

    finite: Callable[[], DynamicSource[X]]
    expected: Sequence[X]
    live: Callable[[], LiveFeed[X]]
    poll_interval: timedelta
    batch_size: int
    timeout: timedelta | None = None

    @property
    def idle_period(self) -> timedelta:
        """Expected time between two `next_batch` calls of an idle partition."""
        return self.poll_interval + (self.timeout or timedelta(0))


@runtime_checkable
class HasLoop(Protocol):
    """A partition that runs an async client on its own event loop."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...


# --- Spying on a source -----------------------------------------------------


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
        calls = [call for call in self.calls if call.worker == worker]
        return [item for call in calls for item in call.items]


class _SpyPartition(StatelessSourcePartition[X]):
    def __init__(
        self, inner: StatelessSourcePartition[X], worker: int, log: SpyLog[X]
    ) -> None:
        self._inner = inner
        self._worker = worker
        self._log = log

    def next_batch(self) -> list[X]:
        at = time.monotonic()
        try:
            with in_next_batch():
                items = list(self._inner.next_batch())
        except StopIteration:
            with self._log.lock:
                self._log.eofs.append(self._worker)
            raise
        with self._log.lock:
            self._log.calls.append(Call(self._worker, at, items))
        return items

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def close(self) -> None:
        with self._log.lock:
            self._log.closes.append(self._worker)
        self._inner.close()


class SpySource(DynamicSource[X]):
    """Wraps a dynamic source and records what its partitions do."""

    def __init__(self, inner: DynamicSource[X]) -> None:
        self.inner = inner
        self.log: SpyLog[X] = SpyLog()

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> _SpyPartition[X]:
        with self.log.lock:
            self.log.builds.append((worker_index, worker_count))
        part = self.inner.build(step_id, worker_index, worker_count)
        return _SpyPartition(part, worker_index, self.log)


def run_spied(source: DynamicSource[X], worker_count: int) -> tuple[list[X], SpyLog[X]]:
    """Run `source` into a `TestingSink` on `worker_count` worker threads.

    Returns:
        The output items and the spy's log.
    """
    spy = SpySource(source)
    out: list[X] = []
    flow = Dataflow("dynamic_contract")
    op.output("out", op.input("in", flow, spy), TestingSink(out))
    # bytewax 0.21 ships `cluster_main` without annotations.
    cluster_main(flow, [], 0, worker_count_per_proc=worker_count)  # type: ignore[no-untyped-call]
    return out, spy.log


def run_spied_publishing_later(
    feed: LiveFeed[X], delay: timedelta, worker_count: int
) -> tuple[list[X], SpyLog[X], list[X]]:
    """Run the live source while a timer publishes once after `delay`, then ends it.

    Returns:
        The output items, the spy's log and what the timer published.
    """
    published: list[X] = []

    def publish_and_finish() -> None:
        published.extend(feed.publish())
        feed.finish()

    timer = threading.Timer(delay.total_seconds(), publish_and_finish)
    timer.start()
    try:
        out, log = run_spied(feed.source, worker_count)
    finally:
        timer.cancel()
    return out, log, published


# --- Driving a partition by hand --------------------------------------------


def drain_batches(part: StatelessSourcePartition[X]) -> list[list[X]]:
    """Call `next_batch` as the runtime would, until `StopIteration`.

    Waits for `next_awake` between calls (in the test, not in the source).

    Returns:
        Every batch the partition returned, empty ones included.
    """
    batches: list[list[X]] = []
    deadline = time.monotonic() + FLOW_DEADLINE.total_seconds()
    while time.monotonic() < deadline:
        wait_until(part.next_awake())
        try:
            with in_next_batch():
                batches.append(list(part.next_batch()))
        except StopIteration:
            return batches
    msg = f"partition did not reach its end within {FLOW_DEADLINE}"
    raise AssertionError(msg)


def drain(part: StatelessSourcePartition[X]) -> list[X]:
    """Like `drain_batches`, flattened.

    Returns:
        Every item the partition returned.
    """
    return [item for batch in drain_batches(part) for item in batch]


def publish_more_than(feed: LiveFeed[X], count: int) -> list[X]:
    """Publish rounds of records until more than `count` are out.

    Returns:
        The published records.
    """
    published: list[X] = []
    while len(published) <= count:
        published.extend(feed.publish())
    return published


def close(part: StatelessSourcePartition[X]) -> None:
    """Call `close()`, failing if it does not return within `CLOSE_DEADLINE`."""
    call_with_deadline(part.close, CLOSE_DEADLINE, "close()")


def close_twice(part: StatelessSourcePartition[X]) -> None:
    """Call `close()` twice, each within `CLOSE_DEADLINE`."""
    call_with_deadline(part.close, CLOSE_DEADLINE, "close()")
    call_with_deadline(part.close, CLOSE_DEADLINE, "second close()")


def call_with_deadline(
    fn: Callable[[], T], give_up: timedelta, what: str
) -> tuple[T, float]:
    """Call `fn` in a helper thread and time it.

    Fails (instead of hanging the suite) if the call has not returned after
    `give_up`; the stuck daemon thread is abandoned.

    Returns:
        What `fn` returned and the seconds the call took.
    """
    result: list[T] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    start = time.monotonic()
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(give_up.total_seconds())
    elapsed = time.monotonic() - start
    assert not thread.is_alive(), f"{what} still blocked after {give_up}"
    if errors:
        raise errors[0]
    return result[0], elapsed


def timed_next_batch(
    part: StatelessSourcePartition[X], give_up: timedelta
) -> tuple[list[X], float]:
    """Call `next_batch` once through `call_with_deadline`.

    Returns:
        The batch and the seconds the call took.
    """
    return call_with_deadline(lambda: list(part.next_batch()), give_up, "next_batch")


def _keys(items: Iterable[object]) -> Counter[str]:
    return Counter(repr(item) for item in items)


# --- The checks -------------------------------------------------------------


def check_disjoint_and_complete(case: DynamicCase[X], worker_count: int) -> None:
    """Each worker reads its own share; together they read everything once."""
    out, log = run_spied(case.finite(), worker_count)
    assert sorted(log.builds) == [(i, worker_count) for i in range(worker_count)]
    assert _keys(out) == _keys(case.expected), "output is not the finite data set"
    shares = [_keys(log.items_of(worker)) for worker in range(worker_count)]
    for i, share in enumerate(shares):
        for j in range(i + 1, worker_count):
            common = share & shares[j]
            assert not common, f"workers {i} and {j} both read {sorted(common)[:5]}"
    assert sum(shares, Counter()) == _keys(case.expected)
    assert sorted(log.eofs) == list(range(worker_count)), "every worker ends"


def check_idle_polling(
    case: DynamicCase[X],
    idle: timedelta = timedelta(seconds=1),
    worker_count: int = 2,
) -> dict[int, int]:
    """An idle partition polls about once per idle period, not in a spin.

    Runs a live source with nothing to read for `idle`, then publishes and
    finishes. Counts the empty `next_batch` calls each worker made meanwhile
    and compares the count with the idle time measured over those calls.

    Returns:
        The number of empty calls per worker.
    """
    out, log, published = run_spied_publishing_later(case.live(), idle, worker_count)
    assert _keys(out) == _keys(published)
    counts: dict[int, int] = {}
    for worker in range(worker_count):
        calls = [c for c in log.calls if c.worker == worker]
        first_data = next((c.at for c in calls if c.items), calls[-1].at)
        empty = [c.at for c in calls if not c.items and c.at < first_data]
        counts[worker] = len(empty)
        assert len(empty) >= 2, f"worker {worker} polled {len(empty)} times while idle"
        assert_poll_rate(len(empty), empty[-1] - empty[0], case.idle_period)
    return counts


def check_next_awake_when_idle(case: DynamicCase[X]) -> None:
    """After an empty batch, `next_awake` is aware UTC, one poll interval ahead."""
    feed = case.live()
    part = feed.source.build("next_awake", 0, 1)
    try:
        for _ in range(3):
            before = datetime.now(timezone.utc)
            assert list(part.next_batch()) == []
            after = datetime.now(timezone.utc)
            moment = assert_aware_utc(
                part.next_awake(),
                not_before=before + case.poll_interval,
                not_after=after + case.poll_interval,
            )
            assert part.next_awake() == moment, "asked twice, same answer"
            wait_until(moment)
    finally:
        close(part)


def check_no_sleep_in_next_batch(case: DynamicCase[X], worker_count: int = 2) -> None:
    """`next_batch` never calls `time.sleep`: idle, with data, and at the end."""
    feed = case.live()
    delay = 3 * case.idle_period
    with forbid_sleep_in_next_batch() as violations:
        out, log, published = run_spied_publishing_later(feed, delay, worker_count)
    assert not violations
    assert _keys(out) == _keys(published)
    assert any(not call.items for call in log.calls), "the idle path was exercised"


def check_eof_ends_flow(case: DynamicCase[X], worker_count: int = 2) -> None:
    """The flow stops once the upstream ends, and every partition is closed."""
    feed = case.live()
    first = feed.publish()
    delay = 2 * case.idle_period
    out, log, later = run_spied_publishing_later(feed, delay, worker_count)
    assert _keys(out) == _keys(first + later)
    assert sorted(log.eofs) == list(range(worker_count))
    assert sorted(log.closes) == list(range(worker_count))
    assert feed.open_clients() == 0, "close() released every client"


def check_batch_size(case: DynamicCase[X]) -> None:
    """No batch is larger than `case.batch_size`, and nothing is lost."""
    feed = case.live()
    published = publish_more_than(feed, 2 * case.batch_size)
    feed.finish()
    part = feed.source.build("batch_size", 0, 1)
    try:
        batches = drain_batches(part)
    finally:
        close(part)
    assert max(len(batch) for batch in batches) <= case.batch_size
    assert _keys(item for batch in batches for item in batch) == _keys(published)


def check_close_twice(case: DynamicCase[X]) -> None:
    """`close()` releases the client and may be called twice.

    Covers a partition that reached the end of data, one that is idle (and,
    for async clients, has a read interrupted by the timeout pending) and one
    closed while data is still waiting to be read.
    """
    feed = case.live()
    published = feed.publish()
    feed.finish()
    part = feed.source.build("close_done", 0, 1)
    got = drain(part)
    assert _keys(got) == _keys(published)
    close_twice(part)
    assert feed.open_clients() == 0

    idle_feed = case.live()
    idle_part = idle_feed.source.build("close_idle", 0, 1)
    assert list(idle_part.next_batch()) == []
    close_twice(idle_part)
    assert idle_feed.open_clients() == 0

    busy_feed = case.live()
    publish_more_than(busy_feed, 2 * case.batch_size)
    busy_part = busy_feed.source.build("close_busy", 0, 1)
    assert len(list(busy_part.next_batch())) == case.batch_size
    close_twice(busy_part)
    assert busy_feed.open_clients() == 0


# --- Async clients ----------------------------------------------------------


def check_async_timeout_bound(
    case: DynamicCase[X],
    slack: timedelta = timedelta(milliseconds=300),
) -> list[float]:
    """No `next_batch` call waits longer than `case.timeout` (plus `slack`).

    While the upstream is empty the client would wait forever, so each call
    must come back empty once the timeout expires; a call that is still
    blocked after ten times the bound fails the check instead of hanging.
    With more data than one batch, each call returns at most `case.batch_size`
    items, also within the bound.

    Returns:
        The seconds taken by each idle call.
    """
    assert case.timeout is not None, "set DynamicCase.timeout for async clients"
    bound = case.timeout + slack
    batch_size = case.batch_size
    feed = case.live()
    part = feed.source.build("timeout_bound", 0, 1)
    try:
        idle_times = []
        for _ in range(5):
            batch, elapsed = timed_next_batch(part, give_up=10 * bound)
            assert batch == []
            assert elapsed <= bound.total_seconds(), f"idle call took {elapsed:.3f}s"
            idle_times.append(elapsed)

        published: list[X] = []
        while len(published) <= 2 * batch_size:
            published.extend(feed.publish())
        feed.finish()
        got: list[X] = []
        while len(got) < len(published):
            batch, elapsed = timed_next_batch(part, give_up=10 * bound)
            assert len(batch) <= batch_size
            assert elapsed <= bound.total_seconds(), f"busy call took {elapsed:.3f}s"
            got.extend(batch)
        assert _keys(got) == _keys(published)
    finally:
        close(part)
    return idle_times


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


def check_async_close(case: DynamicCase[X]) -> None:
    """`close()` closes the client and the event loop, leaving no task behind.

    Runs the scenarios of `check_close_twice` on async partitions, then checks
    that each loop is closed with no unfinished task and that asyncio logged
    no error (such as "Task was destroyed but it is pending").
    """
    errors = _AsyncioErrors()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(errors)
    try:
        idle_feed = case.live()
        idle_part = idle_feed.source.build("async_close_idle", 0, 1)
        idle_loop = loop_of(idle_part)
        assert list(idle_part.next_batch()) == []
        assert asyncio.all_tasks(idle_loop), "the interrupted read is pending"
        close_twice(idle_part)

        busy_feed = case.live()
        publish_more_than(busy_feed, 2 * case.batch_size)
        busy_part = busy_feed.source.build("async_close_busy", 0, 1)
        busy_loop = loop_of(busy_part)
        assert len(list(busy_part.next_batch())) == case.batch_size
        close_twice(busy_part)

        done_feed = case.live()
        published = done_feed.publish()
        done_feed.finish()
        done_part = done_feed.source.build("async_close_done", 0, 1)
        done_loop = loop_of(done_part)
        got = drain(done_part)
        assert _keys(got) == _keys(published)
        close_twice(done_part)

        for loop in (idle_loop, busy_loop, done_loop):
            assert loop.is_closed()
            assert not asyncio.all_tasks(loop), "close() left a task unfinished"
        for feed in (idle_feed, busy_feed, done_feed):
            assert feed.open_clients() == 0

        del idle_part, busy_part, done_part
        gc.collect()
    finally:
        asyncio_logger.removeHandler(errors)
    assert errors.messages == [], errors.messages


# --- The example ------------------------------------------------------------


def check_example(
    module: str, expected_lines: Iterable[str], worker_count: int = 2
) -> None:
    """`python -m bytewax.run examples.<module>:flow -w N` prints the lines.

    Lines from several workers interleave, so their order is not checked.
    """
    stdout = run_module(
        "bytewax.run",
        f"examples.{module}:flow",
        "-w",
        str(worker_count),
    )
    assert sorted(stdout.splitlines()) == sorted(expected_lines)
