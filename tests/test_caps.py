"""The CAPS hub (notebook 07): its contract and bad input in process, then the whole
service as separate programs, with a driver, a vendor and the hub itself killed mid-run."""

import re
import sys
from collections import Counter

import pytest
import socketio
from aiohttp import web

from labsupport import caps
from labsupport.ackqueue import MemoryQueue
from labsupport.caps_programs import make_order
from labsupport.lab import processes, registry, servers
from labsupport.lab.clients import SimpleClient

CONNECTED = re.compile(r"connected as")


@pytest.fixture
def hub():
    hub = caps.CapsHub(MemoryQueue(), log=lambda line: None)
    app = hub.add_routes(web.Application())
    hub.url = servers.serve_socketio(hub.sio, name="caps-hub", app=app).url
    yield hub
    registry.stop_all()


def connect(url, client_id, role):
    client = SimpleClient()
    client.connect(url, namespace=caps.NAMESPACE, auth={"clientId": client_id, "role": role})
    return client


@pytest.mark.parametrize(
    "auth, reason",
    [(None, "connect with auth"), ({"role": "driver"}, "clientId"),
     ({"clientId": "x", "role": "admin"}, "'vendor' or 'driver'"),
     ({"clientId": "", "role": "vendor"}, "clientId")],
)  # fmt: skip
def test_a_connection_without_valid_auth_is_refused_with_the_reason(hub, auth, reason):
    client = socketio.Client()
    errors = []
    client.on("connect_error", errors.append, namespace=caps.NAMESPACE)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(hub.url, namespaces=[caps.NAMESPACE], auth=auth, wait_timeout=5)
    client.disconnect()
    [error] = errors
    assert reason in error["message"]


def test_pickup_reaches_every_known_driver_and_updates_only_the_store(hub):
    drivers = [connect(hub.url, name, "driver") for name in ("driver-1", "driver-2")]
    flowers, acme = connect(hub.url, "1-206-flowers", "vendor"), connect(hub.url, "acme", "vendor")
    order = make_order("1-206-flowers", 1)
    assert flowers.call("pickup", order) == {"ok": True, "to": ["driver-1", "driver-2"]}
    for name, driver in zip(("driver-1", "driver-2"), drivers, strict=True):
        event, message = driver.receive(timeout=5)
        assert (event, message["payload"], message["clientId"]) == ("pickup", order, name)
    assert drivers[0].call("in-transit", order) == {"ok": True, "to": ["1-206-flowers"]}
    assert "taken by driver-1" in drivers[1].call("in-transit", order)["error"]
    assert drivers[0].call("delivered", order)["ok"]
    got = [flowers.receive(timeout=5) for _ in range(2)]
    got = [(event, message["payload"]["orderId"]) for event, message in got]
    assert got == [("in-transit", "1"), ("delivered", "1")]
    with pytest.raises(socketio.exceptions.TimeoutError):
        acme.receive(timeout=0.3)  # another store hears nothing


BAD_ORDERS = [None, "order 1", [], {"store": "1-206-flowers"},
              {**make_order("1-206-flowers", 1), "orderId": 1}]  # fmt: skip


@pytest.mark.parametrize("order", BAD_ORDERS)
def test_a_malformed_order_gets_an_error_ack_and_queues_nothing(hub, order):
    connect(hub.url, "driver-1", "driver").disconnect()
    vendor, driver = connect(hub.url, "1-206-flowers", "vendor"), connect(hub.url, "d", "driver")
    assert "error" in vendor.call("pickup", order)
    assert "error" in driver.call("in-transit", order)
    assert hub.queue.pending("driver-1", "pickup") == []
    assert hub.queue.pending("1-206-flowers", "in-transit") == []


def test_events_from_the_wrong_role_or_store_are_refused(hub):
    vendor, driver = connect(hub.url, "1-206-flowers", "vendor"), connect(hub.url, "d", "driver")
    assert "only a vendor" in driver.call("pickup", make_order("1-206-flowers", 1))["error"]
    assert "only a driver" in vendor.call("delivered", make_order("1-206-flowers", 1))["error"]
    assert "own store" in vendor.call("pickup", make_order("acme", 1))["error"]
    assert vendor.call("join", {"room": "news"}) == {"ok": True, "room": "news"}
    assert "error" in vendor.call("join", "news")
    assert hub.queue.pending("d", "pickup") == []


def test_every_hub_event_is_logged_with_a_time():
    lines = []
    hub = caps.CapsHub(MemoryQueue(), log=lines.append)
    url = servers.serve_socketio(hub.sio, name="caps-hub").url
    try:
        connect(url, "1-206-flowers", "vendor").call("pickup", make_order("1-206-flowers", 1))
    finally:
        registry.stop_all()
    events = [caps_event(line) for line in lines]
    assert [e["event"] for e in events] == ["connect", "pickup"]
    assert all(isinstance(e["time"], float) for e in events)


def caps_event(line):
    import json

    assert line.startswith("EVENT: ")
    return json.loads(line.removeprefix("EVENT: "))


# ---- the whole service, as programs -------------------------------------------------


def part(name, *args, ready=CONNECTED):
    argv = [sys.executable, "-m", "labsupport.caps_programs", *args]
    return processes.start_process(name, argv, ready=ready)


def keys(lines, prefix):
    """``"delivered 1-206-flowers/3: ..."`` -> ``"1-206-flowers/3"``, for lines with ``prefix``."""
    return [line.split()[1].rstrip(":") for line in lines if line.startswith(prefix + " ")]


@pytest.fixture
def stopped_after():
    """The programs a test starts are stopped when it ends, whatever it asserted."""
    yield
    registry.stop_all()


def test_the_service_survives_a_driver_a_vendor_and_the_hub_killed_mid_run(tmp_path, stopped_after):
    db = str(tmp_path / "caps.db")
    hub = part("hub", "hub", "--db", db, ready=processes.READY)
    drivers = {name: part(name, "driver", "--url", hub.url, "--id", name)
               for name in ("driver-1", "driver-2")}  # fmt: skip
    flowers = part("flowers", "vendor", "--url", hub.url, "--store", "1-206-flowers",
                   "--orders", "6")  # fmt: skip
    acme = part("acme", "vendor", "--url", hub.url, "--store", "acme", "--orders", "6")
    flowers.wait_for_line(r"^sent pickup 1-206-flowers/6:")  # all six are with the hub
    flowers.wait_for_line(r"^delivered 1-206-flowers/3:")
    lives = {"driver-1": [drivers["driver-1"]], "flowers": [flowers]}
    drivers["driver-1"].kill()  # kill -9, each of them
    flowers.kill()
    port = hub.port
    hub.kill()
    hub = part("hub", "hub", "--db", db, "--port", str(port), ready=processes.READY)
    lives["driver-1"].append(part("driver-1", "driver", "--url", hub.url, "--id", "driver-1"))
    lives["flowers"].append(part("flowers", "vendor", "--url", hub.url, "--store",
                                 "1-206-flowers", "--orders", "6", "--first", "7"))  # fmt: skip
    flowers_orders = [f"1-206-flowers/{n}" for n in range(1, 13)]
    for key in set(flowers_orders) - set(keys(flowers.output, "delivered")):
        lives["flowers"][-1].wait_for_line(rf"^delivered {key}:", timeout=30)
    acme.wait_for_line(r"^delivered acme/", count=6, timeout=30)

    for event in ("in-transit", "delivered"):
        got = [k for life in lives["flowers"] for k in keys(life.output, event)]
        assert sorted(set(got), key=lambda k: int(k.split("/")[1])) == flowers_orders, event
        # once each; their order depends on which of the two drivers took which order
        got_acme = keys(acme.output, event)
        assert sorted(got_acme, key=lambda k: int(k.split("/")[1])) == [
            f"acme/{n}" for n in range(1, 7)
        ], event
        for life in lives["flowers"]:  # within one life, each at most once
            assert max(Counter(keys(life.output, event)).values()) == 1
    all_orders = set(flowers_orders) | {f"acme/{n}" for n in range(1, 7)}
    for name in ("driver-1", "driver-2"):
        driver_lives = lives.get(name, [drivers[name]])
        for key in all_orders - {k for life in driver_lives for k in keys(life.output, "pickup")}:
            driver_lives[-1].wait_for_line(rf"^pickup {key}$")
        life_lines = [life.output for life in driver_lives]
        pickups = [k for lines in life_lines for k in keys(lines, "pickup")]
        assert set(pickups) == all_orders, name
        for lines in life_lines:
            for store in ("1-206-flowers", "acme"):  # in order per store, within a life
                numbers = [
                    int(k.split("/")[1]) for k in keys(lines, "pickup") if k.startswith(store)
                ]
                assert numbers == sorted(set(numbers)), (name, store, numbers)
