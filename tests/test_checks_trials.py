"""The slips of the second learner trials, one row each: the checker names the slip.

Each row is (exercise, answer, expected verdict, words the message must contain). The
answers are what the learners wrote (or the smallest answer with the same slip); the
words are the part of the message that names the slip, not only its symptom, and a
message that would give the answer away is checked for what it must not say.
"""

import socket
import struct

import pytest
import socketio
from solutions import solution_answer

from labsupport.exercises import ex00, ex01, ex02, ex03, ex04, ex05, ex06, ex07
from labsupport.exercises.checks import verdict

# --- 00 q1 --------------------------------------------------------------------------------


async def shout_no_return(sid, text):
    text.upper()


async def shout_capitalize(sid, text):
    return text.capitalize()


async def shout_in_a_list(sid, text):
    return [text.upper()]


async def shout_hard_coded(sid, text):
    return "READY? GO!"


def shout_sync(sid, text):  # AsyncServer calls a plain def too, as notebook 03's lambdas show
    return text.upper()


# --- 01 -----------------------------------------------------------------------------------


def frame(payload):
    return struct.pack("!I", len(payload)) + payload


def unframe_more_than_4(buffer):  # `> 4`: a last frame with an empty payload is left over
    messages, offset = [], 0
    while len(buffer) - offset > 4:
        (length,) = struct.unpack_from("!I", buffer, offset)
        if offset + 4 + length > len(buffer):
            break
        messages.append(buffer[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return messages, buffer[offset:]


def unframe_list_only(buffer):
    return solution_answer(ex01.q1.problem)[1](buffer)[0]


def checksum(mask=True, fold=True, as_hex=False):
    def my_checksum(data):
        if len(data) % 2:
            data += b"\0"
        total = sum(struct.unpack(f"!{len(data) // 2}H", data))
        while fold and total > 0xFFFF:
            total = (total & 0xFFFF) + (total >> 16)
        result = ~total & 0xFFFF if mask else ~total
        return hex(result) if as_hex else result

    return my_checksum


PROTOCOLS = {"live video call": "UDP", "file download": "TCP", "chat message": "TCP"}

# --- 02 -----------------------------------------------------------------------------------
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_not_encoded(key):
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()


def accept_digest_method(key):
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest).decode()


CAPTURED = bytes.fromhex("81 0b 68 65 6c 6c 6f 20 77 6f 72 6c 64")
PACKET_DATA = ["pickup", {"orderId": 42}]

# --- 03 -----------------------------------------------------------------------------------


async def average_floor(sid, numbers):
    return sum(numbers) // len(numbers) if numbers else None


async def average_text(sid, numbers):
    return str(sum(numbers) / len(numbers)) if numbers else None


def average_sync(sid, numbers):
    return sum(numbers) / len(numbers) if numbers else None


sio = socketio.AsyncServer(async_mode="aiohttp")  # the notebook's own server


def shout_on_the_global(server):
    @server.event
    async def shout(sid, text):
        await sio.emit("shout", text, skip_sid=sid)


def shout_returns(server):
    @server.event
    async def shout(sid, text):
        return text


# --- 04 -----------------------------------------------------------------------------------


def rooms_send_order_id(sio):
    @sio.event
    async def connect(sid, environ, auth):
        if auth and auth.get("store"):
            await sio.enter_room(sid, auth["store"])

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order["orderId"], to=order["store"])


def count_peak_after_loop(events):
    now = peak = 0
    for event, *_ in events:
        now += {"create-room": 1, "delete-room": -1}.get(event, 0)
    peak = max(peak, now)
    return now, peak


# --- 05 -----------------------------------------------------------------------------------


def well_formed(data):
    fields = ("clientId", "event", "messageId")
    return isinstance(data, dict) and all(isinstance(data.get(f), str) for f in fields)


def received_ok_is_ack(queue, data):
    if not well_formed(data):
        return {"error": "malformed"}
    return {"ok": queue.ack(data["clientId"], data["event"], data["messageId"])}


def received_hard_coded_event(queue, data):
    if not well_formed(data):
        return {"error": "malformed"}
    queue.ack(data["clientId"], "pickup", data["messageId"])
    return {"ok": True}


def received_ack_not_called(queue, data):
    if not well_formed(data):
        return {"error": "malformed"}
    queue.ack  # noqa: B018 (the slip: no brackets)
    return {"ok": True}


def dedupe_whole_messages(messages):
    seen, kept = set(), []
    for message in messages:
        if message["messageId"] not in seen:
            seen.add(message["messageId"])
            kept.append(message)
    return kept


def dedupe_pairs(messages):
    return list(dict.fromkeys((m["messageId"], m["payload"]) for m in messages))


# --- 06 -----------------------------------------------------------------------------------


def redis_server_emitting(emit):
    def make_server(redis_url):
        sio = socketio.AsyncServer(
            async_mode="aiohttp", client_manager=socketio.AsyncRedisManager(redis_url)
        )

        @sio.event
        async def connect(sid, environ, auth):
            await sio.enter_room(sid, auth["store"])

        @sio.event
        async def delivered(sid, order):
            await emit(sio, order)

        return sio

    return make_server


def make_server_no_await(redis_url):
    sio = socketio.AsyncServer(
        async_mode="aiohttp", client_manager=socketio.AsyncRedisManager(redis_url)
    )

    @sio.event
    async def connect(sid, environ, auth):
        await sio.enter_room(sid, auth["store"])

    @sio.event
    async def delivered(sid, order):
        sio.emit("delivered", order, to=order["store"])

    return sio


def recover_with_xreadgroup(db, stream, group, me):
    next_id, entries, deleted = db.xreadgroup(group, me, {stream: ">"})
    return [entry_id for entry_id, fields in entries]


# --- 07 -----------------------------------------------------------------------------------


def stage1_vendor_in_drivers(sio):
    @sio.on("connect", namespace="/caps")
    async def connect(sid, environ, auth):
        await sio.enter_room(sid, "drivers", namespace="/caps")

    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        await sio.emit("pickup", order, to="drivers", namespace="/caps")


def stage1_returns_enter_room(sio):
    @sio.on("connect", namespace="/caps")
    async def connect(sid, environ, auth):
        if auth["role"] == "driver":
            return sio.enter_room(sid, "drivers", namespace="/caps")

    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        await sio.emit("pickup", order, to="drivers", namespace="/caps")


def stage2_fixed_room(sio):
    solution_answer(ex07.q2.problem)(sio)

    @sio.on("delivered", namespace="/caps")
    async def delivered(sid, order):
        await sio.emit("delivered", order, to="1-206-flowers", namespace="/caps")


async def drivers_not_called(hub, order):
    for driver in hub.ledger.drivers:
        await hub.publish(driver, "pickup", order)


async def return_in_loop(hub, order):
    for driver in hub.ledger.drivers():
        await hub.publish(driver, "pickup", order)
        return


async def one_fixed_driver(hub, order):
    await hub.publish("driver-1", "pickup", order)


async def to_the_room_name(hub, order):
    await hub.publish("drivers", "pickup", order)


async def publish_not_awaited(hub, order):
    for driver in hub.ledger.drivers():
        hub.publish(driver, "pickup", order)


async def average_returns_in_loop(sid, numbers):
    total = 0
    for number in numbers:
        total += number
        return total / len(numbers)
    return None


async def publish_args_swapped(hub, order):
    for driver in hub.ledger.drivers():
        await hub.publish(order, "pickup", driver)


async def skips_the_first_driver(hub, order):
    for driver in hub.ledger.drivers()[1:]:
        await hub.publish(driver, "pickup", order)


async def wrong_event_name(hub, order):
    for driver in hub.ledger.drivers():
        await hub.publish(driver, "pickups", order)


def storage(old, new):
    """Stage 4's solution with ``old`` replaced by ``new``: its ``make_storage``."""
    source = ex07.q4.problem.solution
    assert old in source, old
    names = {}
    exec(source.replace(old, new).rsplit("q4.check", 1)[0], names)
    return names["make_storage"]


CASES = [
    (ex00.q1, shout_no_return, "incorrect", "no `return`"),
    (ex00.q1, shout_capitalize, "incorrect", "`.capitalize()`"),
    (ex00.q1, shout_in_a_list, "incorrect", "inside a list"),
    (ex00.q1, shout_hard_coded, "incorrect", "computed from `text`"),
    (ex00.q1, shout_sync, "correct", "'KEEP IT DOWN'"),
    (ex01.q1, (frame, unframe_more_than_4), "incorrect", "*at least* 4 bytes"),
    (ex01.q1, (frame, unframe_list_only), "incorrect", "a list alone"),
    (ex01.q2, checksum(mask=False), "incorrect", "negative"),
    (ex01.q2, checksum(as_hex=True), "incorrect", "That is text, not a number"),
    (ex01.q2, checksum(fold=False), "incorrect", "not added back in"),
    (ex01.q3, {**PROTOCOLS, "live video call": socket.SOCK_DGRAM}, "incorrect", "kind of socket"),
    (ex02.q1, accept_not_encoded, "incorrect", ".encode()"),
    (ex02.q1, accept_digest_method, "incorrect", "forget the ()"),
    (ex02.q2, CAPTURED, "incorrect", "the whole frame"),
    (ex02.q2, CAPTURED[2:12].decode(), "incorrect", "missing at the end"),
    (ex02.q3, ("EVENT", "/", 7, PACKET_DATA), "incorrect", "the namespace you gave"),
    (ex02.q4, '2["chat",{"text":"hi"}]', "incorrect", "Engine.IO packet"),
    (ex02.q4, '421["chat",{"text":"hi"}]', "incorrect", "an ack id"),
    (ex03.q1, average_floor, "incorrect", "floor division"),
    (ex03.q1, average_text, "incorrect", "That is text"),
    (ex03.q1, average_sync, "correct", "mean"),
    (ex03.q1, average_returns_in_loop, "incorrect", "`return` is inside the loop"),
    (ex03.q2, shout_on_the_global, "incorrect", "emits on `sio`, not on `server`"),
    (ex03.q2, shout_returns, "incorrect", "acknowledgement"),
    (ex03.q3, {"Server", "Alice", "Carol"}, "incorrect", "lower case"),
    (ex04.q1, rooms_send_order_id, "incorrect", "whole `order`"),
    (ex04.q2, count_peak_after_loop, "incorrect", "inside the loop"),
    (ex05.q1, received_ok_is_ack, "incorrect", "safe to repeat"),
    (ex05.q1, received_hard_coded_event, "incorrect", "Nothing was deleted"),
    (ex05.q1, received_ack_not_called, "incorrect", "with its brackets"),
    (ex05.q2, dedupe_whole_messages, "incorrect", "whole messages"),
    (ex05.q2, dedupe_pairs, "incorrect", "more than payloads"),
    (ex06.q1, make_server_no_await, "incorrect", "no `await`"),
    (ex06.q2, recover_with_xreadgroup, "incorrect", "did not have that many parts"),
    (ex07.q1, stage1_vendor_in_drivers, "incorrect", "in the room 'drivers' too"),
    (ex07.q1, stage1_returns_enter_room, "incorrect", "not awaited"),
    (ex07.q2, stage2_fixed_room, "incorrect", "room must come from the order"),
    (ex07.q3, drivers_not_called, "incorrect", "forget the () after drivers"),
    (ex07.q3, return_in_loop, "incorrect", "`return` inside your loop"),
    (ex07.q3, one_fixed_driver, "incorrect", "does not list"),
    (ex07.q3, to_the_room_name, "incorrect", "does not list"),
    (ex07.q3, publish_not_awaited, "incorrect", "never awaited"),
    (ex07.q4, storage('DurableLedger(f"{path}.ledger")', "DurableLedger"), "incorrect",
     "the class DurableLedger itself"),
    (ex07.q4, storage("WHERE key LIKE 'driver:%'", ""), "incorrect", "more than once"),
    (ex07.q4, storage('self.take(f"driver:{driver}", driver)', "self.take(driver, driver)"),
     "incorrect", "under the key"),
    # the third trial, after the fixes
    (ex07.q3, skips_the_first_driver, "incorrect", "never to ['driver-away']"),
    (ex07.q3, wrong_event_name, "incorrect", "a driver listens for 'pickup'"),
    (ex07.q4, storage("key TEXT PRIMARY KEY", "key TEXT"), "incorrect", "PRIMARY KEY"),
    (ex07.q3, publish_args_swapped, "incorrect", "takes (client_id, event, payload)"),
    (ex07.q4, storage("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"), "incorrect",
     "CREATE TABLE IF NOT EXISTS"),
    (ex07.q4, storage('DurableLedger(f"{path}.ledger")', "Ledger()"), "incorrect",
     "lived in memory"),
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize("exercise, answer, outcome, words", CASES)
def test_the_trials_slips_are_named(exercise, answer, outcome, words):
    got, text = verdict(exercise.problem, answer)
    assert (got, words in text) == (outcome, True), text
    assert "check could not go on" not in text, text


GIVEAWAYS = [  # (exercise, answer, what the message must not say: the answer itself)
    (ex02.q3, ("DISCONNECT", "/", "x", []), ["'EVENT'", "'/caps'", "should be 7"]),
    (ex06.q1, redis_server_emitting(lambda sio, order: sio.emit("delivered", order,
                                    to="1-206-flowers")), ["order['store']"]),
    (ex07.q2, stage2_fixed_room, ["order['store']"]),
    (ex07.q3, publish_not_awaited, ["await hub.publish("]),
]  # fmt: skip


@pytest.mark.parametrize("exercise, answer, secrets", GIVEAWAYS)
def test_a_message_does_not_give_the_answer_away(exercise, answer, secrets):
    got, text = verdict(exercise.problem, answer)
    assert got == "incorrect", text
    assert not [s for s in secrets if s in text], text


def test_hints_point_at_core_sections():
    assert "section 5" not in ex05.q1.problem.hints[0].lower()
    assert "retransmitting" not in ex01.q3.problem.hints[0]
