"""labsupport: the support code of the Sockets to Queues course.

One idea per module, each introduced by a notebook (the module's docstring says which):

- 00 · start here: ``background`` (an event loop in a thread), ``servers`` (real servers
  started from a cell, stopped by name), ``processes`` and ``serve`` (servers as
  processes), ``registry`` (everything running, stopped at kernel exit), ``trace`` and
  ``sequence`` (who got what from whom), ``checks`` (exercise checkers), ``doctor``;
- 01 · sockets: ``framing``, ``relay``, ``pinger``, ``packets``, ``layers``;
- 02 · WebSockets and HTTP: ``newsfeed``, ``websocket_frames``, ``rawhttp``,
  ``socketio_packets``, ``wirelog``;
- 03 · socket.io events: ``clients``, ``webpage``, ``browser``;
- 04 · rooms and namespaces: ``room_events``, ``jsclient``;
- 05 · the message queue: ``ackqueue``, ``queue_hub``, ``queue_client``, ``faults``;
- 06 · scaling with Redis: ``redis_server``, ``streams_queue``;
- 07 · capstone: ``caps``, ``caps_storage``, ``caps_programs``, ``starter``.
"""

from .doctor import doctor

__all__ = ["doctor"]
