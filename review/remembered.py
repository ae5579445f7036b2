"""A period's figures, remembered until the register changes.

The review page computes three periods' figures and twelve months of rates: it reads every
complaint of the three periods, the clocks of every complaint open at their ends and a year of
deadlines (375 ms at 100,000 complaints, each time the page opened or a care manager went back
to it). Those figures depend on nothing but what the register holds and the working calendar:
each is judged as at its period's end, never as at now. And every change to a complaint, its
deadlines or its compensation writes an event in the same transaction (DESIGN.md §2). So the
newest event's id marks the register's state: figures computed at that mark stay right until
a newer event commits, and the next request then computes them again.

Improvement actions are not complaints and write no events: their counts are read every time
(about a millisecond). The calendar is part of what a figure is remembered under, so a changed
opening time or holiday recomputes the working hours at once. As a safety net, nothing is
kept longer than LIFETIME.
"""
import threading
import time
from collections import OrderedDict

from flask import current_app, g
from peewee import PostgresqlDatabase, fn

from models import Event, db
from review import figures

KEPT = 48  # keys (a period and how it is asked for): a few months' comparisons, their trends and exports
LIFETIME = 600  # seconds


class Remembered:
    """What one app computed, by key; thread-safe (a web process serves several requests at once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kept = OrderedDict()  # key: (when computed, value)

    def get(self, key, compute):
        now = time.monotonic()
        with self.lock:
            hit = self.kept.get(key)
            if hit and now - hit[0] < LIFETIME:
                self.kept.move_to_end(key)
                return hit[1]
        value = compute()  # (outside the lock: two requests may compute the same figures once each)
        with self.lock:
            self.kept[key] = (now, value)
            self.kept.move_to_end(key)
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)
        return value


def register_mark():
    """The newest event's id (0 in an empty register), or None when figures computed now must
    not be kept."""
    if isinstance(db.obj, PostgresqlDatabase):
        return _settled_mark()
    # SQLite has one writer at a time: events commit in the order of their ids.
    return Event.select(fn.MAX(Event.id)).scalar() or 0


def _settled_mark():
    """On PostgreSQL transactions commit in any order: while one that took an event's number is
    still in progress, a later one may have committed a higher number. So the newest id counts
    only when no other transaction that writes was in progress at the time (pg_stat_activity
    says), and none finished between the newest id's snapshot and the check (the snapshot is
    the same after it). What this cannot see: a transaction that took its event's number but
    had not yet begun to write it through the whole check (microseconds between the two in
    one INSERT); LIFETIME bounds that."""
    newest, before = db.execute_sql("SELECT (SELECT MAX(id) FROM event), pg_current_snapshot()::text").fetchone()
    writing = db.execute_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        " AND datname = current_database())").fetchone()[0]
    after = db.execute_sql("SELECT pg_current_snapshot()::text").fetchone()[0]
    return None if writing or after != before else (newest or 0)


def _remembered(key, compute):
    if "register_mark" not in g:  # once a page: it compares three periods and shows a trend
        g.register_mark = register_mark()
    mark = g.register_mark
    if mark is None:
        return compute()
    store = current_app.extensions.setdefault("remembered_figures", Remembered())
    return store.get((mark, *key), compute)


def period_figures(first, last, calendar, per_owner=True):
    """figures.period_figures, the complaints' part remembered, the actions' read now."""
    kept = _remembered(("period", first, last, per_owner, calendar),
                       lambda: figures.complaint_figures(first, last, calendar, per_owner))
    return {**kept, "actions": figures.action_figures(first, last, calendar)}


def trend(last_month_first, calendar):
    """figures.trend, remembered."""
    return _remembered(("trend", last_month_first, calendar), lambda: figures.trend(last_month_first, calendar))
