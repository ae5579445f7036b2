"""The owner's overdue wall: one row per late complaint, the worst first, counts by
department and handler on top; it refreshes itself and reads the same at 10 or 5,000."""
from collections import Counter
from datetime import timedelta

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import fn

from deadlines import calendar_days
from models import Clock, Complaint, Department, Event, User, db, utcnow
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
    late = late_complaints(now)
    complaints = worst_first(late, SHOWN)
    today_ends = calendar.midnight_after(now)
    by_place = Counter((department, handler) for _id, _severity, department, handler, _worst in late)
    counts = {"overdue": len(late), "due_today": _due_between(now, today_ends),
              "due_tomorrow": _due_between(today_ends, today_ends + timedelta(days=1))}
    return render("overdue/board.html", "overdue/_board.html", complaints=complaints, counts=counts,
                  late_clocks=_late_clocks([c.id for c in complaints], now), summary=_summary(by_place),
                  remedial=_last_remedial([c.id for c in complaints]), now=now,
                  missing=calendar_days.missing_years(calendar.local_day(now)))


def _late(now):
    """Open, running clocks past their deadline."""
    return (Clock.met_at.is_null() & Clock.stopped_at.is_null() & Clock.paused_since.is_null()
            & (Clock.due_at < now))


def late_complaints(now):
    """[(id, severity, department id, handler id, earliest late deadline)] of every late complaint,
    read in one pass off two covering indexes (clock_running_due, complaint_board_row); the ranking
    and the summary both come from it. Two grouped queries, one to rank and one to count, each read
    every late clock and its complaint's row: 40 ms at 5,000 late. The rows are fetched raw and
    reduced here: peewee's conversion of 5,000 rows, and SQLite's grouping, each cost more than
    reading them. The earliest deadline is compared, never shown."""
    earliest = {}
    for complaint_id, severity, department, handler, due_at in db.execute(
            Clock.select(Clock.complaint, Complaint.severity, Complaint.department, Complaint.handler, Clock.due_at)
            .join(Complaint, on=(Clock.complaint == Complaint.id))
            .where(_late(now))):
        found = earliest.get(complaint_id)
        if found is None or due_at < found[4]:
            earliest[complaint_id] = (complaint_id, severity, department, handler, due_at)
    return list(earliest.values())


def worst_first(late, limit):
    """The shown rows of the late complaints: major first, then the longest late. Only those
    rows are read whole, with their department and handler."""
    ranked = [row[0] for row in sorted(late, key=lambda row: (SEVERITY_ORDER.get(row[1], 9), row[4], row[0]))[:limit]]
    rows = {c.id: c for c in with_people(Complaint.select().where(Complaint.id.in_(ranked or [0])))}
    return [rows[complaint_id] for complaint_id in ranked]


def _summary(by_place):
    """Late complaints per department and per handler, most first, with their names."""
    departments, handlers = Counter(), Counter()
    for (department, handler), n in by_place.items():
        departments[department] += n
        handlers[handler] += n
    names = {d.id: d.label for d in Department.select().where(Department.id.in_([d for d in departments if d]))}
    people = {u.id: u.display_name for u in User.select().where(User.id.in_([h for h in handlers if h]))}
    return {"departments": _most_first(departments, names), "handlers": _most_first(handlers, people)}


def _most_first(counts, names):
    """[(name, late)], most late first, then by name: the wall keeps its order from one minute to the next."""
    return sorted(((names.get(key), n) for key, n in counts.items()), key=lambda pair: (-pair[1], pair[0] or ""))


def _late_clocks(complaint_ids, now):
    """{complaint id: [its late clocks, longest late first]} for the rows shown (one query)."""
    found = {}
    for clock in (Clock.select().where(Clock.complaint.in_(complaint_ids or [0]) & _late(now))
                  .order_by(Clock.due_at)):
        found.setdefault(clock.complaint_id, []).append(clock)
    return found


def _due_between(start, end):
    return (Clock.select(fn.COUNT(fn.DISTINCT(Clock.complaint)))
            .where(Clock.met_at.is_null(), Clock.stopped_at.is_null(), Clock.due_at >= start, Clock.due_at < end)
            .scalar())


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
