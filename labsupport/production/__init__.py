"""The production layer: what a real deployment needs, and no lesson teaches.

Nothing here is a lesson. The notebooks build the ideas step by step in
``labsupport``'s teaching modules; the modules here harden them for programs and
benchmarks, and each docstring says which notebook or program uses it:

- ``guard``: the course's socket.io server held to the Engine.IO v4 / Socket.IO v5
  specifications (no payload dropped behind a 200, bad sessions closed at once);
  every server the course starts goes through it.
- ``tuned``: the benchmark's tuned server configuration (orjson, the fan-out manager,
  no compression), guarded like every other server; notebook 08 and ``bench/``.
"""
