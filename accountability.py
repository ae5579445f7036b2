"""Responsibility and penalties (seed 001 part 3 §8, DOMAIN.md §10). Pure rules.

The showroom policy fines whoever did not report a complaint in time or hid it (20-50 yuan), and
more when the customer took it to the manufacturer's headquarters (50-100 yuan). The app cannot
see intent, so it flags what it can see: a complaint registered longer after it was received than
the dealership allows, and one that reached us through the manufacturer's hotline (the customer
went there first). The general manager confirms a penalty, with the person and an amount within
the band, or waives it with a reason; both are recorded.
"""
from datetime import timedelta
from decimal import Decimal

import process
from i18n import lazy_gettext as _l
from models import Penalty

# reason: (lowest, highest) fine in yuan
BANDS = {"late_registration": (Decimal("20"), Decimal("50")),
         "manufacturer_first": (Decimal("50"), Decimal("100"))}



def may_see(user):
    """Penalties and the per-person summary are for the general manager, the customer-care
    manager and the administrator only."""
    return user.has_role("general_manager", "care_manager", "admin")


def registration_limit(settings=None):
    return timedelta(hours=(settings or process.settings())["late_registration_hours"])


def flags(received_at, registered_at, channel, limit):
    """The penalty reasons a complaint shows: [(reason, (low, high))], in the policy's order."""
    found = []
    if registered_at - received_at > limit:
        found.append("late_registration")
    if channel == "manufacturer":
        found.append("manufacturer_first")
    return [(reason, BANDS[reason]) for reason in found]


def check_decision(reason, confirm, amount, note):
    """A message for the field at fault, or None: a confirmed penalty's amount lies in its band,
    a waived one says why."""
    low, high = BANDS[reason]
    if confirm and (amount is None or not low <= amount <= high):
        return "amount", _l("The policy's band is %(low)s–%(high)s yuan.", low=low, high=high)
    if not confirm and not (note or "").strip():
        return "note", _l("Say why it is waived.")
    return None


def open_flags(complaint):
    """The complaint's flags the general manager has not decided yet."""
    decided = {reason for (reason,) in Penalty.select(Penalty.reason).where(Penalty.complaint == complaint.id).tuples()}
    return [(reason, band) for reason, band in flags(complaint.received_at, complaint.registered_at,
                                                     complaint.channel, registration_limit())
            if reason not in decided]
