"""Exercises of notebook 06b (leaving localhost): ``from labsupport.exercises.ex06b import q1``.

q1's checker compares the learner's bounds with the heartbeat's rule on three settings, then
freezes a real client (``lab.dead_peers``) against a real server and checks that the time
measured lies within the learner's bounds.
"""

import threading
import time

import socketio

from labsupport.exercises.checks import (
    UNTOUCHED,
    Exercise,
    Incorrect,
    NotAttempted,
    Problem,
    ____,
    expect_value,
    raised,
)
from labsupport.lab import dead_peers, servers

# (ping_interval, ping_timeout): different inputs, so a fixed answer cannot pass them all;
# the last has the timeout longer than the interval, so "the shorter setting" fails too
SETTINGS = ((2, 1), (5, 3), (2, 5))
MEASURED = (1, 0.5)  # the setting of the real run
MARGIN = 0.5  # seconds a busy machine may add


class GoneWithin(Problem):
    title = "q1, how long a server keeps a frozen client"
    hints = (
        "Section 3, 'How long until the server notices?': when does the next PING leave, "
        "at the soonest and at the latest, after the client froze?",
        "The soonest: the PING leaves right after the freeze, and ping_timeout passes. The "
        "latest: the client had just answered a PING, so the next one waits a whole "
        "ping_interval first.",
    )
    solution = """
def gone_within(ping_interval, ping_timeout):
    return (ping_timeout, ping_interval + ping_timeout)


q1.check(gone_within)
"""
    why = """
The server sends a PING ping_interval after the last PONG, then waits ping_timeout for
the next PONG. A client that freezes just before a PING is declared gone ping_timeout
later; one that freezes just after answering waits a whole ping_interval more.
"""

    def verify(self, gone_within):
        self.expect_attempted(gone_within)
        for interval, timeout in SETTINGS:
            self._judge(gone_within, interval, timeout)
        earliest, latest = gone_within(*MEASURED)
        seconds = self._measure(*MEASURED)
        if not earliest <= seconds <= latest + MARGIN:
            raise Incorrect(f"a real client frozen against a server with ping_interval="
                            f"{MEASURED[0]}, ping_timeout={MEASURED[1]} was declared gone after "
                            f"{seconds:.2f} s, outside your ({earliest}, {latest}).")  # fmt: skip
        return (f"Your bounds hold for {len(SETTINGS)} settings, and a real client frozen against "
                f"ping_interval={MEASURED[0]}, ping_timeout={MEASURED[1]} was declared gone "
                "within them.")  # fmt: skip

    def _judge(self, gone_within, interval, timeout):
        call = f"gone_within({interval}, {timeout})"
        try:
            got = gone_within(interval, timeout)
        except Exception as error:  # the learner's code raised: say where, not a checker error
            raise Incorrect(raised(call, error)) from error
        got = expect_value(call, got)
        if got is ____ or (isinstance(got, tuple | list) and ____ in got):
            raise NotAttempted(UNTOUCHED)
        pair = isinstance(got, tuple | list) and len(got) == 2
        if not (pair and all(isinstance(x, int | float) and not isinstance(x, bool) for x in got)):
            raise Incorrect(f"{call} returned {got!r:.80}: return two numbers of seconds, "
                            "(earliest, latest).")  # fmt: skip
        earliest, latest = got
        if (earliest, latest) == (timeout, interval + timeout):
            return
        if (earliest, latest) == (1000 * timeout, 1000 * (interval + timeout)):
            raise Incorrect(f"{call} returned {got!r}: milliseconds, as the handshake's "
                            "pingInterval and pingTimeout are; the settings here are in "
                            "seconds, and so is the answer.")  # fmt: skip
        if earliest > latest:
            raise Incorrect(f"{call} returned {got!r}: the earliest comes first, then the latest.")
        if earliest == interval:  # too late, or (timeout > interval) too early
            when = "late" if interval > timeout else "early"
            raise Incorrect(f"{call} returned {got!r}: the earliest is too {when}. The client "
                            "may freeze just before a PING leaves: how long does the server "
                            "wait after that PING?")  # fmt: skip
        if earliest != timeout:
            raise Incorrect(f"{call} returned {got!r}: the earliest is wrong. Which of the two "
                            "settings does the server wait after a PING it sent?")  # fmt: skip
        raise Incorrect(f"{call} returned {got!r}: the latest is wrong. The client may freeze "
                        "just after answering a PING: when does the next PING leave, and how "
                        "long does the server wait after it?")  # fmt: skip

    def _measure(self, interval, timeout):
        sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=interval,
                                   ping_timeout=timeout)  # fmt: skip
        gone = threading.Event()
        sio.on("disconnect", lambda sid, reason: gone.set())
        server = servers.serve_socketio(sio, name="q1-server")
        try:
            peer = dead_peers.start_peer("q1-peer", [server.url])
            try:
                frozen = peer.freeze()
                if not gone.wait(interval + timeout + 5):
                    raise Incorrect("the real server never declared the frozen client gone.")
                return time.monotonic() - frozen
            finally:
                peer.kill()
        finally:
            server.stop()


q1 = Exercise(GoneWithin())

__all__ = ["q1"]
