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
"""
import math
from collections import Counter
from dataclasses import dataclass
from datetime import time, timedelta

from models import Clock, Complaint, Event

DIMENSIONS = ("category", "cause_class", "department_id", "handler_id", "severity", "channel", "business_line")


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


def judge(clocks, end):
    """(rate against the deadline in force, rate against the original deadline)."""
    judged = on_time = on_time_original = 0
    for clock in clocks:
        met = clock.met_at if clock.met_at is not None and clock.met_at < end else None
        if met is None and clock.stopped_at is not None and clock.stopped_at < end:
            continue  # closed with a reason before it was met: neither on time nor late
        if met is None and clock.paused_since is not None and clock.paused_since < end:
            continue  # waiting (parts, the customer) at the period's end: its deadline has not run out
        if met is not None:
            judged += 1
            on_time += met <= clock.due_at
            on_time_original += met <= clock.original_due_at
        elif clock.due_at < end:
            judged += 1  # still running and already late
    return Rate(on_time, judged), Rate(on_time_original, judged)


def percentile(values, share):
    """The nearest-rank percentile (90th: the value 90 % of the cases stay within)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _times(values):
    return {"count": len(values), "average": round(sum(values) / len(values), 1) if values else None,
            "p90": round(percentile(values, 0.9), 1) if values else None}


def period_figures(first, last, calendar):
    """All the figures of the local days first..last, as at the end of `last`."""
    start, end = bounds(first, last, calendar)
    complaints = list(Complaint.select().where((Complaint.received_at >= start) & (Complaint.received_at < end)))
    ids = [c.id for c in complaints]
    clocks = list(Clock.select().where(Clock.complaint.in_(ids))) if ids else []
    by_kind = {kind: [c for c in clocks if c.kind == kind] for kind in ("first_contact", "completion")}
    response, response_original = judge(by_kind["first_contact"], end)
    completion, completion_original = judge(by_kind["completion"], end)
    reopened = _reopened_by(ids, end)
    contact_hours = [calendar.working_hours_between(c.received_at, c.first_contact_at) for c in complaints
                     if c.first_contact_at is not None and c.first_contact_at < end]
    closed = _closings(start, end)
    agreed = {e.complaint_id for e in Event.select(Event.complaint).where(
        Event.complaint.in_(ids) & (Event.kind == "solution") & (Event.at < end))} if ids else set()
    compensation = Counter()
    for c in complaints:  # as the solution stands now: a later change to it is a recorded event
        if c.id in agreed and c.compensation_type and c.compensation_cost is not None:
            compensation[c.compensation_type] += c.compensation_cost
    return {
        "received": len(complaints),
        "departments": _per_department(complaints, clocks, end),
        "by": {name: Counter(getattr(c, name) for c in complaints) for name in DIMENSIONS},
        "response": response, "response_original": response_original,
        "completion": completion, "completion_original": completion_original,
        "extended": sum(1 for c in clocks if c.due_at != c.original_due_at and c.kind in by_kind),
        "repeat": Rate(sum(1 for c in complaints if c.repeat_of_id or c.id in reopened), len(complaints)),
        "callbacks": _callbacks(start, end),
        "to_first_contact": _times(contact_hours),
        "to_close": _times([calendar.working_hours_between(received, at) for received, at in closed]),
        "closed": len(closed),
        "compensation": dict(compensation),
        **_open_at(end),
    }


def _per_department(complaints, clocks, end):
    """{department id: received, and the two timely rates} for the per-department report."""
    department_of = {c.id: c.department_id for c in complaints}
    result = {}
    for department in sorted(set(department_of.values()), key=lambda d: (d is None, d)):
        mine = [k for k in clocks if department_of[k.complaint_id] == department]
        result[department] = {
            "received": sum(1 for d in department_of.values() if d == department),
            "response": judge([k for k in mine if k.kind == "first_contact"], end)[0],
            "completion": judge([k for k in mine if k.kind == "completion"], end)[0]}
    return result


def _reopened_by(ids, end):
    """The complaints (of `ids`) reopened before `end`: by a reopen, or still unhappy at the callback."""
    if not ids:
        return set()
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
    maybe_open = Complaint.select(Complaint.id).where(
        (Complaint.received_at < end) & (Complaint.closed_at.is_null() | (Complaint.closed_at >= end)))
    # Closing sets closed_at and reopening clears it, so a complaint closed before the end and
    # reopened since shows no closing time now: its events say how it stood at the end.
    reopened_since = [id_ for (id_,) in maybe_open.where(Complaint.reopen_count > 0).tuples()]
    closed_then = _closed_by_events(reopened_since, end)
    late = {id_ for (id_,) in Clock.select(Clock.complaint).distinct().where(
        Clock.complaint.in_(maybe_open) & (Clock.due_at < end)
        & (Clock.met_at.is_null() | (Clock.met_at >= end))
        & (Clock.stopped_at.is_null() | (Clock.stopped_at >= end))
        & (Clock.paused_since.is_null() | (Clock.paused_since >= end))).tuples()}
    return {"open_at_end": maybe_open.count() - len(closed_then), "overdue_at_end": len(late - closed_then)}


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
