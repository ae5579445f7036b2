"""The administrator rewrites the handling guidance (guidance.py) in Chinese and English."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audit
import guidance
from base_forms import BaseForm
from forms import text
from views import render
from views.admin import admin_only

bp = Blueprint("guidance_admin", __name__, url_prefix="/admin/guidance")


class GuidanceForm(BaseForm):
    zh_CN = text("简体中文", size=guidance.MAX_TEXT)
    en = text("English", size=guidance.MAX_TEXT)


@bp.get("")
@admin_only
def index():
    return render("settings/guidance.html", texts=guidance.texts(),
                  headings={key: guidance.heading(key) for key in guidance.DEFAULTS})


@bp.route("/<key>", methods=["GET", "POST"])
@admin_only
def edit(key):
    if key not in guidance.DEFAULTS:
        abort(404)
    current = guidance.texts()[key]
    form = GuidanceForm(data=current)
    if form.validate_on_submit():
        after = {"zh_CN": form.zh_CN.data, "en": form.en.data}
        guidance.save(key, after)
        audit.record("guidance_changed", actor=current_user, target=key, detail=audit.changes(current, after))
        flash(_("Guidance saved. An empty text goes back to the original."))
        return redirect(url_for("guidance_admin.index"), code=303)
    return render("settings/guidance_edit.html", form=form, key=key, heading=guidance.heading(key),
                  status=422 if form.errors else 200)

