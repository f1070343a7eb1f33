"""What the contract checks of every kind of source share.

* `Adapter`: the one thing a test module writes to point the kit at an
  upstream (the demo backend, or a real one). The checks never touch an
  upstream except through it.
* Deadlines: every direct call the kit makes (`list_parts`, `build`,
  `next_batch`, `snapshot`, `close`) runs on a thread of its own check and
  fails, naming the call, when it does not return in time; every dataflow run
  has a deadline too. A blocking client fails a check, it never hangs it.
* Time budget: every `next_batch` call is timed, by hand and in dataflows.
  Calls that return nothing must be fast (their median stays under
  `CallBudget.idle_median`), and no call may take longer than
  `CallBudget.per_call`.
* `ClientLedger`: wraps `connect` and counts the clients a source opens and
  closes, so leaks and double closes show up whatever the client is.
* The `time.sleep` guard, dataflow runners, output comparisons, and example
  modules run as separate processes.
"""

from __future__ import annotations

import inspect
import logging
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import (
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Generic, NoReturn, Protocol, TypeVar, cast
from unittest import mock

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import Source
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, cluster_main, run_main

U = TypeVar("U")
X = TypeVar("X")
C = TypeVar("C")
T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The generated project's root: the working directory of example runs."""

FLOW_DEADLINE = timedelta(seconds=20)
"""Longest time one dataflow run may take. A correct run here takes well
under a second; a partition that never ends, or a call that blocks, fails
the check at this deadline instead of hanging the suite."""

EXAMPLE_DEADLINE = timedelta(seconds=60)
"""Longest time an example process may run before the check stops it."""


# --- The adapter ------------------------------------------------------------


@dataclass(frozen=True)
class ExampleRun(Generic[X]):
    """What the example module reads when the kit runs it.

    Attributes:
        records: Every record the example must print (one `str(record)` per
            line), by partition or shard, each in order.
        env: Environment variables for the example process, e.g. the address
            of the upstream holding `records`.
    """

    records: Mapping[str, Sequence[X]]
    env: Mapping[str, str] = field(default_factory=dict)


class Adapter(ABC, Generic[U, X, C]):
    """How the checks reach a source's upstream: the part a test module writes.

    `U` is a handle on one upstream (a demo log, or a topic, stream or table
    of a real backend), `X` the records the source emits, `C` the `connect`
    argument the source takes. Pointing the kit at a real backend means
    writing another adapter; the checks stay as they are. Sources need not
    end: the checks stop a source once every record they expect is out.
    """

    @abstractmethod
    def open(self) -> U:
        """Create a fresh, empty upstream that nothing else uses.

        It must have at least three partitions (or shards); records appended
        to it must not be visible in any other upstream.
        """

    @abstractmethod
    def partitions(self, upstream: U) -> Sequence[str]:
        """Return the names of the partitions (or shards) to append to."""

    @abstractmethod
    def append(self, upstream: U, partition: str, values: Sequence[str]) -> list[X]:
        """Write one record per value to a partition, in order.

        Returns:
            The records, as the source will emit them.
        """

    @abstractmethod
    def connect(self, upstream: U) -> C:
        """Return the `connect` argument for a source that reads `upstream`."""

    @abstractmethod
    def example(self) -> ExampleRun[X]:
        """Prepare what the example module reads when the kit runs it."""

    def key(self, record: X) -> Hashable:
        """Identify a record when comparing output (must differ per record)."""
        assert isinstance(record, Hashable), f"{record!r} is not hashable: override key"
        return record

    def gap(self, upstream: U, partition: str) -> bool:
        """Leave a hole in a partition's positions, as compaction does.

        Returns:
            False if the upstream cannot (the checks then seed no gaps).
        """
        return False

    def finish(self, upstream: U) -> bool:
        """End the upstream for good, if it can end.

        Returns:
            False if the upstream never ends (end-of-data checks then fail:
            leave them out of the test module).
        """
        return False

    def close(self, upstream: U) -> None:
        """Release an upstream the checks no longer need (delete a topic)."""


# --- Time budget ------------------------------------------------------------


@dataclass(frozen=True)
class CallBudget:
    """How long `next_batch` may take; each check times every call.

    The defaults hold for a client whose calls return what is ready without
    waiting: such an idle call takes microseconds here, so the 5 ms median
    leaves a wide margin for a loaded machine, while a client that waits 20 ms
    per call (a blocking poll or request) is four times over. A single call
    may be slowed by the scheduler, hence the median for idle calls and a far
    larger limit for any one call. Raise them for a source that must wait,
    and write down why beside the new value.

    Attributes:
        idle_median: Most the median call that returned nothing may take.
        per_call: Most any one call may take.
        deadline: When a call that has not returned fails the check.
    """

    idle_median: timedelta = timedelta(milliseconds=5)
    per_call: timedelta = timedelta(milliseconds=250)
    deadline: timedelta = timedelta(seconds=5)


class CallTimes:
    """Durations of `next_batch` calls, split by whether they returned items."""

    def __init__(self) -> None:
        self.idle: list[float] = []
        self.busy: list[float] = []
        self._lock = threading.Lock()

    def add(self, seconds: float, *, empty: bool) -> None:
        """Record one call."""
        with self._lock:
            (self.idle if empty else self.busy).append(seconds)

    def idle_median(self) -> float | None:
        """Return the median idle call in seconds, or None without idle calls."""
        with self._lock:
            return statistics.median(self.idle) if self.idle else None

    def assert_within(self, budget: CallBudget) -> None:
        """Fail if the calls broke the budget."""
        with self._lock:
            idle, busy = list(self.idle), list(self.busy)
        if idle:
            median = statistics.median(idle)
            assert median <= budget.idle_median.total_seconds(), (
                f"next_batch calls that returned nothing took {median * 1000:.1f} ms "
                f"(median of {len(idle)}), over the "
                f"{budget.idle_median.total_seconds() * 1000:g} ms budget: "
                "does the client wait for data inside next_batch?"
            )
        slowest = max(idle + busy, default=0.0)
        assert slowest <= budget.per_call.total_seconds(), (
            f"a next_batch call took {slowest * 1000:.1f} ms, over the "
            f"{budget.per_call.total_seconds() * 1000:g} ms limit for any one call"
        )


# --- time.sleep guard -------------------------------------------------------

_inside = threading.local()


@contextmanager
def in_next_batch() -> Iterator[None]:
    """Mark the current thread as running `next_batch` (wrap the call in it)."""
    outer = getattr(_inside, "active", False)
    _inside.active = True
    try:
        yield
    finally:
        _inside.active = outer


@contextmanager
def forbid_sleep_in_next_batch() -> Iterator[list[str]]:
    """Make `time.sleep` fail when a thread calls it inside `in_next_batch()`.

    Other calls to `time.sleep` keep working. Only calls that look the function
    up on the module at call time are seen (`time.sleep(...)`, not a `sleep`
    imported before the patch); waits of other kinds are caught by the time
    budget instead.

    Yields:
        The violations so far, also raised as `AssertionError` where they occur
        (a source that swallows exceptions still shows up here).
    """
    real_sleep = time.sleep
    violations: list[str] = []

    def guarded(seconds: float) -> None:
        if getattr(_inside, "active", False):
            msg = f"time.sleep({seconds}) called inside next_batch"
            violations.append(msg)
            raise AssertionError(msg)
        real_sleep(seconds)

    with mock.patch.object(time, "sleep", guarded):
        yield violations
    assert violations == [], violations


def timed_next_batch(
    next_batch: Callable[[], Iterable[X]], times: CallTimes
) -> list[X]:
    """Call `next_batch` as the runtime would, timing it into `times`."""
    start = time.perf_counter()
    with in_next_batch():
        batch = list(next_batch())
    times.add(time.perf_counter() - start, empty=not batch)
    return batch


# --- Deadlines --------------------------------------------------------------


class Caller:
    """Runs a check's direct calls on one thread of its own, each under a deadline.

    One thread, as the runtime calls a partition from one worker thread only:
    clients that are bound to their thread keep working. A call that does not
    return in time fails the check, naming the call; the blocked thread is
    left behind (a daemon) and the caller refuses further calls.
    """

    def __init__(self, deadline: timedelta) -> None:
        self._deadline = deadline
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._stuck: str | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run `fn` on the caller's thread and return its result.

        Raises:
            AssertionError: If the call did not return within the deadline.
        """
        assert self._stuck is None, f"{self._stuck} never returned"
        results: list[T] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def job() -> None:
            try:
                results.append(fn())
            except BaseException as error:  # re-raised in the checking thread
                errors.append(error)
            finally:
                done.set()

        self._jobs.put(job)
        if not done.wait(self._deadline.total_seconds()):
            self._stuck = what
            msg = (
                f"{what} did not return within {self._deadline}: it blocks "
                "(waiting on a network, a lock or a blocked event loop?)"
            )
            raise AssertionError(msg)
        if errors:
            raise errors[0]
        return results[0]

    def close(self) -> None:
        """Let the thread end once its current call returns."""
        self._jobs.put(None)


def call_with_deadline(what: str, fn: Callable[[], T], deadline: timedelta) -> T:
    """Run one call on a fresh thread under a deadline (see `Caller`)."""
    caller = Caller(deadline)
    try:
        return caller.call(what, fn)
    finally:
        caller.close()


READ_DEADLINE = timedelta(seconds=10)
"""Longest time a partition driven by hand may take to deliver what it must."""

QUIET = timedelta(seconds=1)
"""How long a partition driven by hand may return nothing while records it
must deliver are stored (or, at the end of data, before it ends). They were
all stored before the reading began, so a correct source returns them on its
next calls; nothing for a whole second (10 poll intervals here) means lost."""


def read_by_hand(
    next_batch: Callable[[], list[X]],
    next_awake: Callable[[], datetime | None],
    *,
    what: str,
    count: int | None,
    on_batch: Callable[[list[X]], object] = lambda batch: None,
) -> list[X]:
    """Call `next_batch` as the runtime would, honouring `next_awake`.

    With `count`, the source tails: call until `count` items came, then once
    more, which must return nothing (the upstream holds no more). Without it,
    call until `StopIteration` (the source must end). Either way, a partition
    that returns nothing for `QUIET` in a row fails, as does one that takes
    longer than `READ_DEADLINE` in all.

    Returns:
        Every item, in order.
    """
    items: list[X] = []
    started = time.monotonic()
    quiet_since: float | None = None
    while count is None or len(items) < count:
        now = time.monotonic()
        of = "" if count is None else f" of {count}"
        got = f"{what} delivered {len(items)}{of} items"
        assert now - started < READ_DEADLINE.total_seconds(), (
            f"{got} within {READ_DEADLINE}"
        )
        try:
            batch = next_batch()
        except StopIteration:
            if count is None:
                return items
            msg = f"{got}, then ended although it tails (does not stop at the end)"
            raise AssertionError(msg) from None
        if batch:
            items += batch
            quiet_since = None
            on_batch(batch)
            continue
        quiet_since = quiet_since or now
        waited = now - quiet_since
        assert waited < QUIET.total_seconds(), (
            f"{got}, then nothing for {waited:.1f} s"
            + ("" if count else " without ending")
        )
        awake = next_awake()
        cap = datetime.now(timezone.utc) + QUIET
        wait_until(None if awake is None else min(awake, cap))
    try:
        extra = next_batch()
    except StopIteration:
        msg = f"{what} ended after its {count} items although it tails"
        raise AssertionError(msg) from None
    assert extra == [], f"{what} returned items beyond the {count} stored: {extra}"
    return items


# --- Counting clients -------------------------------------------------------


class InjectedClientError(Exception):
    """The failure `ClientLedger.fail_next_call` makes a client raise."""


class ClientLedger:
    """Counts the clients a source opens through `connect`, and their closes.

    `wrap(connect)` returns a `connect` that hands out counting proxies: each
    forwards every attribute to the real client, and counts its first `close()`
    or `aclose()`. A second close of the same client is recorded as a double
    close (the source released it twice). It works for `connect` functions
    that return a client and for those that return an awaitable of one.
    """

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.double_closes: list[str] = []
        self._failure: BaseException | None = None
        self._lock = threading.Lock()

    def wrap(self, connect: C) -> C:
        """Return `connect` with every client it opens counted."""
        inner = cast(Callable[..., Any], connect)

        def counted(*args: object, **kwargs: object) -> object:
            made = inner(*args, **kwargs)
            if inspect.isawaitable(made):
                return self._track_later(made)
            return self._track(made)

        return cast(C, counted)

    async def _track_later(self, made: Awaitable[object]) -> _CountedClient:
        return self._track(await made)

    def _track(self, client: object) -> _CountedClient:
        with self._lock:
            self.opened += 1
            number = self.opened
        return _CountedClient(client, self, number)

    def note_close(self, number: int, first: bool) -> None:
        """Record a close of client `number` (called by the proxies)."""
        with self._lock:
            if first:
                self.closed += 1
            else:
                self.double_closes.append(f"client #{number}")

    @property
    def open_now(self) -> int:
        """Clients opened and not yet closed."""
        with self._lock:
            return self.opened - self.closed

    def fail_next_call(self, error: BaseException) -> None:
        """Make the next client method call (other than a close) raise `error`."""
        with self._lock:
            self._failure = error

    def take_failure(self) -> BaseException | None:
        """Return and clear the armed failure (called by the proxies)."""
        with self._lock:
            failure, self._failure = self._failure, None
            return failure

    def assert_all_closed(self, after: str) -> None:
        """Fail if a client is still open or was closed twice."""
        with self._lock:
            open_now, doubles = self.opened - self.closed, list(self.double_closes)
        assert open_now == 0, f"{open_now} client(s) left open after {after}"
        assert doubles == [], f"closed twice after {after}: {doubles}"


class _CountedClient:
    def __init__(self, inner: object, ledger: ClientLedger, number: int) -> None:
        self._inner = inner
        self._ledger = ledger
        self._number = number
        self._closes = 0

    def __getattr__(self, name: str) -> object:
        value = getattr(self._inner, name)
        if not callable(value):
            return value
        ledger = self._ledger

        def forwarded(*args: object, **kwargs: object) -> object:
            failure = ledger.take_failure()
            if failure is not None:
                if inspect.iscoroutinefunction(value):
                    return _raise_later(failure)
                raise failure
            return value(*args, **kwargs)

        return forwarded

    def _count_close(self) -> None:
        self._closes += 1
        self._ledger.note_close(self._number, first=self._closes == 1)

    def close(self) -> None:
        self._count_close()
        cast(Any, self._inner).close()

    async def aclose(self) -> None:
        self._count_close()
        await cast(Any, self._inner).aclose()


async def _raise_later(error: BaseException) -> NoReturn:
    raise error


def error_of(call: Callable[[], object]) -> Exception | None:
    """Call `call` and return the exception it raised, or None."""
    try:
        call()
    except Exception as error:  # what a source raises is up to it
        return error
    return None


def caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Tell whether `error` or one of its causes or contexts is a `kind`."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, kind):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def describe_chain(error: BaseException) -> str:
    """Return the messages of `error` and of its causes, one per line."""
    lines: list[str] = []
    cause: BaseException | None = error
    while cause is not None and len(lines) < 10:
        lines.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(lines)


# --- Logs -------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def capture_logs() -> Iterator[list[logging.LogRecord]]:
    """Collect every log record of every logger (at DEBUG and above)."""
    root = logging.getLogger()
    handler = _Collect()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def assert_logged(records: Sequence[logging.LogRecord], *words: str, what: str) -> None:
    """Fail unless one log record's message contains every one of `words`."""
    messages = [record.getMessage() for record in records]
    assert any(all(word in message for word in words) for message in messages), (
        f"no log record for {what} names {words}: {messages[-5:]}"
    )


# --- Running dataflows ------------------------------------------------------
# bytewax 0.21 ships these without annotations, which mypy --strict refuses to
# call. The protocols below restate their signatures once.


class _RunMain(Protocol):
    def __call__(
        self,
        flow: Dataflow,
        *,
        epoch_interval: timedelta | None = ...,
        recovery_config: RecoveryConfig | None = ...,
    ) -> None: ...


class _ClusterMain(Protocol):
    def __call__(
        self,
        flow: Dataflow,
        addresses: list[str],
        proc_id: int,
        *,
        epoch_interval: timedelta | None = ...,
        recovery_config: RecoveryConfig | None = ...,
        worker_count_per_proc: int = ...,
    ) -> None: ...


_run_main: _RunMain = run_main
_cluster_main: _ClusterMain = cluster_main
_init_db_dir: Callable[[Path, int], None] = init_db_dir
_recovery_config: Callable[[str], RecoveryConfig] = RecoveryConfig


def run_flow(
    flow: Dataflow,
    *,
    workers: int = 1,
    epoch_interval: timedelta | None = None,
    recovery_config: RecoveryConfig | None = None,
) -> None:
    """Run `flow` to completion in this process, within `FLOW_DEADLINE`.

    One worker runs `run_main`; more run as threads of this process
    (`cluster_main` with no addresses, so no network port is used). The run
    happens on a helper thread, so a run that never ends fails the check.
    """

    def run() -> None:
        if workers == 1:
            _run_main(
                flow, epoch_interval=epoch_interval, recovery_config=recovery_config
            )
        else:
            _cluster_main(
                flow,
                [],
                0,
                epoch_interval=epoch_interval,
                recovery_config=recovery_config,
                worker_count_per_proc=workers,
            )

    call_with_deadline(f"a dataflow run on {workers} worker(s)", run, FLOW_DEADLINE)


def collect(
    source: Source[X],
    *,
    workers: int = 1,
    epoch_interval: timedelta | None = None,
    recovery_config: RecoveryConfig | None = None,
    into: list[X] | None = None,
) -> list[X]:
    """Run a dataflow that writes every item of `source` to a list.

    Args:
        source: The source to read.
        workers: Worker threads (see `run_flow`).
        epoch_interval: Passed to the runtime.
        recovery_config: Passed to the runtime.
        into: Append to this list: what a failing run emitted stays in it.

    Returns:
        The list, in the order the sink received the items.
    """
    out: list[X] = [] if into is None else into
    flow = Dataflow("contract")
    op.output("out", op.input("in", flow, source), TestingSink(out))
    run_flow(
        flow,
        workers=workers,
        epoch_interval=epoch_interval,
        recovery_config=recovery_config,
    )
    return out


def recovery_store(db_dir: Path, partitions: int) -> RecoveryConfig:
    """Create an empty recovery store of `partitions` SQLite files.

    Use at least as many partitions as the most workers that will resume it.

    Returns:
        The config to pass to every run that shares the store.
    """
    db_dir.mkdir(parents=True, exist_ok=True)
    _init_db_dir(db_dir, partitions)
    return _recovery_config(str(db_dir))


def wait_until(moment: datetime | None) -> None:
    """Sleep (in the test, never in a source) until `moment`, as the runtime would."""
    if moment is None:
        return
    delay = (moment - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        time.sleep(delay)


# --- Assertions -------------------------------------------------------------


def assert_aware_utc(
    moment: datetime | None,
    *,
    not_before: datetime,
    not_after: datetime,
) -> datetime:
    """Check a `next_awake` answer: an aware UTC datetime within the bounds.

    Bytewax rejects naive datetimes and other tzinfo objects (even
    `ZoneInfo("UTC")`): only `datetime.timezone.utc` works.

    Returns:
        `moment`, known not to be `None`.
    """
    assert moment is not None, "next_awake() returned None after an empty batch"
    assert moment.tzinfo is timezone.utc, (
        f"next_awake() must use datetime.timezone.utc, got tzinfo={moment.tzinfo!r}"
    )
    assert not_before <= moment <= not_after, (
        f"next_awake() returned {moment}, expected between {not_before} and {not_after}"
    )
    return moment


def assert_poll_rate(calls: int, idle_seconds: float, poll_interval: timedelta) -> None:
    """An idle partition was polled about once per poll interval.

    `calls` counts `next_batch` calls made during `idle_seconds` of idleness,
    the first at its start. Respecting `next_awake` allows at most one call per
    interval (plus the first one and a margin of one for timer rounding);
    fewer than a third of that means the partition sleeps far too long. A
    partition that spins is called about once per millisecond instead.
    """
    expected = idle_seconds / poll_interval.total_seconds()
    summary = (
        f"{calls} next_batch calls in {idle_seconds:.3f} s idle, poll interval "
        f"{poll_interval.total_seconds():.3f} s: about {expected:.1f} expected"
    )
    assert calls <= expected + 2, f"polled too often: {summary}"
    assert calls >= expected / 3, f"polled too rarely: {summary}"


def assert_backlog_read_at_once(
    gaps: Sequence[float], poll_interval: timedelta, batch_size: int
) -> None:
    """A partition with data waiting was called again at once.

    `gaps` are the seconds between consecutive non-empty batches of one
    partition while it had a backlog. The runtime calls a partition whose
    `next_awake` is set no sooner than that moment, so a partition that asks
    to wait after a full batch shows gaps of a whole poll interval (its rate
    capped at `batch_size` per interval). One that asks to be called at once
    shows gaps of well under a millisecond here; the median must stay under a
    quarter of the interval, a margin that holds on a loaded machine.
    """
    assert len(gaps) >= 5, f"only {len(gaps) + 1} batches: seed a larger backlog"
    median = statistics.median(gaps)
    rate = batch_size / median if median > 0 else float("inf")
    capped = batch_size / poll_interval.total_seconds()
    assert median < poll_interval.total_seconds() / 4, (
        f"with records waiting, batches came {median * 1000:.1f} ms apart "
        f"(median), about {rate:.0f} records/s, where asking to wait a poll "
        f"interval would cap it at {capped:.0f}/s: next_awake must be None "
        "after a non-empty batch"
    )


def assert_each_once_in_order(
    output: Sequence[X],
    expected: Mapping[str, Sequence[X]],
    key: Callable[[X], Hashable],
) -> None:
    """Every expected item appears exactly once, and each group keeps its order.

    Items of different groups (partitions, shards, ...) may interleave.

    Args:
        output: What the dataflow emitted.
        expected: The expected items, by group, each group in order.
        key: Identifies an item; items must have distinct keys.
    """
    group_of: dict[Hashable, str] = {}
    for group, items in expected.items():
        for item in items:
            assert key(item) not in group_of, f"expected {item!r} twice: keys differ"
            group_of[key(item)] = group
    seen: dict[Hashable, int] = {}
    for item in output:
        assert key(item) in group_of, f"unexpected item {item!r}"
        seen[key(item)] = seen.get(key(item), 0) + 1
    twice = [k for k, count in seen.items() if count > 1]
    missing = [k for k in group_of if k not in seen]
    assert not twice, f"{len(twice)} items emitted more than once, e.g. {twice[:3]}"
    assert not missing, f"{len(missing)} items never emitted, e.g. {missing[:3]}"
    for group, items in expected.items():
        got = [key(item) for item in output if group_of[key(item)] == group]
        assert got == [key(item) for item in items], f"group {group!r} out of order"


# --- Processes --------------------------------------------------------------


RUNTIME_CHATTER = re.compile(
    r"worker \d+:\s*error connecting to worker \d+: .*?; retrying"
)
"""What the runtime itself prints to stdout while the processes of a cluster
connect (a process that starts first retries until the others listen)."""


def split_printed(stdout: str, lines: Iterable[str]) -> tuple[list[str], str]:
    """Find the known lines that concurrent workers printed, in print order.

    `StdOutSink` writes a line and its newline separately, so two workers can
    print `A`, `B`, newline, newline (`AB` then an empty line), which happens
    readily when `PYTHONUNBUFFERED` is set. Each write stays whole, though, so
    the text without newlines is the printed lines back to back: this scans it
    for the known lines, trying longer ones first. Lines must not contain one
    another.

    Returns:
        The known lines in the order they were printed, and all other text.
    """
    known = sorted({line for line in lines if line}, key=len, reverse=True)
    text = stdout.replace("\n", "")
    found: list[str] = []
    other: list[str] = []
    position = 0
    while position < len(text):
        line = next((k for k in known if text.startswith(k, position)), None)
        if line is None:
            other.append(text[position])
            position += 1
        else:
            found.append(line)
            position += len(line)
    return found, "".join(other)


def assert_printed_once_in_order(
    stdout: str, expected: Mapping[str, Sequence[str]]
) -> None:
    """Every expected line was printed once, each group in order, and nothing else.

    Lines of different groups may interleave, even within one line of output
    (see `split_printed`). Besides them, only `RUNTIME_CHATTER` may appear.
    """
    printed, other = split_printed(
        stdout, (line for lines in expected.values() for line in lines)
    )
    unexplained = RUNTIME_CHATTER.sub("", other)
    assert unexplained == "", f"unexpected output: {unexplained[:300]!r}"
    assert_each_once_in_order(printed, expected, str)


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    src = str(PROJECT_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    if sys.platform == "win32":
        proc.kill()
    else:
        # The example may have started processes of its own (bytewax.testing).
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_module(
    *args: str,
    env: Mapping[str, str] | None = None,
    until_printed: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Run `python -m <args>` from the project root and check how it ends.

    The child uses this interpreter and finds the package in `src/` even when
    it is not installed. Without `until_printed` it must exit with 0 within
    `EXAMPLE_DEADLINE`. With it, a source that never ends is fine: once every
    expected line is out, the process is stopped (after a short grace period
    in which anything else it prints is still caught).

    Returns:
        What the process wrote to stdout.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=PROJECT_ROOT,
        env=_child_env(env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=sys.platform != "win32",
    )
    chunks: list[str] = []
    errors: list[str] = []
    readers = [
        threading.Thread(target=_read_into, args=(proc.stdout, chunks), daemon=True),
        threading.Thread(target=_read_into, args=(proc.stderr, errors), daemon=True),
    ]
    for reader in readers:
        reader.start()
    wanted = (
        None
        if until_printed is None
        else [line for lines in until_printed.values() for line in lines]
    )
    deadline = time.monotonic() + EXAMPLE_DEADLINE.total_seconds()
    stopped = False
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                _stop(proc)
                msg = f"python -m {' '.join(args)} still ran after {EXAMPLE_DEADLINE}"
                raise AssertionError(msg)
            if wanted is not None and _all_printed("".join(chunks), wanted):
                time.sleep(0.2)
                _stop(proc)
                stopped = True
                break
            time.sleep(0.02)
    finally:
        _stop(proc)
        for reader in readers:
            reader.join(5)
        # Closed here rather than when collected, which warns (ResourceWarning).
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert stopped or proc.returncode == 0, (
        f"python -m {' '.join(args)} exited with {proc.returncode}:\n{''.join(errors)}"
    )
    return "".join(chunks)


def _read_into(stream: IO[str], chunks: list[str]) -> None:
    while line := stream.readline():
        chunks.append(line)


def _all_printed(stdout: str, wanted: Sequence[str]) -> bool:
    printed, _ = split_printed(stdout, wanted)
    remaining = list(wanted)
    for line in printed:
        if line in remaining:
            remaining.remove(line)
    return not remaining
