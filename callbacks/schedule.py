"""Which calls a delivery or a service visit makes, and when each is due.

The policy (§4.1.1, §4.1.2.1): the sales consultant calls a new-car buyer within 3 days
of delivery; the callback clerk within 7 days and again within 25 days; the clerk calls
every service customer within 3 days of handing the car back. Days are working days of
the showroom's calendar, counted from the day after: a call "within 3 days" of a
Friday delivery is due at closing time on the third working day after it. The
administrator edits the days and who calls. A later call of the same person opens
when the earlier one falls due (the 25-day call is not for the second day).
"""
import functools
from datetime import time, timedelta

from deadlines import ladder
from models import Call, DoNotCall, Setting, User, bulk_insert

KINDS = ("sales_3d", "delivery_7d", "delivery_25d", "service_3d", "closing")
DEFAULT = [
    {"kind": "sales_3d", "base": "delivery", "days": 3, "owner": "consultant"},
    {"kind": "delivery_7d", "base": "delivery", "days": 7, "owner": "callback_clerk"},
    {"kind": "delivery_25d", "base": "delivery", "days": 25, "owner": "callback_clerk"},
    {"kind": "service_3d", "base": "service", "days": 3, "owner": "callback_clerk"},
]
OWNERS = ("consultant", "callback_clerk", "care_manager")  # consultant: the delivery's consultant, the visit's advisor
TOO_OLD = timedelta(days=30)  # a call due longer ago than this is no longer worth making: not created


def entries():
    """The schedule as the administrator keeps it; an entry with 0 days is switched off."""
    saved = {e["kind"]: e for e in (Setting.read("call_schedule") or [])}
    return [{**entry, **saved.get(entry["kind"], {})} for entry in DEFAULT]


def calls_for(base, records, calendar, now, blocked=frozenset()):
    """The calls `records` (deliveries or service visits, base "delivery" or "service") make,
    as rows ready to insert; none for a blocked phone, none already too old to make."""
    rows = []
    schedule = [e for e in entries() if e["base"] == base and e["days"] > 0]
    due_after = functools.cache(lambda day, days: calendar.add_working_days(calendar.at(day, time(0, 0)), days))
    for record in records:
        if record.customer_phone in blocked:
            continue
        start = calendar.at(_day_of(record), time(0, 0))
        opens = {}
        for entry in sorted(schedule, key=lambda e: e["days"]):
            due = due_after(_day_of(record), entry["days"])  # an export's rows share a few dozen days
            if now - due > TOO_OLD:
                continue
            owner = _person(record) if entry["owner"] == "consultant" else None
            rows.append({
                "kind": entry["kind"], "delivery": record.id if base == "delivery" else None,
                "service_visit": record.id if base == "service" else None,
                "owner": owner, "owner_role": "front_line" if owner else _role(entry["owner"]),
                "customer_name": record.customer_name, "customer_phone": record.customer_phone,
                "vehicle": " ".join(x for x in (record.vehicle_model, record.plate) if x)[:80],
                "opens_at": opens.get(entry["owner"], start), "due_at": due,
            })
            opens[entry["owner"]] = due
    return rows


def create(base, records, calendar, now):
    """Insert the calls of these records; returns how many."""
    from callbacks import reminders
    records = list(records)
    blocked = {row.phone for row in DoNotCall.select(DoNotCall.phone).where(
        DoNotCall.phone.in_(list({r.customer_phone for r in records}) or [""]))}
    rows = calls_for(base, records, calendar, now, blocked)
    enabled = ladder.recipients_setting()
    first_step = functools.cache(lambda opens_at, due_at: reminders.first_step(
        {"opens_at": opens_at, "due_at": due_at}, calendar, enabled=enabled))
    for row in rows:
        row["next_step_at"], row["next_level"] = first_step(row["opens_at"], row["due_at"])
    bulk_insert(Call, rows)
    return len(rows)


def _day_of(record):
    return record.delivered_on if hasattr(record, "delivered_on") else record.handed_back_on


def _person(record):
    """The consultant or advisor who calls their own customer, when the DMS name matched a user."""
    user_id = record.consultant_id if hasattr(record, "consultant_id") else record.advisor_id
    return user_id


def _role(owner):
    # A consultant's call with no matching user falls to the callback clerk.
    return "callback_clerk" if owner == "consultant" else owner


def match_staff(names):
    """{name as the DMS writes it: user id} for names that are exactly a user's full name."""
    wanted = {n for n in names if n}
    return {u.display_name: u.id for u in User.select(User.id, User.display_name)
            .where(User.display_name.in_(list(wanted) or [""]) & User.active)}
