"""Improvement actions (持续改进): the list, a new action from a complaint or the monthly
review, and one action's page where it is done, rescheduled and its effect verified."""
from datetime import date

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import JOIN

import audit
import improvements
from improvement_forms import DoneForm, NewActionForm, ReviseActionForm, VerifyForm
from models import Action, Complaint, User, utcnow
from permissions import can
from review.figures import ACTION_MEASURES, bounds
from views import current_calendar, deny, get_complaint_or_404, render
from views.reports import can_see_reports

bp = Blueprint("improvements", __name__, url_prefix="/actions")
PAGE = 50
# The list's tabs: what each shows.
SHOW = {
    "open": lambda now: Action.status == "open",
    "late": lambda now: (Action.status == "open") & (Action.due_at < now),
    "to_verify": lambda now: Action.status == "done",
    "finished": lambda now: Action.status.in_(("effective", "ineffective")),
    "all": lambda now: True,
}


@bp.get("")
@login_required
def index():
    """The actions the user may see: open ones by due date first; or one review figure's list."""
    now, page = utcnow(), max(request.args.get("page", 1, type=int) or 1, 1)
    measure, period = _measure_asked()  # (a query is never tested for truth: that would run it)
    by_figure = measure is not None
    show = request.args.get("show") if request.args.get("show") in SHOW else ("all" if by_figure else "open")
    query = improvements.visible(current_user, measure if by_figure else Action.select()).where(SHOW[show](now))
    if request.args.get("mine"):
        query = query.where(Action.owner == current_user.id)
    rows = list(_with_people(query).order_by(Action.status != "open", Action.due_at, Action.id)
                .limit(PAGE + 1).offset((page - 1) * PAGE))
    return render("improvements/index.html", actions=rows[:PAGE], has_next=len(rows) > PAGE, page=page, now=now,
                  show=show, shows=SHOW, period=period, measure=request.args.get("measure") if by_figure else None)


def _measure_asked():
    """?measure=created&from=…&to=…: the actions behind one figure of the monthly review."""
    name = request.args.get("measure")
    if name not in ACTION_MEASURES:
        return None, None
    try:
        first, last = date.fromisoformat(request.args["from"]), date.fromisoformat(request.args["to"])
    except (KeyError, ValueError):
        return None, None
    return Action.select().where(ACTION_MEASURES[name](*bounds(first, last, current_calendar()))), (first, last)


def _with_people(query):
    owner = User.alias()
    return (query.select_extend(owner, Complaint.number, Complaint.customer_name)
            .join_from(Action, owner, on=(Action.owner == owner.id), attr="owner")
            .join_from(Action, Complaint, JOIN.LEFT_OUTER))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """From a complaint (?complaint=number, by whoever may record its findings) or from the
    review (?period=YYYY-MM, by the review's readers)."""
    complaint, period = _origin()
    form = NewActionForm().bind(complaint.department_id if complaint else current_user.department_id)
    if request.method == "GET":
        form.root_cause.data = complaint.root_cause if complaint else ""
    if form.validate_on_submit():
        owner = User.get_or_none((User.id == form.owner.data) & User.active)
        if owner is None:
            form.owner.errors.append(_("Choose who carries it out."))
        else:
            action = improvements.create({"description": form.description.data, "root_cause": form.root_cause.data,
                                          "owner": owner, "due_on": form.due_on.data},
                                         current_user, utcnow(), current_calendar(), complaint, period)
            audit.record("action_changed", actor=current_user, target=f"action {action.id} created")
            return redirect(url_for("improvements.show", action_id=action.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render("improvements/new.html", form=form, complaint=complaint, period=period, status=status)


def _origin():
    number, period = request.args.get("complaint"), request.args.get("period", "")
    if number:
        complaint = get_complaint_or_404(number)
        if not can(current_user, "findings", complaint):
            deny(403)
        return complaint, ""
    if not can_see_reports(current_user):
        deny(403)
    try:
        date.fromisoformat(period + "-01")
    except ValueError:
        period = ""
    return None, period


def _action_or_404(action_id):
    action = Action.get_or_none(Action.id == action_id)
    if action is None:
        abort(404)
    if not improvements.can_view(current_user, action):
        deny(404)
    return action


@bp.get("/<int:action_id>")
@login_required
def show(action_id):
    return _page(_action_or_404(action_id))


def _page(action, failed=None, status=200):
    """The action and the forms the user may use on it; `failed` is a form that came back with errors."""
    forms = {}
    if action.status == "open" and improvements.can_change(current_user, action):
        forms["done"] = DoneForm(formdata=None, version=action.version)
        forms["revise"] = ReviseActionForm(formdata=None, version=action.version, owner=str(action.owner_id),
                                           due_on=action.due_on).bind(action.department_id)
    if action.status == "done" and improvements.can_verify(current_user):
        forms["verify"] = VerifyForm(formdata=None, version=action.version)
    if failed:
        forms[failed[0]] = failed[1]
    return render("improvements/show.html", action=action, forms=forms, now=utcnow(),
                  may_follow_up=action.status == "ineffective" and _may_create_from(action), status=status)


def _may_create_from(action):
    if action.complaint_id:
        return can(current_user, "findings", action.complaint)
    return can_see_reports(current_user)


@bp.post("/<int:action_id>/<step>")
@login_required
def change(action_id, step):
    """Mark done, reschedule or verify; errors come back beside the fields, nothing saved."""
    if step not in STEP_FORMS:
        abort(404)
    action = _action_or_404(action_id)
    allowed = improvements.can_verify(current_user) if step == "verify" else improvements.can_change(
        current_user, action)
    if not allowed:
        deny(403)
    form = STEP_FORMS[step]()
    if step == "revise":
        form.bind(action.department_id)
    if not form.validate_on_submit():
        return _page(action, (step, form), 422)
    action.version = int(form.version.data or action.version)
    try:
        detail = _apply(step, action, form)
    except improvements.ActionError as error:
        form.form_errors.append(error.message)
        return _page(Action.get_by_id(action.id), (step, form), 409)
    audit.record("action_changed", actor=current_user, target=f"action {action.id} {step}", detail=detail)
    return redirect(url_for("improvements.show", action_id=action.id), code=303)


STEP_FORMS = {"done": DoneForm, "revise": ReviseActionForm, "verify": VerifyForm}


def _apply(step, action, form):
    now = utcnow()
    if step == "done":
        improvements.mark_done(action, form.note.data, current_user, now)
        return None
    if step == "verify":
        improvements.verify(action, form.effective.data == "yes", form.verification.data, current_user, now)
        return {"effective": form.effective.data}
    owner = User.get_or_none((User.id == form.owner.data) & User.active)
    if owner is None:
        raise improvements.ActionError(_("Choose who carries it out."))
    return improvements.revise(action, owner, form.due_on.data, current_user, now, current_calendar())
