"""A delivery checker: was every message's effect applied once, and in order per key?

Notebook 05b records two histories and hands them to ``check``:

- **sent**: ``(producer, sequence, key)`` for every message a producer published, in the
  order it published them (a producer numbers its messages 1, 2, 3, ...);
- **applied**: the same triple for every *effect* a consumer applied (a row written, a
  parcel marked delivered), in the order they were applied.

From these two lists alone it finds the three ways delivery goes wrong:

- **lost**: sent, never applied;
- **duplicated**: applied more than once (how many times);
- **out of order**: applied after a message of the *same key* that was sent later.
  Only the first effect of each message counts for order; different keys may interleave.

``tests/test_delivery.py`` gives it random histories with known losses, duplicates
and reorderings (Hypothesis) and requires each one reported exactly.
"""

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    lost: list  # (producer, sequence, key), in the order sent
    duplicated: dict  # (producer, sequence, key) -> times applied, when more than once
    out_of_order: list  # messages whose first effect came after a later-sent one's

    @property
    def exactly_once_in_order(self):
        return not (self.lost or self.duplicated or self.out_of_order)

    def __str__(self):
        return (f"{len(self.lost)} lost, {len(self.duplicated)} duplicated, "
                f"{len(self.out_of_order)} out of order per key")  # fmt: skip


def check(sent, applied):
    """Compare what was sent with what took effect; return a ``Report``."""
    sent, applied = [tuple(m) for m in sent], [tuple(m) for m in applied]
    position = {message: i for i, message in enumerate(sent)}  # its place in send order
    if len(position) != len(sent):
        raise ValueError("a producer sent the same (producer, sequence) twice")
    unknown = [m for m in applied if m not in position]
    if unknown:
        raise ValueError(f"applied but never sent (an invented message): {unknown[:3]}")
    times = Counter(applied)
    lost = [m for m in sent if m not in times]
    duplicated = {m: n for m, n in times.items() if n > 1}
    return Report(lost, duplicated, _late(applied, position))


def _late(applied, position):
    """Messages first applied after a message of their key that was sent later."""
    latest = {}  # key -> the furthest send position applied so far
    late, seen = [], set()
    for message in applied:
        if message in seen:
            continue  # a duplicate: only the first effect counts for order
        seen.add(message)
        key = message[2]
        if latest.get(key, -1) > position[message]:
            late.append(message)
        latest[key] = max(latest.get(key, -1), position[message])
    return late
