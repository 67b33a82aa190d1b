"""The sanitize rules hide only what truly varies.

nbval applies every ``regex``/``replace`` pair of ``sanitize.cfg`` to both the committed
and the fresh output before it compares them. A rule that matches too much hides real
content from the comparison, so each rule is tried here on strings that must come
through unchanged, and on the varying values it exists for.
"""

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

RULES = get_sanitize_patterns((Path(__file__).parent / "sanitize.cfg").read_text())


def sanitize(text):
    """What nbval does to an output string before comparing it."""
    for regex, replace in RULES:
        text = re.sub(regex, replace, text)
    return text


STABLE = [
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "self.loop.call_soon_threadsafe(self.loop.stop)",
    "<Figure size 580x300 with 1 Axes>",
    "<Figure size 1300x320 with 3 Axes>",
    "stopped with a client connected in under 2 s: True",
    "expired: older than ttl=60 s",
    "ping every 25000 ms",
    "checksum 0xfeff",
    "a word of exactly twenty",
    "ABCDEFGHIJKLMNOPQRST is twenty letters, not a session id",
    "Python: 3.11 is the minimum",
    "[     ok] python-socketio: 5.18.1",  # pinned in requirements.txt: the same everywhere
    "[     ok] socket.io-client (npm): 4.8.4",  # pinned in package-lock.json
    "the password: is never printed here",
    "Figure: 200 of 200 delivered, data:image/png;base64,iVBORw0K in a sentence",
    "27 / 30 pings answered, 1.23 ms",  # only the retransmission table's last column varies
    "| a request without `transport` | 200 | 400 | 400 |",
]


@pytest.mark.parametrize("text", STABLE)
def test_stable_text_comes_through_unchanged(text):
    assert sanitize(text) == text


VARYING = [
    ('0{"sid":"ABcR21yrhXyzemDeAAAA","upgrades":[]}', '0{"sid":"SID","upgrades":[]}'),
    ('CONNECT / {"sid": "poE5R7wf2aUuuMmP_-AB"}', 'CONNECT / {"sid": "SID"}'),
    ('B 400 "Invalid session 0Bt5Da8gEfRHeg0MAAAC"', 'B 400 "Invalid session SID"'),
    ("running at http://127.0.0.1:40123/", "running at http://127.0.0.1:PORT/"),
    ("https://hub.example/user/a/proxy/40123/page", "https://hub.example/user/a/proxy/PORT/page"),
    ("<ServerProcess 'echo' pid=1229 running>", "<ServerProcess 'echo' pid=PID running>"),
    ("[     ok] redis-server: 7.0.15", "[     ok] redis-server: VERSION"),
    ("[     ok] nginx: 1.22.1", "[     ok] nginx: VERSION"),
    (
        "pings: 20 sent, 8 answered, 12 lost\nrelay: dropped 12",
        "pings: 20 sent, N answered, M lost\nrelay: dropped 12",
    ),
    ("[     ok] rabbitmq-server: 3.10.8", "[     ok] rabbitmq-server: VERSION"),
    ("[     ok] headless Chromium: 156.0.8078", "[     ok] headless Chromium: VERSION"),
    ("[     ok] headless Chromium: 120.0.6099.224", "[     ok] headless Chromium: VERSION"),
    ("[     ok] Python: 3.11.2", "[     ok] Python: VERSION"),
    ('{"event": "connect", "time": 1795765367.2345498}', '{"event": "connect", "time": TIME}'),
    ("<IPython.lib.display.IFrame at 0x7fc6ac194f50>", "<IPython.lib.display.IFrame at 0xADDRESS>"),
    ("user name: admin | password: Xq3_9fk-2LmPz0aB", "user name: admin | password: PASSWORD"),
    (
        '<img alt="3 bars. 1 chart." src="data:image/png;base64,iVBORw0K+/a=">',
        '<img alt="3 bars. 1 chart." src="data:image/png;base64,PNG">',
    ),
    (
        " 10%        27 / 30                         True                   1.23",
        " 10%        27 / 30                         True                   COST",
    ),
    (
        "| a GET after the ping timeout, the ping unanswered | 200 | 400 | 400 |",
        "| a GET after the ping timeout, the ping unanswered | 200 OR 400 | 400 | 400 |",
    ),
    (  # only the first column (plain python-socketio's) varies: the course's is compared
        "| a GET after the ping timeout, the ping unanswered | 400 | 200 | 400 |",
        "| a GET after the ping timeout, the ping unanswered | 200 OR 400 | 200 | 400 |",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VARYING)
def test_varying_values_are_replaced(text, expected):
    assert sanitize(text) == expected
