"""The queue page's figures: calls due, made and overdue today; this month's reach rate,
satisfaction rate and complaints found, by kind and by consultant or advisor.

Made: calls with an outcome recorded in the period (unreachable ones included).
Reached: the customer answered (satisfied, still unhappy, a complaint found, or asked not
to be called). Reach rate: reached / made. Satisfaction rate: satisfied / reached.
Each figure is one aggregate query on an index, not a walk over the calls.
"""
from peewee import SQL, fn

from models import Bound, Call, User, kept_shapes, one_row

REACHED = ("satisfied", "unhappy", "complaint", "do_not_call")


def today(seen, shape, user_id, start, end, now):
    """Counts for today (start..end) over the calls a person may see: `seen(shape, user)` is the
    condition for them (views/callbacks.py: calls_seen), kept as a statement for each shape."""
    return _today(seen, shape).first(user=user_id, start=start, end=end, now=now)


@kept_shapes
def _today(seen, shape):
    calls = seen(shape, Bound("user"))
    start, end = Bound("start"), Bound("end")
    counts = {"due": (Call.status == "open") & (Call.due_at >= start) & (Call.due_at < end),
              "overdue": (Call.status == "open") & (Call.due_at < Bound("now")),
              "made": (Call.called_at >= start) & (Call.called_at < end)}
    return one_row(**{name: Call.select(fn.COUNT(SQL("*"))).where(_and(calls, condition))
                      for name, condition in counts.items()})


def month(seen, shape, user_id, start, end):
    """[(group, made, reached, satisfied, complaints)] by kind and by the person who owns the calls:
    one query counts them by both, kind and owner (kept for each shape); the kinds' rows and the
    owners' are its sums."""
    by_kind, by_owner = {}, {}
    for kind, owner, *figures in _month(seen, shape)(user=user_id, start=start, end=end):
        _add(by_kind, kind, figures)
        if owner is not None:
            _add(by_owner, owner, figures)
    names = User.names_of(by_owner)
    return {"by_kind": [_rates(kind, *by_kind[kind]) for kind in sorted(by_kind)],
            "by_owner": [_rates(owner, *by_owner[owner], name=names.get(owner, "")) for owner in sorted(by_owner)],
            "total": _rates(None, *[sum(row[i] for row in by_kind.values()) for i in range(4)])}


@kept_shapes
def _month(seen, shape):
    made = (Call.called_at >= Bound("start")) & (Call.called_at < Bound("end")) & (Call.status != "cancelled")
    reached = fn.SUM(Call.status.in_(REACHED).cast("integer"))
    satisfied = fn.SUM((Call.status == "satisfied").cast("integer"))
    complaints = fn.SUM((Call.status == "complaint").cast("integer"))
    return (Call.select(Call.kind, Call.owner, fn.COUNT(Call.id), reached, satisfied, complaints)
            .where(_and(seen(shape, Bound("user")), made)).group_by(Call.kind, Call.owner).tuples())


def _and(seen, condition):
    return condition if seen is None else (seen & condition)


def _add(groups, key, figures):
    totals = groups.setdefault(key, [0, 0, 0, 0])
    for i, value in enumerate(figures):
        totals[i] += int(value or 0)


def _rates(group, made, reached, satisfied, complaints, name=""):
    made, reached, satisfied, complaints = (int(x or 0) for x in (made, reached, satisfied, complaints))
    return {"group": group, "name": name, "made": made, "reached": reached, "satisfied": satisfied,
            "complaints": complaints, "reach_rate": reached / made if made else None,
            "satisfaction_rate": satisfied / reached if reached else None}
