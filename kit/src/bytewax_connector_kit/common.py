"""What every check of the kit shares, for sources and sinks alike.

* `Budget`: every wall-clock limit in one place. Speed is judged from many
  calls only (the lower quartile of at least `SAMPLES`), and as the time a
  connector spends in its own code, apart from its client's, so a busy
  machine cannot fail a correct connector.
* `Plan`: how an adversarial upstream or downstream behaves for one seed
  (transient empty reads, gaps, repeated values, idle partitions, slow calls
  within budget, a failure or a stall at a chosen call). Each property is
  checked under several plans; a failure names the plan and how to run it
  again.
* `ClientLedger`: wraps `connect` and counts the clients a connector opens
  and closes, times their calls, records on which thread they run, and can
  make a chosen call fail or block; it closes abandoned clients at the end.
* Accounting around every check: open file descriptors, live threads,
  clients, connections the upstream sees, log records by level, the causes
  of every error, and memory growth over long reads and writes.
* Deadlines on every direct call and dataflow run, dataflow runners, and
  processes: examples and clusters of `bytewax.run` processes on free ports,
  each with its own `PYTHONHASHSEED`.
* The adapters a test module writes (`Adapter` for an upstream,
  `SinkAdapter` for a downstream) and the sinks' own resumable input.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import json
import logging
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import (
    IO,
    Any,
    ClassVar,
    Generic,
    Literal,
    NoReturn,
    Protocol,
    TypeVar,
    cast,
)
from unittest import mock

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import (
    AbortExecution,
    FixedPartitionedSource,
    Source,
    StatefulSourcePartition,
)
from bytewax.outputs import Sink
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, cluster_main, run_main

U = TypeVar("U")
D = TypeVar("D")
X = TypeVar("X")
C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

KIT_DIR = Path(__file__).resolve().parent
"""Where the kit's own modules are (left out of memory accounting)."""

THREAD_PREFIX = "bytewax-kit"
"""Names of the kit's own threads (left out of thread accounting)."""

SAMPLES = 12
"""Fewest calls of one kind a speed verdict is drawn from."""


STEP_ID = "contract_step"
"""The `step_id` a check passes when it builds partitions by hand."""

BATCH_SIZES = (1, 3)
"""Batch sizes the reading and writing checks build connectors with."""

CLIENT_TIMEOUT = timedelta(milliseconds=2750)
"""The client timeout connectors are built with: `connect` must get it as it
is (`.seconds` would give 2)."""

STALL_TIMEOUT = timedelta(milliseconds=300)
"""The client timeout of the stall checks: a stalled call fails after it."""

RECOVERY_STORE_PARTITIONS = 3
"""Recovery store size: at least the most workers any check resumes it with."""

HAND_POLL = timedelta(milliseconds=10)
"""Poll interval of sources driven by hand."""

FLOW_POLL = timedelta(milliseconds=50)
"""Poll interval of sources in dataflows (long enough to tell a spin apart)."""

IDLE_CPU_SHARE = 0.5
"""Most of its wall time an idle connector may spend on the CPU, judged over
many samples (see `IdleCpu`): a busy loop takes a whole core (1.0), a
connector that waits on a timer or a socket a few percent."""

IDLE_PAUSE = timedelta(milliseconds=5)
"""How long the idle checks wait between two calls, measuring the CPU."""

IDLE_SAMPLE = timedelta(milliseconds=2)
"""Shortest stretch of idleness `IdleCpu` judges: shorter ones (a call that
returns at once) say nothing about waiting."""

ACLOSE_STEPS = 3
"""Turns of the event loop every counted `aclose()` takes after the client's
own, plus a short timer, as a network goodbye does: an `aclose()` scheduled
and not awaited to its end is never counted as a close."""

SHORT_HOLD = timedelta(milliseconds=400)
"""How long the sink checks hold the downstream's lock (`SinkAdapter.hold`)
for a writer that must wait: well within `CLIENT_TIMEOUT`."""


# --- Budgets ----------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Every wall-clock limit of the kit, in one place.

    Two limits judge speed, and only from many calls: `own` bounds the time
    a connector spends in its own code per call (the call's time minus its
    client's), `client` the time one call of a source's client takes when it
    must not wait. Each is compared with the lower quartile of at least
    `SAMPLES` calls of one kind (idle, busy), so a loaded machine that delays
    some calls cannot fail a check, while a connector that waits in most calls
    does. The others are deadlines: a call or run still going at its deadline
    fails the check, naming it, instead of hanging the suite.

    Attributes:
        own: Most time a connector's own code may take in one call.
        client: Most time a source's client call that must not wait may take.
        deadline: When one direct call that has not returned fails the check.
        quiet: How long a source may return nothing while records it must
            deliver are stored.
        flow: Longest one dataflow run may take.
        process: Longest one example process or cluster may take.
    """

    own: timedelta = timedelta(milliseconds=5)
    client: timedelta = timedelta(milliseconds=5)
    deadline: timedelta = timedelta(seconds=5)
    quiet: timedelta = timedelta(seconds=3)
    flow: timedelta = timedelta(seconds=30)
    process: timedelta = timedelta(seconds=60)

    @classmethod
    def network(cls) -> Budget:
        """Limits for a real upstream or downstream: its calls cross a network.

        The connector's own time stays as it is; client calls, deadlines and
        quiet periods get room for round trips and durable commits.
        """
        return cls(
            client=timedelta(milliseconds=250),
            deadline=timedelta(seconds=30),
            quiet=timedelta(seconds=10),
            flow=timedelta(seconds=120),
            process=timedelta(seconds=180),
        )


class CallStats:
    """Durations of a connector's calls, by kind, each split into own and client time.

    A verdict needs `SAMPLES` calls of a kind and compares their lower
    quartile with the budget: most calls must be slow to fail it.
    """

    def __init__(self) -> None:
        self._own: dict[str, list[float]] = {}
        self._client: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, total: float, client: float, allowance: float) -> None:
        """Record one call: its duration, its client's share, the wait it may spend."""
        with self._lock:
            self._own.setdefault(kind, []).append(max(0.0, total - client - allowance))
            self._client.setdefault(kind, []).append(client)

    def assert_within(self, budget: Budget, *, what: str, client: bool) -> None:
        """Fail if most calls of a kind broke the budget (see `Budget`)."""
        with self._lock:
            own = {kind: list(times) for kind, times in self._own.items()}
            calls = {kind: list(times) for kind, times in self._client.items()}
        for kind, times in own.items():
            quartile = lower_quartile(times)
            assert quartile is None or quartile <= budget.own.total_seconds(), (
                f"{what} calls ({kind}) spent {quartile * 1000:.1f} ms in the "
                f"connector's own code (lower quartile of {len(times)} calls), over "
                f"the {_ms(budget.own)} budget: does it wait (a sleep, a lock, a "
                "blocked event loop) instead of returning what is ready?"
            )
        if not client:
            return
        for kind, times in calls.items():
            quartile = lower_quartile(times)
            assert quartile is None or quartile <= budget.client.total_seconds(), (
                f"{what} calls ({kind}) spent {quartile * 1000:.1f} ms in client "
                f"calls (lower quartile of {len(times)} calls), over the "
                f"{_ms(budget.client)} budget: the client must return what is ready "
                "without waiting for more"
            )


def lower_quartile(values: Sequence[float]) -> float | None:
    """Return the lower quartile of `values`, or None with fewer than `SAMPLES`."""
    if len(values) < SAMPLES:
        return None
    return sorted(values)[len(values) // 4]


def _ms(duration: timedelta) -> str:
    return f"{duration.total_seconds() * 1000:g} ms"


class IdleCpu:
    """The CPU a process spends while its connector is idle, against wall time.

    A check measures stretches of idleness (an idle `next_batch` call, the
    wait before the next one) with `measure`. Each stretch of at least
    `IDLE_SAMPLE` is a sample: the process's CPU time in it over its wall
    time. A connector that waits on a timer or a socket spends a few percent;
    one that busy-waits (`await asyncio.sleep(0)` in a loop, a thread that
    polls without pause) a whole core. The verdict needs `SAMPLES` samples
    and compares their lower quartile with `IDLE_CPU_SHARE`: most samples
    must burn the CPU to fail it, and a loaded machine only makes a sample's
    share smaller (it stretches the wall time, not the CPU time).
    """

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    @contextmanager
    def measure(self, kind: str) -> Iterator[None]:
        """Measure the block as one stretch of idleness of `kind`."""
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.add(kind, time.process_time() - cpu, time.perf_counter() - wall)

    def add(self, kind: str, cpu: float, wall: float) -> None:
        """Add a stretch of `wall` seconds in which the process spent `cpu`."""
        if wall >= IDLE_SAMPLE.total_seconds():
            self.samples.setdefault(kind, []).append(cpu / wall)

    def assert_idle(self, what: str) -> None:
        """Fail if most samples of a kind kept the CPU busy (see the class)."""
        for kind, shares in self.samples.items():
            quartile = lower_quartile(shares)
            assert quartile is None or quartile <= IDLE_CPU_SHARE, (
                f"{what} kept the CPU busy while idle ({kind}): the process spent "
                f"{quartile:.0%} of the wall time on the CPU (lower quartile of "
                f"{len(shares)} samples), over {IDLE_CPU_SHARE:.0%}: does it "
                "busy-wait (sleep(0) in a loop, polling without pause) instead of "
                "waiting on a timer or its client?"
            )


# --- Plans: adversarial upstreams and downstreams ---------------------------

SEEDS_SETTING = "BYTEWAX_KIT_SEEDS"
"""Environment variable choosing the plans: `0,1,2,3` (the default), `2`, or
a range such as `0-31`. Plans 0 to 3 are chosen by hand to cover every
oddity; later seeds draw them at random."""


@dataclass(frozen=True)
class Plan:
    """How an adversarial upstream or downstream behaves in one check.

    The kit applies the data parts itself (names, idle partitions, repeated
    values, gaps); the adapter applies what only the backend can do (empty
    reads, slow calls, a failure, a stall) where it can, and ignores the rest.

    Attributes:
        seed: Identifies the plan; everything random derives from it.
        names: Partition (or shard) names to ask the adapter for.
        idle: Names of partitions that get no records.
        empty_reads: Share of reads that return nothing although records are
            stored (and the end is not reached), as a real upstream does now
            and then.
        slow_calls: Share of calls that take `slow` (within every budget).
        slow: How long a slow call takes.
        repeats: Records repeat the previous record's value.
        gaps: Leave holes in the positions, where the adapter can.
        fail_at: The upstream call (counted from 0 over the whole upstream)
            that fails with `UpstreamFaultError`, or None.
        stall_at: The upstream call that never answers (only the client's
            timeout ends it), or None.
    """

    seed: int
    names: tuple[str, ...] = ("p-a", "p-b", "p-c", "p-d")
    idle: frozenset[str] = frozenset({"p-c"})
    empty_reads: float = 0.0
    slow_calls: float = 0.0
    slow: timedelta = timedelta(milliseconds=2)
    repeats: bool = False
    gaps: bool = True
    fail_at: int | None = None
    stall_at: int | None = None

    def describe(self) -> str:
        """Say what the plan does and how to run only it again."""
        odd = [
            f"names {list(self.names)}",
            f"idle {sorted(self.idle)}" if self.idle else "no idle partition",
        ]
        if self.empty_reads:
            odd.append(f"{self.empty_reads:.0%} of reads empty")
        if self.slow_calls:
            odd.append(f"{self.slow_calls:.0%} of calls slow ({_ms(self.slow)})")
        if self.repeats:
            odd.append("repeated values")
        if self.gaps:
            odd.append("gaps")
        if self.fail_at is not None:
            odd.append(f"call {self.fail_at} fails")
        if self.stall_at is not None:
            odd.append(f"call {self.stall_at} stalls")
        return (
            f"[plan {self.seed}: {', '.join(odd)}; run only it with "
            f"{SEEDS_SETTING}={self.seed}]"
        )

    def active(self) -> list[str]:
        """Return the names that get records."""
        return [name for name in self.names if name not in self.idle]

    def values(self, partition: str, count: int, label: str) -> list[str]:
        """Return `count` values to store in a partition (repeats per the plan).

        Every fifth value from the third on is empty, and the one after it
        is `"0"`: values like any other, which a client that tests them for
        truth (`if value:`, `if not payload:`) drops.
        """
        values = [f"{partition} {label} #{index}" for index in range(count)]
        for index in range(count):
            values[index] = FALSY_VALUES.get(index % 5, values[index])
        if self.repeats:
            # Every second value repeats the one before it: records are told
            # apart by position, never by content.
            values = [values[index - index % 2] for index in range(count)]
        return values

    def fault(self) -> UpstreamFaultError:
        """Build the failure the backend raises at call `fail_at`."""
        return UpstreamFaultError(f"upstream failure planned at call {self.fail_at}")

    def chance(self, *salt: object) -> float:
        """A number in [0, 1) fixed by the seed and `salt` (same in every process)."""
        key = ":".join([str(self.seed), *map(str, salt)])
        return random.Random(key).random()


FALSY_VALUES = {2: "", 3: "0"}
"""Values a plan stores at these positions (modulo 5) of every partition: an
empty one, and one that reads as false once converted."""


class UpstreamFaultError(Exception):
    """The failure a backend raises at the call a plan chose."""


HAND_PICKED: dict[int, Plan] = {
    0: Plan(0),
    1: Plan(
        1,
        names=("p", "p-1", "p-10", "p 2"),
        idle=frozenset({"p-1"}),
        empty_reads=0.3,
        repeats=True,
    ),
    2: Plan(
        2,
        names=("ä", "ö-1", "ö-10"),
        idle=frozenset(),
        empty_reads=0.2,
        slow_calls=0.25,
        gaps=False,
    ),
    3: Plan(3, names=("s/0", "s:1", "s%2"), idle=frozenset({"s/0", "s:1", "s%2"})),
}
"""Plans 0 to 3: calm; transient empties with repeated values and prefixes;
slow calls with no gaps and no idle partition; an empty upstream."""

NAME_POOLS = (
    ("p-a", "p-b", "p-c", "p-d"),
    ("p", "p-1", "p-10", "p 2", "P"),
    ("ä", "ö-1", "ö-10"),
    ("s/0", "s:1", "s%2", "s_3"),
)


def plan_for(seed: int) -> Plan:
    """Return plan `seed`: hand-picked for 0 to 3, drawn at random after."""
    if seed in HAND_PICKED:
        return HAND_PICKED[seed]
    rng = random.Random(seed)
    names = rng.choice(NAME_POOLS)
    idle = frozenset(name for name in names if rng.random() < 0.25)
    return Plan(
        seed,
        names=names,
        idle=idle,
        empty_reads=rng.choice((0.0, 0.1, 0.3)),
        slow_calls=rng.choice((0.0, 0.1, 0.25)),
        repeats=rng.random() < 0.5,
        gaps=rng.random() < 0.7,
    )


def plans() -> list[Plan]:
    """Return the plans every planned property runs under (see `SEEDS_SETTING`)."""
    setting = os.environ.get(SEEDS_SETTING, "").strip() or "0,1,2,3"
    seeds: list[int] = []
    for part in setting.split(","):
        first, _, last = part.strip().partition("-")
        seeds += range(int(first), int(last or first) + 1)
    return [plan_for(seed) for seed in seeds]


@contextmanager
def reproducible(plan: Plan) -> Iterator[None]:
    """Add the plan (and how to run it again) to an assertion that fails in here."""
    try:
        yield
    except AssertionError as error:
        raise AssertionError(f"{error}\n{plan.describe()}") from error


# --- time.sleep guard -------------------------------------------------------

_inside = threading.local()


@contextmanager
def in_call() -> Iterator[None]:
    """Mark the current thread as running a connector's call (see the guards)."""
    outer = getattr(_inside, "active", False)
    _inside.active = True
    try:
        yield
    finally:
        _inside.active = outer


def call_inside(fn: Callable[[], T]) -> T:
    """Call `fn` marked as a call of the connector (see `in_call`)."""
    with in_call():
        return fn()


def inside_call() -> bool:
    """Tell whether the current thread runs a connector's call."""
    return bool(getattr(_inside, "active", False))


@contextmanager
def forbid_sleep_in_calls() -> Iterator[list[str]]:
    """Make `time.sleep` fail when a thread calls it inside `in_call()`.

    Other calls to `time.sleep` keep working. Only calls that look the function
    up on the module at call time are seen (`time.sleep(...)`, not a `sleep`
    imported before the patch); waits of other kinds show in the connector's
    own time instead (see `Budget`).

    Yields:
        The violations so far, also raised as `AssertionError` where they occur
        (a connector that swallows exceptions still shows up here).
    """
    real_sleep = time.sleep
    violations: list[str] = []

    def guarded(seconds: float) -> None:
        if inside_call():
            msg = f"time.sleep({seconds}) called inside a call of the connector"
            violations.append(msg)
            raise AssertionError(msg)
        real_sleep(seconds)

    with mock.patch.object(time, "sleep", guarded):
        yield violations
    assert violations == [], violations


# --- Deadlines --------------------------------------------------------------


class Caller:
    """Runs a check's direct calls on one thread of its own, each under a deadline.

    One thread, as the runtime calls a partition from one worker thread only:
    clients bound to their thread keep working. A call that does not return
    in time fails the check, naming the call; the blocked thread is left
    behind (a daemon) and the caller refuses further calls.
    """

    def __init__(self, deadline: timedelta) -> None:
        self._deadline = deadline
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._stuck: str | None = None
        self._thread = threading.Thread(
            target=self._serve, daemon=True, name=f"{THREAD_PREFIX}-caller"
        )
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
                "(waiting on a network without a timeout, a lock, a full buffer "
                "or a blocked event loop?)"
            )
            raise AssertionError(msg)
        if errors:
            raise errors[0]
        return results[0]

    @property
    def stuck(self) -> bool:
        """Tell whether a call never returned."""
        return self._stuck is not None

    def close(self) -> bool:
        """Let the thread end once its current call returns, waiting up to the deadline.

        A stuck call often returns once the check lets go of what held it
        (a lock, a stalled answer).

        Returns:
            False if a call is still running: the check's clients must then
            be left open, as closing one under a call can crash the process
            (sqlite3 does).
        """
        self._jobs.put(None)
        self._thread.join(self._deadline.total_seconds())
        return not self._thread.is_alive()


def call_with_deadline(what: str, fn: Callable[[], T], deadline: timedelta) -> T:
    """Run one call on a fresh thread under a deadline (see `Caller`)."""
    caller = Caller(deadline)
    try:
        return caller.call(what, fn)
    finally:
        caller.close()


# --- Errors -----------------------------------------------------------------


class InjectedClientError(Exception):
    """A client failure the kit injects (see `ClientLedger.fail_call`)."""


class InjectedConnectionError(InjectedClientError, ConnectionError):
    """An injected failure that looks like a lost connection."""


class InjectedTimeoutError(InjectedClientError, TimeoutError):
    """An injected failure that looks like a timeout."""


INJECTED_KINDS: tuple[type[InjectedClientError], ...] = (
    InjectedClientError,
    InjectedConnectionError,
    InjectedTimeoutError,
)
"""The failures the kit injects in turn: a connector that lets some through
and swallows others (`except TimeoutError: return []`) is caught too."""


def error_of(call: Callable[[], object]) -> Exception | None:
    """Call `call` and return the exception it raised, or None."""
    try:
        call()
    except Exception as error:  # what a connector raises is up to it
        return error
    return None


def causes(error: BaseException) -> list[BaseException]:
    """Return `error` and its explicit causes (`raise ... from ...`), in order."""
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__
    return chain


def caused_by(
    error: BaseException,
    kind: type[BaseException] | tuple[type[BaseException], ...],
) -> bool:
    """Tell whether `error` or one of its explicit causes is a `kind`."""
    return any(isinstance(cause, kind) for cause in causes(error))


TIMEOUTS: tuple[type[BaseException], ...] = (TimeoutError, asyncio.TimeoutError)
"""What a timeout raises: `asyncio.TimeoutError` is `TimeoutError` only from
Python 3.11 on."""


def describe_chain(error: BaseException) -> str:
    """Return the messages of `error` and of its causes and contexts, one per line."""
    lines: list[str] = []
    seen: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in seen and len(lines) < 10:
        seen.append(cause)
        how = (
            ""
            if not lines
            else "  caused by "
            if cause is seen[-2].__cause__
            else "  during "
        )
        lines.append(f"{how}{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(lines)


def assert_raised_from(
    error: BaseException | None,
    origin: BaseException,
    *,
    what: str,
    names: Sequence[str] = (),
) -> None:
    """A failure surfaced from `what`: raised, with `origin` as its explicit cause.

    The error must name each of `names` (the step, the partition or worker),
    so that one failing partition among hundreds can be found; raising the
    client's own error unchanged names nothing.
    """
    assert error is not None, (
        f"{what} returned normally although its client raised "
        f"{type(origin).__name__}: the failure was swallowed"
    )
    chain = causes(error)
    if not any(cause is origin for cause in chain):
        context = error.__context__
        hidden = error.__suppress_context__ or context is not None
        hint = (
            "raise ... from error"
            if hidden
            else "let the client's error through, or raise from it"
        )
        msg = (
            f"{what} raised without the client's error as its cause ({hint}):\n"
            f"{describe_chain(error)}"
        )
        raise AssertionError(msg)
    message = str(error)
    for name in names:
        assert name in message, (
            f"{what} raised an error that does not name {name!r}:\n"
            f"{describe_chain(error)}"
        )


# --- Counting clients -------------------------------------------------------


@dataclass(frozen=True)
class ConnectCall:
    """The arguments of one `connect` call the ledger saw."""

    args: tuple[object, ...]
    kwargs: dict[str, object]

    def values(self) -> list[object]:
        """Return every argument, positional then keyword."""
        return [*self.args, *self.kwargs.values()]


class _Here(threading.local):
    calls = 0
    seconds = 0.0
    injected: BaseException | None = None


class ClientLedger:
    """Counts the clients a connector opens through `connect`, and their calls.

    `wrap(connect)` returns a `connect` that hands out counting proxies: each
    forwards every attribute to the real client, counts and times every
    method call, notes on which thread it runs and whether that thread was
    inside a call of the connector then (`in_call`), and counts the client's
    first `close()`, or `aclose()` once it has run to its end (it takes a
    few turns of the event loop, see `ACLOSE_STEPS`); a second close is a
    double close. The
    `connect` call itself is counted as a call too. `fail_call`,
    `fail_close` and `block_calls` make later calls raise or wait, as a
    broken or hung backend would. It works for `connect` functions that
    return a client and for those that return an awaitable of one.
    """

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.calls = 0
        self.double_closes: list[str] = []
        self.connects: list[ConnectCall] = []
        self.injected: list[BaseException] = []
        self.outside: list[str] = []
        self._clients: list[_CountedClient] = []
        self._here = _Here()
        self._fail_at: int | None = None
        self._failure: Callable[[], BaseException] = InjectedClientError
        self._fail_close = False
        self._blocked: threading.Event | None = None
        self._observer: Callable[[str], object] | None = None
        self._hang: timedelta | None = None
        self._lock = threading.Lock()

    # -- Making clients

    def wrap(self, connect: C) -> C:
        """Return `connect` with every client it opens counted."""
        inner = cast(Callable[..., Any], connect)

        def counted(*args: object, **kwargs: object) -> object:
            with self._lock:
                self.connects.append(ConnectCall(args, dict(kwargs)))
            failure = self.before_call("connect")
            if failure is not None:
                raise failure
            made = inner(*args, **kwargs)
            if inspect.isawaitable(made):
                return self._track_later(made)
            return self._track(made)

        if self._hang is not None:
            hang = self._hang

            async def hung(*args: object, **kwargs: object) -> object:
                # Never answers, whatever timeout it was given.
                await asyncio.sleep(hang.total_seconds())
                return await cast(Awaitable[object], counted(*args, **kwargs))

            return cast(C, hung)

        return cast(C, counted)

    async def _track_later(self, made: Awaitable[object]) -> _CountedClient:
        return self._track(await made)

    def _track(self, client: object) -> _CountedClient:
        with self._lock:
            self.opened += 1
            counted = _CountedClient(client, self, self.opened)
            self._clients.append(counted)
        return counted

    # -- Faults on demand

    def fail_call(
        self, after: int = 0, error: Callable[[], BaseException] = InjectedClientError
    ) -> None:
        """Make the call after the next `after` client calls (`connect` too) raise."""
        with self._lock:
            self._fail_at = self.calls + after
            self._failure = error

    def hang_connect(self, duration: timedelta) -> None:
        """Make the async `connect` of later `wrap`s hang, whatever its timeout."""
        self._hang = duration

    def fail_close(self) -> None:
        """Make the next client close raise (after closing the client)."""
        with self._lock:
            self._fail_close = True

    def block_calls(self) -> threading.Event:
        """Make every later client call wait until the returned event is set."""
        with self._lock:
            self._blocked = threading.Event()
            return self._blocked

    def observe(self, observer: Callable[[str], object] | None) -> None:
        """Call `observer(method)` after every client call returns."""
        self._observer = observer

    # -- What the proxies report

    def before_call(self, method: str) -> BaseException | None:
        """Count a call; return the failure to raise instead, if one is armed."""
        self._here.calls += 1
        with self._lock:
            number = self.calls
            self.calls += 1
            fail = self._fail_at == number
            if fail:
                self._fail_at = None
            blocked = self._blocked
            if not inside_call():
                thread = threading.current_thread().name
                self.outside.append(f"{method}() on thread {thread!r}")
        if fail:
            failure = self._failure()
            with self._lock:
                self.injected.append(failure)
            self._here.injected = failure
            return failure
        if blocked is not None:
            blocked.wait()
        return None

    def after_call(self, method: str, seconds: float) -> None:
        """Add a call's duration to this thread's client time; tell the observer."""
        self._here.seconds += seconds
        if self._observer is not None:
            self._observer(method)

    def note_close(self, number: int, first: bool) -> None:
        """Record a close of client `number`.

        Raises:
            InjectedClientError: If `fail_close` was armed.
        """
        with self._lock:
            if first:
                self.closed += 1
            else:
                self.double_closes.append(f"client #{number}")
            fail, self._fail_close = self._fail_close, False
        if fail:
            msg = "injected failure of close()"
            raise InjectedClientError(msg)

    # -- Reading it

    def here(self) -> tuple[int, float]:
        """Return this thread's client calls and seconds spent in them so far."""
        return self._here.calls, self._here.seconds

    def take_injected_here(self) -> BaseException | None:
        """Return and forget the failure injected on this thread, if any."""
        failure, self._here.injected = self._here.injected, None
        return failure

    @property
    def open_now(self) -> int:
        """Clients opened and not yet closed."""
        with self._lock:
            return self.opened - self.closed

    def assert_all_closed(self, after: str) -> None:
        """Fail if a client is still open or was closed twice."""
        with self._lock:
            open_now, doubles = self.opened - self.closed, list(self.double_closes)
        assert open_now == 0, f"{open_now} client(s) left open after {after}"
        assert doubles == [], f"closed twice after {after}: {doubles}"

    def assert_calls_inside(self, what: str) -> None:
        """Fail if a client call ran outside every call of the connector.

        A sink that leaves writes to a thread of its own reports them written
        before they are: a crash then loses them, and their errors reach no one.
        """
        with self._lock:
            outside = list(self.outside)
        assert outside == [], (
            f"{what}: {len(outside)} client calls ran outside the connector's "
            f"calls (on a background thread?), e.g. {outside[:3]}"
        )

    def assert_timeout_passed(self, timeout: timedelta, what: str) -> None:
        """Every `connect` got `timeout`: as a `timedelta`, or in seconds."""
        with self._lock:
            connects = list(self.connects)
        wanted = timeout.total_seconds()
        for connect in connects:
            values = connect.values()
            seconds = [
                value.total_seconds() if isinstance(value, timedelta) else value
                for value in values
                if isinstance(value, (timedelta, float))
            ]
            assert any(abs(s - wanted) < 1e-9 for s in seconds), (
                f"{what}: connect() got {connect.args}, {connect.kwargs}, not the "
                f"client timeout it was built with ({timeout}): a timeout not "
                "passed on, or converted with .seconds instead of total_seconds()?"
            )

    def close_leftovers(self, close: Callable[[object], None]) -> int:
        """Close every client still open with `close`; return how many there were."""
        with self._lock:
            left = [client for client in self._clients if client.closes == 0]
        for client in left:
            # Cleanup after a failed check: its failure is what counts.
            with suppress(Exception):
                close(client.inner)
        return len(left)


class _CountedClient:
    def __init__(self, inner: object, ledger: ClientLedger, number: int) -> None:
        self.inner = inner
        self.closes = 0
        self._ledger = ledger
        self._number = number

    def __getattr__(self, name: str) -> object:
        value = getattr(self.inner, name)
        if not callable(value):
            return value
        ledger = self._ledger
        is_async = inspect.iscoroutinefunction(value)

        def forwarded(*args: object, **kwargs: object) -> object:
            failure = ledger.before_call(name)
            if failure is not None:
                return _raise_later(failure) if is_async else _raise(failure)
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                ledger.after_call(name, time.perf_counter() - start)

        return forwarded

    def _count_close(self) -> None:
        self.closes += 1
        self._ledger.note_close(self._number, first=self.closes == 1)

    def close(self) -> None:
        first = self.closes == 0
        try:
            if first:
                cast(Any, self.inner).close()
        finally:
            self._count_close()

    async def aclose(self) -> None:
        if self.closes == 0:
            try:
                await cast(Any, self.inner).aclose()
            except Exception:
                self._count_close()
                raise
            # A goodbye takes a few turns of the loop and a timer: a close
            # that is cancelled, or never run to its end, is not counted.
            for _ in range(ACLOSE_STEPS):
                await asyncio.sleep(0)
            await asyncio.sleep(0.001)
        self._count_close()


def _raise(error: BaseException) -> NoReturn:
    raise error


async def _raise_later(error: BaseException) -> NoReturn:
    raise error


def close_client(client: object) -> None:
    """Close an abandoned client: `close()`, or `aclose()` on a new event loop."""
    close = getattr(client, "close", None)
    if callable(close) and not inspect.iscoroutinefunction(close):
        close()
        return
    aclose = getattr(client, "aclose", None)
    if callable(aclose):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(aclose())
        finally:
            loop.close()


# --- Calling a connector as the runtime would -------------------------------


@dataclass(kw_only=True)
class Harness:
    """How a check calls a connector: on one thread, under deadlines, accounted.

    Every call goes through `op`: on the `Caller`'s thread, marked as a call
    of the connector (`in_call`: the sleep guard and the ledger see it), and
    checked for swallowed failures. The kinds' checks build on it.

    Attributes:
        ledger: Counts the clients and their calls.
        stats: Times the calls that must not wait.
        caller: Runs the calls under the budget's deadline.
        failed: The last call that raised, and the names its error must hold.
        kept: Failures a call was allowed to keep to itself (`close()` of a
            sink), with the name its log record must hold.
        built: The `close` of every partition built, for `close_built`.
        failed_logged: What the call that raised logged at ERROR or above.
    """

    ledger: ClientLedger
    stats: CallStats
    caller: Caller
    failed: tuple[str, tuple[str, ...]] | None = None
    kept: list[tuple[str, str, BaseException]] = field(default_factory=list)
    built: list[Callable[[], object]] = field(default_factory=list)
    failed_logged: list[logging.LogRecord] = field(default_factory=list)

    def close_built(self) -> None:
        """Close every partition the check built, quietly: it failed half-way."""
        if self.caller.stuck:
            return
        for close in self.built:
            with suppress(Exception):
                self.caller.call("closing after a failed check", close)

    def op(
        self,
        what: str,
        fn: Callable[[], T],
        names: Sequence[str] = (),
        *,
        keeps: str | None = None,
    ) -> T:
        """Call the connector as the runtime would.

        A client failure injected during the call must not be swallowed: the
        call must raise. Only a call that `keeps` its failures returns; `kept`
        lists them, to be found logged. If the call raises, `failed` says
        which call it was and what its error must name.
        """

        def job() -> T:
            errors = _Collect(logging.ERROR)
            root = logging.getLogger()
            root.addHandler(errors)
            try:
                with in_call():
                    result = fn()
            except BaseException:
                self.ledger.take_injected_here()
                self.failed = (what, tuple(names))
                self.failed_logged = list(errors.records)
                raise
            finally:
                root.removeHandler(errors)
            failure = self.ledger.take_injected_here()
            if failure is not None and keeps is not None:
                self.kept.append((what, keeps, failure))
                return result
            assert failure is None, (
                f"{what} returned normally although its client raised "
                f"{type(failure).__name__}: the failure was swallowed"
            )
            return result

        return self.caller.call(what, job)

    def timed(self, kind: str, fn: Callable[[], T], allowance: float = 0.0) -> T:
        """Run `fn` (inside an `op`), filing its time in `stats`.

        Calls that made client calls and calls that made none are filed
        apart (`kind`, with "wrote" or "kept"): a connector that waits only
        when it writes is caught even if most of its calls only buffer.
        """
        calls, client = self.ledger.here()
        start = time.perf_counter()
        try:
            return fn()
        finally:
            total = time.perf_counter() - start
            calls_after, after = self.ledger.here()
            how = "wrote" if calls_after > calls else "kept"
            self.stats.add(f"{kind}, {how}", total, after - client, allowance)

    def assert_kept_logged(self, logs: Sequence[logging.LogRecord]) -> None:
        """Every failure a call kept to itself was logged, at WARNING or above."""
        for what, name, failure in self.kept:
            record = assert_logged(
                logs, name, what=f"{what}, which failed", level=logging.WARNING
            )
            assert record.exc_info or str(failure) in record.getMessage(), (
                f"{what} logged {record.getMessage()!r} without the error"
            )

    def assert_surfaced(
        self, error: BaseException | None, origin: BaseException, what: str
    ) -> None:
        """A failure surfaced from the call that met it (see `assert_raised_from`).

        Raised, with `origin` as its explicit cause, naming what it must, and
        not also logged at ERROR by the call that raised it.
        """
        assert error is not None, f"{what} failed and the connector raised nothing"
        if isinstance(error, AssertionError) and "swallowed" in str(error):
            raise error
        call, names = self.failed or ("a call", ())
        assert_raised_from(
            error, origin, what=f"{call}, after {what} failed", names=names
        )
        assert_not_logged_as_error(
            self.failed_logged, what=f"{call}, after {what} failed,"
        )


def assert_close_failure_seen(
    harness: Harness, what: str, close: Callable[[], object], name: str
) -> None:
    """A client whose close fails: the connector's `close()` does not hide it.

    Arms `ClientLedger.fail_close` and calls `close`: it must raise, with
    the client's error among its causes, or log it at WARNING or above,
    naming `name`. A close that swallows it reports every acknowledgement,
    commit or release as done when the last one failed.
    """
    harness.ledger.fail_close()
    with capture_logs() as logs:
        error = error_of(partial(harness.op, what, close))
    if isinstance(error, AssertionError):
        raise error
    if error is not None:
        assert caused_by(error, InjectedClientError), (
            f"{what} raised without the client's failed close as its cause:\n"
            f"{describe_chain(error)}"
        )
        return
    loud = [r for r in logs if r.levelno >= logging.WARNING]
    assert loud, (
        f"{what}: the client's close failed, and close() returned without raising "
        "or logging it at WARNING or above: the failure was swallowed"
    )
    assert_logged(
        logs, name, what=f"{what}, whose client failed to close", level=logging.WARNING
    )


def assert_backend_failure_surfaced(
    harness: Harness, error: BaseException | None, what: str
) -> None:
    """A failure of the backend itself (not of a client call the kit failed) surfaced.

    Raised from the call that met it, with the backend's error as its
    explicit cause, naming what that call must name; not swallowed by the
    client (a rollback and a normal return), nor by the connector.
    """
    if isinstance(error, AssertionError):
        raise error
    assert error is not None, (
        f"{what}, and the call returned normally: the backend's error was "
        "swallowed (a client that rolls back and returns, or a connector that "
        "catches it)"
    )
    call, names = harness.failed or ("a call", ())
    assert error.__cause__ is not None, (
        f"{call} raised without the backend's error as its cause, after {what}:\n"
        f"{describe_chain(error)}"
    )
    for name in names:
        assert name in str(error), (
            f"{call}, after {what}, raised an error that does not name {name!r}:\n"
            f"{describe_chain(error)}"
        )


ATOMIC_SIZES = ((150, 600), (1000, 3000))
"""Ranges the all-or-nothing checks draw batch sizes from, one from each."""


def refused_batches(plan: Plan) -> list[tuple[int, int]]:
    """The batches of the all-or-nothing checks: `(size, index of the refused value)`.

    A batch of 4, then one of a size drawn under `plan` from each range of
    `ATOMIC_SIZES`, larger than any chunk a client may commit on its own;
    the refused value sits late in each, in its last eighth.
    """
    rng = random.Random(f"{plan.seed}:all or nothing")
    sizes = [4, *(rng.randint(low, high) for low, high in ATOMIC_SIZES)]
    return [(size, size - 1 - rng.randrange(max(1, size // 8))) for size in sizes]


def assert_refused(error: BaseException | None, what: str) -> None:
    """A write holding a value the downstream refuses raised, with a cause."""
    if isinstance(error, AssertionError):
        raise error
    assert error is not None, f"{what} was written without an error"
    assert error.__cause__ is not None, f"{what} raised without its cause: {error!r}"


def write_while_locked(
    write: Callable[[], object],
    release: Callable[[], None],
    hold: timedelta | None,
) -> BaseException | None:
    """Run `write` while the downstream's lock is held; return what it raised.

    The lock is let go after `hold` on a thread of the kit's own, or, with
    `hold` None, only once the write has returned.
    """
    releaser = None
    if hold is not None:
        releaser = threading.Timer(hold.total_seconds(), release)
        releaser.name = f"{THREAD_PREFIX}-release"
        releaser.daemon = True
        releaser.start()
    try:
        return error_of(write)
    finally:
        if releaser is not None:
            releaser.join()
        release()


def assert_waited_for_lock(error: BaseException | None) -> None:
    """A write under a lock held for `SHORT_HOLD` waited for it and succeeded."""
    if isinstance(error, AssertionError):
        raise error
    assert error is None, (
        f"a write failed while the downstream's lock was held for {SHORT_HOLD}, "
        f"well within the client timeout ({CLIENT_TIMEOUT}): a writer must "
        "wait for it (a lock or busy timeout in the wrong unit?):\n"
        f"{describe_chain(error)}"
    )


def assert_gave_up_on_lock(
    harness: Harness, error: BaseException | None, client_timeout: timedelta
) -> None:
    """A write under a lock held past `client_timeout` failed in time, surfaced."""
    if harness.caller.stuck:
        msg = (
            "a write still waited for the downstream's lock past the kit's "
            f"deadline, with a client timeout of {client_timeout}: a lock or busy "
            "timeout in the wrong unit, or none?"
        )
        raise AssertionError(msg) from error
    what = f"the downstream's lock was held past the client timeout ({client_timeout})"
    assert_backend_failure_surfaced(harness, error, what)


def planned_fault(error: BaseException | None, what: str) -> BaseException:
    """Return the `UpstreamFaultError` among `error`'s causes; fail without one."""
    assert error is not None, f"{what} failed, unseen"
    found = next((c for c in causes(error) if isinstance(c, UpstreamFaultError)), None)
    assert found is not None, (
        f"{what} failed and the connector raised {error!r}, not an error caused by it"
    )
    return found


# --- Resources --------------------------------------------------------------


def open_fds() -> list[str] | None:
    """Return what this process's open file descriptors point to, or None."""
    for folder in (Path("/proc/self/fd"), Path("/dev/fd")):
        if folder.is_dir():
            return [target for fd in folder.iterdir() if (target := _target(fd))]
    return None


def _target(fd: Path) -> str:
    try:
        return str(fd.readlink())
    except OSError:  # closed since it was listed
        return ""


def live_threads() -> dict[int, threading.Thread]:
    """Return this process's Python threads, but for the kit's own and foreign ones."""
    dummy = cast(type, getattr(threading, "_DummyThread", ()))
    return {
        thread.ident: thread
        for thread in threading.enumerate()
        if thread.ident is not None
        and not isinstance(thread, dummy)
        and not thread.name.startswith(THREAD_PREFIX)
    }


@dataclass(frozen=True)
class Resources:
    """What the process holds at one moment: file descriptors and threads."""

    fds: list[str] | None
    threads: frozenset[int]

    @classmethod
    def now(cls) -> Resources:
        """Take the count now (after a garbage collection)."""
        gc.collect()
        return cls(open_fds(), frozenset(live_threads()))

    def assert_released(self, *, what: str, settle: timedelta) -> None:
        """Fail if threads or file descriptors opened since remain after `settle`."""
        deadline = time.monotonic() + settle.total_seconds()
        while True:
            gc.collect()
            threads = [t for i, t in live_threads().items() if i not in self.threads]
            fds = open_fds()
            extra: list[str] = []
            if fds is not None and self.fds is not None:
                remaining = list(self.fds)
                for target in fds:
                    if target in remaining:
                        remaining.remove(target)
                    else:
                        extra.append(target)
            if not threads and not extra:
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert not threads, (
            f"{len(threads)} thread(s) still run after {what}: "
            + ", ".join(f"{t.name!r} (daemon={t.daemon})" for t in threads[:5])
        )
        assert not extra, (
            f"{len(extra)} file descriptor(s) left open after {what}, e.g. {extra[:5]}"
        )


_accounting = threading.local()


@contextmanager
def accounted(what: str, settle: timedelta = timedelta(seconds=2)) -> Iterator[None]:
    """Fail if a block that succeeds leaves threads or file descriptors behind.

    Blocks nested in an accounted block are accounted for by the outer one
    only: a check that runs many small scenarios (every plan, every failing
    call) counts once, around them all.
    """
    if getattr(_accounting, "depth", 0):
        _accounting.depth += 1
        try:
            yield
        finally:
            _accounting.depth -= 1
        return
    before = Resources.now()
    _accounting.depth = 1
    try:
        yield
    finally:
        _accounting.depth = 0
    before.assert_released(what=what, settle=settle)


MEMORY_SLACK = 16 * 1024
"""Most traced memory a long read or write may keep: 4 bytes a record over
`MEMORY_ITEMS` records. A correct connector keeps none; one that keeps as
little as a pointer per record (a list of what it read) keeps twice this."""

MEMORY_ITEMS = 4000
"""Records read (or values written) in each half of a memory check."""


def assert_memory_flat(
    first: Callable[[], object], second: Callable[[], object], *, what: str
) -> int:
    """Run `first`, then `second`; memory allocated by `second` must not stay.

    `second` handles as many records as `first`, so what stays allocated
    after it (but for the kit's own bookkeeping) grows with the records: a
    cache, a list of positions, a set of keys seen.

    Returns:
        The bytes that stayed allocated.
    """
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        first()
        gc.collect()
        before = tracemalloc.take_snapshot()
        second()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        if not tracing:
            tracemalloc.stop()
    ignore = [
        tracemalloc.Filter(False, f"{KIT_DIR}{os.sep}*"),
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, threading.__file__),
    ]
    diff = after.filter_traces(ignore).compare_to(
        before.filter_traces(ignore), "lineno"
    )
    grown = sum(stat.size_diff for stat in diff if stat.size_diff > 0)
    top = [str(stat) for stat in diff[:3]]
    assert grown <= MEMORY_SLACK, (
        f"{what}: {grown // 1024} KiB stayed allocated over {MEMORY_ITEMS} more "
        f"records (at most {MEMORY_SLACK // 1024} KiB may): memory grows with the "
        f"records. Largest: {top}"
    )
    return grown


# --- Logs -------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__(level)
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


def by_level(records: Sequence[logging.LogRecord]) -> dict[str, int]:
    """Count log records by level name."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.levelname] = counts.get(record.levelname, 0) + 1
    return counts


def assert_logged(
    records: Sequence[logging.LogRecord],
    *words: str,
    what: str,
    level: int = logging.DEBUG,
) -> logging.LogRecord:
    """Fail unless a record at `level` or above contains every one of `words`."""
    for record in records:
        message = record.getMessage()
        if record.levelno >= level and all(word in message for word in words):
            return record
    messages = [f"{r.levelname}: {r.getMessage()}" for r in records[-5:]]
    msg = f"no log record for {what} names {words}: {messages}"
    raise AssertionError(msg)


def assert_quiet(
    records: Sequence[logging.LogRecord],
    *,
    what: str,
    calls: int,
    doing: str = "idle",
) -> None:
    """In normal operation: nothing at WARNING or above, and not a record per call.

    An idle connector is polled all day, and a sink writes batch after
    batch: what it logs on every call floods the logs, and a warning there
    pages someone for nothing. `doing` says what the calls did ("idle",
    "writing healthy batches").
    """
    loud = [r for r in records if r.levelno >= logging.WARNING]
    assert not loud, (
        f"{what} logged {by_level(loud)} while {doing}, e.g. "
        f"{loud[0].levelname}: {loud[0].getMessage()!r}"
    )
    chatty = [r for r in records if r.levelno >= logging.INFO]
    assert len(chatty) <= calls // 4, (
        f"{what} logged {len(chatty)} records at INFO in {calls} calls while "
        f"{doing}, e.g. {chatty[0].getMessage()!r}: log routine calls at DEBUG"
    )


def assert_not_logged_as_error(
    records: Sequence[logging.LogRecord], *, what: str
) -> None:
    """A failure that is raised is not also logged at ERROR (it is reported twice)."""
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert not errors, (
        f"{what} raised and also logged {errors[0].levelname}: "
        f"{errors[0].getMessage()!r}. Bytewax reports what is raised: log or "
        "raise, not both"
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
    budget: Budget,
    *,
    workers: int = 1,
    epoch_interval: timedelta | None = None,
    recovery_config: RecoveryConfig | None = None,
) -> None:
    """Run `flow` to completion in this process, within `budget.flow`.

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

    call_with_deadline(f"a dataflow run on {workers} worker(s)", run, budget.flow)


def collect(
    source: Source[X],
    budget: Budget,
    *,
    workers: int = 1,
    epoch_interval: timedelta | None = None,
    recovery_config: RecoveryConfig | None = None,
    into: list[X] | None = None,
) -> list[X]:
    """Run a dataflow that writes every item of `source` to a list.

    Args:
        source: The source to read.
        budget: Gives the run's deadline.
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
        budget,
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


def wait_for(condition: Callable[[], bool], deadline: timedelta) -> bool:
    """Wait until `condition()` holds (polling it), at most `deadline`."""
    end = time.monotonic() + deadline.total_seconds()
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def wait_until(moment: datetime | None, cap: timedelta) -> None:
    """Sleep (in the test, never in a connector) until `moment`, at most `cap`."""
    if moment is None:
        return
    delay = (moment - datetime.now(timezone.utc)).total_seconds()
    if delay > 0:
        time.sleep(min(delay, cap.total_seconds()))


def first_error(
    next_batch: Callable[[], object], next_awake: Callable[[], datetime | None]
) -> BaseException | None:
    """Call `next_batch` up to `SAMPLES` times as the runtime does; return its error."""
    for _ in range(SAMPLES):
        try:
            next_batch()
        except Exception as error:  # StopIteration included
            return error
        wait_until(next_awake(), HAND_POLL)
    return None


def assert_missing_fails(
    error: BaseException | None, what: str, names: Sequence[str]
) -> None:
    """A source asked for what the upstream lacks raised, naming `names`.

    Reading nothing, or ending as if empty, hides a misspelt or deleted
    partition or shard for good.
    """
    if isinstance(error, AssertionError):
        raise error
    assert error is not None, (
        f"{what} read nothing for {SAMPLES} calls and raised nothing: a source "
        "asked for what does not exist must fail, not read nothing silently"
    )
    assert not isinstance(error, StopIteration), (
        f"{what} ended as if it were empty: a source asked for what does not "
        "exist must fail, not end silently"
    )
    for name in names:
        assert name in str(error), (
            f"{what} failed with an error that does not name {name!r}: {error!r}"
        )


# --- Assertions -------------------------------------------------------------


def assert_aware_utc(
    moment: datetime | None,
    *,
    not_before: datetime,
    not_after: datetime,
    what: str = "next_awake()",
) -> datetime:
    """Check a `next_awake` answer: an aware UTC datetime within the bounds.

    Bytewax rejects naive datetimes and other tzinfo objects (even
    `ZoneInfo("UTC")`): only `datetime.timezone.utc` works.

    Returns:
        `moment`, known not to be `None`.
    """
    assert moment is not None, (
        f"{what} returned None after an empty batch: the runtime calls again at "
        "once, a spin"
    )
    assert moment.tzinfo is timezone.utc, (
        f"{what} must use datetime.timezone.utc, got tzinfo={moment.tzinfo!r}"
    )
    assert not_before <= moment <= not_after, (
        f"{what} returned {moment}, expected between {not_before} and {not_after} "
        "(one poll interval after the empty batch)"
    )
    return moment


def assert_poll_rate(calls: int, idle_seconds: float, period: timedelta) -> None:
    """An idle partition was not polled more often than once per `period`.

    `calls` counts `next_batch` calls made during `idle_seconds` of
    idleness, the first at its start. Respecting `next_awake` allows at most
    one call per period, plus the first one and a margin of two for timer
    rounding; a spin is called about once per millisecond instead. A loaded
    machine only makes calls rarer, so this bound cannot fail a correct
    source.
    """
    expected = idle_seconds / period.total_seconds()
    assert calls <= expected + 3, (
        f"polled too often: {calls} next_batch calls in {idle_seconds:.3f} s idle, "
        f"poll period {period.total_seconds():.3f} s (about {expected:.1f} "
        "expected): does an empty batch end up asking to be called at once?"
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


# --- Reading by hand -------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How a check reads a partition by hand.

    Attributes:
        what: Names the partition in failures.
        batch_size: The most records one batch may hold.
        poll_interval: What `next_awake` must ask for after an empty batch.
        full: Records stored beyond what was read fill whole batches.
        pace: Longest the kit waits after an empty batch before calling again
            (a correct source may be called before its `next_awake`).
    """

    what: str
    batch_size: int
    poll_interval: timedelta
    full: bool = True
    pace: timedelta = timedelta(milliseconds=1)


def read_by_hand(
    next_batch: Callable[[], list[X]],
    next_awake: Callable[[], datetime | None],
    reading: Reading,
    budget: Budget,
    *,
    count: int | None,
    on_batch: Callable[[list[X]], object] = lambda batch: None,
) -> list[X]:
    """Call `next_batch` as the runtime would, checking every answer.

    With `count`, the source tails: call until `count` items came, then once
    more, which must return nothing (the upstream holds no more). Without it,
    call until `StopIteration` (the source must end). Along the way:

    * no batch is larger than `batch_size`, and while at least `batch_size`
      records wait a batch is full (when `reading.full`);
    * after a batch that leaves records waiting, `next_awake` does not ask to
      wait (the runtime must call again at once);
    * after an empty batch, `next_awake` is aware UTC, one poll interval after
      the call;
    * a partition that returns nothing for `budget.quiet` while records it
      must deliver are stored fails (they are lost).

    Returns:
        Every item, in order.
    """
    items: list[X] = []
    last_record = time.monotonic()
    while count is None or len(items) < count:
        before = datetime.now(timezone.utc)
        try:
            batch = next_batch()
        except StopIteration:
            if count is None:
                return items
            got = f"{reading.what} delivered {len(items)} of {count} items"
            msg = f"{got}, then ended although it tails (does not stop at the end)"
            raise AssertionError(msg) from None
        after = datetime.now(timezone.utc)
        assert len(batch) <= reading.batch_size, (
            f"{reading.what} returned {len(batch)} records, batch size is "
            f"{reading.batch_size}"
        )
        if batch:
            items += batch
            last_record = time.monotonic()
            on_batch(batch)
            waiting = None if count is None else count - len(items)
            if reading.full and waiting is not None and waiting >= 0:
                assert len(batch) == reading.batch_size or waiting == 0, (
                    f"{reading.what} returned {len(batch)} records while "
                    f"{len(batch) + waiting} were stored: batches must be full "
                    f"({reading.batch_size}) while records wait (does it ask its "
                    "client for fewer?)"
                )
            if waiting:
                awake = next_awake()
                assert awake is None or awake <= datetime.now(timezone.utc), (
                    f"{reading.what}: next_awake() asked to wait until {awake} "
                    f"after a batch, with {waiting} records waiting: it must be "
                    "None after a batch, or the partition reads one batch per "
                    "poll interval"
                )
            continue
        quiet = time.monotonic() - last_record
        waiting_text = "" if count is None else f" of {count}"
        assert quiet < budget.quiet.total_seconds(), (
            f"{reading.what} delivered {len(items)}{waiting_text} items, then "
            f"nothing for {quiet:.1f} s"
            + ("" if count is not None else " without ending")
        )
        awake = assert_aware_utc(
            next_awake(),
            not_before=before + reading.poll_interval,
            not_after=after + reading.poll_interval,
            what=f"next_awake() of {reading.what}",
        )
        wait_until(awake, reading.pace)
    try:
        extra = next_batch()
    except StopIteration:
        msg = f"{reading.what} ended after its {count} items although it tails"
        raise AssertionError(msg) from None
    assert extra == [], (
        f"{reading.what} returned items beyond the {count} stored: {extra}"
    )
    return items


# --- Processes --------------------------------------------------------------


RUNTIME_CHATTER = re.compile(
    r"worker \d+:\s*error connecting to worker \d+: .*?; retrying"
)
"""What the runtime itself prints to stdout while the processes of a cluster
connect (a process that starts first retries until the others listen)."""


def split_printed(stdout: str, lines: Iterable[str]) -> tuple[list[str], str]:
    """Find the known lines that concurrent workers printed, in print order.

    `StdOutSink` writes a line and its newline separately, so two workers can
    print `A`, `B`, newline, newline (`AB` then an empty line). Each write
    stays whole, though, so the text without newlines is the printed lines
    back to back: this scans it for the known lines, trying longer ones
    first. Lines must not contain one another.

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
    outputs: Sequence[str], expected: Mapping[str, Sequence[str]]
) -> None:
    """Every expected line was printed once by one process, in order, and nothing else.

    Each of `outputs` is one process's stdout. Lines of different groups may
    interleave, even within one line of output (see `split_printed`); the
    lines of one group must come from one process, in order. Besides them,
    only `RUNTIME_CHATTER` may appear.
    """
    wanted = [line for lines in expected.values() for line in lines]
    printed: list[str] = []
    by_process: list[list[str]] = []
    for stdout in outputs:
        found, other = split_printed(stdout, wanted)
        unexplained = RUNTIME_CHATTER.sub("", other)
        assert unexplained == "", f"unexpected output: {unexplained[:300]!r}"
        printed += found
        by_process.append(found)
    assert_each_once_in_order(printed, expected, str)
    for group, lines in expected.items():
        for found in by_process:
            mine = [line for line in found if line in set(lines)]
            assert mine in ([], list(lines)) or mine == [
                line for line in lines if line in set(mine)
            ], f"group {group!r} out of order within a process: {mine}"


def child_env(root: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child process: this one's, with `root/src` importable."""
    env = dict(os.environ)
    src = str(root / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    if sys.platform == "win32":
        proc.kill()
    else:
        # The child may have started processes of its own.
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class _Child:
    """One child process whose stdout and stderr are read as they come."""

    def __init__(self, args: Sequence[str], root: Path, env: Mapping[str, str]) -> None:
        self.args = list(args)
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=root,
            env=child_env(root, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            start_new_session=sys.platform != "win32",
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(
                target=_read_into,
                args=(stream, chunks),
                daemon=True,
                name=f"{THREAD_PREFIX}-reader",
            )
            for stream, chunks in (
                (self.proc.stdout, self.out),
                (self.proc.stderr, self.err),
            )
        ]
        for reader in self._readers:
            reader.start()

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def finish(self) -> None:
        _stop(self.proc)
        for reader in self._readers:
            reader.join(5)
        # Closed here rather than when collected, which warns (ResourceWarning).
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _read_into(stream: IO[str], chunks: list[str]) -> None:
    while line := stream.readline():
        chunks.append(line)


def run_module(
    root: Path,
    *args: str,
    budget: Budget,
    env: Mapping[str, str] | None = None,
    until_printed: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Run `python -m <args>` from `root` and check how it ends.

    The child uses this interpreter and finds the package in `root/src` even
    when it is not installed. Without `until_printed` it must exit with 0
    within `budget.process`. With it, a run that never ends is fine: once
    every expected line is out, the process is stopped (after a short grace
    period in which anything else it prints is still caught).

    Returns:
        What the process wrote to stdout.
    """
    child = _Child(["-m", *args], root, env or {})
    wanted = (
        None
        if until_printed is None
        else [line for lines in until_printed.values() for line in lines]
    )
    deadline = time.monotonic() + budget.process.total_seconds()
    stopped = False
    try:
        while child.proc.poll() is None:
            if time.monotonic() > deadline:
                msg = f"python -m {' '.join(args)} still ran after {budget.process}"
                raise AssertionError(msg)
            if wanted is not None and _all_printed(child.stdout, wanted):
                time.sleep(0.2)
                stopped = True
                break
            time.sleep(0.02)
    finally:
        child.finish()
    assert stopped or child.proc.returncode == 0, (
        f"python -m {' '.join(args)} exited with {child.proc.returncode}:\n"
        f"{child.stderr}"
    )
    return child.stdout


def _all_printed(stdout: str, wanted: Sequence[str]) -> bool:
    printed, _ = split_printed(stdout, wanted)
    remaining = list(wanted)
    for line in printed:
        if line in remaining:
            remaining.remove(line)
    return not remaining


PORT_RANGE = range(20000, 32768)
"""Where cluster ports are drawn from: below Linux's ephemeral range, so the
kernel hands none of them to outgoing connections meanwhile."""


def free_ports(count: int) -> list[int]:
    """Return `count` distinct TCP ports of 127.0.0.1 that were free just now.

    Drawn at random (not the kernel's next ephemeral port), so two suites
    that look for ports at the same moment rarely pick the same one; if they
    do, the cluster that loses the port starts again (see `run_cluster`).
    """
    rng = random.SystemRandom()
    ports: list[int] = []
    while len(ports) < count:
        port = rng.choice(PORT_RANGE)
        if port in ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


CLUSTER_RUNNER = """\
import json, os, runpy, sys
probe = os.environ.get("BYTEWAX_KIT_PROBE")
if probe:
    scope = {}
    exec(probe, scope)
    with open(os.environ["BYTEWAX_KIT_PROBE_OUT"], "w", encoding="utf-8") as out:
        json.dump(scope["result"], out)
sys.argv = ["bytewax.run", *sys.argv[1:]]
runpy.run_module("bytewax.run", run_name="__main__", alter_sys=True)
"""
"""Runs `python -m bytewax.run <args>` after an optional probe: Python code
(the `BYTEWAX_KIT_PROBE` setting) that sets `result`, written as JSON to the
file `BYTEWAX_KIT_PROBE_OUT` names."""


def locate(thing: object) -> tuple[str, str] | None:
    """Return where a module-level function or class is defined, or None."""
    module = getattr(thing, "__module__", None)
    name = getattr(thing, "__qualname__", None)
    if module is None or name is None or "<" in name:
        return None
    return module, name


def resolve(module: str, name: str) -> object:
    """Import what `locate` found, in this process."""
    found: object = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def probe_code(function: Callable[..., object], *args: object) -> str:
    """Python code that calls the kit's `function` with `args` and sets `result`.

    It runs before `bytewax.run` in each process of a cluster (see
    `run_cluster`), with that process's `PYTHONHASHSEED`: arguments must be
    plain values (strings, numbers, lists of them).
    """
    return (
        "import importlib\n"
        f"kit = importlib.import_module({function.__module__!r})\n"
        f"result = kit.{function.__name__}(*{list(args)!r})\n"
    )


PROBE_NAMES = tuple(f"probe-{index:02}" for index in range(16))
"""Partition or shard names of the upstream a cross-process probe builds:
enough that an order drawn from `hash()` differs between two processes."""


CLUSTER_HASH_SEEDS = ("1", "2", "3", "4")
"""`PYTHONHASHSEED` of each process of a cluster: different in every one, so
an order or a routing drawn from `hash()` of a string differs between them."""

_HASH_ORDERS = (
    "import json, sys\n"
    "names = json.loads(sys.argv[1])\n"
    "print(json.dumps([list(set(names)), sorted(names, key=hash)]))\n"
)


def _hash_orders(names: Sequence[str], seed: str | None) -> list[list[str]]:
    """The orders of `names` as a set and sorted by `hash()`, under a hash seed.

    With `seed` None, in this process.
    """
    if seed is None:
        return [list(set(names)), sorted(names, key=hash)]
    done = subprocess.run(
        [sys.executable, "-S", "-c", _HASH_ORDERS, json.dumps(list(names))],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return cast(list[list[str]], json.loads(done.stdout))


def hash_seeds_for(names: Sequence[str], count: int) -> tuple[str, ...]:
    """`count` values of `PYTHONHASHSEED` under which `names` hash apart.

    A few names can come out in one order under two seeds (three names do,
    as a set, under seeds 1 and 2), and then an order drawn from `hash()`
    passes a check across processes by chance. Under the seeds returned, a
    set of `names` and `names` sorted by `hash()` come out in an order this
    process does not have, and, as far as the names allow that many orders,
    one no other seed returned has. With a single name, `CLUSTER_HASH_SEEDS`.
    """
    if len(set(names)) < 2:
        return CLUSTER_HASH_SEEDS[:count]
    here = _hash_orders(names, None)
    seen = [here]
    seeds: list[str] = []
    others: list[str] = []
    for number in range(1, 129):
        if len(seeds) == count:
            break
        seed = str(number)
        orders = _hash_orders(names, seed)
        if all(a != b for known in seen for a, b in zip(orders, known, strict=True)):
            seen.append(orders)
            seeds.append(seed)
        elif all(a != b for a, b in zip(orders, here, strict=True)):
            others.append(seed)
    # Two names have two orders: the other seeds differ from here at least.
    seeds += (others + list(CLUSTER_HASH_SEEDS))[: count - len(seeds)]
    return tuple(seeds)


PORT_TAKEN = re.compile(r"Address already in use|AddrInUse|os error 98", re.IGNORECASE)


@dataclass(frozen=True)
class ClusterRun:
    """What each process of a cluster printed, and what its probe returned."""

    stdouts: list[str]
    probes: list[object]


def run_cluster(
    root: Path,
    target: str,
    *,
    budget: Budget,
    processes: int = 2,
    env: Mapping[str, str] | None = None,
    probe: str | None = None,
    args: Sequence[str] = (),
    attempts: int = 3,
    hash_seeds: Sequence[str] = CLUSTER_HASH_SEEDS,
) -> ClusterRun:
    """Run `python -m bytewax.run <target>` as a cluster of processes on free ports.

    Each process has one worker, its own `-i`, the addresses of all, and its
    own `PYTHONHASHSEED` (from `hash_seeds`, see `hash_seeds_for`); `args` go to every
    process (such as `-r DIR` for recovery). The ports were free
    when picked: if another program takes one first, the cluster is stopped
    and started again on new ports. Every process must exit with 0 within
    `budget.process`.
    """
    assert processes <= len(hash_seeds)
    for attempt in range(attempts):
        ports = free_ports(processes)
        addresses = ";".join(f"127.0.0.1:{port}" for port in ports)
        with tempfile.TemporaryDirectory(prefix="bytewax-kit-") as folder:
            outs = [Path(folder, f"probe-{index}.json") for index in range(processes)]
            children = [
                _Child(
                    [
                        "-c",
                        CLUSTER_RUNNER,
                        target,
                        *args,
                        "-i",
                        str(index),
                        "-a",
                        addresses,
                    ],
                    root,
                    {
                        **(env or {}),
                        "PYTHONHASHSEED": hash_seeds[index],
                        "BYTEWAX_KIT_PROBE": probe or "",
                        "BYTEWAX_KIT_PROBE_OUT": str(outs[index]),
                    },
                )
                for index in range(processes)
            ]
            try:
                taken = _wait_cluster(children, budget, target)
            finally:
                for child in children:
                    child.finish()
            if taken and attempt < attempts - 1:
                continue
            for index, child in enumerate(children):
                assert child.proc.returncode == 0, (
                    f"process {index} of `bytewax.run {target}` exited with "
                    f"{child.proc.returncode}:\n{child.stderr[-3000:]}"
                )
            probes = [
                json.loads(out.read_text(encoding="utf-8")) if probe else None
                for out in outs
            ]
            return ClusterRun([child.stdout for child in children], probes)
    msg = f"`bytewax.run {target}` found no free ports in {attempts} attempts"
    raise AssertionError(msg)


def _wait_cluster(children: Sequence[_Child], budget: Budget, target: str) -> bool:
    """Wait for every process; return True if one lost its port to another program."""
    deadline = time.monotonic() + budget.process.total_seconds()
    while any(child.proc.poll() is None for child in children):
        failed = [c for c in children if c.proc.poll() not in (None, 0)]
        if failed:
            # The others would wait for it for good.
            return any(PORT_TAKEN.search(child.stderr) for child in failed)
        if time.monotonic() > deadline:
            msg = f"the cluster running {target} still ran after {budget.process}"
            raise AssertionError(msg)
        time.sleep(0.02)
    return any(
        child.proc.returncode != 0 and PORT_TAKEN.search(child.stderr)
        for child in children
    )


# --- The adapters -----------------------------------------------------------


@dataclass(frozen=True)
class ExampleRun(Generic[U, X]):
    """What the example module reads when the kit runs it.

    Attributes:
        upstream: The upstream the example reads, released (`Adapter.close`)
            once the example ran; None if it needs no releasing.
        records: Every record the example must print (one `str(record)` per
            line), by partition or shard, each in order.
        env: Environment variables for the example process, e.g. the address
            of the upstream holding `records`.
    """

    upstream: U | None
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

    misbehaves: ClassVar[bool] = False
    """Whether `open` makes the upstream behave as a plan says: fail and stall at
    the planned calls, answer slowly, return empty reads. The demos' adapters
    do; checks that need it are left out for an adapter that does not."""

    @abstractmethod
    def open(self, plan: Plan) -> U:
        """Create a fresh, empty upstream that nothing else uses.

        Name its partitions (or shards) after `plan.names` where the backend
        allows it, at least three of them, and make it behave as `plan` says
        where it can (empty reads, slow calls, the failure and the stall at
        the planned calls); ignore what it cannot do.
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
    def example(self) -> ExampleRun[U, X]:
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

    def connections(self, upstream: U) -> int | None:
        """Return how many connections the upstream sees open (None: unknown)."""
        return None

    def remove(self, upstream: U, partition: str) -> bool:
        """Delete a partition (or shard) of the upstream, as an operator may.

        A source still reading it must then fail, not read nothing.

        Returns:
            False if the upstream cannot (the checks then skip this).
        """
        return False

    def close(self, upstream: U) -> None:
        """Release an upstream the checks no longer need (delete a topic)."""

    def close_client(self, client: object) -> None:
        """Close a client the source left open, once its check has failed.

        The kit closes every client it counted; override this for clients
        that need more than `close()` or `aclose()` on a new event loop.
        """
        close_client(client)


@dataclass(frozen=True)
class SinkExample(Generic[D]):
    """What the example module writes when the kit runs it.

    Attributes:
        downstream: Where the example writes, to read back afterwards.
        items: The `(key, value)` items the example writes, in order.
        env: Environment variables for the example process, e.g. the address
            of `downstream`.
    """

    downstream: D
    items: Sequence[Item]
    env: Mapping[str, str] = field(default_factory=dict)


class SinkAdapter(ABC, Generic[D, C, T]):
    """How the checks reach a sink's downstream: the part a test module writes.

    `D` is a handle on one downstream (a demo file, or a table, topic or
    bucket of a real backend), `C` the `connect` argument the sink takes and
    `T` what the downstream holds, as `contents` reads it back. Pointing the
    kit at a real backend means writing another adapter; the checks stay as
    they are.
    """

    misbehaves: ClassVar[bool] = False
    """Whether `open` makes the downstream behave as a plan says: fail and stall at
    the planned calls, answer slowly, return empty reads. The demos' adapters
    do; checks that need it are left out for an adapter that does not."""

    @abstractmethod
    def open(self, plan: Plan) -> D:
        """Create a fresh, empty downstream that nothing else uses.

        Make it behave as `plan` says where it can (slow calls, the failure
        and the stall at the planned calls); ignore what it cannot do.
        """

    @abstractmethod
    def connect(self, downstream: D) -> C:
        """Return the `connect` argument for a sink that writes `downstream`."""

    @abstractmethod
    def contents(self, downstream: D) -> T:
        """Read back everything `downstream` holds now."""

    @abstractmethod
    def example(self) -> SinkExample[D]:
        """Prepare a fresh downstream for the example module to write."""

    def refused(self) -> str | None:
        """Return a value the downstream refuses to store, or None if none.

        The kit writes it amid other values: the write must fail as a whole.
        """
        return None

    def hold(self, downstream: D) -> Callable[[], None] | None:
        """Take the downstream's write lock, as another writer or a migration does.

        Until the returned function is called, writers must wait (and give
        up once their client timeout is up); the kit calls it from another
        thread.

        Returns:
            The function that releases the lock, or None if the downstream
            has no lock to hold (the checks then skip this).
        """
        return None

    def close(self, downstream: D) -> None:
        """Release a downstream the checks no longer need (drop a table)."""

    def close_client(self, client: object) -> None:
        """Close a client the sink left open (see `Adapter.close_client`)."""
        close_client(client)


# --- The sinks' input -------------------------------------------------------

Item = tuple[str, str]
"""What the sink checks write: `(key, value)`."""

Fault = Literal["crash", "abort", "sink"]
"""How a sink check's first run fails: an exception in the input (`crash`),
`AbortExecution` from the input (`abort`), or a client call of the sink
that raises (`sink`)."""

KEY_SHAPES = ("k", "k1", "k10", "k 1", "K", "k%", "k_", "k'1", "ключ", "k/1")
"""Keys that are prefixes of one another, differ in case, or hold SQL
wildcards, quotes and non-ASCII letters."""


class InjectedFaultError(Exception):
    """The crash a check's input raises (`KitInput`, the sources' `Probe`)."""


def make_items(
    plan: Plan, partitions: int = 4, per_partition: int = 12, keys: int = 4
) -> dict[str, list[Item]]:
    """The items a check writes, by input partition.

    Every key lives in one input partition and gets several values there.
    The values of a key come in no order of their own (the last is neither
    the largest nor the smallest), one of them is empty, and every value is
    distinct across all items.
    """
    rng = random.Random(plan.seed)
    shapes = list(KEY_SHAPES)
    rng.shuffle(shapes)
    parts: dict[str, list[Item]] = {}
    serial = 0
    for p in range(partitions):
        name = f"in-{p}"
        items: list[Item] = []
        for i in range(per_partition):
            key = f"{p}:{shapes[(p * keys + i % keys) % len(shapes)]}"
            mark = rng.choice("zmaqb")
            items.append((key, f"{mark}{serial}"))
            serial += 1
        parts[name] = items
    # One empty value: a value, not a missing one.
    first, *_ = parts
    key, _ = parts[first][1]
    parts[first][1] = (key, "")
    return parts


@dataclass
class FaultPlan:
    """A fault `KitInput` fires once, when `after` items were emitted.

    A `sink` fault makes the sink's next client call fail, through `ledger`:
    with one worker, that is the write of the items just emitted (or of
    items still waiting), in the middle of the run.
    """

    kind: Fault
    after: int
    ledger: ClientLedger | None = None
    fired: bool = False


class KitInput(FixedPartitionedSource[Item, int]):
    """Fixed partitions of items, resumable by index, with faults on demand.

    Args:
        parts: The items of each input partition, in order.
        batch_size: Items per `next_batch`: more than `make_items`' keys, so a
            batch holds several values of one key, in order.
        budget: Stop each partition after it emitted this many items in this
            run (a resumed run continues after them).
        fault: Fire this fault once (shared by the runs of a check).
    """

    def __init__(
        self,
        parts: Mapping[str, Sequence[Item]],
        *,
        batch_size: int = 5,
        budget: int | None = None,
        fault: FaultPlan | None = None,
    ) -> None:
        self.parts = parts
        self.batch_size = batch_size
        self.budget = budget
        self.fault = fault
        self.emitted = 0
        self.lock = threading.Lock()

    def list_parts(self) -> list[str]:
        return sorted(self.parts)

    def build_part(
        self, step_id: str, for_part: str, resume_state: int | None
    ) -> _KitInputPartition:
        return _KitInputPartition(self, self.parts[for_part], resume_state or 0)

    def fire_fault_if_due(self) -> None:
        """Raise the planned fault once, when enough items were emitted."""
        with self.lock:
            fault = self.fault
            if fault is None or fault.fired or self.emitted < fault.after:
                return
            fault.fired = True
        if fault.kind == "sink":
            assert fault.ledger is not None
            fault.ledger.fail_call()
            return
        if fault.kind == "abort":
            raise AbortExecution
        msg = f"injected crash after {self.emitted} items"
        raise InjectedFaultError(msg)


class _KitInputPartition(StatefulSourcePartition[Item, int]):
    def __init__(self, source: KitInput, items: Sequence[Item], start: int) -> None:
        self._source = source
        self._items = items
        self._index = start
        self._emitted = 0

    def next_batch(self) -> list[Item]:
        self._source.fire_fault_if_due()
        budget = self._source.budget
        if self._index >= len(self._items) or (
            budget is not None and self._emitted >= budget
        ):
            raise StopIteration
        batch = list(self._items[self._index : self._index + self._source.batch_size])
        self._index += len(batch)
        self._emitted += len(batch)
        with self._source.lock:
            self._source.emitted += len(batch)
        return batch

    def snapshot(self) -> int:
        return self._index


def write_flow(source: KitInput, sink: Sink[Item]) -> Dataflow:
    """A dataflow that writes every item of `source` to `sink`."""
    flow = Dataflow("sink_contract")
    op.output("out", op.input("in", flow, source), sink)
    return flow


def run_write_flow(
    source: KitInput,
    sink: Sink[Item],
    budget: Budget,
    *,
    workers: int = 1,
    recovery: RecoveryConfig | None = None,
) -> None:
    """Run `write_flow` to completion within `budget.flow`.

    With recovery, an epoch ends after every input batch, so there is a
    snapshot to resume from after every batch.
    """
    run_flow(
        write_flow(source, sink),
        budget,
        workers=workers,
        epoch_interval=None if recovery is None else timedelta(0),
        recovery_config=recovery,
    )


def run_with_fault(
    source: KitInput,
    sink: Sink[Item],
    fault: Fault,
    ledger: ClientLedger,
    recovery: RecoveryConfig,
    budget: Budget,
) -> None:
    """Run `write_flow` once with `fault` armed; check that it fired and failed."""
    total = sum(len(items) for items in source.parts.values())
    source.fault = FaultPlan(fault, after=total // 2, ledger=ledger)
    try:
        run_write_flow(source, sink, budget, recovery=recovery)
    except Exception as error:  # as Bytewax reports it: wrapped, or as raised
        wanted = InjectedClientError if fault == "sink" else InjectedFaultError
        if not caused_by(error, wanted):
            raise
    else:
        assert source.fault.fired, f"the {fault} was never injected"
        if fault == "sink":
            assert ledger.injected, "no client call came after the failure was armed"
            msg = "a client call failed and the run went on: the error was swallowed"
            raise AssertionError(msg)
        assert fault == "abort", "the injected crash did not fail the run"
    source.fault = None


def planned(fn: Callable[[Plan], None]) -> None:
    """Run `fn` under every plan (see `plans`), naming the plan if it fails."""
    with accounted("every plan"):
        for plan in plans():
            with reproducible(plan):
                fn(plan)
