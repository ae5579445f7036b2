"""The inbox: open complaints the user may see, filtered, searched, sorted, paged."""
from datetime import time, timedelta
from types import SimpleNamespace

from flask import Blueprint, current_app, g, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN, SQL, fn

from forms import InboxFilter
from models import IS_OPEN, OPEN_STATUSES, Bound, Clock, Complaint, Department, User, kept_shapes, one_row, utcnow
from views import COUNT_CAP, capped_count, current_calendar, is_fragment, render

bp = Blueprint("inbox", __name__)

# "Due soon": what can still be saved if someone acts now.
SOON = timedelta(hours=4)
OPEN_FILTERS = {"open", "to_dispatch", "to_acknowledge", *OPEN_STATUSES}


@bp.get("/inbox")
@login_required
def index():
    """The inbox page, or only its table when the filters change (htmx)."""
    form = InboxFilter(request.args)
    form.validate()  # a value that fails is not used, and the page says so
    size = current_app.config["PAGE_SIZE"]
    page = form.page.data if not form.page.errors and form.page.data else 1
    now = utcnow()
    query = inbox_query(current_user, form, now)
    count = capped_count(query)
    # A deadline filter leaves no complaint without a deadline: that part is not read.
    segments = _segments(_sort(form), _open_only(form), now, with_no_deadline=not _valid(form.due))
    offset = (page - 1) * size
    rows = (walked(query, segments[0][1], offset, size + 1, count) if walks(segments, count, offset, size + 1)
            else paged(query, segments, offset, size + 1))
    fragment = is_fragment()  # the table alone: the counts above it stay as they are
    return render("inbox/index.html", "inbox/_rows.html", form=form, rows=rows[:size], page=page,
                  has_next=len(rows) > size, page_url=_page_url, sort_url=_sort_url, sort=_sort(form),
                  ignored=ignored_filters(form), count=count, cap=COUNT_CAP,
                  oob=fragment and "X-Inbox-Sort" in request.headers,  # a header's click: the form's order follows
                  triage=0 if fragment else triage_count(current_user),
                  now_counts=None if fragment else now_counts(current_user, now),
                  given=[name for name, value in request.args.items() if value and value != "urgency"])

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


def now_counts(user, now):
    """The first screen's answer to "what must I do now": each figure opens its list."""
    managers = user.has_role("department_manager", "care_manager", "general_manager")
    return _now_counts(Complaint.sight(user), managers).first(
        user=user.id, department=user.department_id, now=now, soon=now + SOON)


@kept_shapes
def _now_counts(sight, managers):
    """now_counts' figures in one statement, kept for each sight: three counts, each off the open
    complaints' deadline index. (Three queries written anew on every request cost the inbox
    1.4 ms besides the database's 0.8.)"""
    seen = Complaint.seen_by(sight, Bound("user"), Bound("department"))
    mine = IS_OPEN if seen is None else (seen & IS_OPEN)
    due, now = Complaint.next_due_at, Bound("now")
    figures = {"soon": (due >= now) & (due < Bound("soon")), "overdue": due < now}
    if managers:
        figures["nobody"] = Complaint.handler.is_null()
    return one_row(**{name: Complaint.select(fn.COUNT(SQL("*"))).where(mine & condition)
                      for name, condition in figures.items()})


def ignored_filters(form):
    """"filter: why" for each filter that was given but not understood."""
    return [f"{form[name].label.text}: {form[name].errors[0]}" for name in form._fields if form[name].errors]


def _page_url(page):
    args = request.args.to_dict()
    args["page"] = page
    return url_for("inbox.index", **args)


def _sort(form):
    return _valid(form.sort) or "urgency"


def _sort_url(column, current):
    """A header's link: sort by this column, or turn it round when it is the order already."""
    args = request.args.to_dict()
    args.pop("page", None)
    args["sort"] = f"-{column}" if current == column else column
    return url_for("inbox.index", **args)


def _valid(field):
    return field.data if field.data and not field.errors else None


def _open_only(form):
    return (_valid(form.status) or "open") in OPEN_FILTERS


def inbox_query(user, form, now):
    """The complaints the user may see that match the filters (no order yet, no joins: the
    count reads it as it is, the page orders it and joins department and handler)."""
    query = Complaint.visible_to(user).select(Complaint.id)
    status = _valid(form.status) or "open"
    if status == "open":
        query = query.where(IS_OPEN)
    elif status == "to_dispatch":  # the care manager's triage list
        query = query.where(WAITING_FOR_DISPATCH)
    elif status == "to_acknowledge":
        query = query.where(Complaint.dispatched_at.is_null(False) & Complaint.acknowledged_at.is_null()
                            & IS_OPEN)
    elif status != "all":
        query = query.where(Complaint.status == status)
    for name in ("category", "severity", "channel", "cause_class", "business_line"):
        if _valid(form[name]):
            query = query.where(getattr(Complaint, name) == form[name].data)
    if _valid(form.department):
        query = query.where(Complaint.department == int(form.department.data))
    if _valid(form.handler):
        query = query.where(Complaint.handler.is_null() if form.handler.data == "nobody"
                            else Complaint.handler == int(form.handler.data))
    if form.mine.data:
        query = query.where((Complaint.handler == user) | (Complaint.registered_by == user))
    if _valid(form.q):
        query = query.where(Complaint.matching(form.q.data))
    if _valid(form.due):
        query = query.where(_due_filter(form.due.data, now))
    if _valid(form.missed):
        query = query.where(Complaint.id.in_(missed(form.missed.data, now)))
    return _received_between(query, _valid(form.received_from), _valid(form.received_to))


# What a row shows (inbox/_rows.html, overdue/_board.html): building all sixty columns of a complaint, its long texts
# among them, cost more than the query itself.
ROW_COLUMNS = (Complaint.id, Complaint.number, Complaint.repeat_of.alias("repeat_of_id"), Complaint.status,
               Complaint.next_due_at, Complaint.received_at, Complaint.customer_name, Complaint.customer_phone,
               Complaint.plate, Complaint.vehicle_model, Complaint.category, Complaint.severity,
               Complaint.awaiting_dispatch, Complaint.department.alias("department_id"),
               Complaint.handler.alias("handler_id"), Complaint.dispatched_at, Complaint.acknowledged_at)


class ComplaintRow(SimpleNamespace):
    """A complaint as a list shows it: the columns above as plain values, with its department's
    code and name and its handler's name. (A Complaint, a Department and a User model a row were
    1.1 ms of the 2.5 that reading a page of fifty cost.)"""

    is_open = Complaint.is_open

    @property
    def department_label(self):
        return Department.label_of(self.department_code, self.department_name) if self.department_id else None


def with_people(query, next_clock=False):
    """The rows to show (the inbox's, the overdue wall's) as ComplaintRows: each complaint with
    its department and handler, in the same query; with next_clock, also the kind of deadline
    its time left refers to (the earliest of its running clocks)."""
    return (query.select(*_PEOPLE_COLUMNS, *((_NEXT_CLOCK,) if next_clock else ()))
            .join(Department, join_type=JOIN.LEFT_OUTER, on=(Complaint.department == Department.id))
            .switch(Complaint)
            .join(_handler, join_type=JOIN.LEFT_OUTER, on=_HANDLER_JOIN)
            .objects(ComplaintRow))


# (made once: each field of a new peewee alias is a class made when first named, 16 a page, 20 us each)
_handler, _running = User.alias(), Clock.alias()
_PEOPLE_COLUMNS = (*ROW_COLUMNS, Department.code.alias("department_code"), Department.name.alias("department_name"),
                   _handler.display_name.alias("handler_name"))
_HANDLER_JOIN = Complaint.handler == _handler.id
# Read for each shown row off the clock's complaint index: one query less a page.
_NEXT_CLOCK = (_running.select(_running.kind)
               .where((_running.complaint == Complaint.id) & _running.met_at.is_null() & _running.stopped_at.is_null())
               .order_by(_running.due_at, _running.id).limit(1).alias("next_clock"))


def _segments(sort, open_only, now, with_no_deadline=True):
    """The order asked for, as consecutive parts [(condition, order)], each read straight off
    an index in its own order: "most urgent first" is what falls due within the next hours,
    then what is late (longest late first), then the rest by deadline; complaints with no
    deadline running come last. One ORDER BY on such an expression would sort every open
    complaint on every page."""
    due = Complaint.next_due_at
    # Among open complaints (IS_OPEN) this is read off the open complaints' own due-date index,
    # not the plain one's 90,000 empty entries of closed complaints.
    no_deadline = due.is_null()
    # Open ones with no deadline are ordered as that index holds them (deadline, then id; the
    # deadline is empty in all of them): ordered by id alone, PostgreSQL walked the whole
    # register in id order looking for them (7 ms at 20,000), as it guesses from the closed
    # ones that most complaints have no deadline. Closed ones are not in that index.
    no_deadline_order = (due, Complaint.id) if open_only else (Complaint.id,)
    if sort == "urgency" and not open_only:
        sort = "-received"  # closed complaints have no deadline left to order by
    if sort == "urgency":
        by_due = (due, Complaint.id)
        parts = [((due >= now) & (due < now + SOON), by_due), (due < now, by_due), (due >= now + SOON, by_due)]
        return parts + [(no_deadline, no_deadline_order)] * with_no_deadline
    if sort in ("due", "-due"):
        by_due = (due.desc(), Complaint.id.desc()) if sort == "-due" else (due, Complaint.id)
        return [(due.is_null(False), by_due)] + [(no_deadline, no_deadline_order)] * with_no_deadline
    if sort == "received":
        return [(None, (Complaint.received_at, Complaint.id))]
    # (id ascending: an index read backwards would satisfy "received_at DESC, id DESC", and
    # SQLite would then walk all 100,000 rows in that order rather than use a search's index.)
    return [(None, (Complaint.received_at.desc(), Complaint.id))]


def paged(query, segments, offset, limit):
    """`limit` rows from `offset` of the segments read one after another. A segment the page
    starts beyond is only counted (without joins, off an index); one it overlaps is read."""
    rows = []
    for condition, order in segments:
        if len(rows) >= limit:
            break
        part_query = query.where(condition) if condition is not None else query
        part = list(with_people(part_query, next_clock=True).order_by(*order).offset(offset).limit(limit - len(rows)))
        rows += part
        if part or not offset:
            offset = 0
        else:  # the page starts beyond this part
            offset -= part_query.order_by().count()
    return rows


def walks(segments, count, offset, limit):
    """Whether a page in received order is cheaper read by walking the complaints newest (or
    oldest) first, keeping those that match, than by reading every match and sorting them: when
    matches are common. A one-character name search (12,000 of 100,000) or a consultant's "all
    statuses" (3,000) sorted every match for each page, 15-35 ms; the walk reads a few hundred."""
    if len(segments) != 1 or segments[0][0] is not None or not count:
        return False
    every = _register_size()
    # The rows walked, about, against the rows read and sorted: a walk reads each row it passes
    # to test it, where the other way reads only matches off their index; so clearly fewer.
    return (offset + limit) * every * 4 < count * count


def _register_size():
    """About how many complaints the register holds (the highest id: none is ever deleted), read
    once per request: walks() and walked() both need it."""
    if "register_size" not in g:
        g.register_size = Complaint.select(fn.MAX(Complaint.id)).scalar() or 0
    return g.register_size


def walked(query, order, offset, limit, count, stretch=None):
    """`limit` rows from `offset` of the query in `order` (received time, then id), found by
    reading the register in that order a stretch at a time: each stretch's ids off the received
    time index, then those of them that match, in the same order."""
    if stretch is None:  # half as much again as the walk should need
        every = _register_size()
        stretch = max(500, (offset + limit) * every // max(count, 1) * 3 // 2)
    received, newest_first = Complaint.received_at, order[0] is not Complaint.received_at
    rows, last, skip = [], None, offset
    while len(rows) < limit:
        stretch_ids = Complaint.select(Complaint.id).order_by(*order)
        if last is not None:  # after the previous stretch, in the same order
            at, id_ = last
            beyond = (received < at) if newest_first else (received > at)
            stretch_ids = stretch_ids.where(beyond | ((received == at) & (Complaint.id > id_)))
        # (the stretch as a subquery: no list of ids goes through Python)
        in_stretch = query.where(Complaint.id.in_(stretch_ids.limit(stretch)))
        matches = in_stretch.order_by().count() if skip else None
        if matches is not None and matches <= skip:
            skip -= matches  # the page starts after this stretch
        else:
            rows.extend(with_people(in_stretch, next_clock=True).order_by(*order).offset(skip).limit(limit - len(rows)))
            skip = 0
        edge = stretch_ids.select(Complaint.id, received).offset(stretch - 1).limit(1).tuples().first()
        if edge is None:  # the register ends within this stretch
            break
        last = (edge[1], edge[0])
    return rows


def _received_between(query, first, last):
    """Received on or after the local day `first` and on or before the local day `last`."""
    calendar = current_calendar()
    if first:
        query = query.where(Complaint.received_at >= calendar.at(first, time(0, 0)))
    if last:
        query = query.where(Complaint.received_at < calendar.at(last + timedelta(days=1), time(0, 0)))
    return query


def missed(kind, now):
    """The complaints whose deadline of this kind was met late, or is still running and late now:
    the late ones behind the review's timely rates (a paused or stopped one is neither)."""
    running_late = (Clock.met_at.is_null() & Clock.stopped_at.is_null() & Clock.paused_since.is_null()
                    & (Clock.due_at < now))
    return Clock.select(Clock.complaint).where((Clock.kind == kind) & ((Clock.met_at > Clock.due_at) | running_late))


def _due_filter(due, now):
    if due == "overdue":
        return Complaint.next_due_at < now
    if due == "soon":
        return (Complaint.next_due_at >= now) & (Complaint.next_due_at < now + SOON)
    end_of_today = current_calendar().midnight_after(now)
    return (Complaint.next_due_at >= now) & (Complaint.next_due_at < end_of_today)

