"""labsupport.production: what a real deployment adds, kept out of the lessons.

Nothing here is a lesson: each module says which notebook, program or benchmark uses it.
The top layer: it may import the lessons and the lab bench, and neither imports it (the
contract in ``pyproject.toml``; ``tests/test_layers.py``).

- ``tuned``: the benchmark's tuned server configuration (orjson, the fan-out manager,
  no compression), guarded (``lab/guard.py``) like every other server; notebook 08 and ``bench/``.
- ``group_commit``: batched SQLite commits, one disk sync for the publishes of a few
  milliseconds (``BatchedSqliteQueue``, ``GroupCommit``, ``GroupCommitHub``); used by
  ``queue_program`` and ``bench/queue_systems.py`` (notebook 08 quotes its figures).
- ``queue_program``: the queue hub as a program, wired from environment variables
  (``from_environment``: ``QUEUE_DB``, ``QUEUE_SYNC``, ``QUEUE_BATCH``, ``QUEUE_REDIS``);
  notebook 06 and the fault tests run it.
- ``benchmark``: the benchmark's harness (servers started, the Node load client, CPU
  read from the kernel's per-process clock); ``bench/run.py`` and notebook 08 use it.
- ``queue_rates``: messages per second through each queue backend in one process;
  ``bench/run.py`` and notebook 08.
- ``flow_program``: notebook 05b §4's hubs as programs (``FLOW_MAX_LENGTH``, ``FLOW_DB``,
  ``FLOW_CREDIT``), answering ``GET /memory`` with the process's own ``tracemalloc``;
  notebook 05b §4, its exercise q3 and ``tests/test_backpressure.py``.
"""
