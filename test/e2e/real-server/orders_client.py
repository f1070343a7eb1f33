"""The client section of a partitioned source `orders`, over Redis Streams.

`test/e2e/real-server.test.ts` puts everything below the line
`# --- The client: the part you replace ---` in place of the generated
module's client section (up to `# --- The Bytewax side: keep as is ---`).
What comes before that line repeats the generated module's header, so this
file reads, lints and type-checks as the module would.

Partition `name` is the Redis stream `<prefix><name>`; each entry holds its
value in the field `value`; a position is an entry id. With `ORDERS_URL`
unset, `connect_from_env` still reads the demo log, which the generated
examples and tests rely on.
"""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol, TypeAlias

from bytewax_redis_orders.demo import (
    orders as demo,
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

Position: TypeAlias = str
"""Where a record sits in its partition, and the resume state: a Redis stream
entry id, `"<milliseconds>-<sequence>"`, naming the first entry a fetch may
return (the demo's offsets are written as decimal strings)."""


@dataclass(frozen=True)
class OrdersRecord:
    """One item the source emits: a record of one partition."""

    partition: str
    offset: Position
    value: str


@dataclass(frozen=True)
class OrdersBatch:
    """What one fetch returns.

    Attributes:
        records: Records stored from the requested position on, in order.
        next_position: Where the next fetch starts: past the last record
            returned, or past positions the upstream skipped.
        at_end: True when nothing is stored after these records right now.
    """

    records: list[OrdersRecord]
    next_position: Position
    at_end: bool


class OrdersClient(Protocol):
    """Connection to the upstream, used by one thread at a time.

    * `setup` connects (and checks that what the client reads exists); it is
      called once, before any other call, and `close` follows even when it
      fails.
    * `partitions` returns the same names, as `str`, on every call, process
      and worker (each worker lists what it can reach).
    * `position` answers where a partition starts or currently ends.
    * `fetch` never waits for records: it returns what is stored from
      `position` on, at most `max_records`, possibly none, and says where the
      next fetch starts. Fetching the same position again returns the same
      records (the source resumes by position).
    * `close` releases every resource; it is called once per client.

    Give every network call the timeout `connect` got, connecting included.
    Let errors raise: the source names the partition and Bytewax stops the
    dataflow, and a restart resumes it from its recovery store. Retry inside
    the client only what is safe to repeat, and only for a bounded time.
    """

    def setup(self) -> None:
        """Connect, and check that the upstream is there."""
        ...

    def partitions(self) -> list[str]:
        """Return the names of the partitions this worker can read."""
        ...

    def position(
        self,
        partition: str,
        where: Literal["earliest", "latest"],
    ) -> Position:
        """Return the first position of a partition, or the one after its end."""
        ...

    def fetch(
        self,
        partition: str,
        position: Position,
        max_records: int,
    ) -> OrdersBatch:
        """Return up to `max_records` records stored from `position` on."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class OrdersConnect(Protocol):
    """Opens a new client; may be called from several worker threads at once."""

    def __call__(self, *, timeout: timedelta) -> OrdersClient:
        """Return a client whose every call gives up after `timeout`."""
        ...


# --- Redis Streams -----------------------------------------------------------

VALUE_FIELD = "value"
"""The field of a stream entry that holds the record's value."""

DEFAULT_PREFIX = "orders:"
"""Key prefix of the streams read when the URL names none."""

FIRST_ID = "0-0"
"""The smallest stream entry id: the position before every entry."""

_ID = re.compile(r"(\d+)-(\d+)")
_LAST_SEQUENCE = 2**64 - 1


def next_id(entry_id: str) -> Position:
    """Return the smallest entry id that comes after `entry_id`."""
    found = _ID.fullmatch(entry_id)
    if found is None:
        msg = f"{entry_id!r} is not a stream entry id"
        raise ValueError(msg)
    millis, sequence = int(found[1]), int(found[2])
    if sequence == _LAST_SEQUENCE:
        return f"{millis + 1}-0"
    return f"{millis}-{sequence + 1}"


def _text(value: object) -> str:
    """Return a reply of the server as `str` (replies are decoded as UTF-8)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    msg = f"unexpected reply {value!r} from the server"
    raise TypeError(msg)


def client_name(prefix: str) -> str:
    """Return the name the clients of streams under `prefix` give the server.

    `CLIENT LIST` shows it: whoever runs the server sees which clients read
    what, and the integration tests count the connections left open.
    """
    return "bytewax-orders:" + re.sub(r"[^A-Za-z0-9:._-]", "_", prefix)


class RedisStreamsClient:
    """Reads the Redis streams whose keys start with a prefix, one per partition.

    Every call goes over one connection, with the timeout `connect` got and
    no retries: a call that fails or times out raises, and the source names
    the partition. `fetch` is one `XRANGE` from the position on, so entries
    deleted or trimmed away are skipped like any gap between ids.
    """

    def __init__(self, url: str, prefix: str, timeout: timedelta) -> None:
        """Prepare a client of the server at `url`; `setup` connects."""
        self._url = url
        self._prefix = prefix
        self._seconds = timeout.total_seconds()
        self._server: redis.Redis | None = None

    def setup(self) -> None:
        """Connect, and check that the server answers."""
        self._server = redis.Redis.from_url(
            self._url,
            socket_timeout=self._seconds,
            socket_connect_timeout=self._seconds,
            retry=Retry(NoBackoff(), 0),
            single_connection_client=True,
            decode_responses=True,
            client_name=client_name(self._prefix),
        )
        self._server.ping()

    def partitions(self) -> list[str]:
        """Return the names of the streams under the prefix, without it."""
        pattern = _glob_escape(self._prefix) + "*"
        keys = self._connected().scan_iter(match=pattern, count=1000, _type="stream")
        start = len(self._prefix)
        return sorted({_text(key)[start:] for key in keys})

    def position(
        self,
        partition: str,
        where: Literal["earliest", "latest"],
    ) -> Position:
        """Return the first id, or the one after the last id the stream gave."""
        if where == "earliest":
            return FIRST_ID
        info = self._connected().xinfo_stream(self._prefix + partition)
        return next_id(_text(info["last-generated-id"]))

    def fetch(
        self,
        partition: str,
        position: Position,
        max_records: int,
    ) -> OrdersBatch:
        """Return up to `max_records` entries with ids from `position` on."""
        # One entry more than asked tells whether anything is left after.
        entries = self._connected().xrange(
            self._prefix + partition,
            min=position,
            count=max_records + 1,
        )
        records = [
            self._record(partition, entry_id, fields)
            for entry_id, fields in (entries or [])[:max_records]
        ]
        if not records:
            # Redis reads a stream it does not have as empty: a misspelt or
            # deleted partition would look idle forever.
            if not self._connected().exists(self._prefix + partition):
                msg = f"Redis has no stream {self._prefix + partition!r}"
                raise KeyError(msg)
            return OrdersBatch([], position, at_end=True)
        at_end = len(entries or []) <= max_records
        return OrdersBatch(records, next_id(records[-1].offset), at_end)

    def close(self) -> None:
        """Close the connection."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def _record(
        self,
        partition: str,
        entry_id: bytes | str | None,
        fields: Mapping[bytes | str, bytes | str] | None,
    ) -> OrdersRecord:
        offset = _text(entry_id)
        values = {_text(k): _text(v) for k, v in (fields or {}).items()}
        if VALUE_FIELD not in values:
            key = self._prefix + partition
            msg = f"entry {offset} of stream {key!r} has no {VALUE_FIELD!r} field"
            raise ValueError(msg)
        return OrdersRecord(partition, offset, values[VALUE_FIELD])

    def _connected(self) -> redis.Redis:
        if self._server is None:
            msg = "the client is not set up"
            raise RuntimeError(msg)
        return self._server


def _glob_escape(text: str) -> str:
    """Escape the characters `SCAN MATCH` patterns give a meaning to."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def redis_connect(url: str, prefix: str = DEFAULT_PREFIX) -> OrdersConnect:
    """Return a `connect` that opens clients of the streams under `prefix` at `url`."""

    def connect(*, timeout: timedelta) -> OrdersClient:
        return RedisStreamsClient(url, prefix, timeout)

    return connect


def split_url(url: str) -> tuple[str, str]:
    """Split an `ORDERS_URL` into the server's URL and the key prefix.

    `redis://host:port/db?prefix=orders:` reads the streams whose keys start
    with `orders:`; without `prefix`, `DEFAULT_PREFIX`. The other query
    parameters are redis-py's connection options.

    Raises:
        ValueError: If the URL is not a `redis`, `rediss` or `unix` URL, or
            the prefix is empty.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        msg = f"{URL_SETTING}={url!r}: not a redis://, rediss:// or unix:// URL"
        raise ValueError(msg)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in query if name == "prefix"]
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    if not prefix:
        msg = f"{URL_SETTING}={url!r}: the prefix is empty"
        raise ValueError(msg)
    rest = urllib.parse.urlencode([(n, v) for n, v in query if n != "prefix"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), prefix


# --- The demo log, read when no URL is set -----------------------------------


class DemoClient:
    """The client of the demo log, with its offsets as decimal positions."""

    def __init__(self, log: demo.DemoLog, timeout: timedelta) -> None:
        """Prepare a client of `log`; `setup` connects."""
        self._log = log
        self._timeout = timeout
        self._connection: demo.DemoConnection | None = None

    def setup(self) -> None:
        """Open the connection."""
        self._connection = self._log.connect(self._timeout)

    def partitions(self) -> list[str]:
        """Return the names of every partition."""
        return self._connected().partitions()

    def position(
        self,
        partition: str,
        where: Literal["earliest", "latest"],
    ) -> Position:
        """Return offset 0, or the offset the next record will get."""
        if where == "earliest":
            return "0"
        return str(self._connected().end(partition))

    def fetch(
        self,
        partition: str,
        position: Position,
        max_records: int,
    ) -> OrdersBatch:
        """Return up to `max_records` records from `position` on."""
        read = self._connected().read(partition, int(position), max_records)
        return OrdersBatch(
            [_record(partition, entry) for entry in read.entries],
            str(read.next_offset),
            read.at_end,
        )

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()

    def _connected(self) -> demo.DemoConnection:
        if self._connection is None:
            msg = "the client is not set up"
            raise RuntimeError(msg)
        return self._connection


def _record(part: str, entry: demo.Entry) -> OrdersRecord:
    return OrdersRecord(part, str(entry.offset), entry.value)


def demo_connect(log: demo.DemoLog) -> OrdersConnect:
    """Return a `connect` that opens clients of the demo log `log`."""

    def connect(*, timeout: timedelta) -> OrdersClient:
        return DemoClient(log, timeout)

    return connect


URL_SETTING = "ORDERS_URL"
"""Environment variable naming the Redis server: `redis://host:port/db`,
optionally with `?prefix=...` (see `split_url`). Unset, the demo log."""


def connect_from_env(
    environ: Mapping[str, str] = os.environ,
) -> OrdersConnect:
    """Return the `connect` of the upstream the environment names.

    The examples, the pipeline and the integration tests connect through this
    function: the streams `URL_SETTING` names, or with it unset or empty the
    demo's example log.

    Raises:
        ValueError: If `URL_SETTING` is not a Redis URL.
    """
    url = environ.get(URL_SETTING, "")
    if not url:
        return demo_connect(demo.example_log())
    return redis_connect(*split_url(url))


# A fetch is one XRANGE, which answers at once whether or not entries wait:
# the partition polls through `next_awake`, never in a blocking XREAD. The
# position to resume from is the id after the last entry *returned*.
