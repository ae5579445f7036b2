"""The dealership's vocabulary (DOMAIN.md §2-§4, §8, §12): codes stored in the
database and their labels, translated when shown.

Labels are lazy strings, so this module needs no request to import.
"""
from i18n import lazy_gettext as _l

ROLES = [
    ("front_line", _l("Front-line staff")),
    ("callback_clerk", _l("Callback clerk")),
    ("care_manager", _l("Customer-care manager")),
    ("department_manager", _l("Department manager")),
    ("general_manager", _l("General manager")),
    ("admin", _l("Administrator")),
]

# Departments every dealership has; the administrator may add more.
BUILT_IN_DEPARTMENTS = [
    ("sales", _l("Sales department")),
    ("after_sales", _l("After-sales department")),
    ("value_added", _l("Value-added department")),
]
BUILT_IN_CODES = {code for code, _label in BUILT_IN_DEPARTMENTS}

CHANNELS = [
    ("phone", _l("Phone")),
    ("walk_in", _l("Walk-in")),
    ("letter", _l("Letter")),
    ("fax", _l("Fax")),
    ("email", _l("E-mail")),
    ("chat", _l("Online chat")),
    ("social", _l("Social media")),
    ("manufacturer", _l("Manufacturer hotline / CRM")),
    ("callback", _l("Proactive callback")),
    ("staff_report", _l("Reported by staff")),
]

BUSINESS_LINES = [
    ("sales", _l("Sales")),
    ("after_sales", _l("After-sales")),
]

# category code, label, department code it is routed to (None: the
# customer-care manager triages it).
CATEGORY_ROUTING = [
    ("sales_service", _l("Sales service quality"), "sales"),
    ("staff_attitude", _l("Staff attitude"), "sales"),
    ("sales_promise", _l("Promises made during the sale"), "sales"),
    ("price", _l("Price"), "sales"),
    ("paperwork", _l("Paperwork and procedures"), "sales"),
    ("disclosure", _l("Information / contract disclosure"), "sales"),
    ("new_car_delivery", _l("New-car resources and delivery"), "sales"),
    ("product_quality", _l("New-car product quality"), "after_sales"),
    ("after_sales_service", _l("After-sales service"), "after_sales"),
    ("repair_quality", _l("Repair quality"), "after_sales"),
    ("parts_supply", _l("Parts supply"), "after_sales"),
    ("value_added", _l("Value-added products and services"), "value_added"),
    ("other", _l("Other"), None),
]
CATEGORIES = [(code, label) for code, label, _dept in CATEGORY_ROUTING]
ROUTED_TO = {code: dept for code, _label, dept in CATEGORY_ROUTING}
# Departments that handle one business line only (the form prints by the line); the
# value-added department, and any the administrator adds, take either.
LINE_OF_DEPARTMENT = {"sales": "sales", "after_sales": "after_sales"}


def line_of_category(category):
    """The business line a category's department belongs to, or None when either will do."""
    return LINE_OF_DEPARTMENT.get(ROUTED_TO.get(category))

DEMANDS = [
    ("return_car", _l("Return the car")),
    ("exchange_car", _l("Exchange the car")),
    ("price_reduction", _l("Price reduction")),
    ("free_repair", _l("Free repair")),
    ("compensation", _l("Compensation")),
    ("reduce_order", _l("Reduce the order")),
    ("cancel_order", _l("Cancel the order")),
    ("technical_improvement", _l("Technical improvement")),
    ("quality_improvement", _l("Quality improvement")),
    ("apology", _l("Apology / explanation")),
    ("other", _l("Other")),
]

SEVERITIES = [
    ("general", _l("General")),
    ("intermediate", _l("Intermediate")),
    ("major", _l("Major")),
    ("irrational", _l("Irrational")),
]

# Any of these makes a complaint major (DOMAIN.md §4).
MAJOR_FACTS = [
    ("fire", _l("Fire")),
    ("engine_gearbox", _l("Demands a new engine or gearbox")),
    ("return_exchange", _l("Demands to return or exchange the car")),
    ("media_court", _l("Media, consumer association or court (gone or threatened)")),
]

CUSTOMER_TYPES = [
    ("impatient", _l("Impatient")),
    ("pernickety", _l("Pernickety")),
    ("dogmatic", _l("Dogmatic")),
    ("talkative", _l("Talkative")),
    ("show_off", _l("Show-off")),
    ("superior", _l("Superior")),
    ("suspicious", _l("Suspicious")),
    ("grumbling", _l("Grumbling")),
    ("fault_finding", _l("Fault-finding")),
    ("rude", _l("Rude")),
    ("eloquent", _l("Eloquent")),
    ("nervous", _l("Nervous")),
]

STATUSES = [
    ("registered", _l("Awaiting contact")),
    ("in_progress", _l("In progress")),
    ("awaiting_callback", _l("Awaiting callback")),
    ("closed", _l("Closed")),
]

CAUSE_CLASSES = [
    ("product_quality", _l("Product quality")),
    ("after_sales_service", _l("After-sales service")),
    ("sales_process", _l("Sales staff attitude or service process")),
    ("paperwork", _l("Paperwork")),
    ("sales_promise", _l("Promises during the sale")),
    ("misunderstanding", _l("Customer misunderstanding or misuse")),
    ("pdi_missed", _l("Defect missed at pre-delivery inspection")),
    ("other", _l("Other")),
]

COMPENSATION_TYPES = [
    ("none", _l("None")),
    ("free_repair", _l("Free repair")),
    ("free_labour", _l("Labour-free repair")),
    ("free_parts", _l("Free parts / replaced assembly")),
    ("extended_warranty", _l("Extended warranty")),
    ("cash", _l("Cash compensation")),
    ("gifted_service", _l("Gifted parts or maintenance")),
    ("on_site_service", _l("On-site service")),
    ("other", _l("Other")),
]

# What a compensation item can be: the forms of DOMAIN.md §8, and a return or exchange of the car.
COMPENSATION_KINDS = [("return_car", _l("Return of the car")), ("exchange_car", _l("Exchange of the car"))] + [
    (code, name) for code, name in COMPENSATION_TYPES if code != "none"]
APPROVAL_ALWAYS = ("return_car", "exchange_car")
COMPENSATION_STATUSES = [("awaiting", _l("Awaiting approval")), ("approved", _l("Approved")),
                         ("refused", _l("Refused"))]

# Who or what was responsible (the finding), and why a penalty is flagged (accountability.py).
RESPONSIBILITY = [
    ("customer_misunderstanding", _l("Customer misunderstanding")),
    ("customer_misuse", _l("Customer misuse")),
    ("internal_person", _l("Internal: a person")),
    ("internal_process", _l("Internal: a process")),
    ("manufacturer_quality", _l("Manufacturer: product quality")),
    ("pdi_missed", _l("Missed at the pre-delivery inspection")),
    ("other", _l("Other")),
]
PENALTY_REASONS = [("late_registration", _l("Not registered in time (or hidden)")),
                   ("manufacturer_first", _l("The customer went to the manufacturer first"))]

CONTACT_METHODS = [
    ("phone", _l("Phone")),
    ("visit", _l("Visit")),
    ("message", _l("Message")),
]

ACCEPTANCE = [
    ("pending", _l("Not answered yet")),
    ("accepted", _l("Accepted")),
    ("rejected", _l("Rejected")),
]

RECOURSE = [
    ("manufacturer_hotline", _l("The manufacturer's hotline")),
    ("consumer_12315", _l("Consumer association (12315)")),
]

CALLBACK_OUTCOMES = [
    ("satisfied", _l("Satisfied")),
    ("unhappy", _l("Still unhappy")),
]

LANGUAGES = [
    ("zh_CN", "简体中文"),
    ("en", "English"),
]

ALL = {
    "role": ROLES, "channel": CHANNELS, "business_line": BUSINESS_LINES,
    "category": CATEGORIES, "demand": DEMANDS, "severity": SEVERITIES,
    "major_fact": MAJOR_FACTS, "customer_type": CUSTOMER_TYPES, "status": STATUSES,
    "cause_class": CAUSE_CLASSES, "compensation_type": COMPENSATION_TYPES,
    "compensation_kind": COMPENSATION_KINDS, "compensation_status": COMPENSATION_STATUSES,
    "responsibility": RESPONSIBILITY, "penalty_reason": PENALTY_REASONS,
    "contact_method": CONTACT_METHODS, "acceptance": ACCEPTANCE, "recourse": RECOURSE,
    "callback_outcome": CALLBACK_OUTCOMES, "department": BUILT_IN_DEPARTMENTS,
}
_LABELS = {kind: dict(pairs) for kind, pairs in ALL.items()}
_LABELS["compensation_kind"]["none"] = _l("None")  # recorded before compensation had items


def label(kind, code):
    """The translated label of a code, or the code itself when unknown."""
    if code is None or code == "":
        return ""
    return _LABELS[kind].get(code, code)


def labels(kind):
    """{code: translated label} of a kind, in the current language: for a table that shows a
    label on every row and looks each up once for the page."""
    return translated(_LABELS[kind])


def translated(mapping):
    """{key: label} with each label translated now: a page looks a label up for every row."""
    return {key: str(text) for key, text in mapping.items()}


def codes(kind):
    return [code for code, _label in ALL[kind]]


# The complaint's fields as the timeline names them.
FIELD_LABELS = {
    "received_at": _l("Received at"), "channel": _l("Channel"),
    "external_ref": _l("Manufacturer ticket no."), "business_line": _l("Business line"),
    "customer_name": _l("Customer name"), "customer_phone": _l("Phone"),
    "customer_type": _l("Customer type"), "vehicle_model": _l("Vehicle model"),
    "vin": _l("VIN"), "plate": _l("Plate"), "delivery_date": _l("Delivery date"),
    "category": _l("Category"), "demand": _l("Demand"), "severity": _l("Severity"),
    "major_facts": _l("Major facts"), "description": _l("Description in the customer's words"),
    "person_involved": _l("Person involved"), "department": _l("Department"),
    "handler": _l("Handler"), "status": _l("Status"), "unfounded": _l("Unfounded"),
    "verified_facts": _l("Verified facts"), "cause_class": _l("Cause classification"),
    "cause": _l("Cause"), "handling_method": _l("Handling method"),
    "solution": _l("Solution offered to the customer"), "acceptance": _l("Customer's answer"),
    "confirmed_in_writing": _l("Confirmed by the customer in writing"),
    "recourse_told": _l("Recourse the customer was told of"),
    "compensation_type": _l("Compensation"), "compensation_cost": _l("Compensation cost (yuan)"),
    "result": _l("Result"), "root_cause": _l("Root cause"), "improvement": _l("Improvement measures"),
    "unfounded_explanation": _l("Explanation given to the customer"), "close_reason": _l("Reason"),
}
_CODED = {
    "channel": "channel", "business_line": "business_line", "category": "category",
    "demand": "demand", "severity": "severity", "customer_type": "customer_type",
    "status": "status", "cause_class": "cause_class", "acceptance": "acceptance",
    "compensation_type": "compensation_kind", "department": "department", "responsibility": "responsibility",
    "major_facts": "major_fact", "recourse_told": "recourse",
}
_LISTS = {"major_facts", "recourse_told"}


def show_value(field, value):
    """A stored value as staff read it: codes as labels, lists joined, yes/no."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _l("Yes") if value else _l("No")
    if field in _LISTS:
        items = value.split(",") if isinstance(value, str) else value
        return ", ".join(str(label(_CODED[field], item)) for item in items if item)
    if field in _CODED:
        return label(_CODED[field], value)
    return value

EVENT_LABELS = {
    "registered": _l("Registered"),
    "contact": _l("Contact with the customer"),
    "note": _l("Internal note"),
    "assign": _l("Assigned"),
    "edit": _l("Registration edited"),
    "findings": _l("Findings recorded"),
    "solution": _l("Solution recorded"),
    "resolve": _l("Resolved"),
    "unfounded": _l("Marked unfounded"),
    "callback": _l("Closing callback"),
    "close": _l("Closed"),
    "reopen": _l("Reopened"),
}

CLOCKS = [
    ("first_contact", _l("First contact")),
    ("acknowledgement", _l("Acknowledgement of receipt")),
    ("solution", _l("Solution told")),
    ("completion", _l("Completion")),
    ("callback", _l("Closing callback")),
    ("manufacturer_feedback", _l("Report to the manufacturer")),
]

PARTS_STOCK = [
    ("own", _l("In stock in our workshop")),
    ("sister", _l("In stock at a sister dealer")),
    ("out", _l("Out of stock: ask the parts centre")),
]

NOTIFICATION_KINDS = [
    ("before", _l("Reminder the working day before")),
    ("due_day", _l("Due today")),
    ("overdue", _l("Overdue")),
    ("unhappy", _l("Still unhappy after the callback")),
    ("at_once", _l("Product quality or major: at once")),
    ("dispatched", _l("Dispatched to my department")),
    ("approval", _l("Compensation to approve")),
]

RECIPIENTS = [
    ("handler", _l("Handler")),
    ("department_manager", _l("Department manager")),
    ("care_manager", _l("Customer-care manager")),
    ("general_manager", _l("General manager")),
    ("callback_clerk", _l("Callback clerk")),
]

WEBHOOK_FORMATS = [
    ("wecom", _l("WeChat Work group robot")),
    ("dingtalk", _l("DingTalk group robot")),
    ("json", _l("Plain JSON")),
]

CLOCK_UNITS = [
    ("hours", _l("hours")),
    ("working_hours", _l("working hours")),
    ("working_days", _l("working days")),
    ("same_working_day", _l("the same working day")),
]

WAIT_REASONS = [
    ("parts_centre", _l("the parts centre")),
    ("customer", _l("the customer")),
    ("manufacturer", _l("the manufacturer")),
]

ALL.update({"wait_reason": WAIT_REASONS, "clock": CLOCKS, "parts_stock": PARTS_STOCK,
            "notification": NOTIFICATION_KINDS, "recipient": RECIPIENTS, "webhook_format": WEBHOOK_FORMATS,
            "clock_unit": CLOCK_UNITS})
_LABELS.update({kind: dict(ALL[kind]) for kind in ("wait_reason", "clock", "parts_stock", "notification", "recipient",
                                                   "webhook_format", "clock_unit")})
EVENT_LABELS.update({
    "manufacturer_feedback": _l("Reported to the manufacturer"),
    "set_deadline": _l("Completion deadline set"),
    "wait": _l("Waiting"),
    "parts": _l("Parts work order"),
    "parts_received": _l("Parts received"),
    "remedial": _l("Remedial action"),
    "told_at_once": _l("General manager and customer-care manager told at once"),
    "dispatch": _l("Verified and dispatched"),
    "acknowledge": _l("Receipt acknowledged"),
    "region_report": _l("Reported to the manufacturer's region"),
    "attachments": _l("Photos or documents added"),
    "attachment_removed": _l("Photo or document removed"),
})
ACTION_STATUSES = [("open", _l("Open")), ("done", _l("Done: effect to verify")),
                   ("effective", _l("Verified effective")), ("ineffective", _l("Verified not effective"))]
ALL["action_status"] = ACTION_STATUSES
_LABELS["action_status"] = dict(ACTION_STATUSES)
EVENT_LABELS.update({
    "action_added": _l("Improvement action added"),
    "action_revised": _l("Improvement action rescheduled"),
    "action_done": _l("Improvement action done"),
    "action_verified": _l("Improvement action's effect verified"),
    "case_made": _l("Added to the case library"),
    "compensate": _l("Compensation added"),
    "approve_compensation": _l("Compensation approved or refused"),
    "tell_compensation": _l("Compensation told to the customer"),
    "responsibility": _l("Responsibility found"),
    "penalty": _l("Penalty decided"),
    "case_edited": _l("Case in the case library amended"),
})
FIELD_LABELS.update({"owner": _l("Owner"), "due_on": _l("Due date"), "responsibility": _l("Responsibility")})
FIELD_LABELS.update({"waiting_reason": _l("Waiting for"), "parts_stock": _l("Parts"),
                     "repeat_of": _l("Repeat of")})
_CODED.update({"parts_stock": "parts_stock", "waiting_reason": "wait_reason"})

# What the audit log records (audit.py), as the administrator reads it.
AUDIT_ACTIONS = [
    ("login", _l("Logged in")),
    ("login_failed", _l("Failed login")),
    ("login_refused", _l("Login refused: too many failures")),
    ("logout", _l("Logged out")),
    ("denied", _l("Permission denied")),
    ("password_reset", _l("Password reset by the administrator")),
    ("password_changed", _l("Own password changed")),
    ("user_created", _l("User added")),
    ("user_changed", _l("User changed")),
    ("department_changed", _l("Department changed")),
    ("rule_changed", _l("Deadline rule changed")),
    ("calendar_changed", _l("Calendar changed")),
    ("escalation_changed", _l("Escalation settings changed")),
    ("dealership_changed", _l("Dealership details changed")),
    ("guidance_changed", _l("Handling guidance changed")),
    ("complaint_viewed", _l("Complaint opened")),
    ("complaint_printed", _l("Complaint printed")),
    ("attachment_downloaded", _l("Attachment opened")),
    ("export", _l("Export")),
    ("action_changed", _l("Improvement action changed")),
    ("backup_restored", _l("Backup restored")),
]
ALL["audit_action"] = AUDIT_ACTIONS
_LABELS["audit_action"] = dict(AUDIT_ACTIONS)

WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")), (4, _l("Friday")),
            (5, _l("Saturday")), (6, _l("Sunday"))]
# China's public holidays, by the codes the chinesecalendar package gives them.
HOLIDAYS = [
    ("new_years_day", _l("New Year's Day")), ("spring_festival", _l("Spring Festival")),
    ("tomb_sweeping_day", _l("Tomb-sweeping Day")), ("labour_day", _l("Labour Day")),
    ("dragon_boat_festival", _l("Dragon Boat Festival")), ("national_day", _l("National Day")),
    ("mid_autumn_festival", _l("Mid-autumn Festival")), ("anti_fascist_70th_day", _l("Anti-Fascist 70th Day")),
]
CALENDAR_KINDS = [("holiday", _l("Holiday: closed")), ("open_holiday", _l("Holiday: staffed")),
                  ("workday", _l("Make-up working day"))]
ALL.update({"weekday": WEEKDAYS, "holiday": HOLIDAYS, "calendar_kind": CALENDAR_KINDS})
_LABELS.update({kind: dict(ALL[kind]) for kind in ("weekday", "holiday", "calendar_kind")})

# Proactive callbacks (callbacks/).
CALL_KINDS = [
    ("sales_3d", _l("Consultant's call, 3 days after delivery")),
    ("delivery_7d", _l("Delivery callback, 7 days")),
    ("delivery_25d", _l("Delivery callback, 25 days")),
    ("service_3d", _l("Service callback, 3 days after hand-back")),
    ("closing", _l("Closing callback of a complaint")),
]
CALL_STATUSES = [
    ("open", _l("To call")), ("satisfied", _l("Satisfied")), ("unhappy", _l("Still unhappy")),
    ("complaint", _l("Complaint found")), ("unreachable", _l("Unreachable")), ("wrong_number", _l("Wrong number")),
    ("do_not_call", _l("Asked not to be called")), ("cancelled", _l("Cancelled")),
]
CALL_OUTCOMES = [
    ("satisfied", _l("Satisfied")), ("unhappy", _l("Still unhappy")), ("complaint", _l("Complaint found")),
    ("no_answer", _l("No answer")), ("wrong_number", _l("Wrong number")),
    ("do_not_call", _l("Asks not to be called again")),
]
CALL_OWNERS = [("consultant", _l("The sales consultant or service advisor")), ("callback_clerk", _l("Callback clerk")),
               ("care_manager", _l("Customer-care manager"))]
ALL.update({"call_kind": CALL_KINDS, "call_status": CALL_STATUSES, "call_outcome": CALL_OUTCOMES,
            "call_owner": CALL_OWNERS})
_LABELS.update({kind: dict(ALL[kind]) for kind in ("call_kind", "call_status", "call_outcome", "call_owner")})
IMPORT_KINDS = [("deliveries", _l("Deliveries of new cars")), ("service_visits", _l("Service visits"))]
IMPORT_STATUSES = [("uploaded", _l("Uploaded")), ("mapping", _l("Columns to choose")), ("checking", _l("Checking")),
                   ("checked", _l("Checked, not saved")), ("saving", _l("Saving")), ("done", _l("Saved")),
                   ("failed", _l("Failed"))]
ALL.update({"import_kind": IMPORT_KINDS, "import_status": IMPORT_STATUSES})
_LABELS.update({kind: dict(ALL[kind]) for kind in ("import_kind", "import_status")})
