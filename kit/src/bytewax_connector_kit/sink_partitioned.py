"""Contract checks for partitioned Bytewax sinks (`FixedPartitionedSink`).

A test module describes its sink once with a `PartitionedSinkCase`: a
`SinkAdapter` to its downstream (see `sink_common`), a function that builds
the sink over a `connect`, and the settings it was built with. It then calls
the `check_*` functions below, one test each.

What they hold the sink to, beyond Bytewax's own rules:

* Exactly once: every value is stored once, in the partition that
  `part_fn` routes its key to, and the values of each key in the order they
  were written; after a fault and a resume, or runs on 1, 3 and 2 workers
  sharing one recovery store, the store equals that of a run without faults.
* Routing is stable: `part_fn` gives the same number for a key in every call,
  run and process (Python's `hash()` does not).
* A resumed partition undoes what it wrote after its snapshot, whichever
  snapshot it resumes from; one built without resume state starts empty.
* `write_batch` keeps fewer than `batch_size` values waiting, writes in one
  client call, and `snapshot()` and `close()` write whatever waits.
* `close()` twice is safe and closes the client once, and it never raises
  (it logs); other errors raise, naming the partition. Every call has a deadline
  and a time budget (see `SinkBudget`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

from .common import recovery_store
from .sink_common import (
    Caller,
    ClientLedger,
    Fault,
    InjectedClientError,
    Item,
    KitInput,
    SinkAdapter,
    SinkBudget,
    WriteTimes,
    assert_logged,
    capture_logs,
    caused_by,
    describe_chain,
    error_of,
    make_items,
    run_python,
    run_with_fault,
    run_write_flow,
)

D = TypeVar("D")
C = TypeVar("C")
S = TypeVar("S")

Stored = Mapping[str, Sequence[str]]
"""What a partitioned downstream holds: the values of each partition, in order."""

STEP_ID = "contract_step"
"""The `step_id` passed to `build_part` when a check drives partitions by hand."""

RECOVERY_STORE_PARTITIONS = 3
"""Recovery store size: at least the most workers any check resumes it with."""

ROUTE_SCRIPT = (
    "import importlib, json, sys\n"
    "sink = importlib.import_module(sys.argv[1]).sink\n"
    "print(json.dumps([sink.part_fn(key) for key in sys.argv[2:]]))\n"
)
"""Prints `part_fn` of the example module's `sink` for the keys it is given."""


@dataclass(frozen=True)
class PartitionedSinkCase(Generic[D, C, S]):
    """Everything the checks need to know about one partitioned sink.

    Attributes:
        adapter: Reaches the downstream (see `sink_common.SinkAdapter`).
        make_sink: Builds the sink under test over a `connect` returned by the
            adapter.
        batch_size: The batch size `make_sink` builds with: the most values a
            partition may keep waiting.
        example: The example module, e.g. `examples.orders`; it must define
            `flow` and the `sink` it writes to.
        budget: How long writing calls may take.
        calls_per_write: Most client calls one write may make (raise it for a
            client that needs several, e.g. begin and commit, and say why).
    """

    adapter: SinkAdapter[D, C, Stored]
    make_sink: Callable[[C], FixedPartitionedSink[str, S]]
    batch_size: int
    example: str
    budget: SinkBudget = field(default_factory=SinkBudget)
    calls_per_write: int = 1


# --- One check's downstream, clients and clock ------------------------------


@dataclass
class _Check(Generic[D, C, S]):
    case: PartitionedSinkCase[D, C, S]
    downstream: D
    ledger: ClientLedger
    times: WriteTimes
    caller: Caller

    def sink(self, downstream: D | None = None) -> FixedPartitionedSink[str, S]:
        target = self.downstream if downstream is None else downstream
        connect = self.ledger.wrap(self.case.adapter.connect(target))
        return self.case.make_sink(connect)

    def stored(self, downstream: D | None = None) -> Stored:
        target = self.downstream if downstream is None else downstream
        return self.case.adapter.contents(target)

    def parts(self, sink: FixedPartitionedSink[str, S]) -> list[str]:
        parts = self.caller.call("list_parts()", sink.list_parts)
        assert isinstance(parts, list), f"list_parts() returned {parts!r}"
        assert parts, "list_parts() returned no partition"
        assert all(isinstance(name, str) for name in parts), parts
        return parts

    def routes(
        self, sink: FixedPartitionedSink[str, S], keys: Sequence[str]
    ) -> dict[str, str]:
        """Where Bytewax sends each key: the partitions sorted, `part_fn` wrapped."""
        ordered = sorted(set(self.parts(sink)))
        numbers = self.part_fns(sink, keys)
        return {key: ordered[number % len(ordered)] for key, number in numbers.items()}

    def part_fns(
        self, sink: FixedPartitionedSink[str, S], keys: Sequence[str]
    ) -> dict[str, int]:
        numbers = {
            key: self.caller.call(f"part_fn({key!r})", partial(sink.part_fn, key))
            for key in keys
        }
        for key, number in numbers.items():
            assert isinstance(number, int), f"part_fn({key!r}) returned {number!r}"
            assert number >= 0, f"part_fn({key!r}) returned {number}, not >= 0"
        return numbers

    def build(
        self, sink: FixedPartitionedSink[str, S], name: str, state: S | None
    ) -> StatefulSinkPartition[str, S]:
        return self.caller.call(
            f"build_part({name!r})", lambda: sink.build_part(STEP_ID, name, state)
        )

    def write(
        self, part: StatefulSinkPartition[str, S], name: str, values: list[str]
    ) -> None:
        what = f"write_batch() of partition {name!r}"
        self.caller.call(
            what,
            lambda: self.times.timed(
                what, self.ledger, lambda: part.write_batch(values)
            ),
        )

    def snapshot(self, part: StatefulSinkPartition[str, S], name: str) -> S:
        what = f"snapshot() of partition {name!r}"
        return self.caller.call(
            what, lambda: self.times.timed(what, self.ledger, part.snapshot)
        )

    def close(self, part: StatefulSinkPartition[str, S], name: str) -> None:
        self.caller.call(f"close() of partition {name!r}", part.close)

    def timed(self, sink: FixedPartitionedSink[str, S]) -> _TimedSink[S]:
        return _TimedSink(sink, self.times, self.ledger)

    def reference(self, items: Mapping[str, Sequence[Item]]) -> dict[str, Grouped]:
        """Run `items` into a fresh downstream on 1 worker, without faults."""
        downstream = self.case.adapter.open()
        try:
            run_write_flow(KitInput(items), self.sink(downstream))
            return grouped(self.stored(downstream), items)
        finally:
            self.case.adapter.close(downstream)


@contextmanager
def _checking(
    case: PartitionedSinkCase[D, C, S], budget: SinkBudget | None = None
) -> Iterator[_Check[D, C, S]]:
    budget = budget or case.budget
    downstream = case.adapter.open()
    check = _Check(
        case, downstream, ClientLedger(), WriteTimes(), Caller(budget.deadline)
    )
    try:
        yield check
        check.times.assert_within(budget)
    finally:
        check.caller.close()
        case.adapter.close(downstream)


class _TimedSink(FixedPartitionedSink[str, S]):
    """Pass-through sink that times every `write_batch` and `snapshot`."""

    def __init__(
        self,
        inner: FixedPartitionedSink[str, S],
        times: WriteTimes,
        ledger: ClientLedger,
    ) -> None:
        self.inner = inner
        self.times = times
        self.ledger = ledger

    def list_parts(self) -> list[str]:
        return self.inner.list_parts()

    def part_fn(self, item_key: str) -> int:
        return self.inner.part_fn(item_key)

    def build_part(
        self, step_id: str, for_part: str, resume_state: S | None
    ) -> _TimedPartition[S]:
        part = self.inner.build_part(step_id, for_part, resume_state)
        return _TimedPartition(part, for_part, self)


class _TimedPartition(StatefulSinkPartition[str, S]):
    def __init__(
        self, inner: StatefulSinkPartition[str, S], name: str, sink: _TimedSink[S]
    ) -> None:
        self.inner = inner
        self.name = name
        self.sink = sink

    def write_batch(self, values: list[str]) -> None:
        what = f"write_batch() of partition {self.name!r}"
        self.sink.times.timed(
            what, self.sink.ledger, lambda: self.inner.write_batch(values)
        )

    def snapshot(self) -> S:
        what = f"snapshot() of partition {self.name!r}"
        return self.sink.times.timed(what, self.sink.ledger, self.inner.snapshot)

    def close(self) -> None:
        self.inner.close()


# --- Comparing what is stored -----------------------------------------------

Grouped = dict[str, list[str]]
"""The values of one partition by key, in stored order."""


def grouped(stored: Stored, items: Mapping[str, Sequence[Item]]) -> dict[str, Grouped]:
    """Group each partition's values by key: what two correct runs agree on.

    Values of different keys may interleave differently from run to run;
    the values of one key may not.
    """
    key_of = {value: key for part in items.values() for key, value in part}
    result: dict[str, Grouped] = {}
    for partition, values in stored.items():
        by_key = result.setdefault(partition, {})
        for value in values:
            by_key.setdefault(key_of.get(value, "?"), []).append(value)
    return {name: by_key for name, by_key in result.items() if by_key}


def assert_written_once(
    stored: Stored,
    items: Mapping[str, Sequence[Item]],
    routes: Mapping[str, str],
    *,
    what: str,
) -> None:
    """Every item's value is stored once, where `routes` says, in key order."""
    key_of = {value: key for part in items.values() for key, value in part}
    where: dict[str, list[str]] = {}
    for partition, values in stored.items():
        for value in values:
            assert value in key_of, f"{what}: unexpected value {value!r} stored"
            where.setdefault(value, []).append(partition)
    twice = [value for value, partitions in where.items() if len(partitions) > 1]
    missing = [value for value in key_of if value not in where]
    assert not twice, f"{what}: {len(twice)} values stored twice, e.g. {twice[:3]}"
    assert not missing, (
        f"{what}: {len(missing)} values never stored, e.g. {missing[:3]}"
    )
    for value, (partition,) in where.items():
        key = key_of[value]
        assert partition == routes[key], (
            f"{what}: {value!r} is in partition {partition!r}, but part_fn routes "
            f"key {key!r} to {routes[key]!r}"
        )
    for part in items.values():
        for key in {key for key, _ in part}:
            wanted = [value for k, value in part if k == key]
            got = [value for value in stored[routes[key]] if key_of[value] == key]
            assert got == wanted, f"{what}: key {key!r} stored as {got}, not {wanted}"


def _keys(items: Mapping[str, Sequence[Item]]) -> list[str]:
    return sorted({key for part in items.values() for key, _ in part})


def _chunks(values: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    chunks: list[list[str]] = []
    start = 0
    for size in sizes:
        chunks.append(list(values[start : start + size]))
        start += size
    return chunks


# --- Driven by hand ---------------------------------------------------------


def check_list_parts(case: PartitionedSinkCase[D, C, S]) -> list[str]:
    """`list_parts()` gives the same names every call and leaves no client open."""
    with _checking(case) as check:
        sink = check.sink()
        first = check.parts(sink)
        second = check.parts(sink)
        assert sorted(first) == sorted(second), f"{first} then {second}"
        check.ledger.assert_all_closed("list_parts()")
    return first


def check_part_fn_is_stable_and_spreads(case: PartitionedSinkCase[D, C, S]) -> None:
    """`part_fn` answers the same for a key every time, and uses the partitions.

    A `part_fn` that sends every key to one partition is stable, but leaves
    the other partitions (and the workers holding them) without work.
    """
    with _checking(case) as check:
        sink = check.sink()
        keys = _keys(make_items())
        first = check.part_fns(sink, keys)
        second = check.part_fns(check.sink(), keys)
        assert first == second, "part_fn gave another number for the same key"
        used = set(check.routes(sink, keys).values())
        parts = check.parts(sink)
        assert len(used) >= min(2, len(parts)), (
            f"part_fn sends all {len(keys)} keys to {sorted(used)} of {parts}"
        )


def check_routing_is_the_same_in_every_process(
    case: PartitionedSinkCase[D, C, S],
) -> None:
    """`part_fn` gives the same numbers in processes with different hash seeds.

    Runs the example module's `sink.part_fn` in two processes, with
    `PYTHONHASHSEED` 1 and 2: Python's `hash()` of a string differs between
    them, so a `part_fn` built on it sends a key to different partitions in
    different processes of one cluster.
    """
    with _checking(case) as check:
        keys = _keys(make_items())
        here = check.part_fns(check.sink(), keys)
        example = case.adapter.example()
        try:
            for seed in ("1", "2"):
                env = {**example.env, "PYTHONHASHSEED": seed}
                out = run_python("-c", ROUTE_SCRIPT, case.example, *keys, env=env)
                there = dict(zip(keys, json.loads(out), strict=True))
                assert there == here, (
                    f"part_fn differs in a process with PYTHONHASHSEED={seed}: "
                    f"{there} there, {here} here"
                )
        finally:
            case.adapter.close(example.downstream)


def check_writes_in_order_within_the_batch_bound(
    case: PartitionedSinkCase[D, C, S],
) -> None:
    """Values are stored in order, fewer than `batch_size` wait, snapshot writes all."""
    size = case.batch_size
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        values = [f"{name} value {i}" for i in range(4 * size + 4)]
        written: list[str] = []
        for chunk in _chunks(values, [1, size - 1, size + 1, 2, size, size]):
            check.write(part, name, chunk)
            written += chunk
            stored = list(check.stored()[name])
            assert stored == written[: len(stored)], (
                f"partition {name!r} holds {stored}, not a prefix of {written}"
            )
            waiting = len(written) - len(stored)
            assert waiting < size, (
                f"{waiting} values still wait after write_batch returned; at most "
                f"{size - 1} may (batch_size is {size})"
            )
        check.snapshot(part, name)
        assert list(check.stored()[name]) == written, (
            "snapshot() returned before every value was stored"
        )
        others = {other: v for other, v in check.stored().items() if other != name}
        assert not any(others.values()), f"other partitions got values: {others}"
        check.close(part, name)
        check.ledger.assert_all_closed("close()")


def check_each_write_is_one_client_call(case: PartitionedSinkCase[D, C, S]) -> None:
    """A `write_batch` or `snapshot` makes at most `calls_per_write` client calls."""
    size = case.batch_size
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        values = [f"{name} value {i}" for i in range(3 * size + 2)]
        steps: list[tuple[str, Callable[[], object]]] = [
            (
                f"write_batch of {len(chunk)} values",
                partial(check.write, part, name, chunk),
            )
            for chunk in _chunks(values, [size - 1, size + 1, 1, size, size + 1])
            if chunk
        ]
        steps.append(("snapshot", lambda: check.snapshot(part, name)))
        for what, step in steps:
            before = check.ledger.calls
            step()
            made = check.ledger.calls - before
            assert made <= case.calls_per_write, (
                f"{what} made {made} client calls; one write is at most "
                f"{case.calls_per_write} (values are written a batch per call)"
            )
        check.close(part, name)


def check_resume_from_every_snapshot(case: PartitionedSinkCase[D, C, S]) -> None:
    """A partition built from any snapshot undoes what was written after it.

    The first partition writes batches and takes a snapshot after each; then
    it is built again from every one of those snapshots, as after a crash:
    right after `build_part` the partition must hold exactly the values
    written before that snapshot (later ones undone), and after writing the
    remaining batches every value once, in order. Built without resume state
    it must start empty.
    """
    size = case.batch_size
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        values = [f"{name} value {i}" for i in range(3 * size + 3)]
        batches = _chunks(values, [1, 2, size, size + 1, size - 1, 2])
        part = check.build(sink, name, None)
        states: list[tuple[S | None, int]] = [(None, 0)]
        for done, batch in enumerate(batches, start=1):
            check.write(part, name, batch)
            states.append((check.snapshot(part, name), done))
        check.close(part, name)
        for state, done in states:
            part = check.build(sink, name, state)
            held = list(check.stored()[name])
            wanted = [value for batch in batches[:done] for value in batch]
            assert held == wanted, (
                f"built from the snapshot taken after batch {done}, partition "
                f"{name!r} holds {len(held)} values, not the {len(wanted)} "
                f"written before that snapshot: {held}"
            )
            for batch in batches[done:]:
                check.write(part, name, batch)
            check.snapshot(part, name)
            held = list(check.stored()[name])
            assert held == values, (
                f"resumed after batch {done}, partition {name!r} ends as {held}"
            )
            check.close(part, name)
        check.ledger.assert_all_closed("the resumed partitions")


def check_close_writes_what_waits_and_is_idempotent(
    case: PartitionedSinkCase[D, C, S],
) -> None:
    """`close()` writes the values still waiting; a second `close()` does nothing."""
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        values = [f"{name} value {i}" for i in range(max(case.batch_size - 1, 1))]
        check.write(part, name, values)
        check.close(part, name)
        assert list(check.stored()[name]) == values, "close() left values unwritten"
        check.close(part, name)
        check.ledger.assert_all_closed("close() twice")


def check_close_never_raises(case: PartitionedSinkCase[D, C, S]) -> None:
    """A failing write or client close in `close()` is logged, never raised.

    Bytewax also calls `close()` while a failed dataflow unwinds, and an
    exception there aborts the whole process (a panic during a panic), so
    the worker's real error is never reported.
    """
    with _checking(case) as check, capture_logs() as records:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        values = [f"{name} value {i}" for i in range(max(case.batch_size - 1, 1))]
        check.write(part, name, values)
        check.ledger.fail_call()
        check.ledger.fail_close()
        error = error_of(lambda: check.close(part, name))
        assert error is None, f"close() raised {error!r}:\n{describe_chain(error)}"
        assert check.ledger.open_now == 0, "close() left its client open"
        assert_logged(records, name, what=f"a failed close of partition {name!r}")


def check_write_time_budget(case: PartitionedSinkCase[D, C, S]) -> None:
    """Many small writes and snapshots, each timed against the budget."""
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        for round_ in range(20):
            full = [f"{name} full {round_} #{i}" for i in range(case.batch_size)]
            check.write(part, name, full)
            check.write(part, name, [f"{name} one {round_}"])
            check.snapshot(part, name)
        check.close(part, name)


def check_logs_and_errors_name_the_partition(
    case: PartitionedSinkCase[D, C, S],
) -> None:
    """Building is logged, and a failed write raises and logs, naming the partition."""
    with _checking(case) as check, capture_logs() as records:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        assert_logged(records, STEP_ID, name, what=f"building partition {name!r}")
        check.ledger.fail_call()
        values = [f"{name} value {i}" for i in range(case.batch_size)]

        def write_and_snapshot() -> None:
            check.write(part, name, values)
            check.snapshot(part, name)

        error = error_of(write_and_snapshot)
        assert error is not None, (
            "a client call failed and the sink raised nothing: the values are lost"
        )
        assert caused_by(error, InjectedClientError), describe_chain(error)
        assert name in describe_chain(error), (
            f"the error does not name partition {name!r}:\n{describe_chain(error)}"
        )
        assert_logged(records, name, what="the failed write")
        check.close(part, name)


def check_blocking_client_fails_by_name(case: PartitionedSinkCase[D, C, S]) -> None:
    """A client that blocks makes the check fail, naming the call, not hang."""
    # A short deadline keeps the check quick; 1 s is still far above what a
    # call that does not block takes, even on a loaded machine.
    budget = SinkBudget(deadline=timedelta(seconds=1))
    with _checking(case, budget) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        release = check.ledger.block_calls()
        values = [f"{name} value {i}" for i in range(case.batch_size)]

        def write_and_snapshot() -> None:
            check.write(part, name, values)
            check.snapshot(part, name)

        try:
            error = error_of(write_and_snapshot)
        finally:
            release.set()
        assert isinstance(error, AssertionError), f"a blocked write gave {error!r}"
        assert "did not return within" in str(error), str(error)
        assert name in str(error), str(error)


# --- In dataflows -----------------------------------------------------------


def check_run_main(case: PartitionedSinkCase[D, C, S]) -> None:
    """One worker writes every item once, routed and in order per key."""
    check_cluster_main(case, workers=1)


def check_cluster_main(case: PartitionedSinkCase[D, C, S], workers: int = 3) -> None:
    """`workers` worker threads write every item once, routed and in order per key."""
    with _checking(case) as check:
        items = make_items()
        sink = check.sink()
        run_write_flow(KitInput(items), check.timed(sink), workers=workers)
        routes = check.routes(sink, _keys(items))
        assert_written_once(check.stored(), items, routes, what=f"{workers} workers")
        check.ledger.assert_all_closed(f"a run on {workers} workers")


def check_two_process_cluster(case: PartitionedSinkCase[D, C, S]) -> None:
    """The example under `bytewax.testing -p 2`: every item once, routed, in order.

    The two processes route keys with their own `part_fn` and write to one
    downstream; the result must match the routing computed here.
    """
    with _checking(case) as check:
        example = case.adapter.example()
        try:
            run_python(
                "-m",
                "bytewax.testing",
                f"{case.example}:flow",
                "-p",
                "2",
                "-w",
                "1",
                env=example.env,
            )
            items = {"example": list(example.items)}
            routes = check.routes(check.sink(example.downstream), _keys(items))
            stored = check.stored(example.downstream)
            assert_written_once(stored, items, routes, what="2 processes")
        finally:
            case.adapter.close(example.downstream)


def check_recovery_after_fault(
    case: PartitionedSinkCase[D, C, S], tmp_path: Path, fault: Fault = "crash"
) -> None:
    """A run that fails part-way, resumed, stores what a run without faults does.

    The first run fails once about half the items are in (see `Fault`);
    a second run resumes from the same recovery store. Whatever the sink
    wrote after the last snapshot of the first run must be undone: every
    value ends up stored once.
    """
    with _checking(case) as check:
        items = make_items()
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        source = KitInput(items)
        sink = check.sink()
        run_with_fault(source, check.timed(sink), fault, check.ledger, store)
        run_write_flow(source, check.timed(sink), recovery=store)
        routes = check.routes(sink, _keys(items))
        stored = check.stored()
        assert_written_once(stored, items, routes, what=f"resumed after a {fault}")
        assert grouped(stored, items) == reference, "the store differs from a clean run"


def check_rescale(
    case: PartitionedSinkCase[D, C, S],
    tmp_path: Path,
    workers: Sequence[int] = (1, 3, 2),
) -> None:
    """Runs on changing worker counts share one recovery store; each item once.

    Every run but the last writes part of each input partition and ends; the
    next resumes the store with another worker count, so partitions move
    between workers and resume from the previous run's last snapshot.
    """
    with _checking(case) as check:
        items = make_items()
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        longest = max(len(part) for part in items.values())
        share = -(-longest // len(workers))
        sink = check.sink()
        for run, count in enumerate(workers):
            budget = share if run < len(workers) - 1 else None
            source = KitInput(items, budget=budget)
            run_write_flow(source, check.timed(sink), workers=count, recovery=store)
        routes = check.routes(sink, _keys(items))
        stored = check.stored()
        assert_written_once(stored, items, routes, what=f"runs on {list(workers)}")
        assert grouped(stored, items) == reference, "the store differs from one run"
        check.ledger.assert_all_closed("the last run")
