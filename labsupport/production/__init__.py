"""labsupport.production: what a real deployment adds, kept out of the lessons.

Nothing here is a lesson: each module says which notebook, program or benchmark uses it.
The teaching modules (``ackqueue``, ``queue_hub``, ...) never import from here.

- ``guard``: the course's socket.io server held to the Engine.IO v4 / Socket.IO v5
  specifications (no payload dropped behind a 200, bad sessions closed at once);
  every server the course starts goes through it (notebook 03 shows why).
- ``tuned``: the benchmark's tuned server configuration (orjson, the fan-out manager,
  no compression), guarded like every other server; notebook 08 and ``bench/``.
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
