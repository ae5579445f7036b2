"""Parts tracking: parts work orders waiting on the regional parts centre."""
from flask import Blueprint
from flask_login import current_user, login_required

from models import Complaint, PartsLine
from views import render

bp = Blueprint("parts", __name__)


@bp.get("/parts")
@login_required
def tracking():
    """Open parts orders the user may see, oldest request first, with their lines."""
    orders = list(Complaint.visible_to(current_user)
                  .where(Complaint.parts_stock == "out", Complaint.parts_served_at.is_null(),
                         Complaint.status != "closed")
                  .order_by(Complaint.received_at))
    lines = {}
    for line in (PartsLine.select().where(PartsLine.complaint.in_([c.id for c in orders] or [0]))
                 .order_by(PartsLine.id)):
        lines.setdefault(line.complaint_id, []).append(line)
    return render("parts/tracking.html", orders=orders, lines=lines)
