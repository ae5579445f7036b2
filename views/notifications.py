"""The bell: each user's notifications, read and marked read."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN

import notify
from models import Call, Complaint, Notification, utcnow
from views import deny, render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50


@bp.get("")
@login_required
def index():
    """The user's notifications, newest first."""
    items = list(Notification.select(Notification, Complaint, Call)
                 .join(Complaint, JOIN.LEFT_OUTER).switch(Notification).join(Call, JOIN.LEFT_OUTER)
                 .where(Notification.user == current_user.id)
                 .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE))
    return render("notifications/index.html", items=items)


@bp.get("/bell")
@login_required
def bell():
    """The unread count, polled by the header."""
    return render("notifications/_bell.html", "notifications/_bell.html", unread=notify.unread_count(current_user))


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id):
    """Mark it read and go to its complaint."""
    item = Notification.get_or_none(Notification.id == notification_id)
    if item is None:
        abort(404)
    if item.user_id != current_user.id:
        deny(404)
    if item.read_at is None:
        Notification.update(read_at=utcnow()).where(Notification.id == item.id).execute()
    if item.call_id:
        return redirect(url_for("callbacks.queue", when="overdue" if item.kind == "overdue" else "now"), code=303)
    return redirect(url_for("complaints.show", number=item.complaint.number), code=303)


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notification of the user read."""
    (Notification.update(read_at=utcnow())
     .where((Notification.user == current_user.id) & Notification.read_at.is_null()).execute())
    if request.headers.get("HX-Request"):
        return render("notifications/_bell.html", unread=0)
    return redirect(url_for("notifications.index"), code=303)
