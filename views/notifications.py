"""The bell: each user's notifications, read and marked read."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required
from peewee import JOIN

import notify
from models import Action, Bound, Call, Clock, Complaint, Notification, User, kept, utcnow
from views import deny, render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50
# The customer still unhappy after the callback; a product-quality or major complaint for the GM.
STAY_ON_TOP = ("unhappy", "at_once")


@bp.get("")
@login_required
def index():
    """Unread urgent news (an unhappy customer, a product-quality or major complaint) on top
    until read; then everything, newest first, a page at a time."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    urgent = list(_on_top(user=current_user.id)) if page == 1 else []
    rest = list(_the_rest(user=current_user.id, offset=(page - 1) * PAGE))
    return render("notifications/index.html", urgent=urgent, items=rest[:PAGE],
                  page=page, has_next=len(rest) > PAGE, unread=notify.unread_count(current_user))


def _with_details(where):
    """Notifications with their complaint, deadline, handler, call and action: one query, of the
    columns the list shows (whole complaints, fifty columns each, were most of the page's cost)."""
    handler = User.alias()
    return (Notification.select(Notification, Complaint.id, Complaint.number, Complaint.customer_name,
                                Complaint.handler, Clock.id, Clock.kind, Clock.due_at, handler.id,
                                handler.display_name, Call.id, Call.kind, Call.customer_name, Call.due_at,
                                Action.id, Action.description, Action.due_on)
            .join(Complaint, JOIN.LEFT_OUTER).switch(Notification)
            .join(Clock, JOIN.LEFT_OUTER).switch(Complaint)
            .join(handler, JOIN.LEFT_OUTER, on=(Complaint.handler == handler.id), attr="handler")
            .switch(Notification).join(Call, JOIN.LEFT_OUTER)
            .switch(Notification).join(Action, JOIN.LEFT_OUTER)
            .where(where).order_by(Notification.created_at.desc(), Notification.id.desc()))


ON_TOP = Notification.kind.in_(STAY_ON_TOP) & Notification.read_at.is_null()
# (the page's two statements, their SQL text written once: models.kept)
_on_top = kept(lambda: _with_details((Notification.user == Bound("user")) & ON_TOP).limit(PAGE))
_the_rest = kept(lambda: _with_details((Notification.user == Bound("user")) & ~ON_TOP)
                 .limit(PAGE + 1).offset(Bound("offset")))


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
    if item.action_id:
        return redirect(url_for("improvements.show", action_id=item.action_id), code=303)
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
