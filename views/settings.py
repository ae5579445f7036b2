"""The administrator's policy screens: deadline rules, the escalation ladder and
department robots (the calendar has its own: views/calendar.py)."""
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
import process
from admin_forms import DealershipForm, DepartmentWebhookForm, LadderForm, ProcessForm, RuleForm, RuleLengthForm
from deadlines import ladder
from deadlines import rules as rules_policy
from models import ClockRule, Department, Setting, WaitReason
from views import render
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
        return _delete_rule(rule, before)
    form = RuleLengthForm(prefix=f"rule{rule.id}")
    if not form.validate_on_submit():
        return _rules_page(RuleForm(formdata=None), 422, {rule.id: form})
    rule.amount, rule.unit = form.amount.data, form.unit.data
    rule.save()
    _audit_rule(rule, before, _rule_facts(rule))
    flash(_("Rule saved. It applies to deadlines started from now on."))
    return redirect(url_for("settings.rules"), code=303)


def _delete_rule(rule, before):
    """Asked once more before it goes; never the last rule a deadline needs."""
    uncovered = rules_policy.uncovered_without(rule)
    if uncovered or not request.form.get("confirmed"):
        return render("settings/delete_rule.html", rule=rule, uncovered=uncovered, status=409 if uncovered else 200)
    rule.delete_instance()
    _audit_rule(rule, before, None)
    flash(_("Rule deleted."))
    return redirect(url_for("settings.rules"), code=303)


def _rule_facts(rule):
    return {"kind": rule.kind, "category": rule.category, "severity": rule.severity,
            "length": f"{rule.amount} {rule.unit}"}


def _audit_rule(rule, before, after):
    audit.record("rule_changed", actor=current_user, target=f"{rule.kind} {rule.category} {rule.severity}",
                 detail={"before": before, "after": after})


@bp.route("/ladder", methods=["GET", "POST"])
@admin_only
def ladder_settings():
    """Who each ladder step reaches, and which waits pause the completion clock."""
    current = ladder.recipients_setting()
    form = LadderForm(data={**current, "pausing": [w.code for w in WaitReason.select() if w.pauses_completion]})
    if form.validate_on_submit():
        after = {level: form[level].data for level in ("before", "due_day", "overdue", "unhappy", "at_once")}
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


@bp.route("/process", methods=["GET", "POST"])
@admin_only
def process_settings():
    """Triage, the closing callback's owner, the repeat window."""
    current = process.settings()
    form = ProcessForm(data=current)
    if form.validate_on_submit():
        after = {"triage": form.triage.data, "callback_owner": form.callback_owner.data,
                 "repeat_days": form.repeat_days.data, "approval_over": form.approval_over.data,
                 "approver": form.approver.data, "late_registration_hours": form.late_registration_hours.data}
        process.save(after)
        audit.record("escalation_changed", actor=current_user, target="process", detail=audit.changes(current, after))
        flash(_("Process settings saved."))
        return redirect(url_for("settings.process_settings"), code=303)
    return render("settings/process.html", form=form, status=422 if form.errors else 200)


@bp.route("/dealership", methods=["GET", "POST"])
@admin_only
def dealership():
    """The name, address and phone printed at the top of every complaint form."""
    current = process.dealership(current_app.config["DEALERSHIP_NAME"])
    form = DealershipForm(data=current)
    if form.validate_on_submit():
        after = {"name": form.name.data, "address": form.address.data, "phone": form.phone.data}
        process.save_dealership(after)
        audit.record("dealership_changed", actor=current_user, target="dealership",
                     detail=audit.changes(current, after))
        flash(_("Dealership details saved."))
        return redirect(url_for("settings.dealership"), code=303)
    return render("settings/dealership.html", form=form, status=422 if form.errors else 200)
