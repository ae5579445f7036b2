"""The form of a case in the case library (cases.py)."""
import re

from wtforms import StringField
from wtforms.validators import Length, ValidationError

from base_forms import ActionForm, clean_line
from forms import text
from i18n import lazy_gettext as _l

MAX_TAGS = 10


def tag_list(value):
    """Tags as typed: separated by commas (either width), 、, semicolons or spaces."""
    return [t for t in re.split(r"[,，、;；\s]+", clean_line(value or "")) if t]


def few_short_tags(form, field):
    tags = tag_list(field.data)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_l("At most %(count)s tags.", count=MAX_TAGS))
    if any(len(t) > 20 for t in tags):
        raise ValidationError(_l("A tag is at most 20 characters."))


class CaseForm(ActionForm):
    title = text(_l("Title"), required=True, size=120, area=False)
    story = text(_l("What happened and how it was handled"), required=True, size=10000)
    lesson = text(_l("Lesson learned"), required=True, size=4000)
    tags = StringField(_l("Tags"), validators=[Length(max=200), few_short_tags],
                       description=_l("Separated by commas, e.g. brakes, noise, pre-delivery inspection"))
