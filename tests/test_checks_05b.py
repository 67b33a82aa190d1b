"""The checkers of notebook 05b: untouched, wrong and right answers, as data.

Each row is (answer, expected verdict, words the message must contain). The wrong
answers are the slips learners make: no id kept, the id and the effect in two
transactions, nothing committed, ids compared by key; a point where the hub was not the
one killed. Every verdict past the direct calls comes from real processes killed.
"""

import pytest
from solutions import solution_answer

from labsupport.exercises import ex05b
from labsupport.exercises.checks import ____, verdict


def untouched(db, message_id, record):
    return ____


def no_id_kept(db, message_id, record):
    with db:
        db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def id_kept_never_checked(db, message_id, record):
    with db:
        db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,))
        db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def both_inserted_unchecked(db, message_id, record):
    with db:  # the learner's most common first try: one transaction, but no check
        db.execute("INSERT INTO seen VALUES (?)", (message_id,))
        db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def two_transactions(db, message_id, record):
    with db:
        new = db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,)).rowcount
    if new:
        with db:
            db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def never_committed(db, message_id, record):
    if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,)).rowcount:
        db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def by_key(db, message_id, record):
    with db:
        if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (record[2],)).rowcount:
            db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


HELPER = "INSERT INTO effects VALUES (?, ?, ?)"  # a notebook name the process cannot see


def uses_a_notebook_name(db, message_id, record):
    with db:
        if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,)).rowcount:
            db.execute(HELPER, record)


CASES = [
    (ex05b.q1, untouched, "not attempted", "____"),
    (ex05b.q1, ____, "not attempted", "____"),
    (ex05b.q1, no_id_kept, "incorrect", "nothing was recorded in seen"),
    (ex05b.q1, both_inserted_unchecked, "incorrect", "on a second copy of shop:1"),
    (ex05b.q1, id_kept_never_checked, "incorrect", "shop:1 twice"),
    (ex05b.q1, two_transactions, "incorrect", "committed 2 times"),
    (ex05b.q1, never_committed, "incorrect", "is the effect committed"),
    (ex05b.q1, by_key, "incorrect", "not the record or its key"),
    (ex05b.q1, uses_a_notebook_name, "incorrect", "sqlite3 only"),
    (ex05b.q1, solution_answer(ex05b.q1.problem), "correct", "points 4 and 6"),
    (ex05b.q2, ____, "not attempted", "____"),
    (ex05b.q2, 9, "incorrect", "1 to 8"),
    (ex05b.q2, "3", "incorrect", "you gave '3' (a str)"),
    (ex05b.q2, True, "incorrect", "1 to 8"),
    (ex05b.q2, 1, "incorrect", "sent it again"),
    (ex05b.q2, 4, "incorrect", "already had the message"),
    (ex05b.q2, 6, "incorrect", "duplicated"),
    (ex05b.q2, 8, "incorrect", "exactly once"),
    (ex05b.q2, solution_answer(ex05b.q2.problem), "correct", "1 lost"),
]


@pytest.mark.parametrize("exercise, answer, outcome, words", CASES)
def test_notebook_05b_checkers(exercise, answer, outcome, words):
    got, text = verdict(exercise.problem, answer)
    assert (got, words in text) == (outcome, True), text
