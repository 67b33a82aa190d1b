"""labsupport: the support code of the Sockets to Queues course.

One idea per module, each introduced by a notebook:

- ``background``: an asyncio event loop in its own thread (notebook 00)
- ``servers``: real servers on 127.0.0.1 run from a notebook, stopped by name (00)
- ``processes``: servers as separate processes you can kill and restart (00, 05-07)
- ``registry``: the names of everything running, stopped at kernel exit (00)
- ``trace`` and ``sequence``: who got what from whom, as a table or a diagram (00)
- ``checks``: the exercise checkers behind ``q1.check()`` (00)
- ``doctor``: is this machine ready for the course? (00)
"""

from .doctor import doctor

__all__ = ["doctor"]
