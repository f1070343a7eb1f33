"""Contract test kit: the rules every Bytewax source and sink here must follow.

Each kind of source has one module of reusable checks, written once and called
from the tests of every source of that kind:

* `partitioned`: sources built on `FixedPartitionedSource` (partitions with a
  resume state). A test module builds a `PartitionedCase` and calls the
  `check_*` functions.
* `dynamic`: sources built on `DynamicSource` (one stateless reader per
  worker), with `DynamicCase` and its own `check_*` functions.
* `common`: what both share, first of all `Adapter`, the one class a test
  module writes to let the checks reach its source's upstream; then the
  deadlines on every call, the time budget of `next_batch`, the client
  ledger, dataflow runners and example runs.

Sinks have their own modules, written by the first sink of each kind:

* `sink_partitioned`: sinks built on `FixedPartitionedSink` (exactly-once
  partitions), with `PartitionedSinkCase`.
* `sink_dynamic`: sinks built on `DynamicSink` (keyed upserts, at-least-once),
  with `DynamicSinkCase`.
* `sink_common`: what both sink kits use: the `SinkAdapter` a test module
  writes, deadlines, the write time budget, the client ledger and the kit's
  own resumable input with faults on demand.

The checks know nothing about the demo upstreams the generator wrote: to test
a source against a real backend, write an `Adapter` for that backend. The
source need not end; the checks stop it once every record they expect is out.

One check per partitioned source runs `python -m bytewax.testing`, which
listens on fixed ports from 2101: run the suite serially (no pytest-xdist),
one suite per machine (or network namespace) at a time.
"""

__version__ = "2.0.0"
"""The kit's own version: a project's copy says which kit it holds."""
