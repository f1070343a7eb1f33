"""Contract test kit: the rules every Bytewax source and sink here must follow.

One module of reusable checks per kind of connector, each written once and
called from the tests of every connector of that kind:

* `partitioned`: sources built on `FixedPartitionedSource` (partitions with a
  resume state), described by a `PartitionedCase`.
* `dynamic`: sources built on `DynamicSource` (one stateless reader per
  worker, sync or async clients), described by a `DynamicCase`.
* `sink_partitioned`: sinks built on `FixedPartitionedSink` (exactly-once
  partitions), described by a `PartitionedSinkCase`.
* `sink_dynamic`: sinks built on `DynamicSink` (keyed upserts, at least
  once), described by a `DynamicSinkCase`.
* `common`: what they all share. First of all the adapters a test module
  writes (`Adapter` for an upstream, `SinkAdapter` for a downstream), the
  only way the checks reach a backend; then `Budget` (every wall-clock limit
  in one place), `Plan` (adversarial behaviours of a backend, by seed), the
  `ClientLedger` that counts, times and fails client calls, the accounting
  of threads, file descriptors, memory and logs around every check, and the
  runners of dataflows, examples and clusters of processes.

The checks are properties of the contract, each run under several plans
(`BYTEWAX_KIT_SEEDS` chooses them; a failure names its plan). They know
nothing of the demo backends: to check a connector against a real backend,
write an adapter for it. Nothing here assumes where it sits in a project:
cases carry the project's root, and clusters run on ports found free, so
suites may run in parallel (`pytest -n 2`) and side by side.
"""

__version__ = "3.1.0"
"""The kit's own version: a project's copy says which kit it holds."""
