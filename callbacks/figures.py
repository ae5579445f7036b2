"""The queue page's figures: calls due, made and overdue today; this month's reach rate,
satisfaction rate and complaints found, by kind and by consultant or advisor.

Made: calls with an outcome recorded in the period (unreachable ones included).
Reached: the customer answered (satisfied, still unhappy, a complaint found, or asked not
to be called). Reach rate: reached / made. Satisfaction rate: satisfied / reached.
Each figure is one aggregate query on an index, not a walk over the calls.
"""
from peewee import fn

from models import Call, User

REACHED = ("satisfied", "unhappy", "complaint", "do_not_call")


def today(calls, start, end, now):
    """Counts for today (start..end) over the calls a person may see."""
    open_calls = calls.where(Call.status == "open")
    return {
        "due": open_calls.where((Call.due_at >= start) & (Call.due_at < end)).count(),
        "overdue": open_calls.where(Call.due_at < now).count(),
        "made": calls.where((Call.called_at >= start) & (Call.called_at < end)).count(),
    }


def month(calls, start, end):
    """[(group, made, reached, satisfied, complaints)] by kind and by the person who owns the calls."""
    made = calls.where((Call.called_at >= start) & (Call.called_at < end) & (Call.status != "cancelled"))
    reached = fn.SUM(Call.status.in_(REACHED).cast("integer"))
    satisfied = fn.SUM((Call.status == "satisfied").cast("integer"))
    complaints = fn.SUM((Call.status == "complaint").cast("integer"))
    by_kind = list(made.select(Call.kind, fn.COUNT(Call.id), reached, satisfied, complaints)
                   .group_by(Call.kind).order_by(Call.kind).tuples())
    by_owner = list(made.select(Call.owner, fn.COUNT(Call.id), reached, satisfied, complaints)
                    .where(Call.owner.is_null(False)).group_by(Call.owner).tuples())
    names = {u.id: u.display_name for u in User.select(User.id, User.display_name)
             .where(User.id.in_([row[0] for row in by_owner] or [0]))}
    return {"by_kind": [_rates(kind, *rest) for kind, *rest in by_kind],
            "by_owner": [_rates(owner, *rest, name=names.get(owner, "")) for owner, *rest in by_owner],
            "total": _rates(None, *[sum(row[i] or 0 for row in by_kind) for i in range(1, 5)])}


def _rates(group, made, reached, satisfied, complaints, name=""):
    made, reached, satisfied, complaints = (int(x or 0) for x in (made, reached, satisfied, complaints))
    return {"group": group, "name": name, "made": made, "reached": reached, "satisfied": satisfied,
            "complaints": complaints, "reach_rate": reached / made if made else None,
            "satisfaction_rate": satisfied / reached if reached else None}
