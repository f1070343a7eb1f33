"""The adapter section of `tests/test_totals.py`, over a Redis hash.

`test/e2e/real-server.test.ts` puts everything below the line
`# --- The adapters: how the kit reaches the downstream ---` in place of the
generated test module's adapters (up to `def make_sink`). What comes before
that line repeats the generated module's header, so this file reads, lints
and type-checks as the module would.

`RedisAdapter` gives every check a hash of its own, under a fresh key, on the
server `TOTALS_URL` names, and deletes it afterwards.
"""

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from bytewax_redis_orders import (
    totals as connector,
)
from bytewax_redis_orders.demo import (
    totals as demo,
)

from tests.contract import sink_dynamic as contract
from tests.contract.common import Budget, Plan, SinkAdapter, SinkExample

# --- Configuration ----------------------------------------------------------

BUDGET = Budget()
"""The kit's limits against the demo table (a local SQLite file)."""

INTEGRATION_BUDGET = Budget.network()
"""The kit's limits against your real downstream: its calls cross a network
and commits are durable. Change them here, and only here, for a slower one."""

Connect: TypeAlias = connector.TotalsConnect
Stored: TypeAlias = Sequence[tuple[str, str]]
Case: TypeAlias = contract.DynamicSinkCase[Connect]

# --- The adapters: how the kit reaches the downstream ------------------------

# The module's own imports sit above this section, which stays the only part
# changed: these are imported here, where the adapter needs them.
import os  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import redis  # noqa: E402


class DemoAdapter(
    SinkAdapter[demo.DemoTable, Connect, Stored],
):
    """Demo tables, each in a folder of its own, as the kit's downstreams."""

    # The demo fails, stalls and slows down where a plan says.
    misbehaves = True

    def open(self, plan: Plan) -> demo.DemoTable:
        behaviour = demo.Behaviour(
            seed=plan.seed,
            slow_calls=plan.slow_calls,
            slow=plan.slow,
            fail_at=plan.fail_at,
            fault=plan.fault,
            stall_at=plan.stall_at,
        )
        folder = tempfile.mkdtemp(prefix="sink-")
        return demo.DemoTable(Path(folder, "table.sqlite3"), behaviour=behaviour)

    def connect(self, downstream: demo.DemoTable) -> Connect:
        return connector.demo_connect(downstream)

    def contents(self, downstream: demo.DemoTable) -> Stored:
        return downstream.contents()

    def refused(self) -> str:
        return f"refused {demo.REFUSED} value"

    def hold(self, downstream: demo.DemoTable) -> Callable[[], None]:
        return downstream.hold()

    def example(self) -> SinkExample[demo.DemoTable]:
        table = self.open(Plan(0))
        env = {connector.URL_SETTING: str(table.path)}
        return SinkExample(table, demo.example_items(), env)

    def close(self, downstream: demo.DemoTable) -> None:
        shutil.rmtree(downstream.path.parent)


@dataclass
class Hash:
    """The hash of one check: `key` on `server`."""

    server: redis.Redis
    url: str
    key: str


class RedisAdapter(
    SinkAdapter[Hash, Connect, Stored],
):
    """A hash under a fresh key, on the server `TOTALS_URL` names.

    Redis cannot be told to fail or stall at a chosen call, and stores any
    value, so the checks that need either run against the demo only.
    """

    def __init__(self) -> None:
        url = os.environ.get(connector.URL_SETTING, "")
        if not connector.is_redis_url(url):
            msg = f"set {connector.URL_SETTING} to a Redis URL for -m integration"
            raise RuntimeError(msg)
        self._url, _ = connector.split_url(url)

    def open(self, plan: Plan) -> Hash:
        server = redis.Redis.from_url(self._url, decode_responses=True)
        return Hash(server, self._url, f"kit-{uuid.uuid4().hex}:totals")

    def connect(self, downstream: Hash) -> Connect:
        return connector.redis_connect(downstream.url, downstream.key)

    def contents(self, downstream: Hash) -> Stored:
        stored = downstream.server.hgetall(downstream.key)
        return sorted((_text(key), _text(value)) for key, value in stored.items())

    def example(self) -> SinkExample[Hash]:
        table = self.open(Plan(0))
        env = {connector.URL_SETTING: _with_key(self._url, table.key)}
        return SinkExample(table, demo.example_items(), env)

    def close(self, downstream: Hash) -> None:
        try:
            downstream.server.delete(downstream.key)
        finally:
            downstream.server.close()


def _text(reply: bytes | str) -> str:
    return reply.decode() if isinstance(reply, bytes) else reply


def _with_key(url: str, key: str) -> str:
    """Return `url` with the query parameter that names the hash."""
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("key", key)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def integration_adapter() -> SinkAdapter[Any, Connect, Stored]:
    """The adapter `pytest -m integration` checks the sink with: a Redis hash.

    It reaches the server the way `connector.connect_from_env` does, from
    `connector.URL_SETTING`, opens a fresh hash for each check, and deletes
    it in `close`.
    """
    return RedisAdapter()
