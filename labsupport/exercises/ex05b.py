"""Exercises of notebook 05b (delivery guarantees): ``from labsupport.exercises.ex05b import q1``.

q1 and q2 run the learner's answer over real processes killed with SIGKILL
(``crash_points.run``), and report what ``delivery.check`` found; q3 (``ex05b_credit``)
drains a real credit hub with the learner's N and reads the memory it measured.
"""

import sqlite3
import tempfile
from pathlib import Path

from labsupport import crash_points
from labsupport.crash_programs import EFFECTS
from labsupport.exercises.checks import Exercise, Incorrect, Problem, expect_value
from labsupport.exercises.ex05b_credit import (
    q3,  # section 4's exercise: it runs a credit hub instead
)

FIRST, AGAIN, OTHER = ("shop", 1, "order-1"), ("shop", 2, "order-2"), ("shop", 3, "order-1")


class ApplyOnce(Problem):
    title = "q1, an idempotent consumer"
    hints = (
        "Let the database say whether the id is new: `INSERT OR IGNORE` adds a row only "
        "if its primary key is not there yet, and the cursor's `rowcount` says whether it did.",
        "Inside one `with db:` block: `INSERT OR IGNORE` the id into `seen`; when `rowcount` "
        "is 1 (a new id), insert the record into `effects`; when it is 0, do nothing.",
        '`with db:`, then `if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", '
        '(message_id,)).rowcount:`, then `db.execute("INSERT INTO effects VALUES (?, ?, ?)", '
        "record)`.",
    )
    solution = """
def apply_each_once(db, message_id, record):
    with db:  # the id and the effect: one transaction
        if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,)).rowcount:
            db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


q1.check(apply_each_once)
"""
    why = """
Delivery stays at least once; the effect happens once because the id that says "done"
is committed in the same transaction as the effect. No crash can keep one without the
other, so a redelivered copy is recognised, and a message whose effect was rolled back
is applied when it comes again.
"""

    def verify(self, apply):
        self.expect_attempted(apply)
        with tempfile.TemporaryDirectory(prefix="q1-") as folder:
            self._directly(apply, str(Path(folder) / "effects.db"))
        for point in (4, 6):
            try:
                run = crash_points.run(point, "b", apply=apply, name=f"q1-{point}")
            except (RuntimeError, TimeoutError) as error:
                why = "It may use its arguments and sqlite3 only, no other notebook names."
                raise Incorrect(f"as a consumer process it failed: {error}. {why}") from error
            if run.outcome != "exactly once":
                raise Incorrect(f"killed at point {point} ({crash_points.POINTS[point][1]}) "
                                f"and restarted, check says: {run.report}.")  # fmt: skip
        return "one effect per message, also with the consumer killed at points 4 and 6."

    def _directly(self, apply, path):
        db = sqlite3.connect(path)
        db.executescript(EFFECTS)
        statements = []
        db.set_trace_callback(statements.append)
        self._call(apply, db, "shop:1", FIRST)
        commits = sum(s.strip().upper().startswith(("COMMIT", "END")) for s in statements)
        effects, seen = self._read(path)
        if effects != [FIRST]:
            raise Incorrect(f"after one call, another connection sees effects {effects}, not "
                            f"[{FIRST}]: is the effect committed (`with db:`)?")  # fmt: skip
        if not seen:
            raise Incorrect("after one call, nothing was recorded in seen: record the message "
                            "id there, in the same transaction as the effect, so that the "
                            "next copy can be recognised.")  # fmt: skip
        if seen != [("shop:1",)]:
            raise Incorrect(f"after one call, seen holds {seen}, not [('shop:1',)]: record "
                            "the message id itself (not the record or its key), so that the "
                            "next copy can be recognised.")  # fmt: skip
        if commits > 1:
            raise Incorrect(f"one call committed {commits} times: the id and the effect in two "
                            "transactions can be separated by a crash (one kept, the other "
                            "not). Use one `with db:` block for both.")  # fmt: skip
        for message_id, record in (("shop:1", FIRST), ("shop:2", AGAIN), ("shop:3", OTHER)):
            self._call(apply, db, message_id, record)
        effects, _ = self._read(path)
        if effects.count(FIRST) > 1:
            raise Incorrect(f"we applied shop:1 twice; effects holds {effects}: skip a "
                            "message whose id is in seen already.")  # fmt: skip
        if effects != [FIRST, AGAIN, OTHER]:
            raise Incorrect(f"we applied shop:1, shop:1 again, shop:2, then shop:3 (a new "
                            f"message for the same key, order-1); effects holds {effects}, "
                            f"not {[FIRST, AGAIN, OTHER]}. Compare message ids, not "
                            "records or keys.")  # fmt: skip

    def _call(self, apply, db, message_id, record):
        try:
            result = apply(db, message_id, record)
            self.expect_attempted(result)
            expect_value(f"apply_each_once(db, {message_id!r}, {record})", result)
        except sqlite3.IntegrityError as error:
            raise Incorrect(f"on a second copy of {message_id} (delivered again, as at-least-"
                            f"once delivery may) it raised {error!r}: the id is in seen "
                            "already. Recognise the copy and skip it, instead of inserting "
                            "its id again.") from error  # fmt: skip
        except sqlite3.Error as error:
            raise Incorrect(f"apply_each_once(db, {message_id!r}, {record}) raised {error!r}; "
                            "the tables are effects and seen (message_id).") from error  # fmt: skip

    @staticmethod
    def _read(path):
        with sqlite3.connect(path) as other:
            return (other.execute("SELECT * FROM effects ORDER BY rowid").fetchall(),
                    other.execute("SELECT * FROM seen").fetchall())  # fmt: skip


class LosingPoint(Problem):
    title = "q2, the crash point that loses a message"
    hints = (
        "Section 1 (Crash points): the table's column (a), and the notes below it.",
        "Loss needs two things: the producer no longer sends it (it was told 'kept'), and "
        "nobody else has it yet (the consumer has not received it).",
        "The hub has committed it (in memory: stored it) and answered the producer, and has "
        "not emitted it yet.",
    )
    solution = """
q2.check(3)
"""
    why = """
At point 3 the producer has been told "kept", so it will not send the message again; the
only copy is in the hub's memory, and the hub dies. On SQLite the copy survives in the file.
"""
    reasons = {
        1: "the hub died before it told the producer 'kept', so the producer sent it again.",
        2: "the hub had not yet told the producer 'kept', so the producer sent it again.",
        4: "the consumer already had the message when the hub died.",
        5: "the consumer died, not the hub: the hub still held the message, and sent it again.",
        6: "the consumer died after its effect: the hub sent it again (a duplicate, not a loss).",
        7: "the acknowledgement had reached the hub: the effect was done, once.",
        8: "the acknowledgement was stored: the effect was done, once.",
    }

    def verify(self, point):
        self.expect_attempted(point)
        if isinstance(point, bool) or point not in crash_points.POINTS:
            kind = "" if isinstance(point, int) else f" (a {type(point).__name__})"
            raise Incorrect(f"you gave {point!r}{kind}: answer with one point number, the int "
                            "1 to 8, without quotes.")  # fmt: skip
        run = crash_points.run(point, "a", name=f"q2-{point}")
        said = (f"we killed the {run.killed} at point {point} "
                f"({crash_points.POINTS[point][1]}); check says: {run.report}")  # fmt: skip
        if run.outcome != "lost":
            raise Incorrect(f"{said}: {run.outcome}. Why: {self.reasons[point]}")
        return f"{said}."


q1 = Exercise(ApplyOnce())
q2 = Exercise(LosingPoint())

__all__ = ["q1", "q2", "q3"]
