"""labsupport.lab.processes: servers as real processes, killed and restarted by name."""

import sys

import pytest

from labsupport.lab import processes, servers
from labsupport.lab.clients import SimpleClient


@pytest.fixture(autouse=True)
def nothing_left_running():
    yield
    servers.stop_all()


def test_process_serves_and_is_killed_with_signal_9():
    proc = processes.start_python_server("echo", "labsupport.lab.examples:echo_server")
    with SimpleClient() as client:
        client.connect(proc.url)
        assert client.call("echo", [1, 2], timeout=5) == [1, 2]
    assert proc.kill() == -9
    assert not proc.alive
    assert servers.running() == []


def test_stop_is_graceful_and_same_name_replaces():
    first = processes.start_python_server("p", "labsupport.lab.examples:echo_server")
    second = processes.start_python_server("p", "labsupport.lab.examples:echo_server")
    assert not first.alive and second.alive
    assert servers.running() == ["p"]
    assert second.stop() == 0


def test_a_process_that_dies_before_ready_reports_its_output():
    with pytest.raises(RuntimeError, match="(?s)exited with code 1.*boom"):
        processes.start_process("bad", [sys.executable, "-c", "print('boom'); raise SystemExit(1)"])
    assert servers.running() == []


def test_a_process_that_never_gets_ready_is_killed_after_the_timeout():
    with pytest.raises(RuntimeError, match="exited with code -9"):
        processes.start_process(
            "slow", [sys.executable, "-c", "import time; time.sleep(60)"], timeout=1
        )


def test_bad_target_is_a_clear_error():
    with pytest.raises(RuntimeError, match="MODULE:FUNCTION"):
        processes.start_python_server("bad", "labsupport.lab.examples")


def test_processes_started_without_waiting_boot_side_by_side():
    starting = [
        processes.start_python_server(name, "labsupport.lab.examples:echo_server", wait=False)
        for name in ("side-a", "side-b")
    ]
    assert [p.url for p in starting] == [None, None]  # not ready yet: no URL
    a, b = (p.wait_until_ready() for p in starting)
    assert a.url != b.url and a.booted and b.booted
    assert a.wait_until_ready() is a  # waiting again returns at once
    servers.stop_all()
    assert not a.alive and not b.alive
