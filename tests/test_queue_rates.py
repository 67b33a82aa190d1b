"""labsupport.production.queue_rates: notebook 08 §5's rates, each the fastest of rounds."""

import tempfile
from pathlib import Path

from labsupport.lab import registry
from labsupport.production.queue_rates import queue_rates


def test_every_backend_gets_a_rate_and_nothing_is_left_behind():
    before = set(Path(tempfile.gettempdir()).glob("queue-rates-*"))
    rates = queue_rates(20, rounds=2)
    assert list(rates) == ["memory", "SQLite, synchronous=NORMAL", "SQLite, synchronous=FULL",
                           "Redis Streams, no disk", "Redis Streams, fsync always"]  # fmt: skip
    assert all(rate > 0 for rate in rates.values())
    assert set(Path(tempfile.gettempdir()).glob("queue-rates-*")) == before
    assert not {"bench:redis", "bench:redis-memory"} & set(registry.running())
