"""Translations looked up once per language, not once per string.

Flask-Babel finds the request's translations anew for every string it translates (several
lookups through Flask's context proxies, and the locale's name built again): the inbox's
900 strings a page cost 25 ms of its 40. Here the translations of a language are kept by
the process after the first lookup; the language is still the request's (or the one
force_locale sets), read from where Flask-Babel keeps it.
"""
import flask_babel
from flask.globals import _cv_app  # (Flask 3: the app context of this thread or task)
from flask_babel.speaklater import LazyString
from markupsafe import Markup

_by_language = {}


def translations():
    context = _cv_app.get(None)
    babel = getattr(context.g, "_flask_babel", None) if context is not None else None
    locale = getattr(babel, "babel_locale", None)
    if locale is None:  # the first string of a request: Flask-Babel picks the language
        return flask_babel.get_translations()
    key = (locale.language, locale.territory, locale.script)
    found = _by_language.get(key)
    if found is None:
        found = _by_language[key] = flask_babel.get_translations()
    return found


def gettext(string, **variables):
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string, **variables):
    """Translated when shown, in the language of that moment (module-level labels)."""
    return LazyString(gettext, string, **variables)


def install(app):
    """The templates' _() and ngettext() through the same lookup."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    # _() and ngettext() called straight, not through Jinja's wrappers: a page says a hundred or
    # two strings, and each went through two context calls that cost more than the lookup
    # (about 2 ms of the callback queue's page). They do what the wrappers do in an autoescaped
    # template, as all of ours are (.html): the translation is markup, the values are escaped
    # into it, and it is always a format string ("%%" is "%").
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)


def template_gettext(string, /, **variables):
    return Markup(translations().ugettext(string)) % variables


def template_ngettext(singular, plural, count, /, **variables):
    variables.setdefault("num", count)
    return Markup(translations().ungettext(singular, plural, count)) % variables
