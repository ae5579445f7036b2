"""An import from the dealer management system: upload, columns, a check of every row
(nothing saved yet), then the valid rows saved in one transaction with their calls.

The check and the saving run as background tasks (tasks.py) and record their progress
on the ImportJob, so the page can show it. Importing the same file twice creates nothing
new: a delivery is known by VIN and delivery date, a service visit by its repair order.
"""
import json
import os
import secrets

from peewee import chunked

from callbacks import importer, schedule
from i18n import lazy_gettext as _l
from models import Delivery, ImportJob, ServiceVisit, Setting, bulk_insert, db, write_transaction

MODEL = {"deliveries": Delivery, "service_visits": ServiceVisit}
BASE = {"deliveries": "delivery", "service_visits": "service"}
PERSON = {"deliveries": ("consultant", "consultant_name"), "service_visits": ("advisor", "advisor_name")}
SHOWN_PROBLEMS = 200  # the preview lists this many row problems; the count says how many there are
PROGRESS_EVERY = 1000


def start(kind, upload, folder, max_bytes, by, now):
    """Keep the uploaded file and read its columns: the job waits for a mapping or is ready to check."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, secrets.token_hex(16))
    size = 0
    with open(path, "wb") as out:
        while chunk := upload.stream.read(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                os.remove(path)
                raise importer.FileProblem(_l("The file is larger than %(mb)s MB.", mb=max_bytes // 2 ** 20))
            out.write(chunk)
    try:
        table = importer.read(path, kind)
    except importer.FileProblem:
        os.remove(path)
        raise
    job = ImportJob.create(kind=kind, file_path=path, original_name=(upload.filename or "")[-200:],
                           created_at=now, created_by=by, total=len(table.rows))
    remembered = (Setting.read(f"import_mapping:{kind}") or {}).get(importer.signature(table.headers))
    mapping = {**(remembered or {}), **table.mapping} if remembered else table.mapping
    set_mapping(job, mapping, remember=False, ready=not _missing(mapping, kind))
    return job


def columns_of(job):
    """The file's headers, for the mapping screen."""
    return importer.read(job.file_path, job.kind).headers


def set_mapping(job, mapping, remember=True, ready=True):
    """Which file column holds each field; remembered for files with the same headers."""
    job.mapping = json.dumps(mapping)
    job.status = "checking" if ready else "mapping"
    job.save()
    if remember:
        headers = columns_of(job)
        saved = Setting.read(f"import_mapping:{job.kind}") or {}
        saved[importer.signature(headers)] = mapping
        Setting.write(f"import_mapping:{job.kind}", saved)


def _missing(mapping, kind):
    return [c for c in importer.COLUMNS[kind] if c.required and c.name not in mapping]


def _table(job):
    table = importer.read(job.file_path, job.kind)
    table.mapping = {name: int(index) for name, index in json.loads(job.mapping or "{}").items()}
    return table


def check(job_id, today):
    """Check every row; nothing is saved. The preview shows what saving would do."""
    job = ImportJob.get_by_id(job_id)
    table = _table(job)
    _progress(job, 0, len(table.rows))
    good, problems = importer.check(table, job.kind, today)
    _progress(job, len(table.rows), len(table.rows))
    known = _already(job.kind, [record for _n, record in good])
    fresh = [(n, r) for n, r in good if _key(job.kind, r) not in known]
    summary = {"rows": len(table.rows), "valid": len(fresh), "already": len(good) - len(fresh),
               "problem_rows": len({n for n, _c, _p in problems}), "problems": problems[:SHOWN_PROBLEMS],
               "problem_count": len(problems), "sample": [r for _n, r in fresh[:10]]}
    ImportJob.update(status="checked", summary=json.dumps(summary, default=str, ensure_ascii=False)).where(
        ImportJob.id == job.id).execute()
    return summary


def save(job_id, by_id, now, today, calendar):
    """Save the valid rows not imported before, and their calls, in one transaction."""
    job = ImportJob.get_by_id(job_id)
    good, _problems = importer.check(_table(job), job.kind, today)
    model = MODEL[job.kind]
    person, name_field = PERSON[job.kind]
    staff = schedule.match_staff({r.get(name_field, "") for _n, r in good})
    with write_transaction():
        known = _already(job.kind, [r for _n, r in good])
        rows = [{**_defaults(job.kind), **record, person: staff.get(record.get(name_field, "")),
                 "created_at": now, "created_by": by_id, "import_job": job.id}
                for _n, record in good if _key(job.kind, record) not in known]
        for chunk in chunked(rows, 2000):
            bulk_insert(model, chunk)
        records = list(model.select().where(model.import_job == job.id))
        calls = schedule.create(BASE[job.kind], records, calendar, now)
        summary = {**json.loads(job.summary or "{}"), "saved": len(rows), "calls": calls}
        ImportJob.update(status="done", done=len(rows), summary=json.dumps(summary, default=str, ensure_ascii=False)
                         ).where(ImportJob.id == job.id).execute()
    _forget_file(job)
    return summary


def _defaults(kind):
    return {c.name: "" for c in importer.COLUMNS[kind] if c.kind != "date"}


def _key(kind, record):
    return tuple(str(record.get(k)) for k in importer.KEYS[kind])


def _already(kind, records):
    """The keys of these records that are in the database already."""
    model, found = MODEL[kind], set()
    if kind == "deliveries":
        for chunk in chunked(list({r["vin"] for r in records}), 500):
            found |= {(d.vin, str(d.delivered_on)) for d in
                      model.select(model.vin, model.delivered_on).where(model.vin.in_(chunk))}
    else:
        for chunk in chunked(list({r["repair_order"] for r in records}), 500):
            found |= {(v.repair_order,) for v in model.select(model.repair_order).where(model.repair_order.in_(chunk))}
    return found


def _progress(job, done, total):
    """Committed at once, outside any transaction, so the page polling it sees it."""
    with db.atomic():
        ImportJob.update(done=done, total=total).where(ImportJob.id == job.id).execute()


def fail(job_id, message):
    ImportJob.update(status="failed", error=str(message)[:1000]).where(ImportJob.id == job_id).execute()
    _forget_file(ImportJob.get_by_id(job_id))


def _forget_file(job):
    try:
        os.remove(job.file_path)
    except FileNotFoundError:
        pass
