"""Contract checks for partitioned Bytewax sinks (`FixedPartitionedSink`).

A test module describes its sink once with a `PartitionedSinkCase`: a
`SinkAdapter` to its downstream (see `common`), a function that builds the
sink over a `connect` with the `Options` a check asks for, and the example
module. It then calls the `check_*` functions below, one test each.

What they hold the sink to, beyond Bytewax's own rules:

* Exactly once: every value is stored once, in the partition that
  `part_fn` routes its key to, and the values of each key in the order they
  were written; after a fault and a resume, or runs on 1, 3 and 2 workers
  sharing one recovery store, the store equals that of a run without faults.
* Routing is stable: `part_fn` and `list_parts` give the same answers in
  every call, run and process (Python's `hash()` does not).
* A resumed partition undoes what it wrote after its snapshot, whichever
  snapshot it resumes from, the very first included (a position such as 0
  is a state, not the lack of one); one built without resume state does what
  `without_state` says, and logs a WARNING when it deletes values.
* A second writer of a partition is refused, not interleaved.
* `write_batch` keeps fewer than `batch_size` values waiting, no client call
  carries more than `batch_size` values, a call stores all its values or
  none, and `snapshot()` and `close()` write whatever waits.
* Every client failure surfaces from the call that met it, with its cause,
  naming the partition, and is not also logged at ERROR; `close()` never
  raises (it logs, at WARNING or above). Nothing is written off the
  runtime's thread, and nothing leaks: clients, threads, file descriptors,
  memory.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, cast

from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

from .common import (
    BATCH_SIZES,
    CLIENT_TIMEOUT,
    INJECTED_KINDS,
    MEMORY_ITEMS,
    RECOVERY_STORE_PARTITIONS,
    SAMPLES,
    SHORT_HOLD,
    STALL_TIMEOUT,
    STEP_ID,
    TIMEOUTS,
    Budget,
    Caller,
    CallStats,
    ClientLedger,
    Fault,
    Harness,
    Item,
    KitInput,
    Plan,
    SinkAdapter,
    accounted,
    assert_gave_up_on_lock,
    assert_logged,
    assert_memory_flat,
    assert_quiet,
    assert_refused,
    assert_waited_for_lock,
    capture_logs,
    caused_by,
    error_of,
    hash_seeds_for,
    in_call,
    make_items,
    plan_for,
    planned,
    planned_fault,
    probe_code,
    recovery_store,
    refused_batches,
    reproducible,
    resolve,
    run_cluster,
    run_with_fault,
    run_write_flow,
    write_while_locked,
)

C = TypeVar("C")
S = TypeVar("S")
T = TypeVar("T")

Stored = Mapping[str, Sequence[str]]
"""What a partitioned downstream holds: the values of each partition, in order."""

WithoutState = Literal["fail", "append", "truncate"]
"""What a partition built without resume state does when it holds values."""


@dataclass(frozen=True)
class Options:
    """How a check wants the sink under test built.

    Attributes:
        batch_size: The most values one client call writes, and the number
            waiting that makes a partition write.
        client_timeout: Longest one client call may take, connecting included.
        without_state: What a partition built without resume state does
            when it already holds values.
    """

    batch_size: int = 4
    client_timeout: timedelta = CLIENT_TIMEOUT
    without_state: WithoutState = "truncate"


@dataclass(frozen=True)
class PartitionedSinkCase(Generic[C, S]):
    """Everything the checks need to know about one partitioned sink.

    Attributes:
        adapter: Reaches the downstream (see `common.SinkAdapter`).
        make_sink: Builds the sink under test over a `connect` returned by the
            adapter, with the given options.
        example: The example module, e.g. `examples.orders`; it must define
            `flow` and the `sink` it writes to.
        root: The project's root: examples run from there.
        budget: Every wall-clock limit (see `common.Budget`).
        calls_per_write: Client calls one batch of values may take (raise it
            for a client that needs several, e.g. begin and commit).
    """

    adapter: SinkAdapter[Any, C, Stored]
    make_sink: Callable[[C, Options], FixedPartitionedSink[str, S]]
    example: str
    root: Path = field(default_factory=Path.cwd)
    budget: Budget = field(default_factory=Budget)
    calls_per_write: int = 1


# --- One check's downstream, clients and clock ------------------------------


@dataclass
class _Part(Generic[S]):
    """A partition driven by hand, with the options its sink was built with."""

    inner: StatefulSinkPartition[str, S]
    name: str
    options: Options


@dataclass(kw_only=True)
class _Check(Harness, Generic[C, S]):
    case: PartitionedSinkCase[C, S]
    plan: Plan
    downstream: Any

    @property
    def adapter(self) -> SinkAdapter[Any, C, Stored]:
        return self.case.adapter

    def sink(
        self, options: Options | None = None, downstream: object = None
    ) -> FixedPartitionedSink[str, S]:
        target = self.downstream if downstream is None else downstream
        connect = self.ledger.wrap(self.adapter.connect(target))
        return self.case.make_sink(connect, options or Options())

    def stored(self, downstream: object = None) -> Stored:
        target = self.downstream if downstream is None else downstream
        return self.adapter.contents(target)

    def parts(self, sink: FixedPartitionedSink[str, S]) -> list[str]:
        parts = self.op("list_parts()", sink.list_parts)
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
            key: self.op(f"part_fn({key!r})", partial(sink.part_fn, key))
            for key in keys
        }
        for key, number in numbers.items():
            assert isinstance(number, int), f"part_fn({key!r}) returned {number!r}"
            assert number >= 0, f"part_fn({key!r}) returned {number}, not >= 0"
        return numbers

    def build(
        self,
        sink: FixedPartitionedSink[str, S],
        name: str,
        state: S | None,
        options: Options | None = None,
    ) -> _Part[S]:
        inner = self.op(
            f"build_part({name!r})",
            lambda: sink.build_part(STEP_ID, name, state),
            (STEP_ID, name),
        )
        self.built.append(inner.close)
        return _Part(inner, name, options or Options())

    def write(self, part: _Part[S], values: list[str]) -> None:
        self.op(
            f"write_batch() of partition {part.name!r}",
            lambda: self.timed("write_batch", lambda: part.inner.write_batch(values)),
            (STEP_ID, part.name),
        )

    def snapshot(self, part: _Part[S]) -> S:
        return self.op(
            f"snapshot() of partition {part.name!r}",
            lambda: self.timed("snapshot", part.inner.snapshot),
            (STEP_ID, part.name),
        )

    def close(self, part: _Part[S]) -> None:
        what = f"close() of partition {part.name!r}"
        error = error_of(partial(self.op, what, part.inner.close, keeps=part.name))
        assert error is None, (
            f"{what} raised {error!r}: Bytewax calls it while a failed dataflow "
            "unwinds, where an exception aborts the process. Log, never raise"
        )

    def timed_sink(self, sink: FixedPartitionedSink[str, S]) -> _TimedSink[S]:
        return _TimedSink(sink, self.stats, self.ledger)

    def reference(self, items: Mapping[str, Sequence[Item]]) -> dict[str, Grouped]:
        """Run `items` into a fresh downstream on 1 worker, without faults."""
        downstream = self.adapter.open(plan_for(0))
        try:
            sink = self.timed_sink(self.sink(None, downstream))
            run_write_flow(KitInput(items), sink, self.case.budget)
            return grouped(self.stored(downstream), items)
        finally:
            self.adapter.close(downstream)


@contextmanager
def _checking(
    case: PartitionedSinkCase[C, S], plan: Plan | None = None
) -> Iterator[_Check[C, S]]:
    """Open a fresh downstream for `plan`; on the way out, account for everything."""
    plan = plan or plan_for(0)
    with accounted("the check"):
        downstream = case.adapter.open(plan)
        caller = Caller(case.budget.deadline)
        check = _Check(
            ledger=ClientLedger(),
            stats=CallStats(),
            caller=caller,
            case=case,
            plan=plan,
            downstream=downstream,
        )
        try:
            with reproducible(plan):
                yield check
        except BaseException:
            check.close_built()
            raise
        finally:
            idle = caller.close()
            left = (
                check.ledger.close_leftovers(case.adapter.close_client) if idle else 0
            )
            case.adapter.close(downstream)
        assert left == 0, f"{left} client(s) left open (the kit closed them)"
        check.ledger.assert_calls_inside("the check")
        check.stats.assert_within(case.budget, what="writing", client=False)


class _TimedSink(FixedPartitionedSink[str, S]):
    """Pass-through sink that times every `write_batch` and `snapshot`."""

    def __init__(
        self,
        inner: FixedPartitionedSink[str, S],
        stats: CallStats,
        ledger: ClientLedger,
    ) -> None:
        self.inner = inner
        self.stats = stats
        self.ledger = ledger

    def list_parts(self) -> list[str]:
        with in_call():
            return self.inner.list_parts()

    def part_fn(self, item_key: str) -> int:
        return self.inner.part_fn(item_key)

    def build_part(
        self, step_id: str, for_part: str, resume_state: S | None
    ) -> _TimedPartition[S]:
        with in_call():
            part = self.inner.build_part(step_id, for_part, resume_state)
        return _TimedPartition(part, self)


class _TimedPartition(StatefulSinkPartition[str, S]):
    def __init__(
        self, inner: StatefulSinkPartition[str, S], sink: _TimedSink[S]
    ) -> None:
        self.inner = inner
        self.sink = sink

    def write_batch(self, values: list[str]) -> None:
        with in_call():
            self.inner.write_batch(values)

    def snapshot(self) -> S:
        with in_call():
            return self.inner.snapshot()

    def close(self) -> None:
        with in_call():
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


def _values(plan: Plan, name: str, count: int) -> list[str]:
    """Values in no order of their own: one empty, one the same as the one before.

    Both are values to store, each time they are written.
    """
    rng = random.Random(f"{plan.seed}:{name}")
    values = [f"{rng.choice('zmaqb')}{index} {name}" for index in range(count)]
    if count > 2:
        values[1] = ""
    if count > 4:
        values[4] = values[3]
    return values


def _chunks(values: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    chunks: list[list[str]] = []
    start = 0
    for size in sizes:
        chunks.append(list(values[start : start + size]))
        start += size
    if start < len(values):
        chunks.append(list(values[start:]))
    return chunks


class _CallWatch:
    """Watches what each client call stores in one partition (see `observe`)."""

    def __init__(self, check: _Check[C, S], name: str) -> None:
        self._check = check
        self._name = name
        self._held = len(check.stored().get(name, []))
        self.largest = 0
        self.calls = 0

    def __call__(self, method: str) -> None:
        held = len(self._check.stored().get(self._name, []))
        self.largest = max(self.largest, held - self._held)
        self._held = held
        self.calls += 1


# --- Driven by hand ---------------------------------------------------------


def check_list_parts(case: PartitionedSinkCase[C, S]) -> list[str]:
    """`list_parts()` gives the same list every call and leaves no client open."""
    with _checking(case) as check:
        sink = check.sink()
        first = check.parts(sink)
        second = check.parts(sink)
        assert first == second, f"{first} then {second}"
        assert len(set(first)) == len(first), f"duplicate partitions in {first}"
        check.ledger.assert_all_closed("list_parts()")
    return first


def check_part_fn_is_stable_and_spreads(case: PartitionedSinkCase[C, S]) -> None:
    """`part_fn` answers the same for a key every time, and uses the partitions.

    A `part_fn` that sends every key to one partition is stable, but leaves
    the other partitions (and the workers holding them) without work.
    """
    with _checking(case) as check:
        sink = check.sink()
        keys = _keys(make_items(check.plan))
        first = check.part_fns(sink, keys)
        second = check.part_fns(check.sink(), keys)
        assert first == second, "part_fn gave another number for the same key"
        used = set(check.routes(sink, keys).values())
        parts = check.parts(sink)
        assert len(used) >= min(2, len(parts)), (
            f"part_fn sends all {len(keys)} keys to {sorted(used)} of {parts}"
        )


def check_writes_in_order_within_the_batch_bound(
    case: PartitionedSinkCase[C, S],
) -> None:
    """Values are stored in order, a batch per client call at most, never more.

    Under every plan and with batch sizes 1 and 3, values (one empty, none in
    an order of their own) are written in batches of every size around the
    batch size. After each `write_batch` fewer than `batch_size` values
    wait; no client call stores more than `batch_size` values, nor takes
    more calls than its batches need; `snapshot()` writes all that waits; no
    other partition is touched; nothing is logged at WARNING or above, and
    not a record per batch.
    """

    def run(plan: Plan) -> None:
        for size in BATCH_SIZES:
            with _checking(case, plan) as check:
                options = Options(batch_size=size)
                sink = check.sink(options)
                name = check.parts(sink)[0]
                part = check.build(sink, name, None, options)
                values = _values(plan, name, 4 * size + 5)
                written: list[str] = []
                watch = _CallWatch(check, name)
                check.ledger.observe(watch)
                chunks = _chunks(values, [1, size - 1, size + 1, 2 * size + 1, 2])
                with capture_logs() as logs:
                    for chunk in chunks:
                        calls = watch.calls
                        check.write(part, chunk)
                        written += chunk
                        stored = list(check.stored()[name])
                        assert stored == written[: len(stored)], (
                            f"partition {name!r} holds {stored}, not a prefix of "
                            f"{written}"
                        )
                        waiting = len(written) - len(stored)
                        assert waiting < size, (
                            f"{waiting} values still wait after write_batch "
                            f"returned; at most {size - 1} may (batch_size is {size})"
                        )
                        _assert_calls(
                            case, watch.calls - calls, len(chunk) + size, size
                        )
                    check.snapshot(part)
                assert_quiet(
                    logs,
                    what=f"partition {name!r}",
                    calls=len(chunks) + 1,
                    doing="writing healthy batches",
                )
                check.ledger.observe(None)
                assert list(check.stored()[name]) == written, (
                    "snapshot() returned before every value was stored"
                )
                assert watch.largest <= size, (
                    f"one client call stored {watch.largest} values: at most "
                    f"batch_size ({size}) may go in one call"
                )
                others = {o: v for o, v in check.stored().items() if o != name}
                assert not any(others.values()), (
                    f"other partitions got values: {others}"
                )
                check.close(part)
                check.ledger.assert_all_closed("close()")

    planned(run)


def _assert_calls(
    case: PartitionedSinkCase[C, S], made: int, values: int, size: int
) -> None:
    most = math.ceil(values / size) * case.calls_per_write
    assert made <= most, (
        f"writing {values} values took {made} client calls, where batches of "
        f"{size} need at most {most}: one call per value?"
    )


def check_resume_from_every_snapshot(case: PartitionedSinkCase[C, S]) -> None:
    """A partition built from any snapshot undoes what was written after it.

    Under every plan, with `without_state` "append" and "fail": a partition
    writes batches and takes a snapshot right away and after each batch; then
    it is built again from every one of those snapshots, as after a crash.
    Right after `build_part` it must hold exactly the values written before
    that snapshot (later ones undone: the very first snapshot, often a
    position 0, is a state, not the lack of one), and after writing the
    remaining batches every value once, in order.
    """

    def run(plan: Plan) -> None:
        # "truncate" deletes what a state taken for none would keep: the
        # two others tell a position 0 from no state.
        for mode in ("append", "fail"):
            with _checking(case, plan) as check:
                options = Options(batch_size=3, without_state=mode)
                sink = check.sink(options)
                name = check.parts(sink)[-1]
                values = _values(plan, name, 12)
                batches = _chunks(values, [1, 2, 3, 4, 2])
                part = check.build(sink, name, None, options)
                states = [(check.snapshot(part), 0)]
                for done, batch in enumerate(batches, start=1):
                    check.write(part, batch)
                    states.append((check.snapshot(part), done))
                check.close(part)
                for state, done in states:
                    part = check.build(sink, name, state, options)
                    held = list(check.stored()[name])
                    wanted = [value for batch in batches[:done] for value in batch]
                    assert held == wanted, (
                        f"built from the snapshot {state!r} taken after batch {done} "
                        f"(without_state={mode!r}), partition {name!r} holds "
                        f"{len(held)} values, not the {len(wanted)} written before "
                        f"that snapshot: {held}"
                    )
                    for batch in batches[done:]:
                        check.write(part, batch)
                    check.snapshot(part)
                    held = list(check.stored()[name])
                    assert held == values, (
                        f"resumed after batch {done}, partition {name!r} ends as {held}"
                    )
                    check.close(part)
                check.ledger.assert_all_closed("the resumed partitions")

    planned(run)


def check_without_state(case: PartitionedSinkCase[C, S]) -> None:
    """A partition built without resume state does what `without_state` says.

    Over a partition that holds values: `"fail"` raises, naming the
    partition, and leaves its client closed; `"append"` keeps them and writes
    after them; `"truncate"` deletes them and says so in a WARNING naming the
    partition. Over an empty partition every choice just writes, and nothing
    is logged at WARNING.
    """
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        old = _values(check.plan, "old", 5)
        new = _values(check.plan, "new", 3)
        for mode in ("fail", "append", "truncate"):
            options = Options(without_state=mode)
            with capture_logs() as logs:
                part = check.build(check.sink(options), name, None, options)
                check.write(part, old)
                check.snapshot(part)
                check.close(part)
            loud = [r for r in logs if r.levelno >= logging.WARNING]
            assert not loud, (
                f"without_state={mode!r} over an empty partition logged "
                f"{loud[0].levelname}: {loud[0].getMessage()!r}"
            )
            with capture_logs() as logs:
                if mode == "fail":
                    error = error_of(
                        partial(check.build, check.sink(options), name, None, options)
                    )
                    assert error is not None, (
                        f"without_state='fail' built partition {name!r}, which holds "
                        f"{len(old)} values"
                    )
                    assert name in str(error), f"the error names no partition: {error}"
                    check.ledger.assert_all_closed("a build that failed")
                    held = list(check.stored()[name])
                    assert held == old, f"a failed build changed the partition: {held}"
                else:
                    part = check.build(check.sink(options), name, None, options)
                    check.write(part, new)
                    check.snapshot(part)
                    check.close(part)
                    held = list(check.stored()[name])
                    wanted = old + new if mode == "append" else new
                    assert held == wanted, (
                        f"without_state={mode!r}: partition {name!r} holds {held}, "
                        f"not {wanted}"
                    )
                    if mode == "truncate":
                        assert_logged(
                            logs,
                            name,
                            what="values deleted for want of resume state",
                            level=logging.WARNING,
                        )
            truncate = check.build(check.sink(), name, None)
            check.close(truncate)
        check.ledger.assert_all_closed("the builds")


def check_second_writer_is_seen(case: PartitionedSinkCase[C, S]) -> None:
    """A second writer of one partition is refused, not interleaved.

    Partition A writes and takes a snapshot; B is built from it (as a
    resumed run, while A still runs elsewhere) and writes; then A writes
    again: that write must fail, raising, and store nothing. With
    `without_state="append"`, two fresh writers built together: the second
    to write must fail the same way.
    """
    with _checking(case) as check:
        options = Options(batch_size=2, without_state="append")
        sink = check.sink(options)
        name = check.parts(sink)[0]
        first = check.build(sink, name, None, options)
        check.write(first, ["a0", "a1"])
        state = check.snapshot(first)
        second = check.build(sink, name, state, options)
        check.write(second, ["b0", "b1"])
        check.snapshot(second)
        error = error_of(partial(_write_and_snapshot, check, first, ["a2", "a3"]))
        assert error is not None, (
            f"partition {name!r} took writes from two writers: the first one's "
            "position is stale, its values must be refused"
        )
        held = list(check.stored()[name])
        assert held == ["a0", "a1", "b0", "b1"], f"partition {name!r} holds {held}"
        for part in (first, second):
            check.close(part)
        other = check.parts(sink)[-1]
        one = check.build(sink, other, None, options)
        two = check.build(sink, other, None, options)
        check.write(two, ["t0", "t1"])
        check.snapshot(two)
        error = error_of(partial(_write_and_snapshot, check, one, ["o0", "o1"]))
        assert error is not None, (
            f"two writers built together both wrote partition {other!r}"
        )
        assert list(check.stored()[other]) == ["t0", "t1"]
        for part in (one, two):
            check.close(part)
        check.ledger.assert_all_closed("the writers")


def _write_and_snapshot(check: _Check[C, S], part: _Part[S], values: list[str]) -> None:
    check.write(part, values)
    check.snapshot(part)


def check_batch_is_all_or_nothing(case: PartitionedSinkCase[C, S]) -> None:
    """A write the downstream refuses stores none of its values, and raises.

    Under every plan, writes batches with a value the downstream refuses
    (`SinkAdapter.refused`) late among them, each in one client call
    (`batch_size` is the batch's size): a few values, and sizes drawn from
    the plan between `ATOMIC_SIZES`, larger than any chunk a client may
    commit on its own. Each write must raise, with the downstream's error as
    its cause, and the partition must hold what it held before.
    """
    refused = case.adapter.refused()
    if refused is None:
        return

    def run(plan: Plan) -> None:
        with _checking(case, plan) as check:
            sink = check.sink()
            name = check.parts(sink)[0]
            part = check.build(sink, name, None)
            before = ["before 0", "before 1"]
            check.write(part, before)
            state = check.snapshot(part)
            check.close(part)
            for size, at in refused_batches(plan):
                options = Options(batch_size=size)
                part = check.build(check.sink(options), name, state, options)
                values = [f"ok {index}" for index in range(size)]
                values[at] = refused
                error = error_of(partial(_write_and_snapshot, check, part, values))
                what = f"a batch of {size} values, value {at + 1} refused,"
                assert_refused(error, what)
                held = list(check.stored()[name])
                assert held == before, (
                    f"{what} stored {len(held) - len(before)} of its values: a "
                    f"client call stores all or none. Held: {held[:6]}..."
                )
                check.close(part)

    planned(run)


def _scenario(check: _Check[C, S]) -> None:
    """Everything a sink does by hand, to fail each of its client calls in turn."""
    options = Options(batch_size=3, without_state="append")
    sink = check.sink(options)
    names = check.parts(sink)
    part = check.build(sink, names[0], None, options)
    try:
        for chunk in [["v0"], ["v1", "v2", "v3"], ["v4"]]:
            check.write(part, chunk)
        state = check.snapshot(part)
        check.write(part, ["v5"])
    finally:
        check.close(part)
    again = check.build(sink, names[0], state, options)
    try:
        check.write(again, ["w0", "w1", "w2", "w3"])
        check.snapshot(again)
    finally:
        check.close(again)
    fresh = check.build(sink, names[-1], None, options)
    check.write(fresh, ["x0"])
    check.close(fresh)


def check_errors_surface(case: PartitionedSinkCase[C, S]) -> int:
    """A failing client call fails the call that made it, with its cause; nothing leaks.

    Runs a whole life (list, build, writes of 1 to 4 values, snapshot,
    resume, close) once per client call, `connect` included, making that
    call fail, in turn, with a plain error, a lost connection and a timeout.
    Each failure must surface from the very call of the sink that made it:
    raised, not swallowed (not in a write of one value, not in the write a
    snapshot makes); with the client's error as its explicit cause; naming
    the step and the partition; and not also logged at ERROR. A failure
    inside `close()` is not raised, but logged at WARNING or above naming
    the partition. Afterwards every client is closed, whichever call failed
    (a build that fails after connecting included). A failure planned inside
    the downstream (`Plan.fail_at`) must surface the same way.

    Returns:
        The number of client calls failed.
    """
    with _checking(case) as check:
        _scenario(check)
        total = check.ledger.calls
    with accounted("every failing call"):
        for number in range(total):
            kind = INJECTED_KINDS[number % len(INJECTED_KINDS)]
            with _checking(case) as check, capture_logs() as logs:
                check.ledger.fail_call(after=number, error=partial(kind, "injected"))
                error = error_of(partial(_scenario, check))
                assert check.ledger.injected, f"client call {number} never came"
                origin = check.ledger.injected[0]
                if error is None:
                    # Only close() may keep a failure to itself, and must log it.
                    assert check.kept, f"client call {number} failed, unseen"
                    check.assert_kept_logged(logs)
                else:
                    check.assert_surfaced(error, origin, f"client call {number}")
                check.ledger.assert_all_closed(f"client call {number} failed")
        for at in (1, 4) if case.adapter.misbehaves else ():
            with _checking(case, replace(plan_for(0), fail_at=at)) as check:
                error = error_of(partial(_scenario, check))
                fault = planned_fault(error, f"the downstream's call {at}")
                check.assert_surfaced(error, fault, f"downstream call {at}")
                check.ledger.assert_all_closed(f"downstream call {at} failed")
    return total


def check_idle_is_quiet(case: PartitionedSinkCase[C, S]) -> None:
    """With nothing to write, a partition calls no client and keeps quiet.

    `SAMPLES` snapshots with nothing waiting and as many empty `write_batch`
    calls (the runtime makes both at every epoch of an idle dataflow): no
    client call, and nothing logged at WARNING or above.
    """
    with _checking(case) as check, capture_logs() as logs:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        check.write(part, ["v0", "v1", "v2", "v3"])
        check.snapshot(part)
        logs.clear()
        calls = check.ledger.calls
        for _ in range(SAMPLES):
            check.write(part, [])
            check.snapshot(part)
        made = check.ledger.calls - calls
        assert made == 0, (
            f"an idle partition made {made} client calls in {SAMPLES} epochs with "
            "nothing to write"
        )
        assert_quiet(logs, what=f"partition {name!r}", calls=SAMPLES)
        check.close(part)


def check_close_writes_what_waits_and_is_idempotent(
    case: PartitionedSinkCase[C, S],
) -> None:
    """`close()` writes the values still waiting; a second `close()` does nothing."""
    with _checking(case) as check:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        values = _values(check.plan, name, Options().batch_size - 1)
        check.write(part, values)
        check.close(part)
        assert list(check.stored()[name]) == values, "close() left values unwritten"
        check.close(part)
        check.ledger.assert_all_closed("close() twice")


def check_close_never_raises(case: PartitionedSinkCase[C, S]) -> None:
    """A failing write or client close in `close()` is logged, never raised.

    Bytewax also calls `close()` while a failed dataflow unwinds, and an
    exception there aborts the whole process (a panic during a panic), so
    the worker's real error is never reported. The log record is at WARNING
    or above and names the partition.
    """
    with _checking(case) as check, capture_logs() as records:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        check.write(part, _values(check.plan, name, Options().batch_size - 1))
        check.ledger.fail_call()
        check.ledger.fail_close()
        check.close(part)
        assert check.ledger.open_now == 0, "close() left its client open"
        assert_logged(
            records,
            name,
            what=f"a failed close of partition {name!r}",
            level=logging.WARNING,
        )
        check.assert_kept_logged(records)


def check_client_timeout(case: PartitionedSinkCase[C, S]) -> None:
    """The client timeout reaches the client, in full, and ends a stalled call.

    Every `connect` gets the `client_timeout` the sink was built with (as
    a `timedelta`, or in seconds: `.seconds` truncates it). A downstream call
    that never answers (`Plan.stall_at`) must fail the sink's call once the
    timeout is up, with a `TimeoutError` among its causes, and leave no
    client open. Where the downstream has a lock to hold (`SinkAdapter.hold`):
    a write waits for a lock held for `SHORT_HOLD` and succeeds; with a lock
    held past the client timeout it fails within the budget's deadline,
    raised with the backend's error as its cause (not rolled back and
    returned), storing nothing.
    """
    with _checking(case) as check:
        _scenario(check)
        check.ledger.assert_timeout_passed(CLIENT_TIMEOUT, "every connect")
    _check_held_lock(case)
    options = Options(client_timeout=STALL_TIMEOUT, batch_size=1)
    if not case.adapter.misbehaves:
        return
    with _checking(case, replace(plan_for(0), stall_at=3)) as check:
        sink = check.sink(options)

        def stall() -> None:
            part = check.build(sink, check.parts(sink)[0], None, options)
            try:
                for index in range(3):
                    check.write(part, [f"v{index}"])
            finally:
                check.close(part)

        error = error_of(stall)
        assert error is not None, "a stalled downstream call went unnoticed"
        assert caused_by(error, TIMEOUTS), (
            f"a stalled downstream call ended with {error!r}, not with a "
            "TimeoutError among its causes"
        )
        check.ledger.assert_all_closed("a stalled call")


def _check_held_lock(case: PartitionedSinkCase[C, S]) -> None:
    """A writer waits for a lock held briefly, and gives up on one held too long."""
    values = ["v0", "", "v2"]
    with _checking(case) as check:
        options = Options(batch_size=len(values))
        sink = check.sink(options)
        name = check.parts(sink)[0]
        part = check.build(sink, name, None, options)
        release = case.adapter.hold(check.downstream)
        if release is None:
            check.close(part)
            return
        write = partial(_write_and_snapshot, check, part, values)
        assert_waited_for_lock(write_while_locked(write, release, SHORT_HOLD))
        assert list(check.stored()[name]) == values, "the write that waited is lost"
        check.close(part)
    with _checking(case) as check:
        options = Options(batch_size=len(values), client_timeout=STALL_TIMEOUT)
        sink = check.sink(options)
        name = check.parts(sink)[0]
        part = check.build(sink, name, None, options)
        release = case.adapter.hold(check.downstream)
        assert release is not None
        write = partial(_write_and_snapshot, check, part, values)
        assert_gave_up_on_lock(
            check, write_while_locked(write, release, None), STALL_TIMEOUT
        )
        held = list(check.stored()[name])
        assert held == [], f"a write that failed on a held lock stored {held}"
        check.close(part)


def check_memory_is_flat(case: PartitionedSinkCase[C, S]) -> int:
    """Writing many values keeps no memory per value.

    See `common.assert_memory_flat`.

    Returns:
        The bytes that stayed allocated.
    """
    with _checking(case) as check:
        options = Options(batch_size=100)
        sink = check.sink(options)
        name = check.parts(sink)[0]
        part = check.build(sink, name, None, options)
        counter = iter(range(10**9))

        def write_half() -> None:
            with in_call():
                for _ in range(MEMORY_ITEMS // 100):
                    part.inner.write_batch([f"v{next(counter)}" for _ in range(100)])
                part.inner.snapshot()

        def half() -> None:
            check.caller.call("writing", write_half)

        grown = assert_memory_flat(half, half, what=f"partition {name!r}")
        check.close(part)
    return grown


def check_logs_name_the_partition(case: PartitionedSinkCase[C, S]) -> None:
    """Building a partition is logged, naming the step and the partition."""
    with _checking(case) as check, capture_logs() as records:
        sink = check.sink()
        name = check.parts(sink)[0]
        part = check.build(sink, name, None)
        assert_logged(records, STEP_ID, name, what=f"building partition {name!r}")
        check.close(part)


# --- In dataflows -----------------------------------------------------------


def check_run_main(case: PartitionedSinkCase[C, S]) -> None:
    """One worker writes every item once, routed and in order per key."""
    check_cluster_main(case, workers=1)


def check_cluster_main(case: PartitionedSinkCase[C, S], workers: int = 3) -> None:
    """`workers` worker threads write every item once, routed and in order per key."""
    with _checking(case, plan_for(1)) as check:
        items = make_items(check.plan)
        sink = check.sink()
        run_write_flow(
            KitInput(items), check.timed_sink(sink), case.budget, workers=workers
        )
        routes = check.routes(sink, _keys(items))
        assert_written_once(check.stored(), items, routes, what=f"{workers} workers")
        check.ledger.assert_all_closed(f"a run on {workers} workers")


def check_recovery_after_fault(
    case: PartitionedSinkCase[C, S], tmp_path: Path, fault: Fault = "crash"
) -> None:
    """A run that fails part-way, resumed, stores what a run without faults does.

    The first run fails once about half the items are in (see `Fault`);
    a second run resumes from the same recovery store. Whatever the sink
    wrote after the last snapshot of the first run must be undone: every
    value ends up stored once.
    """
    with _checking(case, plan_for(2)) as check:
        items = make_items(check.plan)
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        source = KitInput(items)
        sink = check.sink()
        run_with_fault(
            source, check.timed_sink(sink), fault, check.ledger, store, case.budget
        )
        run_write_flow(source, check.timed_sink(sink), case.budget, recovery=store)
        routes = check.routes(sink, _keys(items))
        stored = check.stored()
        assert_written_once(stored, items, routes, what=f"resumed after a {fault}")
        assert grouped(stored, items) == reference, "the store differs from a clean run"


def check_rescale(
    case: PartitionedSinkCase[C, S],
    tmp_path: Path,
    workers: Sequence[int] = (1, 3, 2),
) -> None:
    """Runs on changing worker counts share one recovery store; each item once.

    Every run but the last writes part of each input partition and ends; the
    next resumes the store with another worker count, so partitions move
    between workers and resume from the previous run's last snapshot.
    """
    with _checking(case) as check:
        items = make_items(check.plan)
        reference = check.reference(items)
        store = recovery_store(tmp_path / "recovery", RECOVERY_STORE_PARTITIONS)
        longest = max(len(part) for part in items.values())
        share = -(-longest // len(workers))
        sink = check.sink()
        for run, count in enumerate(workers):
            budget = share if run < len(workers) - 1 else None
            source = KitInput(items, budget=budget)
            run_write_flow(
                source,
                check.timed_sink(sink),
                case.budget,
                workers=count,
                recovery=store,
            )
        routes = check.routes(sink, _keys(items))
        stored = check.stored()
        assert_written_once(stored, items, routes, what=f"runs on {list(workers)}")
        assert grouped(stored, items) == reference, "the store differs from one run"
        check.ledger.assert_all_closed("the last run")


# --- The example, as processes ----------------------------------------------


def probe_routing(example: str, keys: Sequence[str]) -> dict[str, object]:
    """The example `sink`'s `list_parts()` and `part_fn` of `keys`, in this process."""
    sink = cast(FixedPartitionedSink[str, Any], resolve(example, "sink"))
    return {
        "list_parts": list(sink.list_parts()),
        "part_fn": [sink.part_fn(key) for key in keys],
    }


def check_example_cluster(case: PartitionedSinkCase[C, S], processes: int = 2) -> None:
    """The example as a cluster of processes writes every item once, routed, in order.

    `python -m bytewax.run <example>:flow -i K -a ...`, one worker per
    process, on ports found free, each process with its own
    `PYTHONHASHSEED`, all writing one downstream. Each process also reports
    its `list_parts()` and `part_fn` of many keys: they must be what they
    are here (`hash()` of a string differs between processes).
    """
    with _checking(case) as check:
        example = case.adapter.example()
        keys = sorted(
            {f"{key}#{i}" for key in _keys(make_items(check.plan)) for i in range(4)}
        )
        try:
            here = check.sink(downstream=example.downstream)
            parts = check.parts(here)
            wanted = {
                "list_parts": parts,
                "part_fn": [check.part_fns(here, [key])[key] for key in keys],
            }
            run = run_cluster(
                case.root,
                f"{case.example}:flow",
                budget=case.budget,
                processes=processes,
                env=example.env,
                probe=probe_code(probe_routing, case.example, keys),
                hash_seeds=hash_seeds_for(parts, processes),
            )
            for index, there in enumerate(run.probes):
                assert there == json.loads(json.dumps(wanted)), (
                    f"process {index} (another PYTHONHASHSEED) routes otherwise: "
                    "keep list_parts() and part_fn() independent of hash()"
                )
            items = {"example": list(example.items)}
            routes = check.routes(here, _keys(items))
            stored = check.stored(example.downstream)
            assert_written_once(stored, items, routes, what=f"{processes} processes")
        finally:
            case.adapter.close(example.downstream)
