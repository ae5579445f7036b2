"""Photos and documents on a complaint: upload (several at once, or straight from a
phone's camera), thumbnails, download, removal. Every file is reached through its
complaint, with the complaint's permission check; the file must belong to it."""
import os

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import attachments
import audit
import workflow
from models import Attachment, Complaint, utcnow
from permissions import can
from views import abort_unless, get_complaint_or_404, is_fragment, render
from views.actions import detail_context

bp = Blueprint("attachments", __name__, url_prefix="/complaints")


def folder():
    path = current_app.config["ATTACHMENTS_PATH"]
    os.makedirs(os.path.join(path, "incoming"), exist_ok=True)
    return path


def upload_limit(config):
    """The largest upload request: every file at its limit, plus the form around them."""
    return config["UPLOAD_MAX_FILES"] * config["UPLOAD_MAX_MB"] * 2 ** 20 + 2 ** 20


@bp.post("/<number>/attachments")
@login_required
def upload(number):
    """Add photos or documents; one file that may not be kept refuses the batch."""
    complaint = get_complaint_or_404(number)
    abort_unless(can(current_user, "attach", complaint))
    files = [f for f in request.files.getlist("files") if f and f.filename]
    checked, errors = _check_all(files)
    if errors:
        return _panel(complaint, errors, 422)
    _keep_all(complaint, checked)
    if not is_fragment():
        return redirect(url_for("complaints.show", number=number) + "#attachments", code=303)
    response = render("complaints/_detail.html", **detail_context(Complaint.get_by_id(complaint.id)))
    response.headers.update({"HX-Retarget": "#complaint", "HX-Reswap": "outerHTML",
                             "HX-Trigger": "complaint-changed"})
    return response


def _check_all(files):
    config = current_app.config
    if not files:
        return [], [_("Choose at least one photo or file.")]
    if len(files) > config["UPLOAD_MAX_FILES"]:
        return [], [_("At most %(count)s files at once.", count=config["UPLOAD_MAX_FILES"])]
    checked, errors = [], []
    for upload_file in files:
        try:
            checked.append(attachments.check(upload_file, os.path.join(folder(), "incoming"),
                                             config["UPLOAD_MAX_MB"] * 2 ** 20))
        except attachments.Refused as refused:
            errors.append(str(refused.message))
    if errors:
        attachments.discard(checked)
        return [], errors + [_("Nothing was saved: choose the files again without these.")]
    return checked, []


def _keep_all(complaint, checked):
    root, now, stored = folder(), utcnow(), []
    try:
        for item in checked:
            stored.append(attachments.keep(item, root, now))
        workflow.add_attachments(complaint.id, [
            {"stored_name": name, "original_name": item.original_name, "content_type": item.content_type,
             "size": item.size, "sha256": item.sha256, "has_images": bool(item.images)}
            for name, item in zip(stored, checked, strict=True)], current_user, now)
    except Exception:
        attachments.discard(checked, root, stored)
        raise


def _panel(complaint, errors, status):
    if is_fragment():
        return render("complaints/_attachments.html", complaint=complaint, attachments=Attachment.on(complaint),
                      upload_errors=errors, status=status)
    return render("complaints/show.html", status=status, upload_errors=errors, **detail_context(complaint))


def _attachment_of(number, attachment_id):
    """The attachment, if it belongs to the complaint in the URL and the user may see that."""
    complaint = get_complaint_or_404(number)
    attachment = Attachment.get_or_none((Attachment.id == attachment_id) & (Attachment.complaint == complaint))
    if attachment is None or attachment.removed_at:
        abort(404)
    return complaint, attachment


@bp.get("/<number>/attachments/<int:attachment_id>")
@login_required
def download(number, attachment_id):
    """The file as it was uploaded, always as a download."""
    complaint, attachment = _attachment_of(number, attachment_id)
    audit.record("attachment_downloaded", actor=current_user, target=f"{number} {attachment.original_name}")
    return send_file(os.path.join(folder(), attachment.stored_name), mimetype=attachment.content_type,
                     as_attachment=True, download_name=attachment.original_name)


@bp.get("/<number>/attachments/<int:attachment_id>/<any(thumb, preview):kind>")
@login_required
def image(number, attachment_id, kind):
    """The thumbnail or screen-sized preview made at upload (a JPEG of our own)."""
    complaint, attachment = _attachment_of(number, attachment_id)
    if not attachment.has_images:
        abort(404)
    if kind == "preview":
        audit.record("attachment_downloaded", actor=current_user, target=f"{number} {attachment.original_name}")
    return send_file(os.path.join(folder(), attachments.image_path(attachment.stored_name, kind)),
                     mimetype="image/jpeg", download_name=f"{kind}.jpg")


@bp.post("/<number>/attachments/<int:attachment_id>/remove")
@login_required
def remove(number, attachment_id):
    """Take a photo or document off the complaint (who added it, or a manager); it stays on record."""
    complaint, attachment = _attachment_of(number, attachment_id)
    abort_unless(attachment.uploaded_by_id == current_user.id or can(current_user, "edit", complaint))
    workflow.remove_attachment(attachment.id, current_user, utcnow(), request.form.get("reason", "")[:200])
    return redirect(url_for("complaints.show", number=number) + "#attachments", code=303)
