"""Registering a complaint, its page, its printed form and its edit form."""
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
import compensation
import process
import validators as fmt
import workflow
from forms import ComplaintForm
from models import Attachment, Call, Complaint, Event, User, utcnow
from permissions import can, can_view
from views import abort_unless, get_complaint_or_404, is_fragment, render, to_local, to_utc
from views.actions import detail_context, improvement_actions, run_action, timeline_context

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """The intake form; on save, the complaint is numbered, classified and routed. Opened from a
    satisfaction call that found a complaint (?call=), it comes prefilled and is linked to the call."""
    call = _finding_call(request.args.get("call"))
    form = ComplaintForm(data=_from_call(call) if call and request.method == "GET" else None)
    if form.validate_on_submit():
        complaint = workflow.register(registration_fields(form), current_user, utcnow(),
                                      current_app.config["TIMEZONE"], found_by_call=call.id if call else None)
        flash(_("Complaint %(number)s registered.", number=complaint.number))
        return redirect(url_for("complaints.show", number=complaint.number), code=303)
    return render("complaints/new.html", form=form, call=call, status=422 if form.errors else 200)


def _finding_call(call_id):
    """The open call a complaint was found on, if the user may record it."""
    from views.callbacks import can_record
    call = Call.get_or_none(Call.id == call_id) if call_id and str(call_id).isdigit() else None
    return call if call and call.is_open and can_record(current_user, call) else None


def _from_call(call):
    """The intake form's fields as the call knows them: customer, car, channel, person involved."""
    record = call.delivery or call.service_visit
    person = (record.consultant_id if call.delivery_id else record.advisor_id) if record else None
    return {"channel": "callback", "customer_name": call.customer_name, "customer_phone": call.customer_phone,
            "business_line": "sales" if call.delivery_id else "after_sales",
            "vehicle_model": record.vehicle_model if record else "", "vin": record.vin if record else "",
            "plate": record.plate if record else "",
            "delivery_date": record.delivered_on if call.delivery_id else None,
            "person_involved": str(person) if person else ""}


def registration_fields(form):
    """The form's cleaned data as complaint fields."""
    fields = {name: form[name].data for name in workflow.REGISTRATION_FIELDS}
    fields["received_at"] = to_utc(form.received_at.data) if form.received_at.data else None
    fields["person_involved"] = User.get_or_none(User.id == (form.person_involved.data or None))
    for name in ("customer_type", "vin", "plate", "external_ref", "vehicle_model"):
        fields[name] = fields[name] or ""
    return fields


@bp.get("/similar")
@login_required
def similar():
    """Earlier complaints of the same phone or VIN, while the intake form is typed."""
    phone = fmt.normalize_phone(request.args.get("customer_phone", ""))
    vin = fmt.normalize_vin(request.args.get("vin", ""))
    earlier = Complaint.earlier_for(phone if fmt.is_phone(phone) else None,
                                    vin if fmt.is_vin(vin) else None, limit=50)
    for complaint in earlier:
        complaint.visible = can_view(current_user, complaint)
    return render("complaints/_similar.html", earlier=earlier)


@bp.get("/<number>")
@login_required
def show(number):
    """Everything about a complaint: details, the actions the user may take, timeline."""
    complaint = get_complaint_or_404(number)
    audit.record("complaint_viewed", actor=current_user, target=number)
    return render("complaints/show.html", "complaints/_detail.html",
                  **detail_context(complaint, whole_timeline=request.args.get("timeline") == "all"))


@bp.get("/<number>/timeline")
@login_required
def timeline(number):
    """The complaint's whole timeline, when the page's latest entries are not enough (htmx);
    without script, the page with the whole timeline."""
    complaint = get_complaint_or_404(number)
    if not is_fragment():
        return redirect(url_for("complaints.show", number=number, timeline="all", _anchor="timeline"))
    return render("complaints/_timeline.html", complaint=complaint, **timeline_context(complaint, whole=True))


@bp.get("/<number>/print")
@login_required
def print_form(number):
    """The complaint as its paper form (sales or after-sales), for A4."""
    complaint = get_complaint_or_404(number)
    audit.record("complaint_printed", actor=current_user, target=number)
    # The customer signs this paper: internal notes stay in the app.
    timeline = [e for e in Event.timeline(complaint) if e.kind not in workflow.INTERNAL_EVENTS]
    return render("complaints/print.html", complaint=complaint, attachments=Attachment.on(complaint),
                  timeline=timeline, improvement_actions=improvement_actions(complaint),
                  compensation_items=compensation.items_of(complaint),
                  dealer=process.dealership(current_app.config["DEALERSHIP_NAME"]))


@bp.route("/<number>/edit", methods=["GET", "POST"])
@login_required
def edit(number):
    """Correct or reclassify the registration; a stale edit is refused, not merged."""
    complaint = get_complaint_or_404(number)
    abort_unless(can(current_user, "edit", complaint))
    form = ComplaintForm(obj=complaint)
    status = 200
    if request.method == "GET":
        audit.record("complaint_viewed", actor=current_user, target=number)
        form.person_involved.data = str(complaint.person_involved_id or "")
        form.received_at.data = to_local(complaint.received_at)
        form.major_facts.data = complaint.major_fact_list
        form.version.data = complaint.version
    elif form.validate_on_submit():
        status = run_action("edit", complaint, form, fields=registration_fields(form))
        if status is None:
            return redirect(url_for("complaints.show", number=number), code=303)
    else:
        status = 422
    return render("complaints/edit.html", form=form, complaint=complaint, status=status)
