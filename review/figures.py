"""The figures of a period (a month, a quarter, any range of days), as the policy's
monthly review and the manufacturer's two indicators ask for them.

Every figure is judged as at the end of the period, from times the app keeps (when a
deadline was met, when it fell due, when a complaint closed), so the same period gives
the same numbers tomorrow. The one exception is a recorded change to a deadline (an
extension, a reclassification), which moves the deadline in force; the figures then
also show the rate against the original deadline.

Definitions (the report page states them beside each figure):
- A deadline is *judged* when it was met by the period's end, or was still running and
  already past due then (late whatever happens next). A deadline not yet due at the end,
  paused at the end, or stopped because the complaint was closed with a reason, is
  neither on time nor late. A reopened complaint's second completion deadline is a
  deadline of its own.
- Timely response rate: first-contact deadlines of the period's complaints met on time,
  of those judged. Timely completion rate: the same for completion deadlines.
- Repeat rate: the period's complaints that repeat an earlier one (same phone or VIN
  within the repeat window) or were reopened by the period's end, of all the period's.
- Times to first contact and to close are in working hours (opening time only); a
  closing is a "close with a reason" or a callback that did not find the customer unhappy.
- Compensation: the period's complaints whose solution was recorded by the period's end,
  by type, at the cost the solution records.
- Improvement actions: created, done, verified effective and verified not effective in the
  period; late at its end (open then and past their due time).
"""
import math
from collections import Counter
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from peewee import Case, Value, fn

from models import Action, Clock, CompensationItem, Complaint, Event

DIMENSIONS = ("category", "cause_class", "department_id", "handler_id", "severity", "channel", "business_line")

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    on_time: int
    judged: int

    @property
    def percent(self):
        return None if not self.judged else round(100 * self.on_time / self.judged, 1)


def bounds(first, last, calendar):
    """The period's first and last local days as [start, end) in naive UTC."""
    return calendar.at(first, time(0, 0)), calendar.at(last + timedelta(days=1), time(0, 0))


def judged(received, end, by=None):
    """{(kind, group): (rate against the deadline in force, rate against the original one, how
    many were extended)} for the first-contact and completion deadlines of the complaints of
    `received` (a query of their ids), judged as at `end`, counted in the database; `by` is a
    Complaint column to group them by (department, handler), else the group is None."""
    met = Clock.met_at.is_null(False) & (Clock.met_at < end)
    counted = Case(None, [
        (met, 1),
        # closed with a reason before it was met: neither on time nor late
        (Clock.stopped_at.is_null(False) & (Clock.stopped_at < end), 0),
        # waiting (parts, the customer) at the period's end: its deadline has not run out
        (Clock.paused_since.is_null(False) & (Clock.paused_since < end), 0),
        (Clock.due_at < end, 1)], 0)  # still running and already late
    on_time = Case(None, [(met & (Clock.met_at <= Clock.due_at), 1)], 0)
    on_time_original = Case(None, [(met & (Clock.met_at <= Clock.original_due_at), 1)], 0)
    extended = Case(None, [(Clock.due_at != Clock.original_due_at, 1)], 0)
    group = by if by is not None else Value(None)
    query = (Clock.select(Clock.kind, group, fn.SUM(on_time), fn.SUM(on_time_original), fn.SUM(counted),
                          fn.SUM(extended))
             .where(Clock.complaint.in_(received) & Clock.kind.in_(("first_contact", "completion")))
             .group_by(Clock.kind, *([by] if by is not None else [])))  # (PostgreSQL groups by no constant)
    if by is not None:
        query = query.join(Complaint)
    return {(kind, owner): (Rate(int(good or 0), int(total or 0)), Rate(int(original or 0), int(total or 0)),
                            int(moved or 0))
            for kind, owner, good, original, total, moved in query.tuples()}


NO_RATE = (Rate(0, 0), Rate(0, 0), 0)


def percentile(values, share):
    """The nearest-rank percentile (90th: the value 90 % of the cases stay within)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _times(values):
    return {"count": len(values), "average": round(sum(values) / len(values), 1) if values else None,
            "p90": round(percentile(values, 0.9), 1) if values else None}


# What the figures read, as plain rows (a model object per row costs more than the query).
COMPLAINT_COLUMNS = (Complaint.id, Complaint.received_at, Complaint.first_contact_at,
                     Complaint.repeat_of.alias("repeat_of_id"), Complaint.category, Complaint.cause_class,
                     Complaint.department.alias("department_id"), Complaint.handler.alias("handler_id"),
                     Complaint.severity, Complaint.channel, Complaint.business_line)


def period_figures(first, last, calendar, per_owner=True):
    """All the figures of the local days first..last, as at the end of `last` (with the rates
    per department and per handler unless per_owner is false: the periods compared need none)."""
    return {**complaint_figures(first, last, calendar, per_owner), "actions": action_figures(first, last, calendar)}


def action_figures(first, last, calendar):
    """The improvement-action counts of the period (actions are not complaints: no event marks their changes)."""
    start, end = bounds(first, last, calendar)
    counts = Action.select(*(fn.COUNT(Case(None, [(where(start, end), 1)])) for where in ACTION_MEASURES.values()))
    return dict(zip(ACTION_MEASURES, (int(n or 0) for n in counts.tuples().get()), strict=True))


def complaint_figures(first, last, calendar, per_owner=True):
    """The figures read from the complaints, their deadlines and their timelines."""
    start, end = bounds(first, last, calendar)
    received = (Complaint.received_at >= start) & (Complaint.received_at < end)
    complaints = list(Complaint.select(*COMPLAINT_COLUMNS).where(received).namedtuples())
    # The period's complaints as a subquery: a list of thousands of ids costs more to send than to find.
    ids = Complaint.select(Complaint.id).where(received)
    rates = judged(ids, end)
    (response, response_original, extended_first), (completion, completion_original, extended_completion) = (
        rates.get((kind, None), NO_RATE) for kind in ("first_contact", "completion"))
    reopened = _reopened_by(ids, end)
    contact_hours = [calendar.working_hours_between(c.received_at, c.first_contact_at) for c in complaints
                     if c.first_contact_at is not None and c.first_contact_at < end]
    closed = _closings(start, end)
    compensation = dict(  # what was approved by the period's end, by kind
        CompensationItem.select(CompensationItem.kind, fn.SUM(CompensationItem.amount))
        .where(CompensationItem.complaint.in_(ids) & (CompensationItem.status == "approved")
               & (CompensationItem.decided_at < end) & CompensationItem.amount.is_null(False))
        .group_by(CompensationItem.kind).tuples())
    return {
        "received": len(complaints),
        "departments": _per(complaints, ids, end, "department_id", Complaint.department) if per_owner else {},
        "handlers": _per(complaints, ids, end, "handler_id", Complaint.handler) if per_owner else {},
        "by": {name: Counter(getattr(c, name) for c in complaints) for name in DIMENSIONS},
        "response": response, "response_original": response_original,
        "completion": completion, "completion_original": completion_original,
        "extended": extended_first + extended_completion,
        "repeat": Rate(sum(1 for c in complaints if c.repeat_of_id or c.id in reopened), len(complaints)),
        "callbacks": _callbacks(start, end),
        "to_first_contact": _times(contact_hours),
        "to_close": _times([calendar.working_hours_between(received, at) for received, at in closed]),
        "closed": len(closed),
        "compensation": {kind: Decimal(str(total)).quantize(CENT) for kind, total in compensation.items()},
        **_open_at(end),
    }


def _actions_late_at(start, end):
    """Open at `end` (made before it, not done by it) and already past their due time."""
    return (Action.created_at < end) & (Action.due_at < end) & (Action.done_at.is_null() | (Action.done_at >= end))


# The improvement-action figures, each the condition of the list the action page shows for it
# (views/improvements.py); the review counts all five in one statement.
ACTION_MEASURES = {
    "created": lambda start, end: (Action.created_at >= start) & (Action.created_at < end),
    "done": lambda start, end: (Action.done_at >= start) & (Action.done_at < end),
    "effective": lambda start, end: (
        (Action.verified_at >= start) & (Action.verified_at < end) & (Action.status == "effective")),
    "ineffective": lambda start, end: (
        (Action.verified_at >= start) & (Action.verified_at < end) & (Action.status == "ineffective")),
    "late_at_end": _actions_late_at,
}


def _per(complaints, ids, end, dimension, column):
    """{department or handler id: received, and the two timely rates} (seed 003 §2.5: per department)."""
    received = Counter(getattr(c, dimension) for c in complaints)
    rates = judged(ids, end, by=column)
    return {owner: {"received": count, "response": rates.get(("first_contact", owner), NO_RATE)[0],
                    "completion": rates.get(("completion", owner), NO_RATE)[0]}
            for owner, count in sorted(received.items(), key=lambda item: (item[0] is None, item[0]))}


# Recorded changes that move a past period's figures, and the figures they move.
MOVING_FIELDS = {"category": ("category", "rates"), "severity": ("severity", "rates"), "channel": ("channel",),
                 "business_line": ("business_line",), "department": ("department_id",), "handler": ("handler_id",),
                 "cause_class": ("cause_class",), "compensation_type": ("compensation",),
                 "compensation_cost": ("compensation",)}


def moved_since(first, last, calendar, limit=20):
    """{figure: [complaint numbers]}: the period's complaints changed after its end in a way that
    moves its figures (a deadline extended or set, a reclassification, another department or
    handler, another cause, another compensation), so the report can say which figure moved and why."""
    start, end = bounds(first, last, calendar)
    events = (Event.select(Event.kind, Event.data, Complaint.number).join(Complaint)
              .where((Complaint.received_at >= start) & (Complaint.received_at < end) & (Event.at >= end)
                     & Event.kind.in_(("set_deadline", "edit", "assign", "dispatch", "findings", "solution",
                                       "compensate", "approve_compensation")))
              .order_by(Event.at))
    moved = {}
    for e in events:
        figures = {"rates"} if e.kind == "set_deadline" else set()
        for field in e.payload.get("changes", {}):
            figures.update(MOVING_FIELDS.get(field, ()))
        for figure in figures:
            numbers = moved.setdefault(figure, [])
            if e.complaint.number not in numbers and len(numbers) < limit:
                numbers.append(e.complaint.number)
    return moved


def _reopened_by(ids, end):
    """The complaints (of `ids`) reopened before `end`: by a reopen, or still unhappy at the callback."""
    events = Event.select(Event.complaint, Event.kind, Event.data).where(
        Event.complaint.in_(ids) & (Event.at < end) & Event.kind.in_(("reopen", "callback")))
    return {e.complaint_id for e in events if e.kind == "reopen" or e.payload.get("outcome") == "unhappy"}


def _closings(start, end):
    """[(received, closed)] for each closing in the period, read from the timeline (a complaint
    reopened since has lost its closing time, not its closing)."""
    events = (Event.select(Event.at, Event.kind, Event.data, Complaint.received_at).join(Complaint)
              .where((Event.at >= start) & (Event.at < end) & Event.kind.in_(("close", "callback"))))
    return [(e.complaint.received_at, e.at) for e in events
            if e.kind == "close" or e.payload.get("outcome") != "unhappy"]


def _callbacks(start, end):
    """Closing callbacks made in the period: how many found the customer satisfied."""
    events = list(Event.select(Event.data).where((Event.kind == "callback") & (Event.at >= start) & (Event.at < end)))
    return Rate(sum(1 for e in events if e.payload.get("outcome") == "satisfied"), len(events))


def _open_at(end):
    """Complaints open at the period's end, and how many of them had a deadline already late."""
    maybe_open = _not_closed_at(end)
    # Closing sets closed_at and reopening clears it, so a complaint closed before the end and
    # reopened since shows no closing time now: its events say how it stood at the end.
    reopened_since = [id_ for (id_,) in _not_closed_at(end, Complaint.reopen_count > 0).tuples()]
    closed_then = _closed_by_events(reopened_since, end)
    late = {id_ for (id_,) in Clock.select(Clock.complaint).distinct().where(
        Clock.complaint.in_(maybe_open) & (Clock.due_at < end)
        & (Clock.met_at.is_null() | (Clock.met_at >= end))
        & (Clock.stopped_at.is_null() | (Clock.stopped_at >= end))
        & (Clock.paused_since.is_null() | (Clock.paused_since >= end))).tuples()}
    return {"open_at_end": maybe_open.count() - len(closed_then), "overdue_at_end": len(late - closed_then)}


def _not_closed_at(end, *also):
    """Ids of the complaints received before `end` with no closing time before it: the open ones
    and those closed later, as two ranges of one index (closed_at first). Asked as one OR, the
    database read every complaint ever received before the end (100,000 at a large dealership),
    three times per period."""
    received = Complaint.received_at < end
    return (Complaint.select(Complaint.id).where(Complaint.closed_at.is_null(), received, *also)
            + Complaint.select(Complaint.id).where(Complaint.closed_at >= end, received, *also))


def _closed_by_events(ids, end):
    """Of `ids`, those whose last closing or reopening step before `end` closed them."""
    state = {}
    if ids:
        for e in (Event.select(Event.complaint, Event.kind, Event.data)
                  .where(Event.complaint.in_(ids) & (Event.at < end) & Event.kind.in_(("close", "callback", "reopen")))
                  .order_by(Event.at, Event.id)):
            closing = e.kind == "close" or (e.kind == "callback" and e.payload.get("outcome") != "unhappy")
            state[e.complaint_id] = closing
    return {complaint for complaint, closed in state.items() if closed}


def month_rates(first, last, calendar):
    """(received, response Rate, completion Rate) of the days first..last as at their end: the
    trend chart's point for a month, the same figures period_figures gives."""
    start, end = bounds(first, last, calendar)
    received = Complaint.select(Complaint.id).where((Complaint.received_at >= start) & (Complaint.received_at < end))
    rates = judged(received, end)
    return (received.count(), rates.get(("first_contact", None), NO_RATE)[0],
            rates.get(("completion", None), NO_RATE)[0])


def trend(last_month_first, calendar, months=12):
    """[(month's first day, received, response Rate, completion Rate)] for the months ending with the given one."""
    points, first = [], last_month_first
    for _ in range(months):
        points.append((first, *month_rates(first, month_end(first), calendar)))
        first = (first - timedelta(days=1)).replace(day=1)
    return points[::-1]


def month_end(first):
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
