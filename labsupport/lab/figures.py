"""Show a figure so that every reader gets it: legible, and said in words.

Every plot cell of notebooks 00 to 08 ends with ``show(fig, description)`` instead of
``plt.show()``. A bare ``plt.show()`` draws whatever it is given; ``show`` also

1. checks that no two texts of the figure overlap (titles, tick and axis labels,
   annotations, legend entries) and prints a warning naming both when two do. nbval
   compares that output, so an illegible figure fails the tests;
2. shows the figure as an image whose ``alt`` text is the description: that is what
   a screen reader says for an image in JupyterLab (a plain PNG output has none);
3. prints the description under it, on a line that starts with ``Figure:``.

The description is the figure's story, computed by the cell from the data it draws
("delivered 200 of 200 with the queue, 148 without"), followed by what the figure
shows (``outline``): its titles and axes.
"""

import base64
import html
import io
from itertools import combinations

import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.text import Text

SLACK = 1  # pixels two texts may share (antialiased edges touch without clashing)


def _tick_texts(ax):
    """Every tick label of ``ax``, and the ones a draw shows (ticks inside the view)."""
    every, drawn = set(), []
    for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        low, high = sorted((low, high))
        margin = (high - low) * 1e-9
        for tick in axis.majorTicks + axis.minorTicks:
            every |= {tick.label1, tick.label2}
            if ax.axison and axis.get_visible() and low - margin <= tick.get_loc() <= high + margin:
                drawn += [tick.label1, tick.label2]
    return every, drawn


def texts(fig):
    """The texts a reader of ``fig`` sees, once drawn: visible, not empty, on a shown axis.

    Without the filter, tick labels matplotlib keeps for ticks outside the view (and so
    never draws) would count as clashes.
    """
    fig.canvas.draw()
    ticks, drawn = set(), []
    for ax in fig.axes:
        every, shown = _tick_texts(ax)
        ticks |= every
        drawn += shown
        if not ax.axison:
            ticks |= {ax.xaxis.label, ax.yaxis.label}
    drawn += [t for t in fig.findobj(Text) if t not in ticks]
    return [t for t in drawn if t.get_visible() and t.get_text().strip()]


def overlaps(fig):
    """Pairs of texts of ``fig`` whose boxes on the canvas cross: ``[(text, text), ...]``."""
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(fig)]
    clashes = []
    for (one, a), (other, b) in combinations(boxes, 2):
        wide = min(a.x1, b.x1) - max(a.x0, b.x0)
        tall = min(a.y1, b.y1) - max(a.y0, b.y0)
        if wide > SLACK and tall > SLACK:
            clashes.append((one, other))
    return clashes


def outline(fig):
    """What ``fig`` shows, from its own labels: "a chart 'throughput' (x: N; y: jobs)".

    Each axes is a chart, or a drawing when its axes are off (a diagram, a table).
    """
    parts = []
    for ax in fig.axes:
        title = " ".join((ax.get_title() or ax.get_title("left")).split())  # one line
        labels = [f"{name}: {' '.join(label.split())}" for name, label in (("x", ax.get_xlabel()),
                  ("y", ax.get_ylabel())) if label and ax.axison]  # fmt: skip
        part = "a chart" if ax.axison else "a drawing"
        part += f" {title!r}" if title else ""
        parts.append(f"{part} ({'; '.join(labels)})" if labels else part)
    return ", ".join(parts)


def warn_overlaps(fig):
    """Print one visible warning per pair of overlapping texts; return how many."""
    clashes = overlaps(fig)
    for one, other in clashes:
        print(f"WARNING: illegible figure, two texts overlap: {one!r} and {other!r}")
    return len(clashes)


def png(fig):
    """The figure as PNG bytes, cropped to what is drawn, as Jupyter's inline backend does."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def show(fig, description):
    """Check ``fig`` for overlapping texts, show it with ``description`` as its alt text,
    print ``Figure: description``, and close it (so Jupyter does not show it twice)."""
    warn_overlaps(fig)
    said = f"{description.rstrip('.')}. Shown as {outline(fig)}."
    data = base64.b64encode(png(fig)).decode()
    img = f'<img alt="{html.escape(said)}" src="data:image/png;base64,{data}">'
    display({"text/html": img, "text/plain": f"[figure] {said}"}, raw=True)
    plt.close(fig)
    print(f"Figure: {said}")


def table(rows, columns, cells, colours, title=None):
    """Draw a grid of labelled cells as a table of text with colour, not a heat map.

    Each cell says its value in words on its colour (``colours[value]``), so there is no
    colour scale to decode, and long row labels get a column of their own instead of
    being squeezed beside a square.
    """
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.32 * len(rows)), layout="constrained")
    left, step = 0.46, 0.54 / len(columns)  # the row labels take 46% of the width
    top = len(rows)
    for c, name in enumerate(columns):
        ax.text(left + (c + 0.5) * step, top, name, ha="center", va="center", fontweight="bold")
    for r, (label, line) in enumerate(zip(rows, cells, strict=True)):
        y = top - 1 - r
        ax.text(0, y, label, va="center")
        for c, value in enumerate(line):
            x = left + c * step
            ax.add_patch(plt.Rectangle((x, y - 0.5), step, 1, fc=colours[value], ec="white", lw=2))
            ax.text(x + step / 2, y, value, ha="center", va="center")
    ax.set(xlim=(0, 1), ylim=(-0.5, top + 0.5))
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
