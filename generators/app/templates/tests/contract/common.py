"""Helpers shared by the contract checks of every kind of source.

Nothing here knows about partitions or workers: it runs dataflows with the real
Bytewax runtime, guards `time.sleep`, compares output with what was expected
and runs example modules as separate processes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol, TypeVar
from unittest import mock

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import Source
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, cluster_main, run_main

X = TypeVar("X")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The generated project's root: the working directory of example runs."""

SUBPROCESS_TIMEOUT = timedelta(seconds=120)
"""Longest time an example process may run before the check gives up on it."""


# --- Typed entry points -----------------------------------------------------
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
    """Run `flow` to completion in this process.

    One worker runs in this thread (`run_main`); more run as threads of this
    process (`cluster_main` with no addresses, so no network port is used).
    """
    if workers == 1:
        _run_main(flow, epoch_interval=epoch_interval, recovery_config=recovery_config)
    else:
        _cluster_main(
            flow,
            [],
            0,
            epoch_interval=epoch_interval,
            recovery_config=recovery_config,
            worker_count_per_proc=workers,
        )


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
    imported before the patch).

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


def identity(item: object) -> Hashable:
    """Use an item as its own key (it must be hashable)."""
    assert isinstance(item, Hashable), f"{item!r} is not hashable: pass a key function"
    return item


def assert_each_once_in_order(
    output: Sequence[X],
    expected: Mapping[str, Sequence[X]],
    key: Callable[[X], Hashable] = identity,
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
            assert key(item) not in group_of, (
                f"expected {item!r} twice: keys must differ"
            )
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
    assert_each_once_in_order(printed, expected)


def run_module(*args: str) -> str:
    """Run `python -m <args>` from the project root and check it exits with 0.

    The child uses this interpreter and finds the package in `src/` even when
    it is not installed.

    Returns:
        What the process wrote to stdout.
    """
    env = dict(os.environ)
    src = str(PROJECT_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT.total_seconds(),
        check=False,
    )
    assert proc.returncode == 0, (
        f"python -m {' '.join(args)} exited with {proc.returncode}:\n{proc.stderr}"
    )
    return proc.stdout
