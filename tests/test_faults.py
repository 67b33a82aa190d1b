"""labsupport.lab.faults: repeatable outage schedules, and a runner that follows them."""

from labsupport.lab import faults


def test_schedules_are_repeatable_and_roughly_as_offline_as_asked():
    first = faults.outages(1000, offline=0.3, seed=5)
    assert first == faults.outages(1000, offline=0.3, seed=5)
    assert first != faults.outages(1000, offline=0.3, seed=6)
    assert len(first) == 1000 and 0.2 < first.count(False) / 1000 < 0.4
    assert first[0] is True  # every schedule starts online


class FakeClient:
    """Records what the runner asked of it."""

    def __init__(self):
        self.connected, self.calls = True, []

    def drop(self):
        self.connected = False
        self.calls.append("drop")

    def rejoin(self):
        self.connected = True
        self.calls.append("rejoin")

    def sync(self):
        self.calls.append("sync")


def test_run_publishes_every_step_with_the_client_online_as_scheduled():
    client, online_at_publish = FakeClient(), []
    faults.run([True, False, False, True], client, lambda n: online_at_publish.append(
        client.connected))  # fmt: skip
    assert online_at_publish == [True, False, False, True]
    assert client.calls == ["sync", "drop", "rejoin", "sync", "sync"]
