"""Forms of the administrator's screens: users, departments, deadline rules,
calendar, escalation."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, PasswordField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

import catalog
import outbound
from base_forms import BaseForm, PlainForm, strong_password
from forms import MultiCheckboxField, department_choices, options, stripped, text
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


class WorkingHoursForm(BaseForm):
    work_start = TimeField(_l("Work starts"), validators=[InputRequired()])
    lunch_start = TimeField(_l("Lunch starts"), validators=[InputRequired()])
    lunch_end = TimeField(_l("Lunch ends"), validators=[InputRequired()])
    work_end = TimeField(_l("Work ends"), validators=[InputRequired()])

    def validate_work_end(self, field):
        times = [self.work_start.data, self.lunch_start.data, self.lunch_end.data, field.data]
        if None not in times and not times[0] < times[1] <= times[2] < times[3]:
            raise ValidationError(_l("Work starts, lunch starts, lunch ends and work ends must follow each other."))


class LadderForm(BaseForm):
    before = MultiCheckboxField(_l("Reminder the working day before"), choices=options(catalog.RECIPIENTS))
    due_day = MultiCheckboxField(_l("Due today"), choices=options(catalog.RECIPIENTS))
    overdue = MultiCheckboxField(_l("Overdue"), choices=options(catalog.RECIPIENTS))
    unhappy = MultiCheckboxField(_l("Still unhappy after the callback"), choices=options(catalog.RECIPIENTS))
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
