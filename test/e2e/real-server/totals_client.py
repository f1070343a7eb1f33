"""The client section of a dynamic sink `totals`, over a Redis hash.

`test/e2e/real-server.test.ts` puts everything below the line
`# --- The client: the part you replace ---` in place of the generated
module's client section (up to `# --- The Bytewax side: keep as is ---`).
What comes before that line repeats the generated module's header, so this
file reads, lints and type-checks as the module would.

The table is one Redis hash: a row is a field of it and its value, and an
upsert is one `HSET` of every row, which Redis applies all at once. A
`TOTALS_URL` that is not a Redis URL is still the path of a demo table file,
which the generated pipeline test and example rely on.
"""

import logging
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Protocol, TypeAlias

from bytewax_redis_orders.demo import (
    totals as demo,
)

logger = logging.getLogger(__name__)

# --- The client: the part you replace ---------------------------------------

# The module's own imports sit above this section, which stays the only part
# changed: these are imported here, where the client needs them.
import re  # noqa: E402
import urllib.parse  # noqa: E402

import redis  # noqa: E402
from redis.backoff import NoBackoff  # noqa: E402
from redis.retry import Retry  # noqa: E402

Row: TypeAlias = tuple[str, str]
"""An item of the sink, `(key, value)`, and a row of the table."""


class TotalsClient(Protocol):
    """Connection to the downstream table, used by one thread at a time.

    * `setup` connects (and checks that the table is there); it is called
      once, before any other call, and `close` follows even when it fails.
    * `upsert` stores each row under its key, replacing what the key held, in
      one call that stores all of them or none (a transaction, a bulk
      request). Storing a row again changes nothing: that is what makes
      replays harmless.
    * `close` releases the connection; it is called once per client.

    Give every network call the timeout `connect` got, connecting included.
    Let errors raise: the sink names the worker and Bytewax stops the
    dataflow; a restart replays what may not have been written. Retry inside
    the client only what is safe to repeat (an upsert is), for a bounded time.
    """

    def setup(self) -> None:
        """Connect, and check that the table is there."""
        ...

    def upsert(self, rows: list[Row]) -> None:
        """Store every row under its key, all or none."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class TotalsConnect(Protocol):
    """Opens a new client; may be called from several worker threads at once."""

    def __call__(self, *, timeout: timedelta) -> TotalsClient:
        """Return a client whose every call gives up after `timeout`."""
        ...


# --- A Redis hash ------------------------------------------------------------

DEFAULT_KEY = "totals"
"""The hash written when the URL names none."""

REDIS_SCHEMES = ("redis", "rediss", "unix")
"""URL schemes that name a Redis server."""


def client_name(key: str) -> str:
    """Return the name the clients of hash `key` give the server (`CLIENT LIST`)."""
    return "bytewax-totals:" + re.sub(r"[^A-Za-z0-9:._-]", "_", key)


class RedisHashClient:
    """Upserts rows into one Redis hash, over one connection.

    Every call has the timeout `connect` got and no retries: a call that
    fails or times out raises, and the sink names the worker.
    """

    def __init__(self, url: str, key: str, timeout: timedelta) -> None:
        """Prepare a client of hash `key` on the server at `url`; `setup` connects."""
        self._url = url
        self._key = key
        self._seconds = timeout.total_seconds()
        self._server: redis.Redis | None = None

    def setup(self) -> None:
        """Connect, and check that the key holds a hash or nothing yet."""
        self._server = redis.Redis.from_url(
            self._url,
            socket_timeout=self._seconds,
            socket_connect_timeout=self._seconds,
            retry=Retry(NoBackoff(), 0),
            single_connection_client=True,
            decode_responses=True,
            client_name=client_name(self._key),
        )
        reply = self._server.type(self._key)
        kind = reply.decode() if isinstance(reply, bytes) else reply
        if kind not in ("hash", "none"):
            msg = f"key {self._key!r} holds a {kind}, not a hash"
            raise ValueError(msg)

    def upsert(self, rows: list[Row]) -> None:
        """Set every row's field in one HSET: all of them or none."""
        if rows:
            self._connected().hset(self._key, mapping=dict(rows))

    def close(self) -> None:
        """Close the connection."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def _connected(self) -> redis.Redis:
        if self._server is None:
            msg = "the client is not set up"
            raise RuntimeError(msg)
        return self._server


def redis_connect(url: str, key: str = DEFAULT_KEY) -> TotalsConnect:
    """Return a `connect` that opens clients of hash `key` on the server at `url`."""

    def connect(*, timeout: timedelta) -> TotalsClient:
        return RedisHashClient(url, key, timeout)

    return connect


def split_url(url: str) -> tuple[str, str]:
    """Split a Redis `TOTALS_URL` into the server's URL and the hash's key.

    `redis://host:port/db?key=totals` writes the hash `totals`; without
    `key`, `DEFAULT_KEY`. The other query parameters are redis-py's
    connection options.

    Raises:
        ValueError: If the key is empty.
    """
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    keys = [value for name, value in query if name == "key"]
    key = keys[-1] if keys else DEFAULT_KEY
    if not key:
        msg = f"{URL_SETTING}={url!r}: the key is empty"
        raise ValueError(msg)
    rest = urllib.parse.urlencode([(n, v) for n, v in query if n != "key"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), key


def is_redis_url(url: str) -> bool:
    """Tell whether `url` names a Redis server rather than a demo table file."""
    return urllib.parse.urlsplit(url).scheme in REDIS_SCHEMES


# --- The demo table, written when no Redis URL is set ------------------------


def demo_connect(table: demo.DemoTable) -> TotalsConnect:
    """Return a `connect` that opens clients of the demo table `table`."""

    def connect(*, timeout: timedelta) -> TotalsClient:
        return table.client(timeout)

    return connect


URL_SETTING = "TOTALS_URL"
"""Environment variable naming the downstream: a Redis URL
(`redis://host:port/db?key=...`, see `split_url`), or the path of a demo
table file (unset: the example's, in the temporary directory)."""


def connect_from_env(
    environ: Mapping[str, str] = os.environ,
) -> TotalsConnect:
    """Return the `connect` of the downstream the environment names.

    The examples, the pipeline and the integration tests connect through this
    function: the hash a Redis `URL_SETTING` names, else the demo table in
    the file it names.
    """
    url = environ.get(URL_SETTING, "")
    if is_redis_url(url):
        return redis_connect(*split_url(url))
    return demo_connect(demo.example_table(Path(url) if url else None))
