"""The adapter section of `tests/test_orders.py`, over Redis Streams.

`test/e2e/real-server.test.ts` puts everything below the line
`# --- The adapters: how the kit reaches the upstream ---` in place of the
generated test module's adapters (up to `def make_source`). What comes
before that line repeats the generated module's header, so this file reads,
lints and type-checks as the module would.

`RedisAdapter` gives every check streams of its own, under a fresh key
prefix, on the server `ORDERS_URL` names, and deletes them afterwards.
"""

from collections.abc import Sequence
from typing import Any, TypeAlias

from bytewax_redis_orders import (
    orders as connector,
)
from bytewax_redis_orders.demo import (
    orders as demo,
)

from tests.contract import partitioned as contract
from tests.contract.common import Adapter, Budget, ExampleRun, Plan

# --- Configuration ----------------------------------------------------------

BUDGET = Budget()
"""The kit's limits against the demo log (in memory, answers in microseconds)."""

INTEGRATION_BUDGET = Budget.network()
"""The kit's limits against your real upstream: its calls cross a network.
Change them here, and only here, for a slower one."""

Record: TypeAlias = connector.OrdersRecord
Connect: TypeAlias = connector.OrdersConnect
Case: TypeAlias = contract.PartitionedCase[
    Record,
    connector.Position,
    Connect,
]

# --- The adapters: how the kit reaches the upstream --------------------------

# The module's own imports sit above this section, which stays the only part
# changed: these are imported here, where the adapter needs them.
import os  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import redis  # noqa: E402


class DemoAdapter(
    Adapter[demo.DemoLog, Record, Connect],
):
    """The demo log as the kit's upstream."""

    # The demo fails, stalls and slows down where a plan says.
    misbehaves = True

    def open(self, plan: Plan) -> demo.DemoLog:
        behaviour = demo.Behaviour(
            seed=plan.seed,
            empty_reads=plan.empty_reads,
            slow_calls=plan.slow_calls,
            slow=plan.slow,
            fail_at=plan.fail_at,
            fault=plan.fault,
            stall_at=plan.stall_at,
        )
        return demo.DemoLog(plan.names, behaviour)

    def partitions(self, upstream: demo.DemoLog) -> list[str]:
        return upstream.partitions()

    def append(
        self,
        upstream: demo.DemoLog,
        partition: str,
        values: Sequence[str],
    ) -> list[Record]:
        entries = [upstream.append(partition, value) for value in values]
        return [Record(partition, str(entry.offset), entry.value) for entry in entries]

    def gap(self, upstream: demo.DemoLog, partition: str) -> bool:
        upstream.skip(partition, 2)
        return True

    def remove(self, upstream: demo.DemoLog, partition: str) -> bool:
        upstream.remove(partition)
        return True

    def connect(self, upstream: demo.DemoLog) -> Connect:
        return connector.demo_connect(upstream)

    def connections(self, upstream: demo.DemoLog) -> int:
        return upstream.connections

    def example(self) -> ExampleRun[demo.DemoLog, Record]:
        records = {
            name: [Record(name, str(entry.offset), entry.value) for entry in entries]
            for name, entries in demo.example_log().entries().items()
        }
        # The example reads the demo's log when the URL is unset.
        return ExampleRun(None, records, {connector.URL_SETTING: ""})


@dataclass
class Streams:
    """The streams of one check: every key under `prefix`, on `server`."""

    server: redis.Redis
    url: str
    prefix: str
    names: list[str]

    def key(self, partition: str) -> str:
        return self.prefix + partition


CONNECTIONS_SETTLE = 2.0
"""Seconds the server may take to notice a closed connection."""


class RedisAdapter(
    Adapter[Streams, Record, Connect],
):
    """Streams under a fresh key prefix, on the server `ORDERS_URL` names.

    Redis cannot be told to fail or stall at a chosen call, so the checks
    that need that run against the demo only (`misbehaves` is False).
    """

    def __init__(self) -> None:
        url = os.environ.get(connector.URL_SETTING, "")
        if not url:
            msg = f"set {connector.URL_SETTING} to a Redis server for -m integration"
            raise RuntimeError(msg)
        self._url, _ = connector.split_url(url)

    def open(self, plan: Plan) -> Streams:
        prefix = f"kit-{uuid.uuid4().hex}:"
        server = redis.Redis.from_url(self._url, decode_responses=True)
        streams = Streams(server, self._url, prefix, list(plan.names))
        try:
            for name in plan.names:
                # An empty stream: made with a consumer group, which goes again.
                key = streams.key(name)
                server.xgroup_create(key, "kit", id="$", mkstream=True)
                server.xgroup_destroy(key, "kit")
        except BaseException:
            self.close(streams)
            raise
        return streams

    def partitions(self, upstream: Streams) -> list[str]:
        return list(upstream.names)

    def append(
        self,
        upstream: Streams,
        partition: str,
        values: Sequence[str],
    ) -> list[Record]:
        key = upstream.key(partition)
        records = []
        for value in values:
            entry_id = upstream.server.xadd(key, {connector.VALUE_FIELD: value})
            records.append(Record(partition, _text(entry_id), value))
        return records

    def gap(self, upstream: Streams, partition: str) -> bool:
        # An entry added and deleted again: ids skip it, as after XTRIM.
        key = upstream.key(partition)
        entry_id = upstream.server.xadd(key, {connector.VALUE_FIELD: "gone"})
        upstream.server.xdel(key, entry_id)
        return True

    def remove(self, upstream: Streams, partition: str) -> bool:
        upstream.server.delete(upstream.key(partition))
        return True

    def connect(self, upstream: Streams) -> Connect:
        return connector.redis_connect(upstream.url, upstream.prefix)

    def connections(self, upstream: Streams) -> int:
        name = connector.client_name(upstream.prefix)
        deadline = time.monotonic() + CONNECTIONS_SETTLE
        while True:
            clients = upstream.server.client_list()
            count = sum(1 for client in clients if client.get("name") == name)
            if count == 0 or time.monotonic() > deadline:
                return count
            time.sleep(0.01)

    def example(self) -> ExampleRun[Streams, Record]:
        streams = self.open(Plan(0, names=tuple(demo.example_log().entries())))
        records = {
            name: self.append(streams, name, [entry.value for entry in entries])
            for name, entries in demo.example_log().entries().items()
        }
        url = _with_prefix(self._url, streams.prefix)
        return ExampleRun(streams, records, {connector.URL_SETTING: url})

    def close(self, upstream: Streams) -> None:
        try:
            keys = list(upstream.server.scan_iter(match=upstream.prefix + "*"))
            if keys:
                upstream.server.delete(*keys)
        finally:
            upstream.server.close()


def _text(reply: bytes | str) -> str:
    return reply.decode() if isinstance(reply, bytes) else reply


def _with_prefix(url: str, prefix: str) -> str:
    """Return `url` with the query parameter that names the key prefix."""
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("prefix", prefix)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def integration_adapter() -> Adapter[Any, Record, Connect]:
    """The adapter `pytest -m integration` checks the source with: Redis Streams.

    It reaches the server the way `connector.connect_from_env` does, from
    `connector.URL_SETTING`, opens fresh streams for each check, and deletes
    them in `close`.
    """
    return RedisAdapter()
