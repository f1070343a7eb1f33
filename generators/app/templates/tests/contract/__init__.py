"""Contract test kit: the rules every Bytewax source in this project must follow.

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

The checks know nothing about the demo upstreams the generator wrote: to test
a source against a real backend, write an `Adapter` for that backend. The
source need not end; the checks stop it once every record they expect is out.

One check per partitioned source runs `python -m bytewax.testing`, which
listens on fixed ports from 2101: run the suite serially (no pytest-xdist),
one suite per machine (or network namespace) at a time.
"""
