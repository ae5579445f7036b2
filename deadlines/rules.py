"""The deadline rules of DOMAIN.md §5: how long each clock runs, per category and
severity, in the administrator's table; their defaults; what a complaint can wait for."""
from datetime import timedelta

import catalog
from models import ClockRule, Setting, WaitReason

KINDS = ("first_contact", "acknowledgement", "solution", "completion", "callback", "manufacturer_feedback")

# (kind, category, severity, amount, unit); "*" matches any. DOMAIN.md §5 defaults.
DEFAULT_RULES = [
    ("first_contact", "*", "*", 24, "hours"),
    # "Within 2 hours of receiving it" (policy §4.2.2.1) in the showroom's working hours:
    # a complaint at 17:50 is called back the next morning, not at 19:50 when nobody is in.
    ("first_contact", "product_quality", "*", 2, "working_hours"),
    ("first_contact", "*", "major", 2, "working_hours"),
    ("solution", "*", "*", 24, "hours"),
    ("completion", "*", "*", 72, "hours"),
    ("completion", "parts_supply", "*", 5, "working_days"),
    # "The day the handling is finished" (policy §4.2.1.5, §4.2.2.5).
    ("callback", "*", "*", 1, "same_working_day"),
    ("manufacturer_feedback", "*", "*", 24, "hours"),
    # The department manager signs for a dispatched complaint (policy §4.1.2) promptly.
    ("acknowledgement", "*", "*", 2, "working_hours"),
]
# What a complaint can wait for; the administrator decides which of them pause the completion clock.
DEFAULT_WAIT_REASONS = [("parts_centre", "parts centre"), ("customer", "customer"), ("manufacturer", "manufacturer")]


def ensure_defaults():
    """Seed the default rules of each kind of clock once (a kind a release adds is seeded
    when it arrives); the administrator edits them after. The same for wait reasons."""
    seeded = set(Setting.read("rules_seeded") or ([] if not ClockRule.select().exists() else
                                                  [k for k in KINDS if k != "acknowledgement"]))
    new = [dict(kind=k, category=c, severity=s, amount=a, unit=u)
           for k, c, s, a, u in DEFAULT_RULES if k not in seeded]
    if new:
        ClockRule.insert_many(new).on_conflict_ignore().execute()
    Setting.write("rules_seeded", sorted(seeded | {rule["kind"] for rule in new}))
    for code, name in DEFAULT_WAIT_REASONS:
        WaitReason.get_or_create(code=code, defaults={"name": name})


def rule_for(kind, category, severity):
    """The most specific rule: category and severity, then category, then severity, then any."""
    candidates = {(r.category, r.severity): r for r in ClockRule.select().where(ClockRule.kind == kind)}
    for key in ((category, severity), (category, "*"), ("*", severity), ("*", "*")):
        if key in candidates:
            return candidates[key]
    return None


def uncovered_without(rule):
    """The (category, severity) pairs that would get no deadline of the rule's kind if it
    were deleted, though they get one today: deleting it would silently stop that clock."""
    rules = {(r.category, r.severity) for r in ClockRule.select().where(ClockRule.kind == rule.kind)}
    after = rules - {(rule.category, rule.severity)}

    def covered(keys, category, severity):
        return any(k in keys for k in ((category, severity), (category, "*"), ("*", severity), ("*", "*")))
    return [(c, s) for c, _c in catalog.CATEGORIES for s, _s in catalog.SEVERITIES
            if covered(rules, c, s) and not covered(after, c, s)]


def due_after(rule, start, calendar):
    """When a clock of this rule started at `start` falls due.

    hours: calendar time; working_hours: only the showroom's opening time (17:50 + 2
    is 10:30 next working morning); working_days: closing time of the Nth working day
    after the start's day; same_working_day: closing time of the day it started, or
    the end of the next working morning when it started after hours.
    """
    if rule.unit == "working_days":
        return calendar.add_working_days(start, rule.amount)
    if rule.unit == "working_hours":
        return calendar.add_working_hours(start, rule.amount)
    if rule.unit == "same_working_day":
        return calendar.end_of_working_day(start)
    return start + timedelta(hours=rule.amount)
