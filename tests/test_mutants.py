"""The mutation run (issue 29): every checker is tested on mutants of its own solution.

For every exercise, ``mutants.py`` makes the slips a learner makes (a dropped ``await``,
an off-by-one, two statements swapped, the wrong type, a bound method for its result, a
mask left out, a parameter replaced by a literal, a ``return`` moved into a loop, a
sync class for its async twin), plus the slips a learner trial met. Each mutant runs as
a notebook cell would (its source registered like a cell's, so the checker can read it)
and goes through its real checker (``checks.judge``: real servers, the background loop,
the time limit). Each must end in exactly one of:

- **killed**: Incorrect (or a time-limit verdict), with no error from the checker's own
  code and nothing logged behind the learner's back; "specific" when the message shows
  what came back and why (``specific`` below);
- **equivalent**: Correct, and it behaves like the solution on extra inputs generated
  here too (``EXTRA``);
- else **survived** (Correct but wrong) or **crashed** (the checker's own error, a
  traceback or noise in the log). Both must be 0.

The run covers the checkers of notebooks 00 to 08 and 05b (``ex00``..``ex08``, ``ex05b``),
06b (q1 freezes a real client against real servers) and 06c (q1 runs on a real RabbitMQ
broker), as three tests: ``-k ex06b`` or ``-k ex06c`` runs one notebook's part alone.
06c's part holds one broker for all its mutants (``AROUND``), stopped after them with its
epmd; without ``rabbitmq-server`` that part is skipped, saying what to install (under
CI, ``CI=true``, ``conftest.py`` makes every skip a failure).

``-s`` prints the table. Slow exercises are sampled with a fixed seed (``SAMPLE``); the
table says how many of how many ran.
"""

import asyncio
import base64
import contextlib
import importlib
import io
import linecache
import logging
import os
import random
import sqlite3
import string
import tempfile
import time
from collections import Counter

import pytest
from kernel_run import command_lines
from mutants import Mutant, mutants, record_calls
from solutions import NOTEBOOK_NAMES, Catch

from labsupport.exercises.checks import TIME_LIMIT, Choice, Exercise, judge
from labsupport.lab import rabbit_broker, registry

LIMIT = 6  # s for each mutant's check (checks.TIME_LIMIT is the learners' limit)
LIMITS = {  # exercise -> its own limit, where a right answer's check takes near LIMIT
    "ex06b.q1": TIME_LIMIT,  # starts a client program and waits out a heartbeat: 4-5 s busy
}
SEED = 29
SAMPLE = {  # exercise -> at most this many mutants (none now: the whole run fits in CI time)
}
MODULES = [f"labsupport.exercises.ex0{n}" for n in range(9)] + ["labsupport.exercises.ex05b"]
MODULES += ["labsupport.exercises.ex06b", "labsupport.exercises.ex06c"]
RUNS = {"ex00-08": MODULES[:10], "ex06b": MODULES[10:11], "ex06c": MODULES[11:]}

LEARNER_SLIPS = {  # (what the solution says, what a learner wrote): met in the learner trial
    # (06b's and 06c's came after it: the slips a novice would make there, written here)
    "ex00.q1": [("text.upper()", "text.upper"), ("text.upper()", "text.capitalize()"),
                ("return text.upper()", "text.upper()"), ("text.upper()", "[text.upper()]"),
                ("async def shout", "def shout")],
    "ex01.q1": [("len(buffer) - offset >= 4", "len(buffer) - offset > 4"),
                ("return messages, buffer[offset:]", "return messages")],
    "ex01.q2": [("~total & 0xFFFF", "~total"), ("while total > 0xFFFF", "if total > 0xFFFF"),
                ("return ~total & 0xFFFF", "return hex(~total & 0xFFFF)"),
                ("    while total > 0xFFFF:\n        total = (total & 0xFFFF) + (total >> 16)\n",
                 "")],
    "ex02.q1": [(".digest()", ".hexdigest()"), (".decode()", ""), (".digest()", ".digest"),
                ("(key + wsf.GUID).encode()", "key + wsf.GUID")],
    "ex02.q2": [("captured[2:].decode()", "captured[2:12].decode()"),
                ("captured[2:].decode()", "captured")],
    "ex02.q4": [("'42[", "'2["), ("'42[", "'421[")],
    "ex03.q1": [("sum(numbers) / len(numbers)", "sum(numbers) // len(numbers)"),
                ("async def average", "def average")],
    "ex03.q2": [('await server.emit("shout", text, skip_sid=sid)', "return text")],
    "ex03.q3": [('{"server", "alice", "carol"}', '{"Server", "Alice", "Carol"}')],
    "ex04.q1": [('to=order["store"]', 'to="1-206-flowers"'),
                ('"delivered", order, to=', '"delivered", order["orderId"], to=')],
    "ex04.q2": [('        now += {"create-room": 1, "delete-room": -1}.get(event, 0)\n'
                 "        peak = max(peak, now)",
                 "        peak = max(peak, now)\n"
                 '        now += {"create-room": 1, "delete-room": -1}.get(event, 0)')],
    "ex05b.q3": [("return target_bytes // job_bytes", 'return f"{target_bytes // job_bytes}"')],
    "ex06b.q1": [("(ping_timeout,", "(ping_interval,"), ("(ping_timeout,", "(0,"),
                 ("(ping_timeout, ping_interval + ping_timeout)",
                  "(ping_interval + ping_timeout, ping_timeout)"),
                 ("(ping_timeout, ping_interval + ping_timeout)",  # taken: two numbers all the same
                  "[ping_timeout, ping_interval + ping_timeout]"),
                 ("(ping_timeout, ping_interval + ping_timeout)", "(ping_timeout, ping_interval)"),
                 ("(ping_timeout,", "(min(ping_interval, ping_timeout),"),
                 ("(ping_timeout, ping_interval + ping_timeout)",  # the handshake's unit
                  "(1000 * ping_timeout, 1000 * (ping_interval + ping_timeout))"),
                 ("return (ping_timeout, ping_interval + ping_timeout)",
                  "print(ping_timeout, ping_interval + ping_timeout)"),
                 ("ping_interval + ping_timeout)", "ping_interval + timeout)")],  # another cell's
    "ex06c.q1": [("budget_bytes // message_bytes", "budget_bytes / message_bytes"),
                 ("budget_bytes // message_bytes", "-(-budget_bytes // message_bytes)"),
                 ("budget_bytes // message_bytes", "round(budget_bytes / message_bytes)"),
                 ("budget_bytes // message_bytes", "budget_bytes // message_bytes + 1"),
                 ("budget_bytes // message_bytes", "budget_bytes // message_bytes - 1"),
                 ("budget_bytes // message_bytes", "budget_bytes * message_bytes"),
                 ("budget_bytes // message_bytes", "budget_bytes % message_bytes"),
                 ("budget_bytes // message_bytes", "int(budget_bytes / message_bytes)"),
                 ("return budget_bytes // message_bytes",
                  'return f"{budget_bytes // message_bytes}"')],
    "ex05.q1": [('    queue.ack(data["clientId"], data["event"], data["messageId"])\n'
                 '    return {"ok": True}',
                 '    return {"ok": queue.ack(data["clientId"], data["event"], '
                 'data["messageId"])}'),
                ('data["event"], data["messageId"])', '"pickup", data["messageId"])')],
    "ex05.q2": [('payloads.append(message["payload"])', "payloads.append(message)")],
    "ex06.q1": [("socketio.AsyncRedisManager", "socketio.RedisManager"),
                ('await sio.emit("delivered", order, to=order["store"])',
                 'await sio.emit("delivered", order)'),
                ('await sio.emit("delivered", order, to=order["store"])',
                 'await sio.emit("delivered", order, to="1-206-flowers")')],
    "ex06.q2": [("db.xautoclaim(stream, group, me, min_idle_time=0)",
                 'db.xreadgroup(group, me, {stream: ">"})')],
    "ex07.q1": [('if auth["role"] == "driver":', "if True:")],
    "ex07.q2": [('to=order["store"]', 'to="1-206-flowers"'),
                (', to=order["store"], namespace=', ", namespace=")],
    "ex07.q3": [("await hub.publish", "hub.publish"),
                ("hub.ledger.drivers()", "hub.ledger.drivers"),
                ('await hub.publish(driver, "pickup", order)',
                 'await hub.publish(driver, "pickup", order)\n        return'),
                ("await hub.publish(driver,", 'await hub.publish("drivers",')],
    "ex07.q4": [("SELECT driver FROM taken WHERE key LIKE", "SELECT key FROM taken WHERE key LIKE"),  # noqa: E501
                (" WHERE key LIKE 'driver:%'", ""),
                ('DurableLedger(f"{path}.ledger")', "DurableLedger"),
                ('self.take(f"driver:{driver}", driver)', "self.take(driver, driver)")],
}  # fmt: skip


def exercises(name):
    module = importlib.import_module(name)
    for attribute, value in list(vars(module).items()):
        if isinstance(value, Exercise):
            yield f"{name.rsplit('.', 1)[-1]}.{attribute}", value.problem


@contextlib.contextmanager
def one_broker():
    """One RabbitMQ broker for all of 06c's mutants, stopped after them with its epmd.

    q1's checker uses the broker this process started last (``rabbit_broker.current()``)
    and else starts one itself, which takes longer than ``LIMIT``."""
    broker = rabbit_broker.start("mutants-rabbitmq")
    registry.forget(broker.name, broker)  # ours to stop, whatever a check stops
    BROKERS.append(broker)
    try:
        assert left_behind(broker), "a running broker's processes are seen (so none after stop)"
        yield broker
    finally:
        broker.stop()


BROKERS = []  # every broker the run started: the test checks none left a process
AROUND = {"labsupport.exercises.ex06c": one_broker}  # module -> what its checks need
NEEDS_RABBITMQ = {"labsupport.exercises.ex06c"}


def left_behind(broker):
    """Processes of ``broker`` still running: an Erlang VM or child naming its folder, or
    its epmd (by its port), read from ``/proc``."""
    return command_lines(str(broker.folder), f"-port {broker.epmd_port}")


def learner_cell(source, filename):
    """Run ``source`` as a notebook cell (its lines readable, as IPython makes them); the answer."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    catches = {f"q{n}": Catch() for n in range(1, 10)}
    exec(compile(source, filename, "exec"), {**NOTEBOOK_NAMES, **catches})
    (answer,) = [c.answer for c in catches.values() if hasattr(c, "answer")]
    return answer


class Noise(logging.Handler):
    """What anything logs at WARNING or above while a check runs (a learner would see it)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}"[:200])


@contextlib.contextmanager
def listening():
    noise = Noise()
    root = logging.getLogger()
    root.addHandler(noise)
    try:
        yield noise.records
    finally:
        root.removeHandler(noise)


def specific(text):
    """A message that says what came back (or what was heard, held, raised) and is not bare."""
    words = ("got", "gave", "returned", "raised", "holds", "held", "heard", "said", "should",
             "says", "you gave", "you said", "instead",
             "expected", "did not finish", "not awaited", "await", "forget", "still")  # fmt: skip
    return len(text) >= 40 and any(word in text for word in words)


# -- extra inputs: is a mutant the checker called Correct really the same? ------------------


def outcome(function, args):
    try:
        result = function(*args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return "value", result
    except Exception as error:  # noqa: BLE001 (what it raised is the outcome)
        return "raises", type(error).__name__


def differs(solution, mutant, inputs, prepare=lambda args: args):
    for args in inputs:
        a, b = outcome(solution, prepare(args)), outcome(mutant, prepare(args))
        if a != b:
            return f"on {args!r:.70}: solution {a!r:.50}, mutant {b!r:.50}"
    return None


def rbytes(rng, n):
    return bytes(rng.choice([0, 1, 0x7F, 0x80, 0xFE, 0xFF, rng.randrange(256)]) for _ in range(n))


def extra_frames(rng, sol, mut):
    my_frame, my_unframe = sol
    payloads = [(rbytes(rng, rng.randrange(0, 300)),) for _ in range(40)]
    if why := differs(my_frame, mut[0], payloads):
        return why
    buffers = []
    for _ in range(60):
        stream = b"".join(my_frame(p) for (p,) in rng.sample(payloads, rng.randrange(0, 4)))
        buffers.append((stream[: rng.randrange(0, len(stream) + 1)],))
    return differs(lambda b: list(my_unframe(b)), lambda b: list(mut[1](b)), buffers)


def extra_events(rng):
    events, rooms = [], []
    for _ in range(rng.randrange(0, 14)):
        kind = rng.choice(["create-room", "delete-room", "join-room", "leave-room"])
        if kind == "create-room":
            rooms.append(rng.choice(string.ascii_lowercase))
            events.append((kind, rooms[-1]))
        elif rooms and kind == "delete-room":
            events.append((kind, rooms.pop(rng.randrange(len(rooms)))))
        elif rooms:
            events.append((kind, rng.choice(rooms), "s1"))
    return (events,)


def extra_received(rng, sol, mut):
    from labsupport.ackqueue import MemoryQueue

    def run(function, data):
        queue = MemoryQueue()
        queue.enqueue("driver", "pickup", "one")
        reply = outcome(function, (queue, data))
        return reply, [m.payload for m in queue.pending("driver", "pickup")]

    values = [None, "m1", 1, "driver", "pickup", ["x"]]
    for _ in range(60):
        data = {k: rng.choice(values) for k in ("clientId", "event", "messageId", "other")
                if rng.random() < 0.8}  # fmt: skip
        if rng.random() < 0.4:
            data.update(clientId="driver", event="pickup", messageId="m1")
        data = rng.choice([data, data, data, list(data), None])
        if run(sol, data) != run(mut, data):
            return f"on {data!r}: solution {run(sol, data)!r:.60}, mutant {run(mut, data)!r:.60}"
    return None


def extra_apply(rng, sol, mut):
    from labsupport.crash_programs import EFFECTS

    def run(function, calls):
        with tempfile.TemporaryDirectory() as folder:
            db = sqlite3.connect(os.path.join(folder, "e.db"))
            db.executescript(EFFECTS)
            said = [outcome(function, (db, mid, rec)) for mid, rec in calls]
            return said, db.execute("SELECT * FROM effects ORDER BY rowid").fetchall()

    for _ in range(8):
        calls = [(f"shop:{rng.randrange(4)}", ("shop", n, f"order-{rng.randrange(3)}"))
                 for n in range(rng.randrange(1, 7))]  # fmt: skip
        if run(sol, calls) != run(mut, calls):
            return f"on {calls!r:.80}: effects differ"
    return None


def extra_storage(rng, sol, mut):
    def run(make_storage):
        with tempfile.TemporaryDirectory() as folder:
            path, said = os.path.join(folder, "hub.db"), []
            for _ in range(3):  # three lives of the hub
                queue, ledger = make_storage(path)
                for _ in range(4):
                    who, key = f"driver-{rng.randrange(3)}", f"order-{rng.randrange(3)}"
                    step = rng.choice(["add", "take", "list", "enqueue"])
                    if step == "add":
                        said.append(outcome(ledger.add_driver, (who,)))
                    elif step == "take":
                        said.append(outcome(ledger.take, (key, who)))
                    elif step == "enqueue":
                        queue.enqueue(who, "pickup", key)
                    said.append(outcome(ledger.drivers, ()))
                said.append([m.payload for m in queue.pending("driver-1", "pickup")])
                queue.close() if hasattr(queue, "close") else None
            return said

    for seed in range(4):
        rng.seed(seed)
        a = run(sol)
        rng.seed(seed)
        if a != run(mut):
            return f"three restarts with seed {seed}: different answers"
    return None


def variant(problem, **changes):
    """The same checker on other data: a copy of ``problem`` with ``changes``."""
    other = object.__new__(type(problem))
    other.__dict__.update(problem.__dict__, **changes)
    return other


def judged_elsewhere(problem, mutant, variants):
    for changes in variants:
        judged = judge(variant(problem, **changes), mutant, limit=LIMIT)
        if judged.outcome != "correct":
            return f"with {changes!r:.60}: {judged.text:.120}"
    return None


def as_pair(function):
    """``function`` with a list answer read as a tuple: 06b's checker takes either."""

    def pair(*args):
        result = function(*args)
        return tuple(result) if isinstance(result, list) else result

    return pair


def extra_settings(rng):
    """(ping_interval, ping_timeout): whole seconds and fractions, either one the longer."""
    pick = rng.choice([lambda: rng.randrange(1, 60), lambda: round(rng.uniform(0.1, 30), 2)])
    return pick(), pick()


def extra_budgets(rng):
    """(budget_bytes, message_bytes) with room for at least one message, as 06c promises."""
    size = rng.randrange(1, 10**5)
    return size * rng.randrange(1, 200) + rng.randrange(size), size


def mixed(rng):
    return "".join(rng.choice("aBc xYz!é9") for _ in range(rng.randrange(1, 12)))


EXTRA = {  # exercise -> (rng, solution answer, mutant answer) -> None, or how they differ
    "ex00.q1": lambda rng, sol, mut: differs(sol, mut, [("sid", mixed(rng)) for _ in range(30)]),
    "ex01.q1": extra_frames,
    "ex01.q2": lambda rng, sol, mut: differs(
        sol, mut, [(rbytes(rng, rng.randrange(0, 60)),) for _ in range(300)]
    ),
    "ex02.q1": lambda rng, sol, mut: differs(
        sol, mut, [(base64.b64encode(rbytes(rng, 16)).decode(),) for _ in range(20)]
    ),
    "ex03.q1": lambda rng, sol, mut: differs(
        sol,
        mut,
        [("sid", [rng.randrange(-9, 99) for _ in range(rng.randrange(0, 6))]) for _ in range(40)],
    ),  # fmt: skip
    "ex04.q2": lambda rng, sol, mut: differs(sol, mut, [extra_events(rng) for _ in range(200)]),
    "ex05.q1": extra_received,
    "ex05.q2": lambda rng, sol, mut: differs(
        sol,
        mut,
        [
            (
                [
                    {"messageId": f"m{rng.randrange(5)}", "payload": rng.choice("abc")}
                    for _ in range(rng.randrange(0, 8))
                ],
            )
            for _ in range(100)
        ],
    ),  # fmt: skip
    "ex05b.q1": extra_apply,
    "ex05b.q3": lambda rng, sol, mut: differs(
        sol, mut, [(rng.randrange(1, 10**7), rng.randrange(1, 10**5)) for _ in range(200)]
    ),
    "ex06b.q1": lambda rng, sol, mut: differs(
        as_pair(sol), as_pair(mut), [extra_settings(rng) for _ in range(200)]
    ),
    "ex06c.q1": lambda rng, sol, mut: differs(sol, mut, [extra_budgets(rng) for _ in range(200)]),
    "ex07.q4": extra_storage,
    "ex08.q1": lambda rng, sol, mut: differs(
        sol,
        mut,
        [
            ({"S": {"k": rng.uniform(1, 9)}, "Node socket.io": {"k": rng.uniform(1, 9)}}, "S", "k")
            for _ in range(20)
        ],
    ),  # fmt: skip
}
VARIANTS = {  # exercise -> other data for its own checker (servers: the extra inputs)
    "ex00.q1": [{"sent": ("Mixed Case, ünï 42",)}],
    "ex03.q2": [{"sent": ("Psst",)}],
    "ex04.q1": [{"orders": [{"store": "acme", "orderId": "o-9"}]}],
    "ex07.q1": [{"orders": ({"store": "acme", "orderId": "3"},)}],
    "ex07.q2": [{"orders": ({"store": "acme", "orderId": "3"}, {"store": "b", "orderId": "4"})}],
    "ex07.q3": [{"orders": ({"store": "acme", "orderId": "3"},)}],
    "ex06.q1": [{"orders": ({"store": "acme", "orderId": 9},)}],
    "ex06.q2": [{"count": 5, "names": (("tasks", "team", "zed"),)}],
}


def equivalent(key, problem, solution, mutant):
    """None if ``mutant`` behaves like ``solution`` on extra inputs, else how it differs."""
    rng = random.Random(SEED)
    if key in EXTRA:
        return EXTRA[key](rng, solution, mutant)
    if key in VARIANTS:
        return judged_elsewhere(problem, mutant, VARIANTS[key])
    if isinstance(problem, Choice):
        return None if str(mutant).strip().lower() == solution else f"{mutant!r} is another letter"
    if callable(solution):
        return "no extra inputs known for this exercise: a Correct mutant counts as survived"
    if isinstance(solution, dict) and isinstance(mutant, dict):  # the checker reads .upper()
        same = {k: str(v).upper() for k, v in mutant.items()} == solution
        return None if same else f"{mutant!r}"
    return None if mutant == solution else f"{mutant!r}"


# -- the run -------------------------------------------------------------------------------


def mutants_of(key, problem):
    """The mutants of ``problem``'s solution; the solution's own answer; the names it saw."""
    seen = {}
    filename = f"<cell {key} solution>"
    with record_calls(filename, seen):
        answer = learner_cell(problem.solution, filename)
        assert judge(problem, answer).outcome == "correct"
    found = mutants(problem.solution, seen)
    for old, new in LEARNER_SLIPS.get(key, []):
        assert old in problem.solution, (key, old)
        source = problem.solution.replace(old, new, 1)
        found.append(
            Mutant("learner trial", (new.strip() or f"without {old}").splitlines()[0], source)
        )
    return found, answer


def run_mutant(key, problem, solution, mutant, index):
    """One mutant through its checker: (kind, message)."""
    try:
        answer = learner_cell(mutant.source, f"<cell {key} mutant {index}>")
    except Exception:  # noqa: BLE001 (the cell fails before its check: no mutant to judge)
        return "invalid", ""
    with listening() as noise, contextlib.redirect_stdout(io.StringIO()):  # what it prints
        try:
            judged = judge(problem, answer, limit=LIMITS.get(key, LIMIT))
        except BaseException as error:  # noqa: BLE001 (a verdict never raises)
            return "crashed", f"judge raised {error!r}"
        time.sleep(0.05)  # late log lines of the check's servers
    if judged.trouble == "checker error":
        return "crashed", judged.text
    if noise:
        return "crashed", f"{judged.text} || logged: {noise[0]}"
    if judged.outcome != "correct":
        return ("killed, specific" if specific(judged.text) else "killed, vague"), judged.text
    why = equivalent(key, problem, solution, answer)
    return ("equivalent", "") if why is None else ("survived", why)


def run_exercise(key, problem, bad, show):
    """Every mutant (or a sample) of ``problem`` through its checker: (ran, of, counts)."""
    found, solution = mutants_of(key, problem)
    chosen = list(enumerate(found))
    if key in SAMPLE and len(chosen) > SAMPLE[key]:
        chosen = sorted(random.Random(SEED).sample(chosen, SAMPLE[key]))
    counts = Counter()
    for index, mutant in chosen:
        kind, text = run_mutant(key, problem, solution, mutant, index)
        counts[kind] += 1
        if kind not in ("killed, specific", "equivalent", "invalid"):
            bad.append((key, kind, mutant, text))
        if os.environ.get("MUTANTS_VERBOSE"):
            show(f"  {key} {kind:17} {mutant.operator:22} {mutant.change[:50]!r:54} {text}")
    return len(chosen), len(found), counts


KINDS = ["killed, specific", "killed, vague", "equivalent", "survived", "crashed"]


def run_all(keys=None, show=print, modules=MODULES):
    table, bad, started = {}, [], time.monotonic()
    for name in modules:
        chosen = [(key, problem) for key, problem in exercises(name) if not keys or key in keys]
        if not chosen:
            continue
        with AROUND.get(name, contextlib.nullcontext)():
            for key, problem in chosen:
                table[key] = run_exercise(key, problem, bad, show)
    show(format_table(table))
    show(f"(the run took {time.monotonic() - started:.0f} s)")
    for key, kind, mutant, text in bad:
        show(f"{kind:>16}  {key} [{mutant.operator}] {mutant.change!r:.70}\n{'':18}{text:.300}")
    return table, bad


def format_table(table):
    head = ["exercise", "mutants", "killed*", "vague", "equiv", "survived", "crashed", "invalid"]
    rows = [" | ".join(head)]
    totals = Counter()
    for key, (ran, of, counts) in table.items():
        size = f"{ran}" if ran == of else f"{ran} of {of}"
        values = [counts[k] for k in KINDS] + [counts["invalid"]]
        totals.update(dict(zip(KINDS + ["invalid", "ran"], values + [ran], strict=True)))
        rows.append(" | ".join([key, size] + [str(v) for v in values]))
    rows.append(" | ".join(["total", str(totals["ran"])]
                           + [str(totals[k]) for k in KINDS + ["invalid"]]))  # fmt: skip
    return (
        "\n".join(rows) + "\n(killed* = killed with a specific message; invalid = the cell fails)"
    )


# a mutant that drops an await leaves its coroutine unawaited, on purpose: the checker names it
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize("modules", RUNS.values(), ids=RUNS.keys())
def test_mutation_run(modules):
    if NEEDS_RABBITMQ & set(modules) and rabbit_broker.program() is None:
        pytest.skip(rabbit_broker.HINT)  # under CI, conftest.py makes a skip a failure
    del BROKERS[:]
    table, bad = run_all(modules=modules)
    problems = [b for b in bad if b[1] in ("survived", "crashed", "killed, vague")]
    assert not problems, "\n".join(f"{k} {kind} {m.change!r}: {t}" for k, kind, m, t in problems)
    assert all(left_behind(broker) == [] for broker in BROKERS), [left_behind(b) for b in BROKERS]


if __name__ == "__main__":
    import sys

    run_all(set(sys.argv[1:]) or None)
