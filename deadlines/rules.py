"""The deadline rules of DOMAIN.md §5: how long each clock runs, per category and
severity, in the administrator's table; their defaults; what a complaint can wait for."""
from datetime import timedelta

from models import ClockRule, WaitReason

KINDS = ("first_contact", "solution", "completion", "callback", "manufacturer_feedback")

# (kind, category, severity, amount, unit); "*" matches any. DOMAIN.md §5 defaults.
DEFAULT_RULES = [
    ("first_contact", "*", "*", 24, "hours"),
    ("first_contact", "product_quality", "*", 2, "hours"),
    ("first_contact", "*", "major", 2, "hours"),
    ("solution", "*", "*", 24, "hours"),
    ("completion", "*", "*", 72, "hours"),
    ("completion", "parts_supply", "*", 5, "working_days"),
    ("callback", "*", "*", 24, "hours"),
    ("manufacturer_feedback", "*", "*", 24, "hours"),
]
# What a complaint can wait for; the administrator decides which of them pause the completion clock.
DEFAULT_WAIT_REASONS = [("parts_centre", "parts centre"), ("customer", "customer"), ("manufacturer", "manufacturer")]


def ensure_defaults():
    """Seed the rules and wait reasons of DOMAIN.md once; the administrator edits them after."""
    if not ClockRule.select().exists():
        ClockRule.insert_many([dict(kind=k, category=c, severity=s, amount=a, unit=u)
                               for k, c, s, a, u in DEFAULT_RULES]).execute()
    for code, name in DEFAULT_WAIT_REASONS:
        WaitReason.get_or_create(code=code, defaults={"name": name})


def rule_for(kind, category, severity):
    """The most specific rule: category and severity, then category, then severity, then any."""
    candidates = {(r.category, r.severity): r for r in ClockRule.select().where(ClockRule.kind == kind)}
    for key in ((category, severity), (category, "*"), ("*", severity), ("*", "*")):
        if key in candidates:
            return candidates[key]
    return None


def due_after(rule, start, calendar):
    if rule.unit == "working_days":
        return calendar.add_working_days(start, rule.amount)
    return start + timedelta(hours=rule.amount)
