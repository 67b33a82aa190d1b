"""Draw a trace as a sequence diagram: one vertical line per actor, one arrow per message.

Notebook 00 draws its first one (``trace.diagram()``); notebooks 02 to 07 draw theirs.

Time runs downwards. An arrow goes from the sender's line to the receiver's line and
is labelled with the event and its payload; a record with no sender (a server
starting, a client deciding to disconnect) is a dot on its actor's line. ``describe``
says the same diagram in words, for a screen reader (``figures.show`` uses it).
"""

from collections import Counter

import matplotlib.pyplot as plt

MAX_LABEL = 40  # characters of payload shown on an arrow; the table shows it all
MAX_WIDTH = 9  # inches: wider, and the notebook shrinks the picture and its text


def _lanes(records):
    """Actors in order of first appearance, each with its x position."""
    names = []
    for r in records:
        for name in (r.sender, r.actor):
            if name is not None and name not in names:
                names.append(name)
    return {name: i for i, name in enumerate(names)}


def _label(record):
    text = record.event if record.payload is None else f"{record.event} {record.payload!r}"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def draw(records, title=None):
    """Return a matplotlib figure of ``records`` (a list of ``trace.Record``)."""
    lanes = _lanes(records)
    height = 1.2 + 0.45 * max(len(records), 1)
    fig, ax = plt.subplots(figsize=(min(2.4 * max(len(lanes), 2) + 1, MAX_WIDTH), height))
    bottom = len(records) + 1
    for name, x in lanes.items():
        ax.plot([x, x], [0, bottom], color="0.75", zorder=0)
        ax.text(x, -0.3, name, ha="center", va="bottom", fontweight="bold")
    for row, r in enumerate(records, start=1):
        x = lanes[r.actor]
        if r.sender is None or r.sender == r.actor:
            ax.plot(x, row, "o", color="tab:gray")
            ax.text(x + 0.05, row, _label(r), va="center", fontsize=8)
            continue
        start = lanes[r.sender]
        ax.annotate("", xy=(x, row), xytext=(start, row),
                    arrowprops={"arrowstyle": "->", "color": "tab:blue"})  # fmt: skip
        ax.text((start + x) / 2, row - 0.12, _label(r), ha="center", fontsize=8)
    ax.set_ylim(bottom, -0.8)
    ax.set_xlim(-0.6, max(len(lanes) - 1, 1) + 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def describe(records, ordered=True):
    """The diagram in words: who is in it, then every arrow or dot, top to bottom.

    ``ordered=False`` where the scheduler decides the order of some events (a broadcast
    reaches bob or carol first): then the arrows are listed by who sent what to whom,
    alphabetically and counted, so the words are the same on every run.
    """
    steps = [
        f"{r.actor}: {r.event}"
        if r.sender in (None, r.actor)
        else f"{r.sender} to {r.actor}: {r.event}"
        for r in records
    ]
    start = f"a sequence diagram of {len(records)} events"
    if ordered:
        return f"{start} among {', '.join(_lanes(records))}, top to bottom: " + "; ".join(steps)
    counted = [
        f"{step} ({n} times)" if n > 1 else step for step, n in sorted(Counter(steps).items())
    ]
    return (
        f"{start} among {', '.join(sorted(_lanes(records)))}, in an order that varies: "
        + "; ".join(counted)
    )
