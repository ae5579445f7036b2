"""What every form of the app shares: text cleaned of invisible control characters,
WTForms' own messages in the user's language, and the version an action carries.

BaseForm posts (with CSRF); PlainForm is for query-string filters and sub-forms.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Form, HiddenField, PasswordField, SelectField, StringField, TextAreaField, widgets
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

import i18n
from i18n import lazy_gettext as _l

# C0 and C1 controls and the bidirectional overrides that reorder how a line reads.
# Multi-line text keeps its tabs and line breaks; a single line keeps neither.
_CONTROLS_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value):
    return _CONTROLS_IN_TEXT.sub("", value.replace("\r\n", "\n").replace("\r", "\n")) \
        if isinstance(value, str) else value


def clean_line(value):
    return _CONTROLS_IN_LINE.sub("", value) if isinstance(value, str) else value


_wtforms_catalogs = {}


class FormTranslations:
    """WTForms' messages: the app's catalog first (it adds what WTForms lacks), then
    WTForms' own catalog for the user's language."""

    def gettext(self, string):
        own = i18n.translations().ugettext(string)
        return own if own != string else self._wtforms().ugettext(string)

    def ngettext(self, singular, plural, n):
        own = i18n.translations().ungettext(singular, plural, n)
        return own if own not in (singular, plural) else self._wtforms().ungettext(singular, plural, n)

    @staticmethod
    def _wtforms():
        language = get_locale().language if get_locale() else "en"
        if language not in _wtforms_catalogs:
            _wtforms_catalogs[language] = support.Translations.load(messages_path(), [language], domain="wtforms")
        return _wtforms_catalogs[language]


TRANSLATIONS = FormTranslations()


class Select(widgets.Select):
    """WTForms' select with its options written out directly, as WTForms writes them: its generic
    attribute writer, once per option, was most of the inbox filters' 4 ms. A plain select (no
    attributes but its id and name) is written out directly too: the writer cost the inbox's
    fifteen filters nearly another millisecond."""

    def __call__(self, field, **kwargs):
        if kwargs or self.multiple or field.flags.required or field.flags.disabled or field.has_groups():
            return super().__call__(field, **kwargs)
        options = "".join([self.render_option(choice) for choice in field._iter_choices_normalized()])
        return Markup(f'<select id="{escape(field.id)}" name="{escape(field.name)}">{options}</select>')

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        return Markup(f'<option{selected} value="{escape(choice.value)}">'
                      f'{escape(choice.label or choice.value)}</option>')


SELECT = Select()


class _Meta:
    def bind_field(self, form, unbound_field, options):
        """Clean every text field before its own filters run (passwords are left as typed);
        single selects write their options with Select above."""
        kind = unbound_field.field_class
        if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
            cleaner = clean_text if issubclass(kind, TextAreaField) else clean_line
            options = {**options, "filters": [cleaner, *unbound_field.kwargs.get("filters", ())]}
        elif kind is SelectField and "widget" not in unbound_field.kwargs:
            options = {**options, "widget": SELECT}
        return unbound_field.bind(form=form, **options)

    def get_translations(self, form):
        return TRANSLATIONS


class BaseForm(FlaskForm):
    class Meta(_Meta):
        pass


class PlainForm(Form):
    class Meta(_Meta):
        pass


def _version(form, field):
    if field.data and not re.fullmatch(r"\d{1,9}", field.data):
        raise ValidationError(_l("This form is out of date: reload the page and try again."))


class ActionForm(BaseForm):
    """A change to a complaint: it carries the version of the complaint it was made
    from, so a stale change is refused rather than merged."""
    version = HiddenField(validators=[_version])


PASSWORD_PROBLEMS = {
    "too_short": _l("At least 10 characters."),
    "has_name": _l("The password may not contain the user name."),
    "guessable": _l("Too easy to guess (a common password, a repeat, a run of keys, a name or a date). "
                    "A few unrelated words make a good password."),
}


def strong_password(form, field):
    """A password checked against accounts.password_problem for the user it is for
    (`form.for_user`, set by the view)."""
    import accounts
    user = getattr(form, "for_user", None)
    problem = field.data and accounts.password_problem(field.data, getattr(user, "username", ""),
                                                       getattr(user, "display_name", ""))
    if problem:
        raise ValidationError(PASSWORD_PROBLEMS[problem])


def local_now():
    """Now on the dealership's wall clock (naive), for forms that bound a time typed there."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).replace(tzinfo=None)
