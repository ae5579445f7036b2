"""The call-back forms: the queue of satisfaction calls, recording what each found, and
deliveries and service visits typed in one at a time (imports: views/call_imports.py)."""
from datetime import time, timedelta
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from peewee import JOIN, fn
from wtforms.fields.choices import SelectChoice

import catalog
from callback_forms import CallFilter, CallOutcomeForm, DeliveryForm, ServiceVisitForm
from callbacks import figures, outcomes, schedule
from callbacks.scripts import for_language
from models import Call, Complaint, Delivery, ServiceVisit, User, db, utcnow
from views import COUNT_CAP, capped_count, current_calendar, deny, is_fragment, local_path, render
from views.inbox import ignored_filters

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
SEE_ALL = ("callback_clerk", "care_manager", "general_manager")
MIDNIGHT = time(0, 0)  # a count past this says "10,000+" rather than read the whole table


def visible_calls(user):
    """The calls a person may see: all for the clerk, the care manager and the GM; one's own otherwise."""
    seen = calls_seen((user.has_role(*SEE_ALL), None), user.id)
    return Call.select() if seen is None else Call.select().where(seen)


def sight(user, scope):
    """Which calls a person's list and figures cover, as a shape kept statements are written for:
    (sees all, None for everyone's they see or, for "mine", the roles whose unowned calls are theirs)."""
    return user.has_role(*SEE_ALL), (_mine_roles(user) if scope == "mine" else None)


def calls_seen(shape, user_id):
    """The calls of this sight() for the user (None: all): user_id a value, or Bound."""
    sees_all, mine_roles = shape
    seen = None if sees_all else (Call.owner == user_id)
    if mine_roles is not None:
        # "No owner" is written COALESCE(owner, 0) = 0, which no index answers, so that SQLite reads
        # the open queue's covering index rather than joining two searches of the owner index.
        mine = Call.owner == user_id
        if mine_roles:
            mine |= (fn.COALESCE(Call.owner, 0) == 0) & Call.owner_role.in_(list(mine_roles))
        seen = mine if seen is None else (seen & mine)
    return seen


def can_record(user, call):
    return call.owner_id == user.id or user.has_role(*SEE_ALL)


@bp.get("")
@login_required
def queue():
    """Calls to make, most urgent first, with today's and this month's figures."""
    form = CallFilter(request.args)
    form.validate()
    now, size = utcnow(), current_app.config["PAGE_SIZE"]
    page = form.page.data if form.page.data and not form.page.errors else 1
    calls = _filtered(form, now)
    rows = list(_with_base(calls).limit(size + 1).offset((page - 1) * size))
    form.whose.data = whose(form)
    return render("callbacks/index.html", "callbacks/_rows.html", form=form, rows=rows[:size], page=page,
                  has_next=len(rows) > size, count=capped_count(calls.select(Call.id)), cap=COUNT_CAP,
                  page_url=_page_url,
                  ignored=ignored_filters(form), **_row_helpers(),
                  oob=is_fragment(),  # the list changed: its figures come along (mine or everyone's)
                  **_figures(now, form.whose.data))


def _filtered(form, now):
    calls = visible_calls(current_user)
    if form.kind.data and not form.kind.errors:
        calls = calls.where(Call.kind == form.kind.data)
    if form.owner.data and not form.owner.errors:
        calls = calls.where(Call.owner == form.owner.data)
    if whose(form) == "mine":
        calls = calls.where(_mine())
    when = form.when.data if not form.when.errors else "now"
    if when == "done":
        return calls.where(Call.status != "open").order_by(Call.called_at.desc(), Call.id.desc())
    calls = calls.where(Call.status == "open")
    if when == "now":
        calls = calls.where((Call.opens_at <= now) & (Call.next_try_at.is_null() | (Call.next_try_at <= now)))
    elif when == "due_today":
        calls = calls.where(Call.due_at < current_calendar().midnight_after(now))
    elif when == "overdue":
        calls = calls.where(Call.due_at < now)
    elif when == "upcoming":
        calls = calls.where(Call.opens_at > now)
    return calls.order_by(Call.due_at, Call.id)


def _mine():
    """The calls that are this person's to make: their own, and those of their role."""
    return calls_seen((True, _mine_roles(current_user)), current_user.id)


def _mine_roles(user):
    return tuple(r for r in ("callback_clerk", "care_manager") if user.has_role(r))


def whose(form):
    """Each person's own calls first; the GM, who makes none, sees everyone's."""
    if form.whose.data in ("mine", "all") and not form.whose.errors:
        return form.whose.data
    return "all" if form.owner.data or not current_user.has_role("callback_clerk", "care_manager", "front_line",
                                                                   "department_manager") else "mine"


def _with_base(calls):
    """Each call with what it is about (delivery, service visit or complaint), the complaint it
    found and who made it: one query, the columns flat on each call."""
    return (calls.select(*_ROW_COLUMNS, *_BASE_COLUMNS)
            .join(Delivery, JOIN.LEFT_OUTER, on=(Call.delivery == Delivery.id)).switch(Call)
            .join(ServiceVisit, JOIN.LEFT_OUTER, on=(Call.service_visit == ServiceVisit.id)).switch(Call)
            .join(Complaint, JOIN.LEFT_OUTER, on=(Call.complaint == Complaint.id)).switch(Call)
            .join(_found, JOIN.LEFT_OUTER, on=_FOUND_JOIN).switch(Call)
            .join(_caller, JOIN.LEFT_OUTER, on=_CALLER_JOIN).objects(CallRow))


class CallRow(SimpleNamespace):
    """A call as the queue shows it (callbacks/_call.html), its columns as plain values: a Call
    model a row, each of its columns set through its field, cost the page about a millisecond."""
    is_open = Call.is_open


_ROW_COLUMNS = (Call.id, Call.kind, Call.delivery.alias("delivery_id"), Call.service_visit.alias("service_visit_id"),
                Call.complaint.alias("complaint_id"), Call.customer_name, Call.customer_phone, Call.vehicle,
                Call.due_at, Call.status, Call.attempts, Call.next_try_at, Call.score, Call.comment, Call.called_at,
                Call.complaint_found.alias("complaint_found_id"))


# (made once: each field of a new peewee alias is a new class, as views/inbox.py says)
_found, _caller = Complaint.alias(), User.alias()
_BASE_COLUMNS = (Delivery.delivered_on, Delivery.consultant_name, ServiceVisit.handed_back_on,
                 ServiceVisit.repair_order, ServiceVisit.advisor_name, Complaint.number,
                 _found.number.alias("found_number"), _caller.display_name.alias("caller_name"))
_FOUND_JOIN, _CALLER_JOIN = Call.complaint_found == _found.id, Call.called_by == _caller.id


def _page_url(page):
    args = request.args.to_dict()
    args["page"] = page
    return url_for("callbacks.queue", **args)


def _figures(now, scope):
    """Today's and this month's figures over the same calls the list shows (mine or everyone's)."""
    calendar = current_calendar()
    today = calendar.local_day(now)
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    shape, tomorrow = sight(current_user, scope), today + timedelta(days=1)
    return {"today": figures.today(calls_seen, shape, current_user.id, calendar.at(today, MIDNIGHT),
                                   calendar.at(tomorrow, MIDNIGHT), now),
            "month": figures.month(calls_seen, shape, current_user.id, calendar.at(first, MIDNIGHT),
                                   calendar.at(following, MIDNIGHT)),
            "month_start": first, "scope": scope}


@bp.get("/figures")
@login_required
def figures_fragment():
    """The figures again, after a call was recorded (htmx)."""
    form = CallFilter(request.args)
    form.validate()
    return render("callbacks/_figures.html", "callbacks/_figures.html", **_figures(utcnow(), whose(form)))


PREFIX_MARK = "\x00row\x00"  # where a row's field-name prefix goes in the page's written blank form


def _row_helpers():
    """What each row of the queue needs: its outcome form and the scripts (read once a page).

    A row with nothing typed yet shows the blank form of its kind of call, built and translated
    once for the page (the row writes its own field names): a form per row, its labels translated
    row by row, was half of the queue's time."""
    blank = {}

    def outcome_form(call):
        closing = call.kind == "closing"
        if closing not in blank:
            form = blank[closing] = _outcome_form(call)
            for field in form:
                field.label.text = str(field.label.text)
            for name in ("outcome", "score"):
                form[name].choices = [SelectChoice(c.value, str(c.label)) for c in form[name].choices]
        return blank[closing]
    written = {}

    def blank_fields(form, prefix, write):
        """The blank form's fields written once for the page, each row's names put in."""
        if form.closing not in written:
            written[form.closing] = str(write(form, PREFIX_MARK))
        return Markup(written[form.closing].replace(PREFIX_MARK, prefix))
    # (each row's record link from one url_for a page, as complaint_url does for the complaints')
    before, after = url_for("callbacks.record", call_id=0).rsplit("/0/", 1)
    # (the CSRF token and the way back, the same on every row: found once)
    back_to = request.full_path if request.endpoint == "callbacks.queue" else ""
    # (labels translated once: a lazy label is translated again each time a row writes it)
    return {"outcome_form": outcome_form, "blank_fields": blank_fields, "scripts": for_language(get_locale()),
            "page_token": generate_csrf(), "back_to": back_to,
            "record_url": lambda call_id: f"{before}/{int(call_id)}/{after}",
            "call_kinds": catalog.labels("call_kind"), "call_statuses": catalog.labels("call_status")}


def _outcome_form(call, formdata=None):
    form = CallOutcomeForm(formdata=formdata, prefix=f"call{call.id}")
    form.bind(call)
    return form


@bp.post("/<int:call_id>/outcome")
@login_required
def record(call_id):
    """What the call found; htmx swaps the row, a plain post goes back to the queue."""
    call = _call_or_404(call_id)
    form = _outcome_form(call, request.form)
    if form.validate_on_submit():
        if form.outcome.data == "complaint":
            target = url_for("complaints.new", call=call.id)
            return ("", 200, {"HX-Redirect": target}) if is_fragment() else redirect(target, code=303)
        try:
            call = outcomes.record(call.id, form.outcome.data, current_user._get_current_object(), utcnow(),
                                   current_calendar(), score=form.score.data, comment=form.comment.data)
        except outcomes.OutcomeError as refused:
            form.form_errors.append(str(refused.message))
    status = 422 if form.errors or form.form_errors else 200
    if not is_fragment():
        if status == 200:
            flash(_("Call recorded: %(customer)s.", customer=call.customer_name))
            # back to the queue as it was filtered (the row's form names its fields by the call)
            return redirect(local_path(request.form.get(f"call{call.id}-next")) or url_for("callbacks.queue"), code=303)
        return render("callbacks/failed.html", call=_with_base(Call.select().where(Call.id == call.id)).get(),
                      call_form=form, status=status, **_row_helpers())
    response = render("callbacks/_row.html", call=_with_base(Call.select().where(Call.id == call.id)).get(),
                      call_form=form if status != 200 else None, **_row_helpers(),
                      status=status)
    response.headers["HX-Trigger"] = "calls-changed"
    return response


def _call_or_404(call_id):
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        abort(404)
    if not can_record(current_user, call):
        deny(404)
    return call


@bp.route("/deliveries/new", methods=["GET", "POST"])
@login_required
def new_delivery():
    """A delivery typed in: its calls are scheduled at once."""
    form = DeliveryForm()
    if form.validate_on_submit():
        if Delivery.get_or_none((Delivery.vin == form.vin.data) & (Delivery.delivered_on == form.delivered_on.data)):
            form.vin.errors.append(_("This car's delivery on that day is registered already."))
        else:
            record = _save(Delivery, form, "consultant", {"delivered_on": form.delivered_on.data})
            return _saved(record, "delivery")
    return render("callbacks/record_form.html", form=form, title=_("A delivery"), status=422 if form.errors else 200)


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new_visit():
    """A service visit typed in: its call is scheduled at once."""
    form = ServiceVisitForm()
    if form.validate_on_submit():
        if ServiceVisit.get_or_none(ServiceVisit.repair_order == form.repair_order.data):
            form.repair_order.errors.append(_("This repair order is registered already."))
        else:
            record = _save(ServiceVisit, form, "advisor", {"handed_back_on": form.handed_back_on.data,
                                                           "repair_order": form.repair_order.data,
                                                           "work_done": form.work_done.data})
            return _saved(record, "service")
    return render("callbacks/record_form.html", form=form, title=_("A service visit"),
                  status=422 if form.errors else 200)


def _save(model, form, person, extra):
    staff = User.get_or_none(User.id == (form[person].data or None))
    with db.atomic():
        record = model.create(customer_name=form.customer_name.data, customer_phone=form.customer_phone.data,
                              vehicle_model=form.vehicle_model.data, vin=form.vin.data or "",
                              plate=form.plate.data or "",
                              created_at=utcnow(), created_by=current_user.id, **{person: staff},
                              **{f"{person}_name": staff.display_name if staff else ""}, **extra)
        schedule.create("delivery" if model is Delivery else "service", [record], current_calendar(), utcnow())
    return record


def _saved(record, base):
    made_by = (Call.delivery == record.id) if base == "delivery" else (Call.service_visit == record.id)
    calls = Call.select().where(made_by)
    flash(_("Saved: %(count)s calls scheduled.", count=calls.count()))
    return redirect(url_for("callbacks.queue", when="upcoming"), code=303)

