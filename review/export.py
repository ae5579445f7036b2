"""The period's report as an XLSX workbook (summary, per department, the register) and the
register alone as CSV for Chinese Excel (UTF-8 with a BOM). A cell that a spreadsheet
would read as a formula (= + - @, a tab or a carriage return first) is written as text."""
import csv
import io
from datetime import datetime

from flask_babel import gettext as _

import catalog
from models import Action, Complaint, Department, User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REGISTER_FIELDS = ["received_at", "channel", "external_ref", "business_line", "customer_name", "customer_phone",
                   "customer_type", "vehicle_model", "vin", "plate", "delivery_date", "category", "demand",
                   "severity", "major_facts", "description", "department", "handler", "person_involved", "status",
                   "unfounded", "verified_facts", "cause_class", "cause", "handling_method", "solution", "acceptance",
                   "confirmed_in_writing", "recourse_told", "compensation_type", "compensation_cost", "result",
                   "root_cause", "improvement", "unfounded_explanation", "close_reason"]


def inert(value):
    """A value safe to put in a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def register_rows(start, end, calendar):
    """The header and one row per complaint received in [start, end), values as staff read them."""
    people = {u.id: u.display_name for u in User.select(User.id, User.display_name)}
    departments = {d.id: str(d.label) for d in Department.select()}
    header = [_("Complaint no.")] + [str(catalog.FIELD_LABELS[name]) for name in REGISTER_FIELDS]
    rows = [header]
    received = (Complaint.received_at >= start) & (Complaint.received_at < end)
    actions = _actions_of(received)
    for c in Complaint.select().where(received).order_by(Complaint.received_at, Complaint.id):
        rows.append([c.number] + [actions.get(c.id, "") if name == "improvement" else
                                  _cell(c, name, people, departments, calendar) for name in REGISTER_FIELDS])
    return rows


def _actions_of(received):
    """{complaint id: its improvement actions as one text}, for the register's 改进措施 column."""
    texts = {}
    for a in (Action.select(Action.complaint, Action.description, Action.status, Action.due_on).join(Complaint)
              .where(received).order_by(Action.id)):
        line = f"{a.description} ({catalog.label('action_status', a.status)}, {a.due_on.isoformat()})"
        texts[a.complaint_id] = f"{texts[a.complaint_id]}; {line}" if a.complaint_id in texts else line
    return texts


def _cell(c, name, people, departments, calendar):
    if name == "received_at":
        return calendar.local(c.received_at).strftime("%Y-%m-%d %H:%M")
    if name in ("handler", "person_involved"):
        return people.get(getattr(c, f"{name}_id"), "")
    if name == "department":
        return departments.get(c.department_id, "")
    value = getattr(c, name)
    if value is None or value == "":
        return ""
    if name == "compensation_cost":
        return float(value)
    if name == "delivery_date":
        return value.isoformat()
    return str(catalog.show_value(name, value))


def register_csv(rows):
    """CSV bytes with a UTF-8 BOM, which Chinese Excel needs to read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([inert(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def workbook(summary, departments, register):
    """XLSX bytes: a sheet for each list of rows, every text cell made inert."""
    from openpyxl import Workbook  # here, not at the top: 8 MB that every web process would hold for a rare export
    book = Workbook()
    book.remove(book.active)
    sheets = ((_("Summary"), summary), (_("Per department"), departments), (_("Complaint register"), register))
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([inert(v) if not isinstance(v, datetime) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
