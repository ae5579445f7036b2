"""Forms of the administrator's screens: users, departments, deadline rules,
calendar, escalation."""
from flask import current_app
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

import catalog
import outbound
from base_forms import BaseForm, PlainForm, strong_password
from forms import MultiCheckboxField, department_choices, options, stripped, text
from i18n import lazy_gettext as _l
from models import User

USERNAME = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only."))


class UserForm(BaseForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=40), USERNAME],
                           filters=[stripped])
    display_name = text(_l("Full name"), required=True, size=60, area=False)
    department = SelectField(_l("Department"), validators=[Optional()])
    roles = MultiCheckboxField(_l("Roles"), choices=options(catalog.ROLES),
                               validators=[DataRequired(_l("Give the user at least one role."))])
    language = SelectField(_l("Language"), choices=options(catalog.LANGUAGES), default="zh_CN")
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("— none —"))


class PasswordForm(BaseForm):
    password = PasswordField(_l("New password (leave empty to generate one)"),
                             validators=[Optional(), Length(max=200), strong_password])


class DepartmentForm(BaseForm):
    name = text(_l("Department name"), required=True, size=60, area=False)


ANY = [("*", _l("any"))]


class RuleForm(BaseForm):
    kind = SelectField(_l("Deadline"), choices=options(catalog.CLOCKS), validators=[InputRequired()])
    category = SelectField(_l("Category"), choices=options(ANY + catalog.CATEGORIES), default="*")
    severity = SelectField(_l("Severity"), choices=options(ANY + catalog.SEVERITIES), default="*")
    amount = IntegerField(_l("Length"), validators=[InputRequired(), NumberRange(min=1, max=1000)])
    unit = SelectField(_l("Unit"), choices=options(catalog.CLOCK_UNITS), validators=[InputRequired()])


class RuleLengthForm(BaseForm):
    amount = IntegerField(_l("Length"), validators=[InputRequired(), NumberRange(min=1, max=1000)])
    unit = SelectField(_l("Unit"), choices=options(catalog.CLOCK_UNITS), validators=[InputRequired()])


class CalendarForm(BaseForm):
    lines = text(_l("Days, one per line: date, holiday or workday, name"), required=True, size=20000)


class CalendarImportForm(BaseForm):
    file = FileField(_l("CSV file (date,kind,name)"), validators=[FileRequired()])


class WeekdayForm(PlainForm):
    """One weekday of the showroom's week; the lunch break may be left empty."""
    open = BooleanField(_l("Open that day"))
    start = TimeField(_l("Opens"), validators=[Optional()])
    lunch_start = TimeField(_l("Lunch from"), validators=[Optional()])
    lunch_end = TimeField(_l("Lunch until"), validators=[Optional()])
    end = TimeField(_l("Closes"), validators=[Optional()])

    def validate(self, extra_validators=None):
        """The day as a whole (each time alone is optional: a closed day needs none)."""
        if not super().validate(extra_validators):
            return False
        problem = self._day_problem()
        if problem:
            self.end.errors = [problem]
        return not problem

    def _day_problem(self):
        if not self.open.data:
            return None
        if not (self.start.data and self.end.data):
            return _l("An open day needs the time it opens and closes.")
        lunch = [self.lunch_start.data, self.lunch_end.data]
        if lunch.count(None) == 1:
            return _l("Give the lunch break both times, or neither.")
        times = [self.start.data] + [t for t in lunch if t] + [self.end.data]
        if any(a >= b for a, b in zip(times, times[1:], strict=False)):
            return _l("Opening, lunch and closing times must follow each other.")
        return None


class WeekForm(BaseForm):
    days = FieldList(FormField(WeekdayForm), min_entries=7, max_entries=7)


class LadderForm(BaseForm):
    before = MultiCheckboxField(_l("Reminder the working day before"), choices=options(catalog.RECIPIENTS))
    due_day = MultiCheckboxField(_l("Due today"), choices=options(catalog.RECIPIENTS))
    overdue = MultiCheckboxField(_l("Overdue"), choices=options(catalog.RECIPIENTS))
    unhappy = MultiCheckboxField(_l("Still unhappy after the callback"), choices=options(catalog.RECIPIENTS))
    at_once = MultiCheckboxField(_l("Product quality or major: at once"), choices=options(catalog.RECIPIENTS))
    pausing = MultiCheckboxField(_l("Waiting for these pauses the completion clock"),
                                 choices=options(catalog.WAIT_REASONS))


class DepartmentWebhookForm(BaseForm):
    webhook_url = StringField(_l("Group robot or webhook address"), filters=[stripped], validators=[Length(max=500)])
    webhook_format = SelectField(_l("Message format"), choices=options([("", "—")] + catalog.WEBHOOK_FORMATS),
                                 validators=[Optional()])
    webhook_allow_lan = BooleanField(_l("On our own network: allow a LAN address (192.168.…, 10.…)"))

    def validate_webhook_url(self, field):
        """Never this server, link-local or metadata addresses; the LAN only when ticked."""
        if not field.data:
            return
        try:
            outbound.resolve(field.data, self.webhook_allow_lan.data, current_app.config["WEBHOOK_ALLOWED_NETWORKS"])
        except outbound.Refused as refused:
            raise ValidationError(refused.message) from None
        except LookupError:
            pass  # not resolvable from here just now; every send checks it again


class AuditFilter(PlainForm):
    """The audit log's filters; read from the query string."""
    action = SelectField(_l("What"), choices=options([("", _l("All"))] + catalog.AUDIT_ACTIONS),
                         validators=[Optional()])
    user = SelectField(_l("Who"), validators=[Optional()])
    target = StringField(_l("Complaint no. or user name"), filters=[stripped],
                         validators=[Optional(), Length(max=60)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    before = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=2 ** 62)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone who ever had an account, the disabled too.
        self.user.choices = options([("", _l("All"))] + [(str(u.id), f"{u.display_name} ({u.username})")
                                                         for u in User.select().order_by(User.display_name)])


class ProcessForm(BaseForm):
    triage = BooleanField(_l("New complaints wait for the customer-care manager to verify and dispatch them"))
    callback_owner = RadioField(_l("Who makes the closing callback"), choices=options(
        [("care_manager", _l("Customer-care manager")), ("callback_clerk", _l("Callback clerk"))]),
        validators=[InputRequired()])
    repeat_days = IntegerField(_l("A complaint is a repeat when the same phone or VIN complained within (days)"),
                               validators=[InputRequired(), NumberRange(min=1, max=3650)])
    late_registration_hours = IntegerField(
        _l("A complaint registered more than this many hours after it was received is flagged as not reported in "
           "time"), validators=[InputRequired(), NumberRange(min=1, max=720)])
    approval_over = IntegerField(_l("Compensation above this amount needs approval (yuan)"),
                                 validators=[InputRequired(), NumberRange(min=0, max=10_000_000)])
    approver = RadioField(_l("Who approves it"), choices=options(
        [("general_manager", _l("The general manager")),
         ("department_manager", _l("The complaint's department manager (sales manager, service director); "
                                   "the general manager may too"))]), validators=[InputRequired()])


class DealershipForm(BaseForm):
    name = StringField(_l("Dealership name"), filters=[stripped], validators=[InputRequired(), Length(max=80)])
    address = StringField(_l("Address"), filters=[stripped], validators=[Length(max=160)])
    phone = StringField(_l("Phone"), filters=[stripped], validators=[Length(max=40)])
