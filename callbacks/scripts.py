"""What the caller asks on each kind of call (policy §4.1.1: whether the customer is satisfied
with the buying, the after-sales service, the repair quality and the parts; §4.2.1.5: whether
the handling of their complaint satisfied them). The administrator rewrites them, in Chinese
and in English; these are the defaults."""
import functools

from flask_babel import force_locale

from i18n import lazy_gettext as _l
from models import Setting

DEFAULTS = {
    "sales_3d": _l("Hello, this is your sales consultant. How is the new car after these first days? Was anything "
                   "at the delivery not as you expected? Is any function or control still unclear to you?"),
    "delivery_7d": _l("Hello, this is the customer service of the dealership. You have had the car for a week: are "
                      "you satisfied with how we sold and delivered it? Anything about the consultant's explanations, "
                      "the handover or the car itself that did not satisfy you? How many points, 1 to 5?"),
    "delivery_25d": _l("Hello, this is the customer service of the dealership. The car is nearly a month old: any "
                       "problem with it? Anything we should do better?"),
    "service_3d": _l("Hello, this is the customer service of the dealership. Your car was with us for service a few "
                     "days ago: are you satisfied with the service, the quality of the work and the parts? How is the "
                     "car now? How many points, 1 to 5?"),
    "closing": _l("Hello, this is the customer-care manager. The matter you raised with us has been dealt with: are "
                  "you satisfied with how it was handled?"),
}


def script(kind, language):
    """The script in the caller's language: the administrator's text, else the default."""
    return for_language(language)[kind]


def for_language(language):
    """{kind: script} in one language, the setting read once (a page of calls shows fifty)."""
    language = "zh_CN" if str(language).startswith("zh") else "en"  # Babel says zh_Hans_CN
    saved = Setting.read("call_scripts") or {}
    return {kind: saved.get(kind, {}).get(language) or default(kind, language) for kind in DEFAULTS}


@functools.cache  # the built-in texts are fixed for the process: switching language for each cost a queue page 4 ms
def default(kind, language):
    with force_locale(language):
        return str(DEFAULTS[kind])


def save(kind, texts):
    """{language: text}; an empty text goes back to the default."""
    saved = Setting.read("call_scripts") or {}
    saved[kind] = {language: text for language, text in texts.items() if text}
    Setting.write("call_scripts", saved)
