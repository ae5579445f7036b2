"""Forms of the call-back screens: the queue's filters, a call's outcome, a delivery or a
service visit typed in, an import, and the administrator's schedule and scripts."""
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

import catalog
import validators as fmt
from base_forms import BaseForm, PlainForm, local_now
from callbacks import outcomes
from forms import options, stripped, text, user_choices
from i18n import lazy_gettext as _l

WHEN = [("now", _l("To call now")), ("due_today", _l("Due today")), ("overdue", _l("Overdue")),
        ("upcoming", _l("Not yet")), ("done", _l("Done"))]


class CallFilter(PlainForm):
    """The queue's filters; read from the query string."""
    when = SelectField(_l("Which"), choices=options(WHEN), default="now", validators=[Optional()])
    kind = SelectField(_l("Kind of call"), choices=options([("", _l("All"))] + catalog.CALL_KINDS),
                       validators=[Optional()])
    whose = SelectField(_l("Whose"), choices=options([("mine", _l("Mine")), ("all", _l("Everyone's"))]),
                        validators=[Optional()])
    owner = IntegerField(_l("Whose calls"), validators=[Optional(), NumberRange(min=1, max=2 ** 62)])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])


class CallOutcomeForm(BaseForm):
    outcome = RadioField(_l("What the call found"), validators=[InputRequired()])
    # No Optional(): it would stop the check that a satisfied customer's score is there.
    score = SelectField(_l("Score"), choices=options([("", "—")] + [(str(n), str(n)) for n in range(5, 0, -1)]),
                        coerce=lambda v: int(v) if v not in (None, "") else None)
    comment = text(_l("What the customer said"), size=2000)
    next = StringField(filters=[stripped], validators=[Length(max=500)])

    closing = False  # the closing callback of a complaint: no score, its outcome drives the complaint

    def bind(self, call):
        self.closing = call.kind == "closing"
        self.outcome.choices = options([(code, catalog.label("call_outcome", code)) for code in outcomes.allowed(call)])

    def validate_score(self, field):
        if self.outcome.data == "satisfied" and not self.closing and not field.data:
            raise ValidationError(_l("How many points did the customer give, 1 to 5?"))

    def validate_next(self, field):
        if field.data and not field.data.startswith("/callbacks"):
            field.data = ""  # only back to the queue


def _not_future(form, field):
    if field.data and field.data > local_now().date():
        raise ValidationError(_l("Not in the future."))


class _Customer(BaseForm):
    customer_name = text(_l("Customer name"), required=True, size=60, area=False)
    customer_phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=20), fmt.phone],
                                 filters=[fmt.normalize_phone])
    vehicle_model = text(_l("Vehicle model"), size=60, area=False)
    plate = StringField(_l("Plate"), validators=[Optional(), Length(max=20), fmt.plate], filters=[fmt.normalize_plate])


class DeliveryForm(_Customer):
    vin = StringField(_l("VIN"), validators=[DataRequired(), Length(max=40), fmt.vin], filters=[fmt.normalize_vin])
    delivered_on = DateField(_l("Delivery date"), validators=[DataRequired(), _not_future])
    consultant = SelectField(_l("Sales consultant"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultant.choices = user_choices(_l("— nobody named —"))


class ServiceVisitForm(_Customer):
    repair_order = text(_l("Repair order no."), required=True, size=40, area=False)
    vin = StringField(_l("VIN"), validators=[Optional(), Length(max=40), fmt.vin], filters=[fmt.normalize_vin])
    handed_back_on = DateField(_l("Hand-back date"), validators=[DataRequired(), _not_future])
    advisor = SelectField(_l("Service advisor"), validators=[Optional()])
    work_done = text(_l("Work done"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.advisor.choices = user_choices(_l("— nobody named —"))


class ImportForm(BaseForm):
    kind = RadioField(_l("What the file holds"), choices=options(
        [("deliveries", _l("Deliveries of new cars")), ("service_visits", _l("Service visits"))]),
        validators=[InputRequired()], default="deliveries")
    file = FileField(_l("CSV or Excel (XLSX) file from the dealer management system"), validators=[FileRequired()])


class CallSettingsForm(BaseForm):
    """The call schedule, the attempts before a customer counts as unreachable, and the scripts.
    Fields per kind of call are added by `for_kinds`."""
    attempts = IntegerField(_l("Tries without an answer before the call is closed as unreachable"),
                            validators=[InputRequired(), NumberRange(min=1, max=10)])


def call_settings_form(scheduled, scripted, **kwargs):
    """The settings form with a days field and an owner for each scheduled kind of call, and a
    Chinese and an English script for every kind."""
    class Form(CallSettingsForm):
        pass
    for kind in scheduled:
        setattr(Form, f"days_{kind}", IntegerField(
            _l("Working days after"), validators=[InputRequired(), NumberRange(min=0, max=90)]))
        setattr(Form, f"owner_{kind}", SelectField(_l("Who calls"), choices=options(catalog.CALL_OWNERS)))
    for kind in scripted:
        setattr(Form, f"script_{kind}_zh_CN", text(_l("What to ask (Chinese)"), size=2000))
        setattr(Form, f"script_{kind}_en", text(_l("What to ask (English)"), size=2000))
    return Form(**kwargs)
