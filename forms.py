"""One WTForms class per form. Forms check shape and format; rules that depend on
the complaint's state live in workflow.py."""
from datetime import timedelta

from flask import g, has_app_context
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

import accountability
import catalog
import compensation
import validators as fmt
from base_forms import ActionForm, BaseForm, PlainForm, local_now, strong_password
from i18n import lazy_gettext as _l
from models import Department, PartsLine, User

BLANK = ("", _l("— choose —"))
_FIVE_MINUTES = timedelta(minutes=5)  # a clock a little ahead is no error
RECEIVED_WITHIN = timedelta(days=366)
EARLIEST_DELIVERY_YEAR = 1980
LONGEST_DEADLINE = timedelta(days=366)
TEXT = 2000   # the longest a handling-form text may be
LONG = 5000   # the customer's own words may run longer


def later_within_a_year(form, field):
    """A deadline typed in the dealership's time: after now, within a year."""
    now = local_now()
    if field.data and field.data <= now:
        raise ValidationError(_l("The new deadline must be later than now."))
    if field.data and field.data > now + LONGEST_DEADLINE:
        raise ValidationError(_l("The new deadline must be within a year."))


def options(pairs):
    """(code, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def stripped(value):
    # A field missing from the post is "" like an empty one, never NULL.
    return value.strip() if isinstance(value, str) else ("" if value is None else value)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        # WTForms' own message here has no Chinese translation.
        allowed = {str(choice[0]) for choice in self.iter_choices()}
        if any(str(value) not in allowed for value in self.data or ()):
            raise ValidationError(_l("Choose only from the list."))


def text(label, required=False, size=TEXT, area=True, **kw):
    # No Optional() on optional text: it would stop form-level checks on empty fields.
    checks = [DataRequired(), Length(max=size)] if required else [Length(max=size)]
    field = TextAreaField if area else StringField
    return field(label, validators=checks, filters=[stripped], **kw)


def choice(label, kind, required=True, blank=True):
    choices = ([BLANK] if blank else []) + list(catalog.ALL[kind])
    return SelectField(label, choices=options(choices),
                       validators=[InputRequired() if required else Optional()])


def user_choices(blank_label):
    # (the id and name alone: whole rows, password hashes and all, cost the inbox a millisecond)
    staff = User.active_staff().select(User.id, User.display_name).tuples()
    return options([("", blank_label)] + [(str(user_id), name) for user_id, name in staff])


def department_choices(blank_label):
    return options([("", blank_label)] + [(str(d.id), d.label) for d in Department.listed()])


class LoginForm(BaseForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=40)],
                           filters=[stripped])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ComplaintForm(ActionForm):
    channel = choice(_l("Channel"), "channel", blank=False)  # phone first: most come by phone
    external_ref = text(_l("Manufacturer ticket no."), size=60, area=False)
    business_line = RadioField(_l("Business line"), choices=options(catalog.BUSINESS_LINES),
                               validators=[InputRequired()])
    received_at = DateTimeLocalField(_l("Received at"), format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    customer_name = text(_l("Customer name"), required=True, size=60, area=False)
    customer_phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=20), fmt.phone],
                                 filters=[fmt.normalize_phone])
    customer_type = choice(_l("Customer type"), "customer_type", required=False)
    vehicle_model = text(_l("Vehicle model"), size=60, area=False)
    vin = StringField(_l("VIN"), validators=[Optional(), Length(max=40), fmt.vin],
                      filters=[fmt.normalize_vin])
    plate = StringField(_l("Plate"), validators=[Optional(), Length(max=20), fmt.plate],
                        filters=[fmt.normalize_plate])
    delivery_date = DateField(_l("Delivery date"), validators=[Optional()])
    category = choice(_l("Category"), "category")
    demand = choice(_l("Demand"), "demand")
    severity = choice(_l("Severity"), "severity", blank=False)
    major_facts = MultiCheckboxField(_l("Major facts"), choices=options(catalog.MAJOR_FACTS))
    description = text(_l("Description in the customer's words"), required=True, size=LONG)
    person_involved = SelectField(_l("Person involved"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person_involved.choices = user_choices(_l("— nobody named —"))

    def validate_category(self, field):
        line = catalog.line_of_category(field.data)
        if line and self.business_line.data and line != self.business_line.data:
            raise ValidationError(_l(
                "“%(category)s” is handled by the %(line)s side: choose that business line, or another category.",
                category=catalog.label("category", field.data), line=catalog.label("business_line", line)))

    def validate_external_ref(self, field):
        if self.channel.data == "manufacturer" and not field.data:
            raise ValidationError(_l("A complaint from the manufacturer needs its ticket number."))

    def validate_received_at(self, field):
        if field.data and field.data > self.local_now + _FIVE_MINUTES:
            raise ValidationError(_l("The time received cannot be in the future."))
        # A complaint typed in late from paper is days old, not years: an older time
        # would be overdue at once and escalate for nothing.
        earliest = self.local_now - RECEIVED_WITHIN
        if field.data and field.data < earliest:
            raise ValidationError(_l("The time received must be within the last year (after %(day)s).",
                                     day=earliest.strftime("%Y-%m-%d")))

    def validate_delivery_date(self, field):
        if field.data and field.data > self.local_now.date():
            raise ValidationError(_l("The delivery date cannot be in the future."))
        if field.data and field.data.year < EARLIEST_DELIVERY_YEAR:
            raise ValidationError(_l("A delivery date from %(year)s on.", year=EARLIEST_DELIVERY_YEAR))

    @property
    def local_now(self):
        return local_now()


class FindingsForm(ActionForm):
    verified_facts = text(_l("Verified facts"))
    cause_class = choice(_l("Cause classification"), "cause_class")
    cause = text(_l("Cause"), required=True)
    handling_method = text(_l("Handling method"), required=True)
    root_cause = text(_l("Root cause"))


class SolutionForm(ActionForm):
    solution = text(_l("Solution offered to the customer"), required=True)
    acceptance = RadioField(_l("Customer's answer"), choices=options(catalog.ACCEPTANCE),
                            default="pending", validators=[InputRequired()])
    confirmed_in_writing = BooleanField(_l("Confirmed by the customer in writing"))
    recourse_told = MultiCheckboxField(_l("If rejected: recourse the customer was told of"),
                                       choices=options(catalog.RECOURSE))

    def validate_recourse_told(self, field):
        if self.acceptance.data == "rejected" and not field.data:
            raise ValidationError(_l("Tick where the customer was told they can turn."))

    def validate_confirmed_in_writing(self, field):
        if field.data and self.acceptance.data != "accepted":
            raise ValidationError(_l("Only an accepted solution can be confirmed in writing."))


class CompensationForm(ActionForm):
    kind = choice(_l("Compensation"), "compensation_kind")
    amount = DecimalField(_l("Cost to the dealership (yuan)"), places=2,
                          validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    description = text(_l("Details"), size=200, area=False)


class _ItemForm(ActionForm):
    item = SelectField(_l("Item"), validators=[InputRequired(_l("Choose an item."))])
    items_of = None  # the complaint's items this form acts on

    def bind(self, complaint):
        items = self.items_of(complaint)
        self.item.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(str(i.id), compensation.describe(i)) for i in items]


class ApprovalForm(_ItemForm):
    items_of = staticmethod(compensation.awaiting)
    decision = RadioField(_l("Decision"), choices=[SelectChoice("approve", _l("Approve")),
                                                   SelectChoice("refuse", _l("Refuse"))],
                          validators=[InputRequired(_l("Approve or refuse."))])
    reason = text(_l("Reason"), size=500)

    def validate_reason(self, field):
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError(_l("Say why it is refused: the handler tells the customer."))


class TellForm(_ItemForm):
    items_of = staticmethod(compensation.to_tell)


class ResponsibilityForm(ActionForm):
    responsibility = choice(_l("Responsibility"), "responsibility")
    person_involved = SelectField(_l("Person responsible"), validators=[Optional()])

    def bind(self, complaint):
        self.person_involved.choices = handler_choices(complaint.department_id)


class PenaltyForm(ActionForm):
    reason = SelectField(_l("Why"), validators=[InputRequired(_l("Choose why."))])
    person = SelectField(_l("Person responsible"), validators=[InputRequired(_l("Choose the person."))])
    decision = RadioField(_l("Decision"), choices=[SelectChoice("confirm", _l("Confirm the penalty")),
                                                   SelectChoice("waive", _l("Waive it"))],
                          validators=[InputRequired(_l("Confirm or waive."))])
    amount = DecimalField(_l("Amount (yuan)"), places=2, validators=[Optional(), NumberRange(min=0, max=10_000)])
    note = text(_l("Reason"), size=500)

    def bind(self, complaint):
        self.reason.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(reason, _l("%(why)s (%(low)s–%(high)s yuan)", why=catalog.label("penalty_reason", reason),
                                    low=int(low), high=int(high)))
            for reason, (low, high) in accountability.open_flags(complaint)]
        groups = handler_choices(complaint.department_id)
        groups[""] = [SelectChoice("", _l("— choose —"))]
        self.person.choices = groups

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.reason.data not in accountability.BANDS:
            return True
        problem = accountability.check_decision(self.reason.data, self.decision.data == "confirm",
                                                self.amount.data, self.note.data)
        if problem:
            getattr(self, problem[0]).errors.append(problem[1])
            return False
        return True


class ContactForm(ActionForm):
    method = choice(_l("How"), "contact_method", blank=False)
    summary = text(_l("What was said"), required=True)


class NoteForm(ActionForm):
    text = text(_l("Note"), required=True)


def _handling_staff():
    """Active staff who handle complaints, read once per request: a complaint page has several
    forms that offer them (assign, responsibility, penalty)."""
    if has_app_context() and "handling_staff" in g:
        return g.handling_staff
    staff = [u for u in User.with_roles(User.active_staff()) if u.roles - {"admin", "general_manager"}]
    if has_app_context():
        g.handling_staff = staff
    return staff


def handler_choices(department_id):
    """The department's own staff first, then everyone else who handles complaints (not
    accounts that only administer or only oversee: the administrator, the general manager)."""
    staff = _handling_staff()
    own = [SelectChoice(str(u.id), u.display_name) for u in staff if u.department_id == department_id]
    others = [SelectChoice(str(u.id), u.display_name) for u in staff if u.department_id != department_id]
    groups = {"": [SelectChoice("", _l("— nobody yet —"))]}
    if own:
        groups[_l("This department")] = own
    groups[_l("Other staff") if own else _l("Staff")] = others
    return groups


class AssignForm(ActionForm):
    department = SelectField(_l("Department"), validators=[Optional()])
    handler = SelectField(_l("Handler"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("— to triage —"))
        self.handler.choices = [SelectChoice("", _l("— nobody yet —"))]

    def bind(self, complaint):
        self.handler.choices = handler_choices(complaint.department_id)


class ResolveForm(ActionForm):
    result = text(_l("Result"), required=True)


class UnfoundedForm(ActionForm):
    explanation = text(_l("Explanation given to the customer"), required=True)


class CallbackForm(ActionForm):
    outcome = RadioField(_l("Outcome"), choices=options(catalog.CALLBACK_OUTCOMES),
                         validators=[InputRequired()])
    notes = text(_l("What the customer said"))


class ReasonForm(ActionForm):
    reason = text(_l("Reason"), required=True)


# The inbox's orders: "urgency" puts what can still be saved (due within the next hours)
# before what is already late, then everything else by its deadline.
INBOX_ORDERS = [("urgency", _l("Most urgent first")), ("due", _l("Deadline, soonest first")),
                ("-due", _l("Deadline, latest first")), ("-received", _l("Received, newest first")),
                ("received", _l("Received, oldest first"))]


class InboxFilter(PlainForm):
    """The inbox's filters; read from the query string, so no CSRF."""
    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)], filters=[stripped])
    status = SelectField(_l("Status"), choices=options([("open", _l("Open")), ("all", _l("All")),
                                                        ("to_dispatch", _l("To verify and dispatch")),
                                                        ("to_acknowledge", _l("Not yet acknowledged"))]
                                                       + catalog.STATUSES), default="open")
    department = SelectField(_l("Department"), validators=[Optional()])
    category = choice(_l("Category"), "category", required=False)
    severity = choice(_l("Severity"), "severity", required=False)
    channel = choice(_l("Channel"), "channel", required=False)
    cause_class = choice(_l("Cause classification"), "cause_class", required=False)
    business_line = choice(_l("Business line"), "business_line", required=False)
    handler = SelectField(_l("Handler"), validators=[Optional()])
    missed = SelectField(_l("Deadline missed"), validators=[Optional()], choices=options(
        [("", _l("All")), ("first_contact", _l("First contact")), ("completion", _l("Completion"))]))
    due = SelectField(_l("Deadline"), choices=options([("", _l("All")), ("soon", _l("Due within 4 hours")),
                                                      ("due_today", _l("Due today")),
                                                      ("overdue", _l("Overdue"))]), validators=[Optional()])
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])
    sort = SelectField(_l("Order"), choices=options(INBOX_ORDERS), default="urgency", validators=[Optional()])
    mine = BooleanField(_l("Mine"))
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("All"))
        self.handler.choices = user_choices(_l("All"))
        self.handler.choices.insert(1, SelectChoice("nobody", _l("Not yet taken")))
        for name in ("category", "severity", "channel", "cause_class", "business_line"):
            self[name].choices[0] = SelectChoice("", _l("All"))

    def validate_received_to(self, field):
        if field.data and self.received_from.data and field.data < self.received_from.data:
            raise ValidationError(_l("The end comes before the start."))


EMAIL = Regexp(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.com."))


class AccountForm(BaseForm):
    language = SelectField(_l("Language"), choices=options(catalog.LANGUAGES))
    email = StringField(_l("E-mail address"), filters=[stripped], validators=[Length(max=120), EMAIL])
    email_kinds = MultiCheckboxField(_l("Send me by e-mail"), choices=options(catalog.NOTIFICATION_KINDS))
    digest = BooleanField(_l("One daily summary instead of single messages"))
    current_password = PasswordField(_l("Current password"))
    new_password = PasswordField(_l("New password"), validators=[Optional(), Length(max=200), strong_password])

    def validate_current_password(self, field):
        if self.new_password.data and not field.data:
            raise ValidationError(_l("Enter your current password to change it."))

    def validate_new_password(self, field):
        if self.for_user.must_change_password and not field.data:
            raise ValidationError(_l("Choose your own password before you go on."))


class ManufacturerFeedbackForm(ActionForm):
    text = text(_l("What was reported to the manufacturer"), required=True)


class DeadlineForm(ActionForm):
    due_at = DateTimeLocalField(_l("New completion deadline"), format="%Y-%m-%dT%H:%M",
                                validators=[DataRequired(), later_within_a_year])
    reason = text(_l("Reason"), required=True)


class WaitForm(ActionForm):
    reason = SelectField(_l("Waiting for"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = options([("", _l("Nothing: carry on"))] + catalog.WAIT_REASONS)


class PartLineForm(PlainForm):
    part_name = text(_l("Part name"), size=80, area=False)
    part_number = text(_l("Part number"), size=40, area=False)
    quantity = IntegerField(_l("Quantity"), default=1, validators=[Optional(), NumberRange(min=1, max=999)])


class PartsForm(ActionForm):
    stock = RadioField(_l("Is the part in stock?"), choices=options(catalog.PARTS_STOCK), validators=[InputRequired()])
    lines = FieldList(FormField(PartLineForm), _l("Parts asked of the parts centre"), min_entries=6, max_entries=6)

    def validate_lines(self, field):
        if self.stock.data == "out" and not any(line.part_name.data for line in field):
            raise ValidationError(_l("Name at least one part for the parts centre."))


class PartsReceivedForm(ActionForm):
    lines = MultiCheckboxField(_l("Arrived"), choices=[])
    served = BooleanField(_l("All parts arrived and the customer has been served"))

    def bind(self, complaint):
        pending = PartsLine.select().where((PartsLine.complaint == complaint) & PartsLine.received_at.is_null())
        self.lines.choices = options([(str(p.id), f"{p.part_name} {p.part_number} ×{p.quantity}") for p in pending])


class DispatchForm(ActionForm):
    verified_facts = text(_l("What was verified: the facts and the cause as found"), required=True)
    department = SelectField(_l("Department"), validators=[InputRequired()])
    handler = SelectField(_l("Handler (the department manager may choose later)"), validators=[Optional()])
    due_at = DateTimeLocalField(_l("Completion deadline"), format="%Y-%m-%dT%H:%M",
                                validators=[DataRequired(), later_within_a_year])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("— choose —"))
        self.handler.choices = user_choices(_l("— nobody yet —"))

    def bind(self, complaint):
        self.handler.choices = handler_choices(complaint.department_id)


class AcknowledgeForm(ActionForm):
    """One click: the department manager signs for the complaint."""


class RegionReportForm(ActionForm):
    text = text(_l("Who at the manufacturer's region was told, how, and what they said"), required=True)


class RemedialForm(ActionForm):
    text = text(_l("What was done to put it right"), required=True)
