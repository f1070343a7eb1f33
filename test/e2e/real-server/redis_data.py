"""Data in and out of Redis for `test/e2e/real-server.test.ts`.

Run it with the generated project's Python, which has `redis` (and the
project's package) installed. Each command prints JSON:

    python redis_data.py seed URL PREFIX COUNT NAME...
        appends COUNT entries to each stream PREFIX + NAME;
        prints {name: [[id, value], ...]} in order
    python redis_data.py hash URL KEY
        prints the hash KEY as an object
    python redis_data.py stats URL
        prints {"keys": keys in the database, "calls": {command: calls}}
    python redis_data.py example-items PACKAGE
        prints the last value of each key the sink's example writes
"""

import importlib
import json
import sys

import redis


def _server(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def seed(url: str, prefix: str, count: int, names: list[str]) -> object:
    """Append `count` entries to each stream; return their ids and values."""
    server = _server(url)
    try:
        written: dict[str, list[tuple[str, str]]] = {}
        for name in names:
            for index in range(count):
                value = f"{name} #{index}"
                entry_id = server.xadd(prefix + name, {"value": value})
                written.setdefault(name, []).append((str(entry_id), value))
        return written
    finally:
        server.close()


def read_hash(url: str, key: str) -> object:
    """Return what the hash `key` holds."""
    server = _server(url)
    try:
        return server.hgetall(key)
    finally:
        server.close()


def stats(url: str) -> object:
    """Return how many keys the database holds, and the calls of each command."""
    server = _server(url)
    try:
        calls = {
            name.removeprefix("cmdstat_"): int(fields["calls"])
            for name, fields in server.info("commandstats").items()
        }
        return {"keys": server.dbsize(), "calls": calls}
    finally:
        server.close()


def example_items(package: str) -> object:
    """Return the last value of each key in the sink example's items."""
    demo = importlib.import_module(f"{package}.demo.totals")
    return dict(demo.example_items())


def main(args: list[str]) -> None:
    """Run one command (see the module docstring) and print its JSON."""
    command, *rest = args
    if command == "seed":
        url, prefix, count, *names = rest
        result = seed(url, prefix, int(count), names)
    elif command == "hash":
        result = read_hash(*rest)
    elif command == "stats":
        result = stats(*rest)
    elif command == "example-items":
        result = example_items(*rest)
    else:
        msg = f"unknown command {command!r}"
        raise SystemExit(msg)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
