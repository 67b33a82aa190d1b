"""RabbitMQ (notebook 06c): a broker per kernel, and each mechanism the notebook shows.

Every test talks to a real ``rabbitmq-server`` started on ports of its own; none uses a
fixed port. Without the package the module is skipped, saying what to install.
"""

import socket
from pathlib import Path

import pytest
from kernel_run import command_lines

from labsupport import delivery
from labsupport.lab import background, clients, ports, processes, rabbit_broker, registry, trace

pytestmark = pytest.mark.skipif(rabbit_broker.program() is None, reason=rabbit_broker.HINT)

aio_pika = pytest.importorskip("aio_pika")
from labsupport import rabbit  # noqa: E402  (needs aio_pika)


def erlang_processes(marker):
    """Erlang VMs and epmds whose command line names ``marker`` (a folder or a port)."""
    return [line for line in command_lines(marker)
            if "beam" in line or "epmd" in line or "erl_child" in line]  # fmt: skip


@pytest.fixture(scope="module")
def loop():
    bg = background.BackgroundLoop("test-rabbit")
    yield bg
    bg.close()


@pytest.fixture(scope="module")
def broker():
    started = rabbit_broker.start("test-rabbit")
    registry.forget(started.name, started)  # tests that call stop_all() leave it running
    yield started
    started.stop()


@pytest.fixture
def channel(broker, loop):
    connection, opened = loop.run(rabbit.open_channel(broker.url))
    yield opened
    loop.run(connection.close())


def test_a_broker_starts_on_ports_of_its_own_and_leaves_no_erlang_process():
    broker = rabbit_broker.start("test-own")
    marker = str(broker.folder)
    try:
        assert broker.alive and broker.start_seconds > 0
        ports = {broker.port, broker.dist_port, broker.epmd_port}
        assert len(ports) == 3 and 4369 not in ports and 5672 not in ports
        assert broker.ctl("list_queues", "name") == []
        assert erlang_processes(marker), "the VM names its folder on its command line"
    finally:
        code = broker.stop()
    assert code is not None
    assert erlang_processes(marker) == [] and erlang_processes(f"-port {broker.epmd_port}") == []
    assert not broker.folder.exists()
    assert broker.name not in registry.running()


def test_a_port_taken_before_the_vm_binds_it_is_chosen_again(monkeypatch):
    """In CI a test's connection took the distribution port in the seconds the Erlang VM
    needs to start (``dist_port_already_used``). Here a plain socket holds the first
    distribution port offered: the broker gives up those ports, and starts on new ones."""
    dump = Path.cwd() / "erl_crash.dump"  # where a crashed VM would write, left alone
    dumped_before = dump.exists()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken, choose = squatter.getsockname()[1], ports.free_port
        offered = [choose(), taken, choose()]  # AMQP, distribution (taken), epmd
        monkeypatch.setattr(ports, "free_port", lambda host: offered.pop(0) if offered
                            else choose(host))  # fmt: skip
        broker = rabbit_broker.start("test-taken")
        try:
            assert broker.alive and offered == []
            assert taken not in {broker.port, broker.dist_port, broker.epmd_port}
            assert broker.ctl("list_queues", "name") == []
        finally:
            broker.stop()
    assert erlang_processes(str(broker.folder)) == [] and not broker.folder.exists()
    assert dump.exists() == dumped_before, "the failed VM's crash dump goes in its folder"


def test_a_consumer_killed_before_its_ack_has_every_message_redelivered(broker, channel, loop):
    loop.run(rabbit.fresh_queue(channel, "jobs"))
    sent, _ = loop.run(rabbit.publish(channel, "jobs", 10))
    consumer = rabbit.start_consumer("test-consumer", "amqp", broker.url, "jobs", 10)
    consumer.kill()  # SIGKILL: no ack ever leaves it
    loop.run(rabbit.wait_for(channel, "jobs", 10))
    taken = loop.run(rabbit.drain(channel, "jobs"))
    assert all(redelivered for _, redelivered, _ in taken)
    report = delivery.check(sent, [t for t, _, _ in taken])
    assert report.exactly_once_in_order, report


def test_confirmed_messages_on_a_durable_queue_survive_a_broker_sigkill(broker, loop):
    async def before():
        connection = await aio_pika.connect(broker.url)
        channel = await connection.channel()
        await rabbit.fresh_queue(channel, "kept")
        await rabbit.fresh_queue(channel, "memory", durable=False)
        await connection.close()

    async def publish():
        connection, channel = await rabbit.open_channel(broker.url)
        kept = await rabbit.publish(channel, "kept", 50)
        await rabbit.publish(channel, "memory", 50, persistent=False)
        await connection.close()
        return kept[0]

    async def after():
        connection = await aio_pika.connect(broker.url)
        kept = await rabbit.drain(await connection.channel(), "kept")
        memory_there = await rabbit.exists(connection, "memory")
        await connection.close()
        return kept, memory_there

    loop.run(before())
    broker.sync_definitions()  # the queues themselves on disk, not only the messages
    confirmed = loop.run(publish())
    broker.kill()
    broker.restart()
    kept, memory_there = loop.run(after(), timeout=30)
    assert len(confirmed) == 50
    assert delivery.check(confirmed, [t for t, _, _ in kept]).lost == []
    assert not memory_there  # the non-durable queue is gone, with every message in it


def test_a_quorum_queues_delivery_limit_ends_a_poison_loop(channel, loop):
    loop.run(rabbit.dead_letters(channel))
    arguments = {"x-queue-type": "quorum", "x-delivery-limit": 3, "x-dead-letter-exchange": "dead"}
    loop.run(rabbit.fresh_queue(channel, "poison", **arguments))
    loop.run(rabbit.publish(channel, "poison", 1))
    counts = loop.run(rabbit.poison_loop(channel, "poison", "dead-letters"), timeout=30)
    assert len(counts) == 4 and counts[-1] == 3  # the first delivery and 3 more, then no more
    (dead,) = loop.run(rabbit.drain(channel, "dead-letters"))
    assert rabbit.death(dead[2])[1] == "poison"


@pytest.mark.parametrize("prefetch", [1, 4, 16])
def test_prefetch_caps_the_unacknowledged_messages(channel, loop, prefetch):
    loop.run(rabbit.fresh_queue(channel, "credit"))
    loop.run(rabbit.publish(channel, "credit", 60))
    # each job takes 50 ms: the consumer fills its window long before the first ack
    most, _ = loop.run(rabbit.consume_with_prefetch(channel, "credit", 60, prefetch, 0.05))
    assert most == prefetch


def test_the_aio_pika_manager_carries_a_room_broadcast_across_two_servers(broker):
    env = {"AMQP_URL": broker.url}
    starting = [
        processes.start_python_server(
            name, "labsupport.lab.examples:rooms_server", env=env, wait=False
        )
        for name in ("test-pika-a", "test-pika-b")
    ]
    server_a, server_b = (server.wait_until_ready() for server in starting)
    log = trace.Trace()
    ann = clients.connect("ann", server_a.url, log)
    ben = clients.connect("ben", server_b.url, log)
    try:
        assert ann.call("join", "drivers") == ben.call("join", "drivers") == "joined drivers"
        rabbit_broker.wait_for_bindings(broker, "socketio", 2)
        ann.call("announce", {"room": "drivers", "text": "hello"})
        log.wait_for("announcement", actor="ben")
        assert [r.event for r in log.records(actor="ben")].count("announcement") == 1
    finally:
        ann.stop(), ben.stop(), server_a.stop(), server_b.stop()


def test_without_the_broker_installed_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setattr(rabbit_broker, "program", lambda name="rabbitmq-server": None)
    with pytest.raises(RuntimeError, match="rabbitmq-server is not installed"):
        rabbit_broker.start("test-missing")
    assert "test-missing" not in registry.running()


def test_a_broker_killed_before_its_confirms_loses_nothing_the_producer_publishes_again(
    broker, loop
):
    async def declare():
        connection, channel = await rabbit.open_channel(broker.url)
        await rabbit.fresh_queue(channel, "retried")
        await connection.close()

    async def through_the_kill():
        connection, channel = await rabbit.open_channel(broker.url)
        return await rabbit.publish_through_a_kill(channel, "retried", 500, broker.kill, after=1)

    async def again_and_drain(unconfirmed):
        connection, channel = await rabbit.open_channel(broker.url)
        await rabbit.publish_again(channel, "retried", unconfirmed)
        arrived = await rabbit.drain(channel, "retried")
        await connection.close()
        return [triple for triple, _, _ in arrived]

    loop.run(declare())
    broker.sync_definitions()
    confirmed, unconfirmed = loop.run(through_the_kill(), timeout=60)
    assert not broker.alive and len(confirmed) + len(unconfirmed) == 500
    broker.restart()
    arrived = loop.run(again_and_drain(unconfirmed), timeout=60)
    orders = [("retry", n, f"order-{n}") for n in range(1, 501)]
    report = delivery.check(orders, arrived)
    assert report.lost == [] and all(times == 2 for times in report.duplicated.values())
    assert set(report.duplicated) <= set(unconfirmed)  # only a message sent twice comes twice
