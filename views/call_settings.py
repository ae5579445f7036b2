"""The administrator's call-back settings: when each call after a delivery or a service visit
falls due and who makes it, how often an unanswered call is tried, and what the caller asks."""
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
import process
from callback_forms import call_settings_form
from callbacks import schedule, scripts
from models import Setting
from views import render
from views.admin import admin_only

bp = Blueprint("call_settings", __name__, url_prefix="/admin")


@bp.route("/callbacks", methods=["GET", "POST"])
@admin_only
def index():
    """The schedule (0 days switches a call off), the attempts and the scripts."""
    entries, kinds = schedule.entries(), schedule.KINDS
    data = {"attempts": process.settings()["call_attempts"]}
    for entry in entries:
        data.update({f"days_{entry['kind']}": entry["days"], f"owner_{entry['kind']}": entry["owner"]})
    saved = Setting.read("call_scripts") or {}
    for kind in kinds:
        data.update({f"script_{kind}_{lang}": saved.get(kind, {}).get(lang, "") for lang in ("zh_CN", "en")})
    form = call_settings_form([e["kind"] for e in entries], kinds, data=data)
    if form.validate_on_submit():
        after = [{"kind": e["kind"], "days": form[f"days_{e['kind']}"].data, "owner": form[f"owner_{e['kind']}"].data}
                 for e in entries]
        Setting.write("call_schedule", after)
        process.save({"call_attempts": form.attempts.data})
        for kind in kinds:
            scripts.save(kind, {lang: form[f"script_{kind}_{lang}"].data for lang in ("zh_CN", "en")})
        audit.record("escalation_changed", actor=current_user, target="call-backs",
                     detail={"before": entries, "after": after})
        flash(_("Call-back settings saved. New calls follow them."))
        return redirect(url_for("call_settings.index"), code=303)
    return render("settings/callbacks.html", form=form, entries=entries, kinds=kinds, scripts_default=scripts.default,
                  status=422 if form.errors else 200)
