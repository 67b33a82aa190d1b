"""A fault injector: a client that goes away and comes back, on a schedule.

Notebook 05 plays the same seeded schedule (``seed=evidence.seed()``) to a plain
socket.io server, to the queue built by hand in cells and to ``queue_hub``; the tests
of ``queue_hub`` and ``test_queue_by_hand.py`` use it too.

A *schedule* is one True (online) or False (offline) per message of a stream.
``outages`` makes one at random, with a seed so every run is the same; ``run`` plays
a stream through it: before message ``i`` is published, the client is connected or
disconnected as ``schedule[i]`` says.

The client must offer ``connected``, ``drop()``, ``rejoin()`` and ``sync()``
(``queue_client.QueueClient`` does). ``sync()`` before each drop makes sure that what
was sent while the client was online had arrived, so a message is lost only because
the client was away, never because of a race with the drop itself.
"""

import random


def outages(steps, offline=0.3, seed=0, mean_length=5):
    """A schedule of ``steps`` booleans, offline about ``offline`` of the time, in runs."""
    chance = random.Random(seed)
    schedule, online = [], True
    while len(schedule) < steps:
        mean = mean_length * (offline if not online else 1 - offline) / min(offline, 1 - offline)
        length = max(1, round(chance.expovariate(1 / mean)))
        schedule += [online] * length
        online = not online
    return schedule[:steps]


def run(schedule, client, publish):
    """``publish(i)`` for each step, with ``client`` online as the schedule says."""
    for step, online in enumerate(schedule):
        if online and not client.connected:
            client.rejoin()
            client.sync()  # let the catch-up finish before new messages go out
        elif not online and client.connected:
            client.sync()
            client.drop()
        publish(step)
    if not client.connected:
        client.rejoin()
    client.sync()
