"""Importing deliveries and service visits from the dealer management system: upload, columns
(when they cannot be found by their headers), a preview with every row's problems before
anything is saved, then saving; the check and the saving run in the background and the page
shows their progress."""
import json
import os

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import tasks
from callback_forms import ImportForm
from callbacks import importer, imports
from models import ImportJob, utcnow
from views import deny, render

bp = Blueprint("call_imports", __name__, url_prefix="/callbacks/import")
IMPORTERS = ("callback_clerk", "care_manager", "admin")


def upload_limit(config):
    return config["IMPORT_MAX_MB"] * 2 ** 20 + 2 ** 20


def _may_import():
    if not current_user.has_role(*IMPORTERS):
        deny(404)


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    """Choose a file; its columns are read at once and the rows checked in the background."""
    _may_import()
    form = ImportForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            job = imports.start(form.kind.data, form.file.data, os.path.join(current_app.instance_path, "imports"),
                                config["IMPORT_MAX_MB"] * 2 ** 20, current_user.id, utcnow())
        except importer.FileProblem as problem:
            form.file.errors.append(str(problem.message))
        else:
            if job.status == "checking":
                tasks.check_import(job.id)
            return redirect(url_for("call_imports.job", job_id=job.id), code=303)
    recent = list(ImportJob.select().order_by(ImportJob.id.desc()).limit(10))
    return render("callbacks/import.html", form=form, recent=recent, status=422 if form.errors else 200)


def _job_or_404(job_id):
    _may_import()
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/<int:job_id>")
@login_required
def job(job_id):
    """Where the import stands: the columns to choose, its progress, the preview, or what was saved."""
    job = _job_or_404(job_id)
    return render("callbacks/import_job.html", "callbacks/_import_status.html", **_context(job))


def _context(job, errors=None):
    headers = imports.columns_of(job) if job.status == "mapping" else []
    return {"job": job, "summary": json.loads(job.summary or "{}"), "headers": headers,
            "columns": importer.COLUMNS[job.kind], "mapping": json.loads(job.mapping or "{}"),
            "mapping_errors": errors or []}


@bp.post("/<int:job_id>/mapping")
@login_required
def mapping(job_id):
    """Which column of the file holds each field; remembered for files laid out the same way."""
    job = _job_or_404(job_id)
    if job.status != "mapping":
        abort(409)
    headers = imports.columns_of(job)
    chosen = {c.name: request.form.get(f"map-{c.name}", "") for c in importer.COLUMNS[job.kind]}
    chosen = {name: int(value) for name, value in chosen.items() if value.isdigit() and int(value) < len(headers)}
    errors = [_("Choose the column that holds “%(field)s”.", field=c.label)
              for c in importer.COLUMNS[job.kind] if c.required and c.name not in chosen]
    if len(set(chosen.values())) < len(chosen):
        errors.append(_("Each column of the file can hold one field only."))
    if errors:
        return render("callbacks/import_job.html", status=422, **_context(job, errors))
    imports.set_mapping(job, chosen)
    tasks.check_import(job.id)
    return redirect(url_for("call_imports.job", job_id=job.id), code=303)


@bp.post("/<int:job_id>/save")
@login_required
def save(job_id):
    """Save the rows the preview found valid (and not imported before), with their calls."""
    job = _job_or_404(job_id)
    if job.status != "checked":
        abort(409)
    ImportJob.update(status="saving").where(ImportJob.id == job.id).execute()
    tasks.save_import(job.id, current_user.id)
    return redirect(url_for("call_imports.job", job_id=job.id), code=303)
