"""Sessions that go wrong are closed, and nothing is dropped behind an "OK".

Notebook 03 (section 8) shows why: plain python-socketio, sent a burst of 40 events
over HTTP long-polling, keeps 1 and answers 200, and keeps a session open after a
packet it could not read. The course's server follows the rules of Engine.IO v4 and
Socket.IO v5 instead, as Node's server does:

- every packet a client sends is handled, up to a stated limit (``maxPayload`` bytes
  per request); beyond it the client gets 413, never 200;
- an invalid packet closes its session at once;
- a session that sends no CONNECT in ``connect_timeout`` seconds is closed; a WebSocket
  upgrade not finished in ``upgrade_timeout`` is given up (the session keeps polling);
- a second GET poll on a session while one waits gets 400 and closes it;
- a refused namespace is told ``{"message": ...}``, as clients expect;
- the answers the official Engine.IO and Socket.IO test suites check are Node's: the
  exact ``pingInterval`` (sub-second too), 400 for a request without ``transport`` or
  with another method, ``ok`` to a POST, 400 once a ping went unanswered, a NOOP to the
  poll under way when the client closes, none over the WebSocket after an upgrade.

The machinery lives in ``production/guard.py`` (not a lesson); this module is the
name the course's servers use. ``close_half_open(sio, timeout)`` guards ``sio`` with
a CONNECT timeout (the queue hubs of notebooks 05-07 call it).
"""

from .production.guard import CONNECT_TIMEOUT, UPGRADE_TIMEOUT, attach, guard

__all__ = ["CONNECT_TIMEOUT", "UPGRADE_TIMEOUT", "attach", "close_half_open", "guard"]


def close_half_open(sio, timeout=CONNECT_TIMEOUT):
    """Guard ``sio``: a session with no namespace connected after ``timeout`` s is closed."""
    guard(sio, connect_timeout=timeout)
    return sio
