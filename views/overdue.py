"""The owner's overdue list: every late clock at a glance, refreshing itself."""
from datetime import timedelta
from itertools import groupby

from flask import Blueprint
from flask_login import current_user, login_required
from peewee import JOIN

from deadlines import calendar_days
from models import Clock, Complaint, Department, Event, User, utcnow
from views import current_calendar, deny, render

bp = Blueprint("overdue", __name__)
SEVERITY_ORDER = {"major": 0, "intermediate": 1, "irrational": 2, "general": 3}


def can_see_board(user):
    return user.has_role("general_manager", "care_manager")


@bp.get("/overdue")
@login_required
def board():
    """Overdue clocks by department and handler, major first; the page polls itself."""
    if not can_see_board(current_user):
        deny(404)
    now, calendar = utcnow(), current_calendar()
    late = overdue_clocks(now)
    today_ends = calendar.midnight_after(now)
    counts = {"due_today": _due_between(now, today_ends),
              "due_tomorrow": _due_between(today_ends, today_ends + timedelta(days=1)),
              "overdue": len(late)}
    return render("overdue/board.html", "overdue/_board.html", groups=_grouped(late), counts=counts,
                  remedial=_last_remedial([c.complaint_id for c in late]), now=now,
                  missing=calendar_days.missing_years(calendar.local_day(now)))


def overdue_clocks(now):
    """Open, running clocks past their deadline, with complaint, department and handler: one query."""
    handler = User.alias()
    return list(Clock.select(Clock, Complaint, Department, handler)
                .join(Complaint)
                .join(Department, JOIN.LEFT_OUTER, on=(Complaint.department == Department.id), attr="department")
                .switch(Complaint)
                .join(handler, JOIN.LEFT_OUTER, on=(Complaint.handler == handler.id), attr="handler")
                .where(Clock.met_at.is_null(), Clock.stopped_at.is_null(), Clock.paused_since.is_null(),
                       Clock.due_at < now)
                .order_by(Clock.due_at))


def _due_between(start, end):
    return (Clock.select().where(Clock.met_at.is_null(), Clock.stopped_at.is_null(),
                                 Clock.due_at >= start, Clock.due_at < end).count())


def _grouped(clocks):
    """[(department, [(handler, [clock…])…])…]: within a handler, major first, then longest overdue."""
    def dept_key(c):
        d = c.complaint.department
        return (d.id if d else 0)

    def handler_key(c):
        return c.complaint.handler.id if c.complaint.handler else 0

    result = []
    for _dept, in_dept in groupby(sorted(clocks, key=dept_key), key=dept_key):
        in_dept = list(in_dept)
        handlers = []
        for _h, mine in groupby(sorted(in_dept, key=handler_key), key=handler_key):
            mine = sorted(mine, key=lambda c: (SEVERITY_ORDER.get(c.complaint.severity, 9), c.due_at))
            handlers.append((mine[0].complaint.handler, mine))
        result.append((in_dept[0].complaint.department, handlers))
    return result


def _last_remedial(complaint_ids):
    """The latest remedial action recorded on each listed complaint (one query)."""
    found = {}
    events = (Event.select().where(Event.complaint.in_(complaint_ids or [0]), Event.kind == "remedial")
              .order_by(Event.id))
    for event in events:
        found[event.complaint_id] = event
    return found
