"""The official socket.io JavaScript client plays a CAPS vendor, from the contract alone,
against the Python hub, with a Python driver on the other side."""

import json
import shutil
import subprocess
from pathlib import Path

from labsupport import caps
from labsupport.ackqueue import MemoryQueue
from labsupport.lab import registry, servers
from labsupport.lab.clients import SimpleClient

ROOT = Path(__file__).parent.parent
SCRIPT = Path(__file__).parent / "js" / "caps_vendor.mjs"


def test_a_javascript_vendor_gets_its_order_delivered_by_a_python_driver():
    assert shutil.which("node"), "node is installed by the README set-up"
    hub = caps.CapsHub(MemoryQueue(), log=lambda line: None)
    url = servers.serve_socketio(hub.sio, name="caps-hub").url
    try:
        driver = SimpleClient()
        driver.connect(url, namespace=caps.NAMESPACE, auth={"clientId": "d1", "role": "driver"})
        vendor = subprocess.Popen(["node", str(SCRIPT), url, "js-flowers", "42"], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        event, message = driver.receive(timeout=10)
        assert (event, message["payload"]["orderId"], message["clientId"]) == ("pickup", "42", "d1")
        assert driver.call("in-transit", message["payload"]) == {"ok": True, "to": ["js-flowers"]}
        assert driver.call("delivered", message["payload"])["ok"]
        out, _ = vendor.communicate(timeout=20)
        lines = [json.loads(line) for line in out.splitlines()]
        assert vendor.returncode == 0, lines
        assert lines == [
            {"bad_pickup": "string"},
            {"pickup": {"ok": True, "to": ["d1"]}},
            {"event": "in-transit", "orderId": "42", "to": "js-flowers"},
            {"received": {"ok": True, "deleted": True}},
            {"event": "delivered", "orderId": "42", "to": "js-flowers"},
            {"received": {"ok": True, "deleted": True}},
            {"reply": "Thank you for your order Grace Hopper"},
        ]
        assert hub.queue.pending("js-flowers", "delivered") == []
        driver.disconnect()
    finally:
        registry.stop_all()
