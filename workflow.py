"""The life of a complaint (DOMAIN.md §6): registration, classification, routing,
and every action taken on it, each written as an event in the same transaction.

No Flask here: callers pass the acting user and `now` (naive UTC), so every rule
can be tested at any instant.
"""
import json
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import accountability
import catalog
import compensation
import process
from callbacks import closing
from deadlines import calendar_days, clocks, ladder
from i18n import lazy_gettext as _l
from models import (
    Attachment,
    Call,
    Complaint,
    Department,
    Event,
    NumberCounter,
    PartsLine,
    Penalty,
    User,
    last_changed_by,
    lock_for_update,
    write_transaction,
)

OPEN = ("registered", "in_progress", "awaiting_callback")

# action -> {state it may start from: state it leads to (None: stays)}
TRANSITIONS = {
    "contact": {"registered": "in_progress", "in_progress": None, "awaiting_callback": None},
    "note": {"registered": None, "in_progress": None, "awaiting_callback": None, "closed": None},
    "assign": {s: None for s in OPEN},
    "edit": {s: None for s in OPEN},
    "findings": {"registered": None, "in_progress": None},
    "solution": {"in_progress": None},
    "resolve": {"in_progress": "awaiting_callback"},
    "unfounded": {"registered": "awaiting_callback", "in_progress": "awaiting_callback"},
    "callback": {"awaiting_callback": "closed"},  # "still unhappy" reopens instead
    "close": {s: "closed" for s in OPEN},
    "reopen": {"closed": "in_progress"},
    "manufacturer_feedback": {"awaiting_callback": None, "closed": None},
    "set_deadline": {s: None for s in OPEN},
    "wait": {"in_progress": None},
    "parts": {"in_progress": None},
    "parts_received": {"in_progress": None},
    "remedial": {s: None for s in OPEN},
    "region_report": {s: None for s in OPEN},
    "dispatch": {"registered": None, "in_progress": None},
    "acknowledge": {s: None for s in OPEN},
    "compensate": {"in_progress": None, "awaiting_callback": None},
    "approve_compensation": {s: None for s in OPEN},
    "tell_compensation": {"in_progress": None, "awaiting_callback": None},
    "responsibility": {s: None for s in OPEN + ("closed",)},
    "penalty": {s: None for s in OPEN + ("closed",)},
}

# Remarks for colleagues, improvement-action and case-library steps, and compensation offered or
# decided, never printed on the form the customer signs (it prints the actions and the approved
# compensation in rows of their own; what was told to the customer stays on the timeline).
INTERNAL_EVENTS = ("note", "remedial", "action_added", "action_revised", "action_done", "action_verified",
                   "case_made", "case_edited", "compensate", "approve_compensation",
                   "responsibility", "penalty")

ACTION_LABELS = {
    "contact": _l("Log a contact"),
    "note": _l("Add a note"),
    "assign": _l("Assign"),
    "edit": _l("Edit the registration"),
    "findings": _l("Record the findings"),
    "solution": _l("Record the solution"),
    "resolve": _l("Mark resolved"),
    "unfounded": _l("Mark unfounded"),
    "callback": _l("Log the closing callback"),
    "close": _l("Close with a reason"),
    "reopen": _l("Reopen"),
    "manufacturer_feedback": _l("Log the report to the manufacturer"),
    "set_deadline": _l("Set the completion deadline"),
    "wait": _l("Waiting for…"),
    "parts": _l("Parts: stock and parts-centre support"),
    "parts_received": _l("Parts received"),
    "remedial": _l("Record the remedial action"),
    "region_report": _l("Log the report to the manufacturer's region"),
    "dispatch": _l("Verify and dispatch"),
    "acknowledge": _l("Acknowledge receipt"),
    "compensate": _l("Add compensation"),
    "approve_compensation": _l("Approve or refuse compensation"),
    "tell_compensation": _l("Compensation told to the customer"),
    "responsibility": _l("Record the responsibility"),
    "penalty": _l("Confirm or waive a penalty"),
}

# Fields of the registration form; editing may change these.
REGISTRATION_FIELDS = (
    "received_at", "channel", "external_ref", "business_line", "customer_name",
    "customer_phone", "customer_type", "vehicle_model", "vin", "plate", "delivery_date",
    "category", "demand", "severity", "major_facts", "description", "person_involved",
)
# Fields whose changes the timeline shows as before -> after.
TRACKED = REGISTRATION_FIELDS + (
    "department", "handler", "status", "unfounded", "verified_facts", "cause_class", "cause",
    "handling_method", "solution", "acceptance", "confirmed_in_writing", "recourse_told",
    "compensation_type", "compensation_cost", "result", "root_cause", "responsibility",
    "unfounded_explanation", "close_reason", "waiting_reason", "parts_stock", "repeat_of",
)


class WorkflowError(Exception):
    """A rule refused the change; the message says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class StaleComplaint(Exception):
    """The complaint changed since the user loaded it."""

    def __init__(self, changed_by):
        super().__init__(changed_by)
        self.changed_by = changed_by


def classify(fields):
    """Apply DOMAIN.md §4: a major fact makes the complaint major.

    A demand to return or exchange the car is itself a major fact.
    """
    facts = set(fields.get("major_facts") or [])
    if fields.get("demand") in ("return_car", "exchange_car"):
        facts.add("return_exchange")
    fields["major_facts"] = [f for f in catalog.codes("major_fact") if f in facts]
    if facts:
        fields["severity"] = "major"
    return fields


def check_line(line, department):
    """The business line, the department handling it and the printed form must agree."""
    required = catalog.LINE_OF_DEPARTMENT.get(department.code) if department else None
    if required and required != line:
        raise WorkflowError(_l(
            "The %(department)s handles the other business line (this one is “%(line)s”), so the form would "
            "print wrong. Correct the business line first, or choose another department.",
            line=catalog.label("business_line", line), department=department.label))


def route(category):
    """The department a category goes to, or None for the care manager to triage."""
    code = catalog.ROUTED_TO.get(category)
    return Department.get_or_none(Department.code == code) if code else None


def next_number(received_local_year):
    """Issue the next number of the year; call inside write_transaction()."""
    NumberCounter.insert(year=received_local_year, last=0).on_conflict_ignore().execute()
    (NumberCounter.update(last=NumberCounter.last + 1)
     .where(NumberCounter.year == received_local_year).execute())
    last = NumberCounter.get_by_id(received_local_year).last
    return f"TS-{received_local_year}-{last:04d}"


def register(fields, by, now, tz="Asia/Shanghai", found_by_call=None):
    """Register a complaint from the intake form's cleaned fields (`found_by_call`: the
    satisfaction call that found it, which is then done and linked to it)."""
    fields = classify(dict(fields))
    fields["received_at"] = fields.get("received_at") or now
    local_year = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).year
    triage = process.settings()["triage"]
    with write_transaction():
        complaint = Complaint(
            number=next_number(local_year), registered_at=now, registered_by=by, status="registered",
            # With triage the care manager verifies it and hands it on (dispatch); until then it is theirs.
            department=None if triage else route(fields["category"]), awaiting_dispatch=triage, updated_at=now,
        )
        _set_fields(complaint, fields)
        complaint.save()
        calendar = calendar_days.load_calendar(tz)
        clocks.after_registration(complaint, calendar)
        complaint.save(only=[Complaint.next_due_at, Complaint.running_due_at])
        _mark_repeat(complaint)
        if found_by_call:
            (Call.update(status="complaint", complaint_found=complaint, called_at=now, called_by=by,
                         next_step_at=None, next_try_at=None)
             .where((Call.id == found_by_call) & (Call.status == "open")).execute())
        _write_event(complaint, by, now, "registered", {}, fields.get("description", ""))
        _tell_at_once(complaint, now, calendar)
    return complaint


def _mark_repeat(complaint):
    """Link a complaint to the latest earlier one of the same phone or VIN in the repeat window."""
    since = complaint.received_at - timedelta(days=process.settings()["repeat_days"])
    earlier = Complaint.repeated(complaint, since)
    if (earlier.id if earlier else None) != complaint.repeat_of_id:
        complaint.repeat_of = earlier
        Complaint.update(repeat_of=earlier).where(Complaint.id == complaint.id).execute()


def _tell_at_once(complaint, now, calendar):
    """New-car product quality, or anything major: the general manager and the care manager
    hear at once (policy §4.2.2.3), once per complaint, whether registered so or reclassified."""
    if complaint.told_at_once_at or not (complaint.category == "product_quality" or complaint.severity == "major"):
        return
    users = ladder.alert_at_once(complaint, now, calendar)
    Complaint.update(told_at_once_at=now).where(Complaint.id == complaint.id).execute()
    complaint.told_at_once_at = now
    _write_event(complaint, None, now, "told_at_once", {}, ", ".join(u.display_name for u in users))


def perform(action, complaint_id, version, by, now, **data):
    """Carry out one action on a complaint, or raise WorkflowError/StaleComplaint."""
    with write_transaction():
        complaint = lock_for_update(Complaint.select().where(Complaint.id == complaint_id)).get()
        if version is None or int(version) != complaint.version:
            raise StaleComplaint(last_changed_by(complaint.id))
        if complaint.status not in TRANSITIONS[action] or not _applies(action, complaint):
            raise WorkflowError(_l(
                "A complaint that is “%(status)s” cannot take “%(action)s” now.",
                status=catalog.label("status", complaint.status),
                action=ACTION_LABELS[action]))
        before = _snapshot(complaint)
        calendar = calendar_days.load_calendar()
        data["by"] = by
        text = APPLY[action](complaint, data, now, calendar)
        to = TRANSITIONS[action][before["status"]]
        if to and complaint.status == before["status"]:
            complaint.status = to
        if complaint.status == "closed" and before["status"] != "closed":
            complaint.closed_at = now
        clocks.after_action(action, complaint, data, now, calendar)
        if action == "callback" and data["outcome"] == "unhappy":
            ladder.notify_unhappy(complaint, now, calendar)
        if action == "dispatch":
            ladder.notify_dispatched(complaint, now, calendar)
        _closing_call(action, complaint, data, by, now, calendar)
        changes = _diff(before, _snapshot(complaint))
        complaint.version += 1
        complaint.updated_at = now
        complaint.save()
        _write_event(complaint, by, now, action, changes, text, data.get("event_data"))
        if action == "edit":
            _tell_at_once(complaint, now, calendar)
    return complaint


def _closing_call(action, complaint, data, by, now, calendar):
    """The closing callback as a call in the queue: opened on resolving, settled by the callback."""
    if action in ("resolve", "unfounded"):
        closing.open_for(complaint, calendar)
    elif action == "callback":
        closing.settle(complaint, data["outcome"], by, now, data.get("notes", ""))
    elif action in ("close", "reopen"):
        closing.cancel(complaint)


def _contact(complaint, data, now, calendar):
    if complaint.first_contact_at is None:
        complaint.first_contact_at = now
    return data["summary"]


def _note(complaint, data, now, calendar):
    return data["text"]


def _assign(complaint, data, now, calendar):
    handler = data.get("handler")
    if handler is not None and handler.id == complaint.person_involved_id:
        raise WorkflowError(_l("The person involved cannot handle the complaint about them."))
    check_line(complaint.business_line, data.get("department"))
    complaint.department = data.get("department")
    complaint.handler = handler
    return ""


def _edit(complaint, data, now, calendar):
    fields = classify(dict(data["fields"]))
    if complaint.handler_id and fields.get("person_involved") is not None \
            and fields["person_involved"].id == complaint.handler_id:
        raise WorkflowError(_l("The person involved cannot handle the complaint about them."))
    _set_fields(complaint, fields)
    check_line(complaint.business_line, complaint.department)
    _mark_repeat(complaint)
    return ""


def _findings(complaint, data, now, calendar):
    _set_fields(complaint, data["fields"])
    return ""


def _solution(complaint, data, now, calendar):
    fields = data["fields"]
    if fields.get("acceptance") == "rejected" and not fields.get("recourse_told"):
        raise WorkflowError(_l("The customer rejected the solution: record where they were told they can turn."))
    _set_fields(complaint, fields)
    return ""


def _resolve(complaint, data, now, calendar):
    if complaint.acceptance == "rejected":
        raise WorkflowError(_l(
            "The customer rejected the solution: the complaint stays open until one is agreed."))
    if not (complaint.cause_class and complaint.handling_method):
        raise WorkflowError(_l("Record the cause and the handling method before resolving."))
    complaint.result = data["result"]
    complaint.resolved_at = now
    return ""


def _unfounded(complaint, data, now, calendar):
    complaint.unfounded = True
    complaint.unfounded_explanation = data["explanation"]
    return ""


def _callback(complaint, data, now, calendar):
    if data["outcome"] == "unhappy":
        complaint.status = "in_progress"
        complaint.reopen_count += 1
        complaint.resolved_at = None
    data["event_data"] = {"outcome": data["outcome"]}
    return data.get("notes", "")


def _close(complaint, data, now, calendar):
    complaint.close_reason = data["reason"]
    return data["reason"]


def _reopen(complaint, data, now, calendar):
    complaint.reopen_count += 1
    complaint.closed_at = None
    complaint.resolved_at = None  # resolved again later, at its new time
    return data["reason"]


def _manufacturer_feedback(complaint, data, now, calendar):
    if complaint.channel != "manufacturer":
        raise WorkflowError(_l("Only a complaint from the manufacturer is reported back to it."))
    return data["text"]


def _set_deadline(complaint, data, now, calendar):
    if data["due_at"] <= now:
        raise WorkflowError(_l("The new deadline must be later than now."))
    before = clocks.set_completion_due(complaint, data["due_at"], calendar)
    if before is None:
        raise WorkflowError(_l("This complaint has no completion deadline running."))
    data["event_data"] = {"due": [before.isoformat(), data["due_at"].isoformat()]}
    return data["reason"]


def _wait(complaint, data, now, calendar):
    clocks.set_waiting(complaint, data["reason"], now, calendar)
    return ""


def _parts(complaint, data, now, calendar):
    lines = [line for line in data["lines"] if line["part_name"]]
    complaint.parts_stock = data["stock"]
    if data["stock"] != "out":
        return ""
    pending = PartsLine.select().where((PartsLine.complaint == complaint) & PartsLine.received_at.is_null()).count()
    if not lines and not pending:
        raise WorkflowError(_l("List the parts asked of the parts centre."))
    if pending + len(lines) > MAX_PARTS_LINES:
        raise WorkflowError(_l("At most six parts lines are open at once."))
    for line in lines:
        PartsLine.create(complaint=complaint, requested_at=now, **line)
    complaint.parts_served_at = None
    clocks.set_waiting(complaint, "parts_centre", now, calendar)
    return "; ".join(f"{x['part_name']} {x['part_number']} ×{x['quantity']}" for x in lines)


def _parts_received(complaint, data, now, calendar):
    received = [int(i) for i in data["lines"]]
    (PartsLine.update(received_at=now)
     .where((PartsLine.complaint == complaint) & PartsLine.id.in_(received) & PartsLine.received_at.is_null())
     .execute())
    still_missing = PartsLine.select().where((PartsLine.complaint == complaint) & PartsLine.received_at.is_null())
    if data["served"]:
        if still_missing.exists():
            raise WorkflowError(_l("Some parts have not arrived: the customer cannot have been served yet."))
        complaint.parts_served_at = now
        if complaint.waiting_reason == "parts_centre":
            clocks.set_waiting(complaint, "", now, calendar)
    names = [p.part_name for p in PartsLine.select().where(PartsLine.id.in_(received))]
    return ", ".join(names)


def _remedial(complaint, data, now, calendar):
    return data["text"]


def _dispatch(complaint, data, now, calendar):
    """The care manager has verified the complaint: it goes to the department with its
    completion deadline, and the department manager is to acknowledge it."""
    department, handler = data["department"], data.get("handler")
    if department is None:
        raise WorkflowError(_l("Choose the department that handles it."))
    if handler is not None and handler.id == complaint.person_involved_id:
        raise WorkflowError(_l("The person involved cannot handle the complaint about them."))
    check_line(complaint.business_line, department)
    complaint.verified_facts = data["verified_facts"]
    complaint.department, complaint.handler = department, handler
    complaint.awaiting_dispatch = False
    complaint.dispatched_at, complaint.dispatched_by = now, data["by"]
    data["event_data"] = {"due": data["due_at"].isoformat()}
    return data["verified_facts"]


def _acknowledge(complaint, data, now, calendar):
    if complaint.acknowledged_at:
        raise WorkflowError(_l("Receipt was acknowledged already."))
    complaint.acknowledged_at, complaint.acknowledged_by = now, data["by"]
    return ""


def _region_report(complaint, data, now, calendar):
    complaint.region_reported_at = now
    complaint.region_report = data["text"]
    return data["text"]


def _compensate(complaint, data, now, calendar):
    item = compensation.add(complaint, data["kind"], data["description"], data["amount"], data["by"], now)
    if item.status == "awaiting":
        ladder.notify_approvers(complaint, compensation.approver_roles(), now, calendar)
    data["event_data"] = {"compensation": item.id, "compensation_kind": item.kind,
                          "awaiting": item.status == "awaiting"}
    return compensation.describe(item, with_kind=False)


def _approve_compensation(complaint, data, now, calendar):
    try:
        item = compensation.decide(complaint, int(data["item"]), data["decision"] == "approve", data["reason"],
                                   data["by"], now)
    except compensation.CompensationRefused as refused:
        raise WorkflowError(refused.message) from None
    data["event_data"] = {"compensation": item.id, "compensation_kind": item.kind, "decision": item.status}
    return " — ".join(filter(None, [compensation.describe(item, with_kind=False), item.decision_reason]))


def _tell_compensation(complaint, data, now, calendar):
    try:
        item = compensation.tell(complaint, int(data["item"]), data["by"], now)
    except compensation.CompensationRefused as refused:
        raise WorkflowError(refused.message) from None
    data["event_data"] = {"compensation": item.id, "compensation_kind": item.kind}
    return compensation.describe(item, with_kind=False)


def _responsibility(complaint, data, now, calendar):
    person = data["person_involved"]
    if complaint.is_open and person is not None and person.id == complaint.handler_id:
        raise WorkflowError(_l("The person involved cannot handle the complaint about them."))
    complaint.responsibility = data["responsibility"]
    complaint.person_involved = data["person_involved"]
    return ""


def _penalty(complaint, data, now, calendar):
    reason = data["reason"]
    if reason not in dict(accountability.open_flags(complaint)):
        raise WorkflowError(_l("This complaint is not flagged for that penalty, or it was decided already."))
    confirm = data["decision"] == "confirm"
    problem = accountability.check_decision(reason, confirm, data["amount"], data["note"])
    if problem:  # the form says so beside the field; this holds for any other caller too
        raise WorkflowError(problem[1])
    Penalty.create(complaint=complaint.id, reason=reason, person=data["person"], decision=(
        "confirmed" if confirm else "waived"), amount=data["amount"] if confirm else None, note=data["note"] or "",
        decided_by=data["by"], decided_at=now)
    data["event_data"] = {"penalty": reason, "decision": "confirmed" if confirm else "waived"}
    who = data["person"].display_name if data["person"] else ""
    amount = f"¥{data['amount']:.2f}" if confirm else ""
    return " · ".join(filter(None, [who, amount, data["note"]]))


APPLY = {
    "contact": _contact, "note": _note, "assign": _assign, "edit": _edit,
    "findings": _findings, "solution": _solution, "resolve": _resolve,
    "unfounded": _unfounded, "callback": _callback, "close": _close, "reopen": _reopen,
    "manufacturer_feedback": _manufacturer_feedback, "set_deadline": _set_deadline, "wait": _wait,
    "parts": _parts, "parts_received": _parts_received, "remedial": _remedial, "region_report": _region_report,
    "dispatch": _dispatch, "acknowledge": _acknowledge,
    "compensate": _compensate, "approve_compensation": _approve_compensation, "tell_compensation": _tell_compensation,
    "responsibility": _responsibility, "penalty": _penalty,
}
MAX_PARTS_LINES = 6


def available_actions(user, complaint):
    """The actions this user can take on the complaint in its present state."""
    from permissions import can
    return [a for a in APPLY if complaint.status in TRANSITIONS[a] and can(user, a, complaint)
            and _applies(a, complaint)]


def next_step(complaint, actions):
    """The step the policy expects next that this user may take: the page's one primary
    action; the rest fold away."""
    c = complaint
    wanted = []
    if c.awaiting_dispatch:
        wanted.append("dispatch")
    if c.dispatched_at and not c.acknowledged_at and c.is_open:
        wanted.append("acknowledge")
    if c.is_open and c.handler_id is None:
        wanted.append("assign")
    if c.status == "registered":
        wanted.append("contact")  # first contact is running
    elif c.status == "in_progress":
        if c.parts_stock == "out" and not c.parts_served_at:
            wanted.append("parts_received")
        wanted.append("findings" if not (c.cause and c.handling_method) else
                      "solution" if not c.solution else "resolve")
    elif c.status == "awaiting_callback":
        wanted.append("callback")
    return next((step for step in wanted if step in actions), None)


def _applies(action, complaint):
    """Actions that only make sense for some complaints."""
    if action == "manufacturer_feedback":
        return complaint.channel == "manufacturer"
    if action == "region_report":
        return complaint.severity == "major" and not complaint.region_reported_at
    if action == "dispatch":
        return complaint.awaiting_dispatch
    if action == "assign":
        return not complaint.awaiting_dispatch  # dispatching is how it first reaches a department
    if action == "acknowledge":
        return bool(complaint.dispatched_at) and not complaint.acknowledged_at
    if action == "approve_compensation":
        return bool(compensation.awaiting(complaint))
    if action == "tell_compensation":
        return bool(compensation.to_tell(complaint))
    if action == "penalty":
        return bool(accountability.open_flags(complaint))
    if action in ("parts", "parts_received"):
        return complaint.business_line == "after_sales" and (
            action == "parts" or complaint.parts_stock == "out")
    return True


def _set_fields(complaint, fields):
    for name, value in fields.items():
        if name in ("major_facts", "recourse_told"):
            value = ",".join(value or [])
        setattr(complaint, name, value)


def _snapshot(complaint):
    return {name: _plain(getattr(complaint, name)) for name in TRACKED}


def _plain(value):
    """A JSON-friendly form of a field value, as the timeline will show it."""
    if isinstance(value, User):
        return value.display_name
    if isinstance(value, Complaint):
        return value.number
    if isinstance(value, Department):
        # Built-in codes are translated when shown; other departments keep their name.
        return value.code if value.code in catalog.BUILT_IN_CODES else value.name
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _diff(before, after):
    return {k: [before[k], after[k]] for k in TRACKED if before[k] != after[k]}


def _write_event(complaint, by, now, kind, changes, text, extra=None):
    payload = {"changes": changes}
    payload.update(extra or {})
    Event.create(complaint=complaint, at=now, actor=by, kind=kind, text=text or "",
                 data=json.dumps(payload, ensure_ascii=False))


def add_attachments(complaint_id, files, by, now):
    """Attach stored files (dicts of Attachment fields) and record it on the timeline.
    No version check: a new photo conflicts with nobody's edit."""
    with write_transaction():
        complaint = Complaint.get_by_id(complaint_id)
        for row in files:
            Attachment.create(complaint=complaint, uploaded_by=by, uploaded_at=now, **row)
        names = [row["original_name"] for row in files]
        Complaint.update(updated_at=now).where(Complaint.id == complaint_id).execute()
        _write_event(complaint, by, now, "attachments", {}, ", ".join(names), {"files": names})


def remove_attachment(attachment_id, by, now, reason):
    """Take a photo or document off the complaint; the file stays, for the record."""
    with write_transaction():
        attachment = Attachment.get_by_id(attachment_id)
        if attachment.removed_at:
            raise WorkflowError(_l("That was removed already."))
        Attachment.update(removed_at=now, removed_by=by).where(Attachment.id == attachment_id).execute()
        Complaint.update(updated_at=now).where(Complaint.id == attachment.complaint_id).execute()
        _write_event(attachment.complaint_id, by, now, "attachment_removed", {},
                     f"{attachment.original_name}: {reason}", {"file": attachment.original_name})


def sweep(now, calendar=None):
    """The periodic deadline check: reminders and escalations that have come due, for the
    complaints' deadlines, the calls to make and the improvement actions."""
    import improvements
    from callbacks import reminders
    calendar = calendar or calendar_days.load_calendar()
    report = ladder.sweep(now, calendar)
    report["calls"] = reminders.sweep(now, calendar)
    report["actions"] = improvements.sweep(now, calendar)
    return report
