"""The OSI model and the TCP/IP model side by side, with the course's experiments on them.

Both models describe networking as layers, each using the one below it. OSI has
seven, TCP/IP (the one the Internet is built on) has four; the drawing shows which
OSI layers each TCP/IP layer covers, and where each notebook's experiments happen.
Notebook 01 §5 draws it; it is a figure helper, not something the learner builds.
``describe`` says the same in words, for a screen reader.
"""

import matplotlib.pyplot as plt

OSI = ["physical", "data link", "network", "transport", "session", "presentation", "application"]

# TCP/IP layer: (lowest OSI layer it covers, highest), 1-based from the bottom
TCP_IP = {
    "link": (1, 2),
    "internet (IP)": (3, 3),
    "transport (TCP, UDP)": (4, 4),
    "application": (5, 7),
}

# what the course does on each OSI layer (1-based from the bottom)
EXPERIMENTS = {
    2: "loopback interface, MTU 65536 (01)",
    3: "IPv4 header built by hand (01)",
    4: "TCP stream, UDP datagrams, lossy relay (01)",
    5: "Engine.IO session, reconnection (02, 03)",
    6: "JSON payloads, WebSocket frames, framing (01, 02)",
    7: "HTTP, socket.io events, rooms, queue (02-07)",
}


def draw():
    """Return a figure of both models, with the course's experiments beside them."""
    fig, ax = plt.subplots(figsize=(9, 4.6))
    for level, name in enumerate(OSI, start=1):
        ax.add_patch(plt.Rectangle((0, level - 1), 2, 1, fc="#dbe9f6", ec="white", lw=2))
        ax.text(1, level - 0.5, f"{level} {name}", ha="center", va="center")
        if level in EXPERIMENTS:
            ax.text(4.7, level - 0.5, EXPERIMENTS[level], va="center", fontsize=9)
    for name, (low, high) in TCP_IP.items():
        ax.add_patch(plt.Rectangle((2.3, low - 1), 2, high - low + 1, fc="#fde3c8", ec="white",
                                   lw=2))  # fmt: skip
        ax.text(3.3, (low + high - 1) / 2, name, ha="center", va="center")
    ax.text(1, 7.2, "OSI (7 layers)", ha="center", fontweight="bold")
    ax.text(3.3, 7.2, "TCP/IP (4 layers)", ha="center", fontweight="bold")
    ax.text(4.7, 7.2, "where the course experiments", fontweight="bold")
    ax.set_xlim(0, 9.5)
    ax.set_ylim(0, 7.6)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _and(names):
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def describe():
    """The drawing in words: each TCP/IP layer with the OSI layers it covers, then the
    layers the course experiments on."""
    covers = [
        f"{name} covers OSI {_and(OSI[low - 1 : high])}" for name, (low, high) in TCP_IP.items()
    ]
    first, last = min(EXPERIMENTS), max(EXPERIMENTS)
    return (
        f"the OSI model's {len(OSI)} layers beside TCP/IP's {len(TCP_IP)}: "
        + "; ".join(covers)
        + f"; the course experiments on OSI layers {first} to {last}, {OSI[first - 1]} to "
        f"{OSI[last - 1]}"
    )
