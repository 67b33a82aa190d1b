"""labsupport.lab.trace: an ordered, thread-safe record, shown as a table or a diagram."""

import threading

import matplotlib

matplotlib.use("Agg")  # these tests draw off-screen; the notebooks keep their own backend

import pytest  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from labsupport.lab.trace import Trace  # noqa: E402


def test_records_are_numbered_and_connections_relabelled():
    trace = Trace()
    trace.record("server", "connect", sender="alice", conn="Zq8randomSID")
    trace.record("server", "chat", "hi", sender="bob", conn="otherSID")
    trace.record("alice", "chat", "hi", sender="server", conn="Zq8randomSID")
    assert [(r.seq, r.conn) for r in trace.records()] == [(1, "c1"), (2, "c2"), (3, "c1")]
    assert [r.actor for r in trace.records(event="chat")] == ["server", "alice"]


def test_table_is_aligned_and_has_no_times_unless_asked():
    trace = Trace()
    trace.record("server", "hello", {"a": 1}, sender="client", conn="x")
    lines = trace.table().splitlines()
    assert lines[0].split() == ["seq", "actor", "event", "from", "conn", "payload"]
    assert lines[1].split() == ["1", "server", "hello", "client", "c1", "{'a':", "1}"]
    assert "t (ms)" in trace.table(times=True)


def test_wait_for_returns_when_another_thread_records():
    trace = Trace()
    timer = threading.Timer(0.05, trace.record, args=("server", "done"))
    timer.start()
    (found,) = trace.wait_for("done", timeout=5)
    assert found.actor == "server"


def test_wait_for_timeout_says_what_did_arrive():
    trace = Trace()
    trace.record("server", "connect")
    with pytest.raises(TimeoutError, match="server:connect"):
        trace.wait_for("hello", timeout=0.05)


def test_clear_forgets_records_and_labels():
    trace = Trace()
    trace.record("a", "e", conn="one")
    trace.clear()
    assert trace.record("a", "e", conn="two").conn == "c1"
    assert len(trace) == 1


def test_diagram_has_a_lane_per_actor_and_an_arrow_per_message():
    trace = Trace()
    trace.record("server", "hello", "x" * 100, sender="client")
    trace.record("client", "ack", sender="server")
    trace.record("server", "stopped")
    figure = trace.diagram("t")
    axes = figure.axes[0]
    texts = [t.get_text() for t in axes.texts]
    assert {"client", "server"} <= set(texts)
    assert any(t.startswith("hello 'xxx") and t.endswith("…") for t in texts)
    arrows = [t for t in axes.texts if isinstance(t, Annotation)]
    assert len(arrows) == 2  # two messages; the third record is a dot
