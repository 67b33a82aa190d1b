"""Exercises of notebook 05 (the message queue): ``from labsupport.exercises.ex05 import q1``."""

from labsupport.ackqueue import MemoryQueue
from labsupport.exercises.checks import Choice, Exercise, Incorrect, Problem, expect_value, why_none


class HandleReceived(Problem):
    title = "q1, handling received"
    hints = (
        'Section 2 (A queue, step by step) builds the hub\'s `received` in "The hub, by hand": '
        "it acknowledges the message named by clientId, event and messageId. Here, check the "
        "request first, then call `queue.ack`.",
        "Check `isinstance(data, dict)`, then that each of the three fields is there and a str.",
        "On success: `queue.ack(data['clientId'], data['event'], data['messageId'])`, "
        "then `return {'ok': True}`.",
    )
    solution = """
def handle_received(queue, data):
    fields = ("clientId", "event", "messageId")
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields):
        return {"error": f"received takes an object with string fields {list(fields)}"}
    queue.ack(data["clientId"], data["event"], data["messageId"])
    return {"ok": True}


q1.check(handle_received)
"""
    why = """
Checking first and acting second is what makes a bad request harmless: nothing is
deleted unless the request names exactly one message.
"""
    bad = [None, "m1", ["driver", "pickup", "m1"], {"clientId": "driver", "event": "pickup"},
           {"clientId": "driver", "event": "pickup", "messageId": 1}]  # fmt: skip

    def verify(self, handle_received):
        self.expect_attempted(handle_received)
        queue = MemoryQueue()
        first = queue.enqueue("driver", "pickup", "order 1")
        queue.enqueue("driver", "pickup", "order 2")
        for data in self.bad:
            reply = self._call(handle_received, queue, data)
            if not (isinstance(reply, dict) and isinstance(reply.get("error"), str)):
                raise Incorrect(f"for the malformed {data!r} we expected {{'error': ...}}, "
                                f"got {reply!r}.")  # fmt: skip
        if len(queue.pending("driver", "pickup")) != 2:
            raise Incorrect("a malformed request deleted a message: check before you ack.")
        other = queue.enqueue("driver-2", "delivered", "order 3")
        good = {"clientId": "driver", "event": "pickup", "messageId": first.message_id}
        self._acknowledge(handle_received, queue, good, ("driver", "pickup"), ["order 2"])
        again = "the same acknowledgement again (a client resends it when the reply is lost)"
        self._acknowledge(handle_received, queue, good, ("driver", "pickup"), ["order 2"], again)
        third = {"clientId": "driver-2", "event": "delivered", "messageId": other.message_id}
        self._acknowledge(handle_received, queue, third, ("driver-2", "delivered"), [])
        return "bad requests changed nothing, and each good one deleted exactly its message."

    def _acknowledge(self, handle_received, queue, good, where, left_over, what=None):
        """Send ``good``: the reply must be ok, and ``where`` must then hold ``left_over``."""
        before = [m.payload for m in queue.pending(*where)]
        reply = self._call(handle_received, queue, good)
        what = what or f"the good request {good}"
        left = [m.payload for m in queue.pending(*where)]
        if reply != {"ok": True}:
            slip = ""
            if reply == {"ok": False} and left == before:
                slip = (" That message had been acknowledged already, so queue.ack found "
                        "nothing to delete and said False; the request itself is fine, and "
                        "an acknowledgement must be safe to repeat: the answer is still "
                        "{'ok': True}, whatever queue.ack says.")  # fmt: skip
            raise Incorrect(f"for {what} we expected {{'ok': True}}, got {reply!r}.{slip}")
        if left != left_over:
            slip = ""
            if left == before:
                slip = (" Nothing was deleted: is queue.ack really called (with its "
                        "brackets), and with the clientId, event and messageId that `data` "
                        "carries, none of them written in by hand?")  # fmt: skip
            raise Incorrect(f"after {what}, {where[0]}'s {where[1]!r} messages should be "
                            f"{left_over}, but the queue still holds {left}.{slip}")  # fmt: skip

    def _call(self, function, queue, data):
        try:
            reply = function(queue, data)
        except Exception as error:
            raise Incorrect(f"handle_received(queue, {data!r}) raised {error!r}: a server "
                            "must answer bad input, not crash on it.") from error  # fmt: skip
        self.expect_attempted(reply)
        return expect_value(f"handle_received(queue, {data!r})", reply)


def messages(*pairs):
    """``("m1", "a"), ...`` -> messages as the hub sends them (only the fields that matter)."""
    return [{"messageId": message_id, "payload": payload} for message_id, payload in pairs]


def shown(batch):
    """A batch of messages, short and whole: ``[m2 'b', m1 'a']``."""
    return "[" + ", ".join(f"{m['messageId']} {m['payload']!r}" for m in batch) + "]"


class Dedupe(Problem):
    title = "q2, dropping duplicates"
    # (messages, expected payloads, the likely slip when the answer is this wrong one)
    cases = [
        (messages(), [], {}),
        (messages(("m1", "a"), ("m1", "a")), ["a"],
         {("a", "a"): "m1 arrived twice: keep each message id once."}),
        (messages(("m2", "b"), ("m1", "a"), ("m2", "b"), ("m3", "b")), ["b", "a", "b"],
         {("b", "a"): "m3 carries the same payload as m2, but it is a new message (a new id): "
                      "compare message ids, not payloads.",
          ("a", "b", "b"): "keep the order in which the messages first arrived; do not sort."}),
        (messages(("m5", "x"), ("m5", "y")), ["x"],
         {("x", "y"): "m5 arrived twice (the second copy even changed its payload): it is one "
                      "message, so keep the first copy only.",
          ("y",): "keep the first copy of m5, the one that arrived first, not the last."}),
    ]  # fmt: skip
    hints = (
        "Section 2 builds the client's `handle`: it keeps a set of the message ids it has seen.",
        "Loop over the messages; skip one whose id is in the set; else add the id and keep "
        "the payload.",
    )
    solution = """
def dedupe(messages):
    seen, payloads = set(), []
    for message in messages:
        if message["messageId"] not in seen:
            seen.add(message["messageId"])
            payloads.append(message["payload"])
    return payloads


q2.check(dedupe)
"""
    why = """
Compare ids, not payloads: two different messages can carry the same payload (m2 and
m3 above), and both must be kept.
"""

    def verify(self, dedupe):
        self.expect_attempted(dedupe)
        for batch, expected, slips in self.cases:
            try:
                got = dedupe([dict(m) for m in batch])
            except Exception as error:
                raise Incorrect(
                    f"for the messages {shown(batch)}, dedupe raised {error!r}"
                ) from error
            self.expect_attempted(got)
            expect_value(f"dedupe({shown(batch)})", got)
            if got != expected:
                slip = self.slip(got, slips)
                if got is None:
                    slip = why_none(dedupe)
                raise Incorrect(f"For the messages {shown(batch)} we expected the payloads "
                                f"{expected!r}, got {got!r}. {slip}".rstrip())  # fmt: skip
        return "each message once, first arrival kept."

    @staticmethod
    def slip(got, slips):
        """The likely slip behind the wrong list ``got``."""
        if isinstance(got, set | frozenset | dict):
            return (f"That is a {type(got).__name__}, which keeps no order of arrival: "
                    "return a list.")  # fmt: skip
        if not isinstance(got, list | tuple):
            return ""
        if any(isinstance(item, dict) for item in got):
            return "Those are whole messages: return only each message's payload."
        if any(isinstance(item, tuple | list) for item in got):
            return "Those items are more than payloads: return only each message's payload."
        try:
            return slips.get(tuple(got), "")
        except TypeError:  # an item that cannot be hashed
            return ""


class LostAck(Choice):
    title = "q3, a lost acknowledgement"
    hints = ("Section 3: what does the hub do with a message it has no acknowledgement for?",)
    solution = """
q3.check("b")
"""
    why = """
The hub deletes a message only when the acknowledgement arrives, so without it the
message stays queued and is sent again on the next getAll; the client recognises its
id and drops the copy. That is at-least-once delivery plus deduplication.
"""
    reasons = {
        "a": "the hub only deletes on an acknowledgement, so the message is still there.",
        "c": "a hub that deleted unacknowledged messages would be at-most-once again.",
    }

    answer = "b"
    right = "kept, sent again, and recognised as a duplicate."


q1 = Exercise(HandleReceived())
q2 = Exercise(Dedupe())
q3 = Exercise(LostAck())
