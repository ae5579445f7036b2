"""The owner's overdue wall: one row per late complaint, the worst first, counts by
department and handler on top; it refreshes itself and reads the same at 10 or 5,000."""
from collections import Counter
from datetime import timedelta

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import SQL, Case, fn

from deadlines import calendar_days
from models import Bound, Clock, Complaint, Department, Event, User, db, kept, one_row, utcnow
from views import current_calendar, deny, render
from views.inbox import with_people

bp = Blueprint("overdue", __name__)
SEVERITY_ORDER = {"major": 0, "intermediate": 1, "irrational": 2, "general": 3}
# The rows a wall can show and a person can read; the rest are counted and a click away.
SHOWN = 60


def can_see_board(user):
    return user.has_role("general_manager", "care_manager")


@bp.get("/overdue")
@login_required
def board():
    """Late complaints, worst first, with their late deadlines; the page polls itself."""
    if not can_see_board(current_user):
        deny(404)
    now, calendar = utcnow(), current_calendar()
    complaints = worst_first(now, SHOWN)
    today_ends = calendar.midnight_after(now)
    by_place = late_by_place(now)
    counts = {"overdue": sum(by_place.values()),
              **_due_soon.first(now=now, today_ends=today_ends, tomorrow_ends=today_ends + timedelta(days=1))}
    return render("overdue/board.html", "overdue/_board.html", complaints=complaints, counts=counts,
                  late_clocks=_late_clocks([c.id for c in complaints], now), summary=_summary(by_place),
                  remedial=_last_remedial([c.id for c in complaints]), now=now,
                  missing=calendar_days.missing_years(calendar.local_day(now)))


def _late(now):
    """Open, running clocks past their deadline."""
    return (Clock.met_at.is_null() & Clock.stopped_at.is_null() & Clock.paused_since.is_null()
            & (Clock.due_at < now))


def _late_complaints(now):
    """Complaints with a running deadline passed: each complaint keeps its earliest running
    deadline (running_due_at), so the wall reads one index (complaint_running_due) and no clock."""
    return Complaint.running_due_at < now


def late_by_place(now):
    """{(department id, handler id): late complaints}: counted by the database off the index."""
    return {(department, handler): n for department, handler, n in db.execute(
        Complaint.select(Complaint.department, Complaint.handler, fn.COUNT(SQL("*")))
        .where(_late_complaints(now)).group_by(Complaint.department, Complaint.handler))}


def worst_first(now, limit):
    """The shown rows of the late complaints: major first, then the longest late. The database
    ranks them off the index and keeps the first `limit`; only those rows are read whole."""
    severity = Case(Complaint.severity, list(SEVERITY_ORDER.items()), len(SEVERITY_ORDER))
    ranked = [complaint_id for complaint_id, in db.execute(
        Complaint.select(Complaint.id).where(_late_complaints(now))
        .order_by(severity, Complaint.running_due_at, Complaint.id).limit(limit))]
    rows = {c.id: c for c in with_people(Complaint.select().where(Complaint.id.in_(ranked or [0])))}
    return [rows[complaint_id] for complaint_id in ranked]


def _summary(by_place):
    """Late complaints per department and per handler, most first, with their names."""
    departments, handlers = Counter(), Counter()
    for (department, handler), n in by_place.items():
        departments[department] += n
        handlers[handler] += n
    # (translated once here: sorting compared the lazy labels, translating them at each comparison)
    # (ids, codes and names alone: whole departments, with whole users, cost the wall a millisecond)
    names = {id_: str(Department.label_of(code, name)) for id_, code, name in Department.select(
        Department.id, Department.code, Department.name).where(Department.id.in_([d for d in departments if d]))
        .tuples()}
    return {"departments": _most_first(departments, names), "handlers": _most_first(handlers, User.names_of(handlers))}


def _most_first(counts, names):
    """[(name, late)], most late first, then by name: the wall keeps its order from one minute to the next."""
    return sorted(((names.get(key), n) for key, n in counts.items()), key=lambda pair: (-pair[1], pair[0] or ""))


def _late_clocks(complaint_ids, now):
    """{complaint id: [its late clocks, longest late first]} for the rows shown (one query)."""
    found = {}
    # (the kind and the deadline only, as plain rows: a whole Clock per late deadline cost a tenth of the wall)
    for clock in (Clock.select(Clock.complaint, Clock.kind, Clock.due_at)
                  .where(Clock.complaint.in_(complaint_ids or [0]) & _late(now)).order_by(Clock.due_at).namedtuples()):
        found.setdefault(clock.complaint, []).append(clock)
    return found


def _due_between(start, end):
    """The count of complaints with a running deadline falling due from `start` until `end` (a query)."""
    return (Clock.select(fn.COUNT(fn.DISTINCT(Clock.complaint)))
            .where(Clock.met_at.is_null(), Clock.stopped_at.is_null(), Clock.due_at >= start, Clock.due_at < end))


# The wall's "due today" and "due tomorrow" in one statement, written once (models.kept).
_due_soon = kept(lambda: one_row(due_today=_due_between(Bound("now"), Bound("today_ends")),
                                 due_tomorrow=_due_between(Bound("today_ends"), Bound("tomorrow_ends"))))


def _last_remedial(complaint_ids):
    """The latest remedial action recorded on each listed complaint (one query). Unordered: an
    ORDER BY id made SQLite walk all the timeline's events in id order instead of reading the
    listed complaints' own off their index (91 ms against 7 ms at 790,000 events)."""
    found = {}
    events = Event.select().where(Event.complaint.in_(complaint_ids or [0]), Event.kind == "remedial")
    for event in events:
        if event.complaint_id not in found or (event.at, event.id) > (found[event.complaint_id].at,
                                                                       found[event.complaint_id].id):
            found[event.complaint_id] = event
    return found
