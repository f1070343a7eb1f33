"""What the contract checks of every kind of sink share.

* `SinkAdapter`: the one thing a test module writes to point the kit at a
  downstream (the demo backend, or a real one). The checks never touch a
  downstream except through it.
* Deadlines: every direct call the kit makes on a sink (`list_parts`,
  `part_fn`, `build_part`, `build`, `write_batch`, `snapshot`, `close`) runs
  on a thread of its check and fails, naming the call, when it does not
  return in time; every dataflow run and process has a deadline too. A
  blocking client fails a check, it never hangs it.
* Time budget: every `write_batch` and `snapshot` is timed, by hand and in
  dataflows (see `SinkBudget`).
* `ClientLedger`: wraps `connect` and counts the clients a sink opens and
  closes, and the calls made on them; it can make a call fail or block.
* `KitInput`: the checks' own input, resumable, with faults on demand.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, Literal, TypeVar, cast

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import (
    AbortExecution,
    FixedPartitionedSource,
    StatefulSourcePartition,
)
from bytewax.outputs import Sink
from bytewax.recovery import RecoveryConfig

from .common import PROJECT_ROOT, run_flow

D = TypeVar("D")
C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

Item = tuple[str, str]
"""What the checks write: `(key, value)`, every value distinct."""

Fault = Literal["crash", "abort", "sink"]
"""How a check's first run fails: an exception in the input (`crash`),
`AbortExecution` from the input (`abort`), or a client call of the sink
that raises (`sink`)."""

FLOW_DEADLINE = timedelta(seconds=20)
"""Longest time one dataflow run may take. A correct run here takes well
under a second; a call that blocks fails the check at this deadline instead
of hanging the suite."""

PROCESS_DEADLINE = timedelta(seconds=60)
"""Longest time an example process may run before the check stops it."""


# --- The adapter ------------------------------------------------------------


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

    @abstractmethod
    def open(self) -> D:
        """Create a fresh, empty downstream that nothing else uses."""

    @abstractmethod
    def connect(self, downstream: D) -> C:
        """Return the `connect` argument for a sink that writes `downstream`."""

    @abstractmethod
    def contents(self, downstream: D) -> T:
        """Read back everything `downstream` holds now."""

    @abstractmethod
    def example(self) -> SinkExample[D]:
        """Prepare a fresh downstream for the example module to write."""

    def close(self, downstream: D) -> None:
        """Release a downstream the checks no longer need (drop a table)."""


# --- Time budget ------------------------------------------------------------


@dataclass(frozen=True)
class SinkBudget:
    """How long the calls that write may take; each check times every call.

    The defaults hold for a client whose writes take well under a
    millisecond (the demo's): the 5 ms median leaves a wide margin for a
    loaded machine, while a client that waits 20 ms per write (a sleep, a
    blocking flush, a lock) is four times over. A single call may be delayed
    by the scheduler, hence the median, and a far larger limit for any one
    call. A real downstream answers in milliseconds over the network: raise
    `median` for it, and write down why beside the new value.

    Attributes:
        median: Most the median `write_batch` (and `snapshot`) may take.
        per_call: Most any one call may take.
        deadline: When a call that has not returned fails the check.
    """

    median: timedelta = timedelta(milliseconds=5)
    per_call: timedelta = timedelta(seconds=1)
    deadline: timedelta = timedelta(seconds=5)


class WriteTimes:
    """Durations of `write_batch` and `snapshot` calls.

    Each call is filed by whether it wrote (made a client call on its thread)
    or only buffered: both medians must stay within the budget, so a sink that
    waits whenever it writes is caught even if most calls only buffer.
    """

    def __init__(self) -> None:
        self._times: dict[bool, list[float]] = {True: [], False: []}
        self._slowest = (0.0, "")
        self._lock = threading.Lock()

    def timed(self, what: str, ledger: ClientLedger, fn: Callable[[], R]) -> R:
        """Call `fn`, recording how long it took and whether it wrote."""
        before = ledger.calls_here()
        start = time.perf_counter()
        try:
            return fn()
        finally:
            seconds = time.perf_counter() - start
            wrote = ledger.calls_here() > before
            with self._lock:
                self._times[wrote].append(seconds)
                if seconds > self._slowest[0]:
                    self._slowest = (seconds, what)

    def assert_within(self, budget: SinkBudget) -> None:
        """Fail if the calls broke the budget."""
        with self._lock:
            times = {wrote: list(calls) for wrote, calls in self._times.items()}
            slowest, what = self._slowest
        for wrote, calls in times.items():
            if not calls:
                continue
            median = statistics.median(calls)
            kind = "that wrote" if wrote else "that only kept values waiting"
            assert median <= budget.median.total_seconds(), (
                f"calls {kind} took {median * 1000:.1f} ms (median of "
                f"{len(calls)}), over the {budget.median} budget: "
                "does the sink wait (sleep, poll, block) while it writes?"
            )
        assert slowest <= budget.per_call.total_seconds(), (
            f"{what} took {slowest * 1000:.1f} ms, over the {budget.per_call} "
            "limit for any one call"
        )


# --- Deadlines --------------------------------------------------------------


class Caller:
    """Runs a check's direct calls on one thread of its own, each under a deadline.

    One thread, as the runtime calls a partition from one worker thread only.
    A call that does not return in time fails the check, naming the call; the
    blocked thread is left behind (a daemon) and the caller refuses further
    calls.
    """

    def __init__(self, deadline: timedelta) -> None:
        self._deadline = deadline
        self._jobs: queue.SimpleQueue[Callable[[], None] | None]
        self._jobs = queue.SimpleQueue()
        self._stuck: str | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()

    def call(self, what: str, fn: Callable[[], R]) -> R:
        """Run `fn` on the caller's thread and return its result.

        Raises:
            AssertionError: If the call did not return within the deadline.
        """
        assert self._stuck is None, f"{self._stuck} never returned"
        results: list[R] = []
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
                "(waiting on a network, a lock or a full buffer?)"
            )
            raise AssertionError(msg)
        if errors:
            raise errors[0]
        return results[0]

    def close(self) -> None:
        """Let the thread end once its current call returns."""
        self._jobs.put(None)


def call_with_deadline(what: str, fn: Callable[[], R], deadline: timedelta) -> R:
    """Run one call on a fresh thread under a deadline (see `Caller`)."""
    caller = Caller(deadline)
    try:
        return caller.call(what, fn)
    finally:
        caller.close()


# --- Counting clients -------------------------------------------------------


class InjectedClientError(Exception):
    """The failure `ClientLedger.fail_call` makes a client raise."""


class ClientLedger:
    """Counts the clients a sink opens through `connect`, and what it does with them.

    `wrap(connect)` returns a `connect` that hands out counting proxies: each
    forwards every attribute to the real client, counts every method call
    (`calls`) and its first `close()`. A second close of the same client is
    recorded as a double close. `fail_call` and `block_calls` make a later
    call (other than a close) raise or wait, as a broken or hung downstream
    would.
    """

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.calls = 0
        self.injected = 0
        self.double_closes: list[str] = []
        self._here = threading.local()
        self._fail_at: int | None = None
        self._fail_close = False
        self._blocked: threading.Event | None = None
        self._lock = threading.Lock()

    def wrap(self, connect: C) -> C:
        """Return `connect` with every client it opens counted."""
        inner = cast(Callable[..., Any], connect)

        def counted(*args: object, **kwargs: object) -> object:
            client = inner(*args, **kwargs)
            with self._lock:
                self.opened += 1
                number = self.opened
            return _CountedClient(client, self, number)

        return cast(C, counted)

    def fail_call(self, after: int = 0) -> None:
        """Make the client call after the next `after` calls raise, once.

        `injected` counts the failures raised so far.
        """
        with self._lock:
            self._fail_at = self.calls + after

    def fail_close(self) -> None:
        """Make the next client `close()` raise (after closing the client)."""
        with self._lock:
            self._fail_close = True

    def block_calls(self) -> threading.Event:
        """Make every later client call wait until the returned event is set."""
        with self._lock:
            self._blocked = threading.Event()
            return self._blocked

    def calls_here(self) -> int:
        """Return how many client calls this thread has made."""
        return cast(int, getattr(self._here, "calls", 0))

    def before_call(self, method: str) -> None:
        """Count a call (called by the proxies); fail or block it if armed."""
        self._here.calls = self.calls_here() + 1
        with self._lock:
            number = self.calls
            self.calls += 1
            fail = self._fail_at == number
            if fail:
                self._fail_at = None
                self.injected += 1
            blocked = self._blocked
        if fail:
            msg = f"injected failure of {method}()"
            raise InjectedClientError(msg)
        if blocked is not None:
            blocked.wait()

    def note_close(self, number: int, first: bool) -> None:
        """Record a close of client `number` (called by the proxies).

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
            ledger.before_call(name)
            return value(*args, **kwargs)

        return forwarded

    def close(self) -> None:
        self._closes += 1
        if self._closes == 1:
            cast(Any, self._inner).close()
        self._ledger.note_close(self._number, first=self._closes == 1)


# --- Errors and logs --------------------------------------------------------


def error_of(call: Callable[[], object]) -> Exception | None:
    """Call `call` and return the exception it raised, or None."""
    try:
        call()
    except Exception as error:  # what a sink raises is up to it
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


# --- The checks' input ------------------------------------------------------


class InjectedFaultError(Exception):
    """The crash `KitInput` raises when a check asks for one."""


def make_items(
    partitions: int = 4, per_partition: int = 12, keys: int = 4
) -> dict[str, list[Item]]:
    """The items a check writes, by input partition.

    Every key lives in one input partition and gets several values there, in
    order (`key #0`, `key #1`, ...); every value is distinct.
    """
    parts: dict[str, list[Item]] = {}
    for p in range(partitions):
        name = f"in-{p}"
        counts: dict[str, int] = {}
        items: list[Item] = []
        for i in range(per_partition):
            key = f"{name}-k{i % keys}"
            n = counts[key] = counts.get(key, -1) + 1
            items.append((key, f"{key} #{n}"))
        parts[name] = items
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
    *,
    workers: int = 1,
    recovery: RecoveryConfig | None = None,
) -> None:
    """Run `write_flow` to completion within `FLOW_DEADLINE`.

    With recovery, an epoch ends after every input batch, so there is a
    snapshot to resume from after every batch.
    """
    flow = write_flow(source, sink)

    def run() -> None:
        run_flow(
            flow,
            workers=workers,
            epoch_interval=None if recovery is None else timedelta(0),
            recovery_config=recovery,
        )

    call_with_deadline(f"a dataflow run on {workers} worker(s)", run, FLOW_DEADLINE)


def run_with_fault(
    source: KitInput,
    sink: Sink[Item],
    fault: Fault,
    ledger: ClientLedger,
    recovery: RecoveryConfig,
) -> None:
    """Run `write_flow` once with `fault` armed; check that it fired and failed."""
    total = sum(len(items) for items in source.parts.values())
    source.fault = FaultPlan(fault, after=total // 2, ledger=ledger)
    try:
        run_write_flow(source, sink, recovery=recovery)
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


# --- Processes --------------------------------------------------------------


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    src = str(PROJECT_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def run_python(*args: str, env: Mapping[str, str]) -> str:
    """Run `python <args>` from the project root; it must exit with 0 in time.

    The child uses this interpreter and finds the package in `src/` even when
    it is not installed; `env` is added to this process's environment.

    Returns:
        What the process wrote to stdout.
    """
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=_child_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # bytewax.testing starts processes of its own: stop them all.
        start_new_session=sys.platform != "win32",
    )
    try:
        out, err = proc.communicate(timeout=PROCESS_DEADLINE.total_seconds())
    except subprocess.TimeoutExpired:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        msg = f"python {' '.join(args)} still ran after {PROCESS_DEADLINE}"
        raise AssertionError(msg) from None
    assert proc.returncode == 0, (
        f"python {' '.join(args)} exited with {proc.returncode}:\n{err}"
    )
    return out
