"""The administrator's policy screens: deadline rules, the working-day
calendar and working hours, the escalation ladder and department webhooks."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
from admin_forms import (
    CalendarForm,
    CalendarImportForm,
    DepartmentWebhookForm,
    LadderForm,
    RuleForm,
    RuleLengthForm,
    WorkingHoursForm,
)
from deadlines import calendar_days, ladder
from deadlines.workdays import parse_calendar_lines
from models import CalendarDay, ClockRule, Department, Setting, WaitReason, db, utcnow
from views import render, to_local
from views.admin import admin_only

bp = Blueprint("settings", __name__, url_prefix="/admin")


@bp.route("/rules", methods=["GET", "POST"])
@admin_only
def rules():
    """Each deadline's length per category and severity; add a rule."""
    form = RuleForm()
    if form.validate_on_submit():
        key = dict(kind=form.kind.data, category=form.category.data, severity=form.severity.data)
        if ClockRule.get_or_none(**key):
            form.kind.errors.append(_("There is a rule for exactly this already: change its length below."))
        else:
            rule = ClockRule.create(amount=form.amount.data, unit=form.unit.data, **key)
            _audit_rule(rule, None, _rule_facts(rule))
            flash(_("Rule added. It applies to deadlines started from now on."))
            return redirect(url_for("settings.rules"), code=303)
    return _rules_page(form, status=422 if form.errors else 200)


def _rules_page(form, status=200, failed=None):
    rows = list(ClockRule.select().order_by(ClockRule.kind, ClockRule.category, ClockRule.severity))
    return render("settings/rules.html", form=form, rows=rows, failed=failed or {}, status=status)


@bp.post("/rules/<int:rule_id>")
@admin_only
def change_rule(rule_id):
    """Change a rule's length, or delete it."""
    rule = ClockRule.get_or_none(ClockRule.id == rule_id) or abort(404)
    before = _rule_facts(rule)
    if request.form.get("delete"):
        rule.delete_instance()
        _audit_rule(rule, before, None)
        flash(_("Rule deleted."))
        return redirect(url_for("settings.rules"), code=303)
    form = RuleLengthForm(prefix=f"rule{rule.id}")
    if not form.validate_on_submit():
        return _rules_page(RuleForm(formdata=None), 422, {rule.id: form})
    rule.amount, rule.unit = form.amount.data, form.unit.data
    rule.save()
    _audit_rule(rule, before, _rule_facts(rule))
    flash(_("Rule saved. It applies to deadlines started from now on."))
    return redirect(url_for("settings.rules"), code=303)


def _rule_facts(rule):
    return {"kind": rule.kind, "category": rule.category, "severity": rule.severity,
            "length": f"{rule.amount} {rule.unit}"}


def _audit_rule(rule, before, after):
    audit.record("rule_changed", actor=current_user, target=f"{rule.kind} {rule.category} {rule.severity}",
                 detail={"before": before, "after": after})


@bp.route("/calendar", methods=["GET", "POST"])
@admin_only
def calendar():
    """Holidays and make-up working days; working hours."""
    form, upload, hours = CalendarForm(prefix="days"), CalendarImportForm(prefix="csv"), _hours_form()
    if form.validate_on_submit():
        if _save_days(form.lines, form.lines.data):
            return redirect(url_for("settings.calendar"), code=303)
    return _calendar_page(form, upload, hours)


@bp.post("/calendar/import")
@admin_only
def import_calendar():
    """Import days from a CSV file (date,kind,name)."""
    upload = CalendarImportForm(prefix="csv")
    if upload.validate_on_submit():
        text = upload.file.data.read(200_000).decode("utf-8-sig", errors="replace")
        if _save_days(upload.file, text):
            return redirect(url_for("settings.calendar"), code=303)
    return _calendar_page(CalendarForm(prefix="days", formdata=None), upload, _hours_form())


@bp.post("/calendar/hours")
@admin_only
def working_hours():
    """Working hours with the lunch break."""
    hours = WorkingHoursForm(prefix="hours")
    if hours.validate_on_submit():
        before = {**calendar_days.DEFAULT_HOURS, **(Setting.read("working_hours") or {})}
        after = {name: hours[name].data.strftime("%H:%M") for name in calendar_days.DEFAULT_HOURS}
        Setting.write("working_hours", after)
        audit.record("calendar_changed", actor=current_user, target="working hours",
                     detail=audit.changes(before, after))
        flash(_("Working hours saved."))
        return redirect(url_for("settings.calendar"), code=303)
    return _calendar_page(CalendarForm(prefix="days", formdata=None), CalendarImportForm(prefix="csv"), hours)


@bp.post("/calendar/<day>/delete")
@admin_only
def delete_day(day):
    """Take a day off the calendar (it becomes an ordinary weekday or weekend day)."""
    removed = CalendarDay.get_or_none(CalendarDay.day == day)
    if removed:
        removed.delete_instance()
        audit.record("calendar_changed", actor=current_user, target=str(removed.day),
                     detail={"before": {"kind": removed.kind, "name": removed.name}, "after": None})
    return redirect(url_for("settings.calendar"), code=303)


def _hours_form():
    form = WorkingHoursForm(prefix="hours")
    if not form.is_submitted():
        cal = calendar_days.load_calendar()
        for name in calendar_days.DEFAULT_HOURS:
            form[name].data = getattr(cal, name)
    return form


def _save_days(field, text):
    """Save all lines or none; bad lines are listed beside the field."""
    rows, errors = parse_calendar_lines(text)
    if errors:
        field.errors = list(field.errors) + [
            _("Line %(number)s is not “date, holiday or workday, name”: %(line)s", number=n, line=line[:80])
            for n, line in errors[:10]]
        return False
    before = {d.day: (d.kind, d.name) for d in CalendarDay.select().where(CalendarDay.day.in_([r[0] for r in rows]))}
    with db.atomic():
        for day, kind, name in rows:
            CalendarDay.insert(day=day, kind=kind, name=name).on_conflict(
                conflict_target=[CalendarDay.day],
                update={CalendarDay.kind: kind, CalendarDay.name: name}).execute()
    audit.record("calendar_changed", actor=current_user, target=f"{len(rows)} days",
                 detail={str(day): [before.get(day), (kind, name)] for day, kind, name in rows
                         if before.get(day) != (kind, name)})
    flash(_("%(count)s days saved.", count=len(rows)))
    return True


def _calendar_page(form, upload, hours):
    days = list(CalendarDay.select().order_by(CalendarDay.day))
    # A stretch with no working day is almost always a typing mistake (a year of holidays).
    closed = calendar_days.load_calendar().closed_stretches(to_local(utcnow()).date(), 400)
    failed = form.errors or upload.errors or hours.errors
    return render("settings/calendar.html", form=form, upload=upload, hours=hours, days=days, closed=closed,
                  status=422 if failed else 200)


@bp.route("/ladder", methods=["GET", "POST"])
@admin_only
def ladder_settings():
    """Who each ladder step reaches, and which waits pause the completion clock."""
    current = ladder.recipients_setting()
    form = LadderForm(data={**current, "pausing": [w.code for w in WaitReason.select() if w.pauses_completion]})
    if form.validate_on_submit():
        after = {level: form[level].data for level in ("before", "due_day", "overdue", "unhappy")}
        Setting.write("ladder", after)
        WaitReason.update(pauses_completion=WaitReason.code.in_(form.pausing.data)).execute()
        audit.record("escalation_changed", actor=current_user, target="ladder", detail=audit.changes(
            {**current, "pausing": form.pausing.object_data}, {**after, "pausing": form.pausing.data}))
        flash(_("Escalation settings saved."))
        return redirect(url_for("settings.ladder_settings"), code=303)
    return render("settings/ladder.html", form=form, status=422 if form.errors else 200)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@admin_only
def department(department_id):
    """A department's group robot (WeChat Work / DingTalk) or webhook."""
    dept = Department.get_or_none(Department.id == department_id) or abort(404)
    form = DepartmentWebhookForm(obj=dept)
    if form.validate_on_submit():
        before = _robot(dept)
        form.populate_obj(dept)
        dept.save()
        audit.record("department_changed", actor=current_user, target=dept.name,
                     detail=audit.changes(before, _robot(dept)))
        flash(_("Department %(name)s saved.", name=dept.label))
        return redirect(url_for("admin.departments"), code=303)
    return render("settings/department.html", form=form, department=dept, status=422 if form.errors else 200)


def _robot(dept):
    return {"webhook_url": dept.webhook_url, "webhook_format": dept.webhook_format,
            "webhook_allow_lan": dept.webhook_allow_lan}
