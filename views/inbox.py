"""The inbox: open complaints the user may see, filtered, searched, paged."""
from flask import Blueprint, current_app, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN

from forms import InboxFilter
from models import OPEN_STATUSES, Complaint, Department, User, utcnow
from views import current_calendar, render

bp = Blueprint("inbox", __name__)


@bp.get("/inbox")
@login_required
def index():
    """The inbox page, or only its table when the filters change (htmx)."""
    form = InboxFilter(request.args)
    form.validate()  # a value that fails is not used, and the page says so
    size = current_app.config["PAGE_SIZE"]
    page = form.page.data if not form.page.errors and form.page.data else 1
    rows = list(inbox_query(current_user, form).limit(size + 1).offset((page - 1) * size))
    return render("inbox/index.html", "inbox/_rows.html", form=form, rows=rows[:size],
                  page=page, has_next=len(rows) > size, page_url=_page_url, ignored=ignored_filters(form),
                  triage=triage_count(current_user))

# Found through the small partial index complaint_to_dispatch: "= True" (SQLite scans every row to
# test a bare column), and the status as an expression (status || ''), which no index answers, so
# that the status index's thousands of open rows do not look cheaper.
WAITING_FOR_DISPATCH = ((Complaint.awaiting_dispatch == True)  # noqa: E712
                        & Complaint.status.concat("").in_(OPEN_STATUSES))


def triage_count(user):
    """How many complaints wait for the care manager's verification and dispatch (for whoever dispatches)."""
    if not user.has_role("care_manager", "general_manager"):
        return 0
    return Complaint.select().where(WAITING_FOR_DISPATCH).count()


def ignored_filters(form):
    """"filter: why" for each filter that was given but not understood."""
    return [f"{form[name].label.text}: {form[name].errors[0]}" for name in form._fields if form[name].errors]


def _page_url(page):
    args = request.args.to_dict()
    args["page"] = page
    return url_for("inbox.index", **args)


def _valid(field):
    return field.data if field.data and not field.errors else None


def inbox_query(user, form):
    """One query: the complaints with their department and handler, oldest first."""
    handler = User.alias()
    query = (Complaint.visible_to(user)
             .select(Complaint, Department, handler)
             .join(Department, join_type=JOIN.LEFT_OUTER, on=(Complaint.department == Department.id),
                   attr="department")
             .switch(Complaint)
             .join(handler, join_type=JOIN.LEFT_OUTER, on=(Complaint.handler == handler.id),
                   attr="handler"))
    status = _valid(form.status) or "open"
    if status == "open":
        query = query.where(Complaint.status.in_(OPEN_STATUSES))
    elif status == "to_dispatch":  # the care manager's triage list
        query = query.where(WAITING_FOR_DISPATCH)
    elif status == "to_acknowledge":
        query = query.where(Complaint.dispatched_at.is_null(False) & Complaint.acknowledged_at.is_null()
                            & Complaint.status.in_(OPEN_STATUSES))
    elif status != "all":
        query = query.where(Complaint.status == status)
    for name in ("category", "severity", "channel"):
        if _valid(form[name]):
            query = query.where(getattr(Complaint, name) == form[name].data)
    if _valid(form.department):
        query = query.where(Complaint.department == int(form.department.data))
    if _valid(form.handler):
        query = query.where(Complaint.handler == int(form.handler.data))
    if form.mine.data:
        query = query.where((Complaint.handler == user) | (Complaint.registered_by == user))
    if _valid(form.q):
        query = query.where(Complaint.matching(form.q.data))
    if _valid(form.due):
        query = query.where(_due_filter(form.due.data))
    if status in ("open", "to_dispatch", "to_acknowledge"):
        # Open work by the deadline that falls first, then the longest waiting.
        return query.order_by(Complaint.next_due_at, Complaint.id)
    return query.order_by(Complaint.received_at.desc(), Complaint.id)


def _due_filter(due):
    now = utcnow()
    if due == "overdue":
        return Complaint.next_due_at < now
    end_of_today = current_calendar().midnight_after(now)
    return (Complaint.next_due_at >= now) & (Complaint.next_due_at < end_of_today)
