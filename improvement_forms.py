"""The forms of an improvement action (improvements.py)."""
from datetime import timedelta

from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from base_forms import ActionForm, local_now
from forms import handler_choices, text
from i18n import lazy_gettext as _l

LONGEST_AHEAD = timedelta(days=366)


def due_within_a_year(form, field):
    """Today at the earliest (it is due by the end of that day's working hours), within a year."""
    today = local_now().date()
    if field.data and field.data < today:
        raise ValidationError(_l("The due date cannot be in the past."))
    if field.data and field.data > today + LONGEST_AHEAD:
        raise ValidationError(_l("The due date must be within a year."))


class _OwnerAndDate(ActionForm):
    owner = SelectField(_l("Owner"), validators=[InputRequired(_l("Choose who carries it out."))])
    due_on = DateField(_l("Due date"), validators=[DataRequired(_l("Give a date, e.g. 2026-12-31.")),
                                                   due_within_a_year])

    def bind(self, department_id):
        """Owners: the department's staff first, then other staff; nobody is no choice."""
        groups = handler_choices(department_id)
        groups.pop("", None)
        self.owner.choices = {"": [SelectChoice("", _l("— choose —"))], **groups}
        return self


class NewActionForm(_OwnerAndDate):
    root_cause = text(_l("Root cause"))
    description = text(_l("Corrective action: what will be done"), required=True)


class ReviseActionForm(_OwnerAndDate):
    pass


class DoneForm(ActionForm):
    note = text(_l("What was done"), required=True)


class VerifyForm(ActionForm):
    effective = RadioField(_l("Did it work?"), choices=[SelectChoice("yes", _l("Effective")),
                                                                SelectChoice("no", _l("Not effective"))],
                           validators=[InputRequired(_l("Choose effective or not effective."))])
    verification = text(_l("What was checked, and what it showed"), required=True)
