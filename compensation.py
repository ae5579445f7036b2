"""Compensation with approval (seed 001 part 3: returns, exchanges and money go to the manager
at once; DOMAIN.md §8: don't over-promise). Pure rules; workflow.py carries out the actions.

A complaint has several items. A return or an exchange of the car, or an item costing more than
the amount the administrator set, waits for the approver: the general manager, or the complaint's
department manager (sales manager, service director) when the administrator chose so; the
general manager may always approve. Nothing is marked told to the customer before it is approved.
The complaint keeps the total approved cost and the largest item's kind (compensation_cost and
compensation_type), which the form, the exports and the monthly review read.
"""
from decimal import Decimal

from peewee import JOIN

import catalog
import process
from i18n import lazy_gettext as _l
from models import Bound, CompensationItem, User, kept


def needs_approval(kind, amount, settings=None):
    settings = settings or process.settings()
    return kind in catalog.APPROVAL_ALWAYS or (amount or 0) > Decimal(str(settings["approval_over"]))


def may_approve(user, complaint, settings=None):
    settings = settings or process.settings()
    if user.has_role("general_manager"):
        return True
    return (settings["approver"] == "department_manager" and user.has_role("department_manager")
            and user.department_id is not None and user.department_id == complaint.department_id)


def approver_roles(settings=None):
    """Whom a new item waiting for approval is told to."""
    settings = settings or process.settings()
    return ["department_manager", "general_manager"] if settings["approver"] == "department_manager" \
        else ["general_manager"]


def _items_with_deciders():
    decider = User.alias()
    return (CompensationItem.select(CompensationItem, decider)
            .join(decider, JOIN.LEFT_OUTER, on=(CompensationItem.decided_by == decider.id), attr="decided_by")
            .where(CompensationItem.complaint == Bound("complaint")).order_by(CompensationItem.id))


_items = kept(_items_with_deciders)


def items_of(complaint):
    """The complaint's items with who decided each: one query."""
    return list(_items(complaint=complaint.id))


def awaiting(complaint):
    return [i for i in items_of(complaint) if i.status == "awaiting"]


def to_tell(complaint):
    """Approved items not yet told to the customer."""
    return [i for i in items_of(complaint) if i.status == "approved" and i.told_at is None]


def add(complaint, kind, description, amount, by, now):
    waits = needs_approval(kind, amount)
    item = CompensationItem.create(
        complaint=complaint.id, kind=kind, description=description or "", amount=amount,
        status="awaiting" if waits else "approved", created_by=by, created_at=now,
        decided_at=None if waits else now)  # within the handler's authority: approved as it is added
    refresh_summary(complaint)
    return item


def decide(complaint, item_id, approve, reason, by, now):
    item = _item(complaint, item_id, "awaiting", _l("This item is not waiting for approval (any more)."))
    item.status, item.decided_by, item.decided_at = ("approved" if approve else "refused"), by, now
    item.decision_reason = reason or ""
    item.save()
    refresh_summary(complaint)
    return item


def tell(complaint, item_id, by, now):
    item = _item(complaint, item_id, "approved", _l("Only approved compensation may be promised to the "
                                                     "customer; this item is not approved."))
    if item.told_at is not None:
        raise CompensationRefused(_l("The customer was told of this item already."))
    item.told_by, item.told_at = by, now
    item.save()
    return item


def refresh_summary(complaint):
    approved = [i for i in items_of(complaint) if i.status == "approved"]
    amounts = [i.amount for i in approved if i.amount is not None]
    complaint.compensation_cost = sum(amounts, Decimal("0")) if amounts else None
    largest = max(approved, key=lambda i: i.amount or 0, default=None)
    complaint.compensation_type = largest.kind if largest else ""


def describe(item, with_kind=True):
    """"Cash compensation · ¥3000.00 · details"; without the kind for the timeline, which labels the
    kind in the reader's language from the event's data."""
    parts = [str(catalog.label("compensation_kind", item.kind))] if with_kind else []
    if item.amount is not None:
        parts.append(f"¥{item.amount:.2f}")
    if item.description:
        parts.append(item.description)
    return " · ".join(parts)


class CompensationRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _item(complaint, item_id, status, message):
    item = CompensationItem.get_or_none((CompensationItem.id == item_id)
                                        & (CompensationItem.complaint == complaint.id))
    if item is None or item.status != status:
        raise CompensationRefused(message)
    return item
