"""The administrator's working-day calendar: the showroom's week and hours, China's
public holidays and make-up days (from the package, each open or closed as the
showroom works), and days the administrator adds, a line or a range at a time."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
from admin_forms import CalendarForm, CalendarImportForm, WeekForm
from deadlines import calendar_days
from deadlines.workdays import parse_calendar_lines
from models import CalendarDay, Setting, db, utcnow
from views import render, to_local
from views.admin import admin_only

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")
KINDS = ("holiday", "open_holiday", "workday")


@bp.route("", methods=["GET", "POST"])
@admin_only
def index():
    """The calendar; a post adds days typed as lines (a range per line allowed)."""
    form = CalendarForm(prefix="days")
    if form.validate_on_submit() and _save_days(form.lines, form.lines.data):
        return redirect(url_for("calendar.index"), code=303)
    return _page(form=form)


@bp.post("/import")
@admin_only
def import_days():
    """Days from a CSV file (date,kind,name)."""
    upload = CalendarImportForm(prefix="csv")
    if upload.validate_on_submit():
        text = upload.file.data.read(200_000).decode("utf-8-sig", errors="replace")
        if _save_days(upload.file, text):
            return redirect(url_for("calendar.index"), code=303)
    return _page(upload=upload)


@bp.post("/week")
@admin_only
def week():
    """Which weekdays the showroom opens, and its hours each day."""
    form = WeekForm(prefix="week")
    if not form.validate_on_submit():
        return _page(week_form=form)
    before = calendar_days.week()
    after = [{"open": day.open.data, **{name: day[name].data.strftime("%H:%M") if day[name].data else ""
                                         for name in ("start", "lunch_start", "lunch_end", "end")}}
             for day in form.days]
    for day, old in zip(after, before, strict=True):
        if not day["open"]:  # keep the hours of a closed day for when it opens again
            day.update({k: day[k] or old[k] for k in ("start", "end")})
    Setting.write("week", after)
    audit.record("calendar_changed", actor=current_user, target="week", detail={"before": before, "after": after})
    flash(_("The showroom's week is saved. Deadlines started from now on follow it."))
    return redirect(url_for("calendar.index"), code=303)


@bp.post("/day/<day>")
@admin_only
def change_day(day):
    """Open or close a holiday (or a run of them, up to `through`), or remove days the
    administrator set (an official day comes back in its place)."""
    first = _date(day)
    last = _date(request.form.get("through") or day)
    rows = list(CalendarDay.select().where((CalendarDay.day >= first) & (CalendarDay.day <= last)))
    if not rows or (last - first).days > 366:
        abort(404)
    before = {str(r.day): [r.kind, r.source] for r in rows}
    days = [r.day for r in rows]
    if request.form.get("kind") in KINDS:
        CalendarDay.update(kind=request.form["kind"], source="admin").where(CalendarDay.day.in_(days)).execute()
    elif request.form.get("remove"):
        for row in rows:
            if row.source == "admin":
                row.delete_instance()
                calendar_days.restore_official(row.day)
    after = {str(r.day): [r.kind, r.source] for r in CalendarDay.select().where(CalendarDay.day.in_(days))}
    audit.record("calendar_changed", actor=current_user, target=f"{first}..{last}",
                 detail=audit.changes(before, after))
    return redirect(url_for("calendar.index") + f"#day-{first}", code=303)


def _date(text):
    from datetime import date
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def runs(days):
    """Consecutive days of the same kind, name and source as one run: [(first, last, day)]."""
    result = []
    for day in days:
        if result:
            first, last, like = result[-1]
            if (day.day - last).days == 1 and (day.kind, day.name, day.source) == (like.kind, like.name, like.source):
                result[-1] = (first, day.day, like)
                continue
        result.append((day.day, day.day, day))
    return result


def _save_days(field, text):
    """Save all lines or none; bad lines are listed beside the field."""
    rows, errors = parse_calendar_lines(text)
    if errors:
        field.errors = list(field.errors) + [
            _("Line %(number)s is not “date or range, holiday / open / workday, name”: %(line)s",
              number=n, line=line[:80]) for n, line in errors[:10]]
        return False
    before = {d.day: (d.kind, d.name) for d in CalendarDay.select().where(CalendarDay.day.in_([r[0] for r in rows]))}
    with db.atomic():
        for day, kind, name in rows:
            CalendarDay.insert(day=day, kind=kind, name=name, source="admin").on_conflict(
                conflict_target=[CalendarDay.day],
                update={CalendarDay.kind: kind, CalendarDay.name: name, CalendarDay.source: "admin"}).execute()
    audit.record("calendar_changed", actor=current_user, target=f"{len(rows)} days",
                 detail={str(day): [before.get(day), (kind, name)] for day, kind, name in rows
                         if before.get(day) != (kind, name)})
    flash(_("%(count)s days saved.", count=len(rows)))
    return True


def _week_form():
    form = WeekForm(prefix="week", formdata=None)
    for entry, day in zip(calendar_days.week(), form.days, strict=True):
        day.open.data = entry["open"]
        for name in ("start", "lunch_start", "lunch_end", "end"):
            day[name].data = _time(entry.get(name))
    return form


def _time(value):
    from datetime import time
    return time.fromisoformat(value) if value else None


def local_today():
    return to_local(utcnow()).date()


def _page(form=None, upload=None, week_form=None):
    today = local_today()
    days = runs(CalendarDay.select().where(CalendarDay.day >= today).order_by(CalendarDay.day))
    form = form or CalendarForm(prefix="days", formdata=None)
    upload = upload or CalendarImportForm(prefix="csv", formdata=None)
    week_form = week_form or _week_form()
    # A stretch with no working day is almost always a typing mistake (a year of holidays).
    closed = calendar_days.load_calendar().closed_stretches(today, 400)
    failed = form.errors or upload.errors or week_form.errors
    return render("settings/calendar.html", form=form, upload=upload, week_form=week_form, days=days,
                  closed=closed, missing=calendar_days.missing_years(today), status=422 if failed else 200)
