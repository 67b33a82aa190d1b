"""labsupport: the support code of the Sockets to Queues course.

One idea per module, each built in cells or used by a notebook (its docstring says which):

- notebook 00, start here: ``background`` (an event loop in a thread), ``servers`` (real
  servers started from a cell, stopped by name), ``processes`` and ``run_server`` (servers as
  processes), ``registry`` (everything running, stopped at kernel exit), ``trace`` and
  ``sequence`` (who got what from whom), ``evidence`` (claims checked from the data, and
  the one seed), ``checks`` and ``exercises`` (exercise checkers), ``doctor``, ``paths`` (where the
  course's files are), ``scratch`` (one temporary folder per kernel, removed at its exit),
  ``examples``;
- notebook 01, sockets: ``framing``, ``relay``, ``pinger``, ``ip_packets``, ``capture`` and
  ``pcap`` (packets on a real wire), ``layers``;
- notebook 02, WebSockets and HTTP: ``newsfeed``, ``websocket_frames``, ``rawhttp``,
  ``socketio_packets``, ``wirelog``, ``wiretap``;
- notebook 03, socket.io events: ``clients``, ``webpage``, ``browser``, ``guard``;
- notebook 04, rooms and namespaces: ``room_events``, ``jsclient``, ``admin_ui``;
- notebook 05, the message queue: ``ackqueue``, ``sqlite_queue``, ``queue_hub``,
  ``queue_client``, ``faults``, ``recovery``;
- notebook 05b, delivery guarantees: ``delivery``, ``crash_points``, ``crash_hub``,
  ``crash_programs``, ``forked``, ``outbox``, ``credit``, ``partitions``;
- notebook 06, scaling with Redis: ``redis_server``, ``streams_queue``;
- notebook 07, capstone: ``caps``, ``caps_storage``, ``caps_stages``, ``caps_programs``;
- ``production``: not lessons (the specification guard's machinery, the tuned server,
  batched commits, the programs' wiring, the benchmark's harness);
- ``starter``: maintainer tooling (the learner's copy of notebook 07).
"""

from . import scratch  # first: every temporary file of this kernel goes in its folder
from .doctor import doctor

__all__ = ["doctor", "scratch"]
