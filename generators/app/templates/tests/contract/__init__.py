"""Contract test kit: the rules every Bytewax source and sink here must follow.

Each kind of source has one module of reusable checks, written once and called
from the tests of every source of that kind:

* `partitioned`: sources built on `FixedPartitionedSource` (partitions with a
  resume state). A test module builds a `PartitionedCase` and calls the
  `check_*` functions.
* `dynamic`: sources built on `DynamicSource` (one stateless reader per
  worker), with `DynamicCase` and its own `check_*` functions.
* `common`: helpers both use: running dataflows with the real runtime, the
  `time.sleep` guard for `next_batch`, output comparisons, poll-rate bounds and
  running example modules as separate processes.

Sinks have their own modules, written by the first sink of each kind:

* `sink_partitioned`: sinks built on `FixedPartitionedSink` (exactly-once
  partitions), with `PartitionedSinkCase`.
* `sink_dynamic`: sinks built on `DynamicSink` (keyed upserts, at-least-once),
  with `DynamicSinkCase`.
* `sink_common`: what both sink kits use: the `SinkAdapter` a test module
  writes, deadlines, the write time budget, the client ledger and the kit's
  own resumable input with faults on demand.

The checks know nothing about the demo clients the generator wrote, so they
keep applying after a demo client is replaced by a real one: only the case
(how to seed known records and build a source over them) has to change.

Some checks run `python -m bytewax.testing`, which listens on fixed ports from
2101: run the suite serially (no pytest-xdist), one suite per machine at a time.
"""
