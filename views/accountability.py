"""Accountability (seed 001 part 3 §8): for any period, the complaints flagged for a penalty
(registered late, or the customer went to the manufacturer first) and, per person, the
complaints they caused and handled, how many were on time, and their penalties. Only the
general manager, the customer-care manager and the administrator see it."""
from collections import Counter, defaultdict
from decimal import Decimal

from flask import Blueprint, request
from flask_login import current_user, login_required

import accountability
import catalog
from models import Complaint, Penalty, User, utcnow
from review.figures import NO_RATE, bounds, judged
from views import current_calendar, deny, render
from views.reports import period_asked, recent_quarters

bp = Blueprint("accountability", __name__, url_prefix="/accountability")


@bp.get("")
@login_required
def index():
    if not accountability.may_see(current_user):
        deny(404)
    calendar = current_calendar()
    today = calendar.local_day(utcnow())
    first, last, problem = period_asked(request.args, today)
    start, end = bounds(first, last, calendar)
    received = (Complaint.received_at >= start) & (Complaint.received_at < end)
    complaints = list(Complaint.select(Complaint.id, Complaint.number, Complaint.received_at,
                                       Complaint.registered_at, Complaint.channel,
                                       Complaint.person_involved.alias("person_id"),
                                       Complaint.registered_by.alias("registered_by_id"),
                                       Complaint.handler.alias("handler_id"), Complaint.customer_name)
                      .where(received).order_by(Complaint.received_at).namedtuples())
    ids = Complaint.select(Complaint.id).where(received)
    penalties = list(Penalty.select().where(Penalty.complaint.in_(ids)))
    decided = {(p.complaint_id, p.reason): p for p in penalties}
    limit = accountability.registration_limit()
    flagged = [(c, reason, band, decided.get((c.id, reason))) for c in complaints
               for reason, band in accountability.flags(c.received_at, c.registered_at, c.channel, limit)]
    people = {u.id: u.display_name for u in User.select(User.id, User.display_name)}
    return render("accountability/index.html", first=first, last=last, problem=problem,
                  quarters=recent_quarters(today), pending=[f for f in flagged if f[3] is None],
                  decided=[f for f in flagged if f[3] is not None], people=people,
                  rows=_per_person(complaints, ids, end, penalties, people), limit=limit,
                  reasons=dict(catalog.PENALTY_REASONS))


def _per_person(complaints, ids, end, penalties, people):
    """[(name, caused, handled, on-time completion Rate, confirmed penalties, their total)], by name."""
    caused = Counter(c.person_id for c in complaints if c.person_id)
    handled = Counter(c.handler_id for c in complaints if c.handler_id)
    rates = judged(ids, end, by=Complaint.handler)
    fined, total = Counter(), defaultdict(Decimal)
    for p in penalties:
        if p.decision == "confirmed":
            fined[p.person_id] += 1
            total[p.person_id] += p.amount or 0
    everyone = set(caused) | set(handled) | set(fined)
    return sorted(((people.get(uid, "?"), caused[uid], handled[uid], rates.get(("completion", uid), NO_RATE)[0],
                    fined[uid], total[uid]) for uid in everyone), key=lambda row: str(row[0]))
