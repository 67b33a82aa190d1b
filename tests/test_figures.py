"""Every figure of the course is legible and described in words.

``labsupport.lab.figures`` checks a figure for texts that overlap and gives it a description
(the ``alt`` text of its image and a ``Figure:`` line under it). Here: that the check
catches an overlap and passes a clean figure; that the descriptions say what is drawn;
that the course's own drawing functions draw nothing illegible on representative data;
and that every figure in the committed notebooks went through ``show``: described, and
with no overlap warning in its output.
"""

import html
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from labsupport import crash_points, layers  # noqa: E402
from labsupport.lab import (
    figures,
    sequence,  # noqa: E402
)
from labsupport.lab.trace import Trace  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
WARNING = "WARNING: illegible figure"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def crowded():
    """Three long bar labels on a narrow chart: they run into each other."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a long first category", "a longer second category", "third"], [1, 2, 3])
    return fig


def test_overlapping_texts_are_caught():
    clashes = figures.overlaps(crowded())
    assert ("a long first category", "a longer second category") in clashes


def test_a_text_written_over_a_title_is_caught():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("the title")
    ax.text(0.5, 1.02, "on top of it", transform=ax.transAxes, ha="center")
    assert [set(pair) for pair in figures.overlaps(fig)] == [{"the title", "on top of it"}]


def test_a_clean_figure_passes():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1, 2], [0, 1, 4], label="squares")
    ax.set(xlabel="n", ylabel="n squared", title="clean", ylim=(0, 3.3))
    ax.legend()
    assert figures.overlaps(fig) == []


def test_tick_labels_outside_the_view_do_not_count():
    """matplotlib keeps labels for ticks it does not draw; they must not look like clashes."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(range(100, 110), [0.5] * 10)
    fig.canvas.draw()  # ticks 100, 102, ... 108 get labels
    ax.set_xlim(102, 103)  # now only 102.0 to 103.0 are drawn
    drawn = {t.get_text() for t in figures.texts(fig)}
    assert "108" not in drawn and "102.0" in drawn


def test_warn_overlaps_prints_a_warning_naming_both(capsys):
    assert figures.warn_overlaps(crowded()) == 2
    printed = capsys.readouterr().out
    assert printed.count(WARNING) == 2
    assert "'a long first category' and 'a longer second category'" in printed


def test_outline_says_titles_and_axes():
    fig, (left, right) = plt.subplots(1, 2)
    left.set(title="throughput", xlabel="N", ylabel="jobs per second")
    right.set(xlabel="N")
    assert figures.outline(fig) == "a chart 'throughput' (x: N; y: jobs per second), a chart (x: N)"


def test_outline_calls_axes_that_are_off_a_drawing():
    fig = Trace().diagram("nothing yet")
    assert figures.outline(fig) == "a drawing 'nothing yet'"


def test_show_gives_alt_text_and_a_figure_line(capsys, monkeypatch):
    shown = []
    monkeypatch.setattr(figures, "display", lambda bundle, raw: shown.append(bundle))
    fig, ax = plt.subplots()
    ax.set(title="delivered", ylabel="fraction")
    figures.show(fig, "the queue delivered 200 of 200, emit and forget 148")
    said = (
        "the queue delivered 200 of 200, emit and forget 148. "
        "Shown as a chart 'delivered' (y: fraction)."
    )
    assert capsys.readouterr().out == f"Figure: {said}\n"
    img = shown[0]["text/html"]
    assert img.startswith(f'<img alt="{html.escape(said)}" src="data:image/png;base64,iVBOR')
    assert not plt.get_fignums(), "show closes the figure, so Jupyter does not draw it twice"


def test_show_warns_before_it_shows(capsys, monkeypatch):
    monkeypatch.setattr(figures, "display", lambda bundle, raw: None)
    figures.show(crowded(), "three bars")
    first, *_ = capsys.readouterr().out.splitlines()
    assert first.startswith(WARNING)


def representative_trace():
    """Four actors, a dot, arrows both ways, and payloads longer than an arrow's label."""
    trace = Trace()
    trace.record("server", "start")
    for name in ("alice", "bob", "carol"):
        trace.record("server", "connect", sender=name)
    trace.record("server", "chat", {"text": "hello everyone, " * 4}, sender="alice")
    for name in ("bob", "carol"):
        trace.record(name, "chat", {"from": "alice", "text": "hello everyone"}, sender="server")
    trace.record("alice", "ack", [True], sender="server")
    trace.record("carol", "disconnect")
    return trace


def test_a_sequence_diagram_is_legible_and_described():
    trace = representative_trace()
    fig = trace.diagram("alice emits chat; the server relays it")
    assert figures.overlaps(fig) == []
    assert fig.get_size_inches()[0] <= sequence.MAX_WIDTH
    said = sequence.describe(trace.records())
    assert said.startswith("a sequence diagram of 9 events among server, alice, bob, carol, top")
    assert "alice to server: chat; server to bob: chat" in said
    assert said.endswith("carol: disconnect")
    unordered = sequence.describe(trace.records()[::-1], ordered=False)
    assert unordered == sequence.describe(trace.records(), ordered=False)
    assert "among alice, bob, carol, server, in an order that varies: " in unordered
    assert "bob to server: connect; carol to server: connect; carol: disconnect" in unordered


def test_the_layers_figure_is_legible_and_described():
    assert figures.overlaps(layers.draw()) == []
    said = layers.describe()
    assert "internet (IP) covers OSI network" in said
    assert "application covers OSI session, presentation and application" in said
    assert "OSI layers 2 to 7" in said


def test_the_crash_point_table_is_legible():
    rows = [f"{p}. {where}: {what}" for p, (where, what, _) in crash_points.POINTS.items()]
    cells = [list(crash_points.OUTCOMES)] * len(rows)
    colours = dict.fromkeys(crash_points.OUTCOMES, "white")
    fig = figures.table(rows, ["(a) in memory", "(b) SQLite", "(c) idempotent"], cells, colours)
    assert figures.overlaps(fig) == []


def figure_cells(path):
    """(cell number, cell) of each code cell whose output holds an image."""
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "code":
            data = [o.get("data", {}) for o in cell.outputs]
            if any("image/png" in d or "<img" in d.get("text/html", "") for d in data):
                yield number, cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_committed_figure_is_described_and_legible(path):
    cells = list(figure_cells(path))
    assert cells, f"{path.name} has no figure"
    for number, cell in cells:
        where = f"{path.name} cell {number}"
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert WARNING not in printed, f"{where}: {printed}"
        assert "plt.show()" not in cell.source, f"{where}: ends with plt.show(), not show()"
        lines = [line for line in printed.splitlines() if line.startswith("Figure: ")]
        images = [o.data["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
        assert lines and images, f"{where}: an image without figures.show's description"
        alts = [html.unescape(m) for m in re.findall(r'<img alt="([^"]*)"', "".join(images))]
        assert [f"Figure: {alt}" for alt in alts] == lines, f"{where}: alt text and line differ"
