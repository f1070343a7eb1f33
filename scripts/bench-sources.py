#!/usr/bin/env python3
"""Throughput of the generated dynamic sources: sync client against async client.

    npm run build && python3 scripts/bench-sources.py [--records N] [--runs N]

Generates a project with the built runner (`node dist/cli.js`, so build
first) holding one dynamic source of each client kind, then, alternating sync
and async, runs each source over the same demo data (finished, so the flow
ends) in a one-worker dataflow and reports records per second: min, median
and max over the runs. Each run is a fresh process using the end-to-end
tests' cached venv (`.cache/e2e/venv`, made by `npm run test:e2e`); nothing
is installed. A benchmark, never a test: the figures depend on the machine.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".cache" / "e2e" / "venv" / "bin" / "python"
CLI = REPO / "dist" / "cli.js"
PACKAGE = "bytewax_bench"
SOURCES = {"sync": "sync_feed", "async": "async_feed"}

# Runs in the venv: reads `records` demo records spread over 4 shards with
# the named source, on one worker, and prints the seconds the run took.
MEASURE = """
import importlib, json, sys, time
import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import run_main

package, name, records, batch_size = sys.argv[1:5]
connector = importlib.import_module(f"{package}.{name}")
demo = importlib.import_module(f"{package}.demo.{name}")
source_class = next(
    value for key, value in vars(connector).items()
    if key.endswith("Source") and key != "DynamicSource"
)
backend = demo.DemoBackend([f"shard-{i}" for i in range(4)])
for index in range(int(records)):
    backend.append(f"shard-{index % 4}", f"record {index}")
backend.finish()
count = [0]

class Counting(StatelessSinkPartition):
    def write_batch(self, items):
        count[0] += len(items)

class CountingSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return Counting()

flow = Dataflow("bench")
source = source_class(backend.connect, batch_size=int(batch_size))
op.output("out", op.input("in", flow, source), CountingSink())
start = time.perf_counter()
run_main(flow)
seconds = time.perf_counter() - start
assert count[0] == int(records), count
print(json.dumps({"seconds": seconds}))
"""


def generate(workdir: Path) -> Path:
    """Generate the bench project and return its directory."""
    base = ["--yes", "--author-name", "Bench", "--skip-install", "--no-ci"]
    subprocess.run(
        ["node", str(CLI), "bench", "--package", PACKAGE, *base,
         "--dynamic", SOURCES["sync"], "--client", "sync"],
        cwd=workdir, check=True, capture_output=True,
    )
    project = workdir / "bench"
    subprocess.run(
        ["node", str(CLI), "dynamic", SOURCES["async"], "--client", "async", "--yes"],
        cwd=project / "src", check=True, capture_output=True,
    )
    return project


def measure(project: Path, kind: str, records: int, batch_size: int) -> float:
    """Run one source once in a fresh process; return records per second."""
    env = dict(os.environ, PYTHONPATH=str(project / "src"))
    ran = subprocess.run(
        [str(VENV_PYTHON), "-c", MEASURE, PACKAGE, SOURCES[kind],
         str(records), str(batch_size)],
        env=env, check=True, capture_output=True, text=True,
    )
    seconds = json.loads(ran.stdout.strip().splitlines()[-1])["seconds"]
    return records / seconds


def main() -> int:
    """Parse the arguments, run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    for needed, hint in ((CLI, "npm run build"), (VENV_PYTHON, "npm run test:e2e")):
        if not needed.exists():
            sys.exit(f"{needed} is missing: run `{hint}` first")
    rates: dict[str, list[float]] = {"sync": [], "async": []}
    with tempfile.TemporaryDirectory(prefix="bench-sources-") as tmp:
        project = generate(Path(tmp))
        for run in range(args.runs):
            order = ("sync", "async") if run % 2 == 0 else ("async", "sync")
            for kind in order:
                rates[kind].append(
                    measure(project, kind, args.records, args.batch_size)
                )
    print(
        f"{args.records} records over 4 shards, batch size {args.batch_size}, "
        f"1 worker, {args.runs} alternating runs each (records/s):"
    )
    for kind, values in rates.items():
        print(
            f"  {kind:5}  min {min(values):>9,.0f}  "
            f"median {statistics.median(values):>9,.0f}  max {max(values):>9,.0f}"
        )
    ratio = statistics.median(rates["async"]) / statistics.median(rates["sync"])
    print(f"  async / sync (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
