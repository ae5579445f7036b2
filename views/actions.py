"""The actions on a complaint's page. Each posts its own small form; htmx swaps
the complaint (details, actions, timeline) on success and only the form on error.
Every form also works as a plain post."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

import accountability
import cases
import compensation
import forms
import guidance
import workflow
from deadlines import clocks
from models import Action, Attachment, Bound, Call, Complaint, Department, Event, PartsLine, Penalty, User, kept, utcnow
from permissions import can, can_view
from views import abort_unless, get_complaint_or_404, is_fragment, render, to_local, to_utc

bp = Blueprint("actions", __name__, url_prefix="/complaints")

ACTION_FORMS = {
    "contact": forms.ContactForm,
    "note": forms.NoteForm,
    "assign": forms.AssignForm,
    "findings": forms.FindingsForm,
    "solution": forms.SolutionForm,
    "resolve": forms.ResolveForm,
    "unfounded": forms.UnfoundedForm,
    "callback": forms.CallbackForm,
    "close": forms.ReasonForm,
    "reopen": forms.ReasonForm,
    "manufacturer_feedback": forms.ManufacturerFeedbackForm,
    "set_deadline": forms.DeadlineForm,
    "wait": forms.WaitForm,
    "parts": forms.PartsForm,
    "parts_received": forms.PartsReceivedForm,
    "remedial": forms.RemedialForm,
    "region_report": forms.RegionReportForm,
    "dispatch": forms.DispatchForm,
    "acknowledge": forms.AcknowledgeForm,
    "compensate": forms.CompensationForm,
    "approve_compensation": forms.ApprovalForm,
    "tell_compensation": forms.TellForm,
    "responsibility": forms.ResponsibilityForm,
    "penalty": forms.PenaltyForm,
}
# Forms that show what the complaint already records, so the handler amends it.
PREFILLED = ("findings", "solution")


@bp.post("/<number>/act/<action>")
@login_required
def act(number, action):
    """Carry out one action; errors come back beside the fields, nothing saved."""
    if action not in ACTION_FORMS:
        abort(404)
    complaint = get_complaint_or_404(number)
    abort_unless(can(current_user, action, complaint))
    form = _form(action, complaint)
    status = run_action(action, complaint, form, **action_data(action, form)) \
        if form.validate_on_submit() else 422
    if status:
        return _failed(complaint, action, form, status)
    if not is_fragment():
        return redirect(url_for("complaints.show", number=number), code=303)
    response = render("complaints/_detail.html", **detail_context(Complaint.get_by_id(complaint.id)))
    response.headers.update({"HX-Retarget": "#complaint", "HX-Reswap": "outerHTML",
                             "HX-Trigger": "complaint-changed"})
    return response


def action_data(action, form):
    """The form's fields as the workflow expects them."""
    data = {name: field.data for name, field in form._fields.items()
            if name not in ("version", "csrf_token")}
    if action in ("assign", "dispatch"):
        data["department"] = Department.get_or_none(Department.id == (data["department"] or None))
        data["handler"] = User.get_or_none(User.id == (data["handler"] or None))
    if action == "responsibility":
        data["person_involved"] = User.get_or_none(User.id == (data["person_involved"] or None))
    if action == "penalty":
        data["person"] = User.get_or_none(User.id == (data["person"] or None))
    if action in ("findings", "solution"):
        data = {"fields": data}
    if action in ("set_deadline", "dispatch"):
        data["due_at"] = to_utc(data["due_at"])
    if action == "parts":
        data["lines"] = [{"part_name": line["part_name"], "part_number": line["part_number"],
                          "quantity": line["quantity"] or 1} for line in data["lines"] if line["part_name"]]
    return data


def _form(action, complaint, **kwargs):
    """The action's form; some need the complaint to know their choices."""
    form = ACTION_FORMS[action](prefix=action, **kwargs)
    if hasattr(form, "bind"):
        form.bind(complaint)
    return form


def run_action(action, complaint, form, **data):
    """Perform it; None when done, else the HTTP status with the reason on the form."""
    try:
        workflow.perform(action, complaint.id, form.version.data or None, current_user, utcnow(), **data)
    except workflow.StaleComplaint as stale:
        form.form_errors.append(_(
            "%(name)s changed this complaint meanwhile. Nothing of yours was saved: "
            "reload the page to see their change (what you typed is still here).",
            name=stale.changed_by or _("Someone")))
        return 409
    except workflow.WorkflowError as refused:
        form.form_errors.append(str(refused.message))
        return 422
    return None


def _failed(complaint, action, form, status):
    if is_fragment():
        return render("complaints/_action.html", action=action, form=form,
                      complaint=complaint, status=status)
    return render("complaints/show.html", status=status, **detail_context(complaint, (action, form)))


@bp.get("/<number>/act/<action>")
@login_required
def action_form(number, action):
    """One action's blank form, fetched when its fold is first opened (htmx); without script, the
    complaint's page with that form open. It carries the version the page was read at (?version=),
    so that acting on a page grown stale is refused as it was when every form came with the page."""
    if action not in ACTION_FORMS:
        abort(404)
    complaint = get_complaint_or_404(number)
    abort_unless(action in page_actions(complaint))
    form = blank_form(action, complaint)
    seen = request.args.get("version", "")
    if seen.isdigit():
        form.version.data = int(seen)
    if is_fragment():
        return render("complaints/_action.html", action=action, form=form, complaint=complaint)
    return render("complaints/show.html", **detail_context(complaint, (action, form)))


def page_actions(complaint):
    """The actions the user may take on the complaint now, as its page lists them."""
    return [action for action in workflow.available_actions(current_user, complaint) if action != "edit"]


def blank_form(action, complaint):
    """The action's form as the page offers it: what the complaint records filled in, and its version."""
    if action == "assign":
        form = _form(action, complaint, formdata=None,
                     data={"department": str(complaint.department_id or ""),
                           "handler": str(complaint.handler_id or "")})
    elif action in PREFILLED:
        form = _form(action, complaint, formdata=None, obj=complaint)
        if action == "solution":
            form.recourse_told.data = complaint.recourse_list
            form.acceptance.data = complaint.acceptance or "pending"
    elif action == "responsibility":
        form = _form(action, complaint, formdata=None, data={
            "responsibility": complaint.responsibility, "person_involved": str(complaint.person_involved_id or "")})
    elif action == "penalty":
        form = _form(action, complaint, formdata=None, data={
            "person": str(complaint.person_involved_id or complaint.registered_by_id)})
    elif action == "dispatch":
        form = _form(action, complaint, formdata=None, data=_dispatch_defaults(complaint))
    elif action == "wait":
        form = _form(action, complaint, formdata=None, data={"reason": complaint.waiting_reason})
    elif action == "parts":
        form = _form(action, complaint, formdata=None, data={"stock": complaint.parts_stock or None})
    else:
        form = _form(action, complaint, formdata=None)
    form.version.data = complaint.version
    return form


def _dispatch_defaults(complaint):
    """The department the category goes to, and the completion deadline the rule gives."""
    routed = workflow.route(complaint.category)
    completion = clocks.open_clock(complaint, "completion")
    return {"department": str(routed.id) if routed else "",
            "due_at": to_local(completion.due_at) if completion else None}


def detail_context(complaint, failed=None, whole_timeline=False):
    """What the complaint page shows; `failed` is (action, form) that came back with errors, or
    the form asked for without script. Only the next step's form comes with the page: the others
    wait folded and are fetched when opened (action_form). Writing out all of them, most of which
    nobody opens, was a third of the page's time. Likewise the timeline's latest entries only,
    unless `whole_timeline`."""
    actions = page_actions(complaint)
    primary = workflow.next_step(complaint, actions)
    forms = {primary: blank_form(primary, complaint)} if primary else {}
    if failed:
        forms[failed[0]] = failed[1]
    return {"complaint": complaint, "actions": actions, "forms": forms, "primary": primary,
            "failed_action": failed[0] if failed else None,
            **timeline_context(complaint, whole_timeline), "clocks": clocks.clocks_of(complaint),
            "parts": list(_parts(complaint=complaint)),
            "attachments": Attachment.on(complaint), "repeats": _repeats(complaint),
            "found_by": _found_by.first(complaint=complaint),
            "improvement_actions": improvement_actions(complaint),
            "compensation_items": compensation.items_of(complaint),
            "case": cases.of_complaint(complaint), "cases_before": cases.same_category(complaint),
            "may_make_case": cases.complaint_can_be_case(current_user, complaint),
            "accountability": _accountability(complaint),
            "guidance_shown": guidance.for_complaint(complaint.status, complaint.customer_type,
                                                     str(get_locale()))}


# What the page reads by the complaint's id, each statement's text written once (models.kept).
_parts = kept(lambda: PartsLine.select().where(PartsLine.complaint == Bound("complaint")).order_by(PartsLine.id))
_found_by = kept(lambda: Call.select().where(Call.complaint_found == Bound("complaint")).limit(1))
_repeating = kept(lambda: Complaint.select().where(Complaint.repeat_of == Bound("complaint"))
                  .order_by(Complaint.received_at))


def _actions_with_owners():
    owner = User.alias()
    return (Action.select(Action, owner).join(owner, on=(Action.owner == owner.id), attr="owner")
            .where(Action.complaint == Bound("complaint")).order_by(Action.id))


_improvement_actions = kept(_actions_with_owners)

TIMELINE_LATEST = 50  # entries a complaint's page shows before "show the earlier entries"


def timeline_context(complaint, whole=False):
    """The complaint's events, oldest first: the latest TIMELINE_LATEST of them, and how many
    earlier ones the page leaves out, or all of them when `whole`. A complaint followed up daily
    for a year has hundreds, and writing them all out was half of its page; the latest say where
    things stand. A penalty decided is shown to those who see the accountability page only."""
    events = Event.timeline(complaint)
    if not accountability.may_see(current_user):
        events = events.where(Event.kind != "penalty")
    if whole:
        return {"timeline": list(events), "earlier_entries": 0}
    latest = list(events.order_by(Event.at.desc(), Event.id.desc()).limit(TIMELINE_LATEST + 1))
    earlier = events.count() - TIMELINE_LATEST if len(latest) > TIMELINE_LATEST else 0
    return {"timeline": latest[:TIMELINE_LATEST][::-1], "earlier_entries": earlier}


def _accountability(complaint):
    """Penalty flags and decisions: only for those who see the accountability page."""
    if not accountability.may_see(current_user):
        return None
    return {"flags": accountability.open_flags(complaint),
            "penalties": list(Penalty.select().where(Penalty.complaint == complaint.id).order_by(Penalty.id))}


def improvement_actions(complaint):
    """The complaint's improvement actions with their owners: one query."""
    return list(_improvement_actions(complaint=complaint))


def _repeats(complaint):
    """(earlier, [later…]): the complaint it repeats and those repeating it, each with whether the user may open it."""
    earlier = complaint.repeat_of if complaint.repeat_of_id else None
    later = list(_repeating(complaint=complaint))
    for c in ([earlier] if earlier else []) + later:
        c.visible = can_view(current_user, c)
    return earlier, later
