"""labsupport: the support code of the Sockets to Queues course, in four layers.

Each layer may import the layers below it, never one above (``./course test`` checks
it: the contract is in ``pyproject.toml``, under ``[tool.importlinter]``):

- ``labsupport.production`` (top): what a real deployment adds and no lesson needs: the
  tuned server, batched commits, the programs' wiring, the benchmark's harness.
- ``labsupport.exercises``: every notebook's exercises, and ``checks``, the machinery that
  judges an answer (``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``).
- ``labsupport`` itself, the lessons: each module the hardened twin of something a
  notebook builds in cells, or the course's addition to python-socketio. Its docstring
  names the notebook.

  - notebook 01, sockets: ``framing``, ``pinger``, ``ip_packets``, ``layers``;
  - notebook 02, WebSockets and HTTP: ``websocket_frames``, ``rawhttp``, ``socketio_packets``,
    ``wirelog``, ``wiretap`` (instruments that read the wire with 02's own decoders);
  - notebook 04, rooms: ``room_events``;
  - notebook 05, the message queue: ``ackqueue``, ``sqlite_queue``, ``queue_hub``,
    ``queue_client`` (on ``base_queue_client``, shared with 07's ``CapsClient``), ``recovery``;
  - notebook 05b, delivery guarantees: ``delivery``, ``crash_points``, ``crash_hub``,
    ``crash_programs``, ``outbox``, ``credit``, ``partitions``;
  - notebook 06, scaling with Redis: ``streams_queue``;
  - notebook 06c, RabbitMQ: ``rabbit`` (its experiments beside the hub's), ``rabbit_consumer``;
  - notebook 07, the capstone: ``caps``, ``caps_storage``, ``caps_stages``, ``caps_programs``.
- ``labsupport.lab`` (bottom): the bench the experiments stand on, no lesson in it:
  servers, processes, the registry that stops them, the browser, Redis, captures, traces,
  claims and figures (its own docstring lists them).

``tools/starter.py``, outside the package, is maintainer tooling (the learner's copy of 07).
"""

from labsupport.lab import scratch  # first: every temporary file of this kernel goes in its folder
from labsupport.lab.doctor import doctor

__all__ = ["doctor", "scratch"]
