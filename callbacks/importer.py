"""Reading a dealer management system's export of deliveries or service visits. No Flask.

Files: CSV in UTF-8, GBK or GB18030 (what Chinese Excel writes; UTF-16 from Excel's
"Unicode text" too), detected rather than asked; XLSX through openpyxl in read-only mode.
A title row merged across the columns above the header is skipped: the header is the
first row naming at least two known columns. Columns are found by their headers, in
Chinese or English and the spellings DMSs use; when they cannot all be found, the
person maps them once and the mapping is remembered for files with the same headers.
Every row is checked (phone, VIN, dates as Excel serial numbers or as text) before
anything is saved.
"""
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import filetype

import validators as fmt
from base_forms import clean_line, clean_text
from i18n import lazy_gettext as _l


@dataclass
class Column:
    name: str
    label: object
    required: bool
    headers: tuple  # header spellings, compared without case, spaces or punctuation
    kind: str = "text"  # text, phone, vin, plate, date, long
    size: int = 60


NAME = ("客户姓名", "客户名称", "客户", "车主", "车主姓名", "姓名", "购车人", "联系人", "customer", "customername",
        "name", "owner")
PHONE = ("电话", "手机", "手机号", "手机号码", "联系电话", "客户电话", "客户手机", "移动电话", "电话号码", "phone",
         "mobile", "tel", "telephone", "phoneno")
MODEL = ("车型", "车型名称", "车辆型号", "车系", "车型代码", "model", "vehiclemodel", "vehicle")
VIN = ("vin", "车架号", "车辆识别代号", "车辆识别码", "底盘号", "vin码", "vinno", "chassisno")
PLATE = ("车牌", "车牌号", "车牌号码", "牌照号", "牌照", "plate", "plateno", "licenseplate", "registration")

COLUMNS = {
    "deliveries": [
        Column("customer_name", _l("Customer name"), True, NAME),
        Column("customer_phone", _l("Phone"), True, PHONE, "phone"),
        Column("vehicle_model", _l("Vehicle model"), False, MODEL),
        Column("vin", _l("VIN"), True, VIN, "vin"),
        Column("plate", _l("Plate"), False, PLATE, "plate"),
        Column("delivered_on", _l("Delivery date"), True,
               ("交车日期", "交付日期", "交车时间", "交付时间", "提车日期", "deliverydate", "delivered",
                "handoverdate"), "date"),
        Column("consultant_name", _l("Sales consultant"), False,
               ("销售顾问", "顾问", "销售员", "销售人员", "sc", "salesconsultant", "consultant", "salesperson")),
    ],
    "service_visits": [
        Column("repair_order", _l("Repair order no."), True,
               ("工单号", "维修工单号", "工单编号", "委托书号", "维修委托书号", "结算单号", "ro", "rono", "repairorder",
                "repairorderno", "workorder"), size=40),
        Column("customer_name", _l("Customer name"), True, NAME),
        Column("customer_phone", _l("Phone"), True, PHONE, "phone"),
        Column("vehicle_model", _l("Vehicle model"), False, MODEL),
        Column("vin", _l("VIN"), False, VIN, "vin"),
        Column("plate", _l("Plate"), False, PLATE, "plate"),
        Column("handed_back_on", _l("Hand-back date"), True,
               ("交车日期", "出厂日期", "结算日期", "交车时间", "出厂时间", "完工日期", "handbackdate", "handedback",
                "deliverydate", "completiondate"), "date"),
        Column("advisor_name", _l("Service advisor"), False,
               ("服务顾问", "接待", "接待员", "服务接待", "sa", "serviceadvisor", "advisor")),
        Column("work_done", _l("Work done"), False,
               ("维修项目", "维修内容", "作业内容", "工作内容", "服务项目", "workdone", "work", "jobs"), "long", 2000),
    ],
}
KEYS = {"deliveries": ("vin", "delivered_on"), "service_visits": ("repair_order",)}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SEARCH = 20  # rows looked at for the header (titles, notes and merged rows above it)


class FileProblem(Exception):
    """The file cannot be imported at all; the message says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Table:
    headers: list
    rows: list  # [(row number as the person sees it, [cell, …])]
    mapping: dict = field(default_factory=dict)  # column name -> header index


def _norm(text):
    return re.sub(r"[\s:：*_\-./()（）#]+", "", str(text or "")).lower()


def read(path, kind):
    """The file's header and data rows; FileProblem when it is not a usable CSV or XLSX file."""
    with open(path, "rb") as f:
        head = f.read(8192)
    if not head:
        raise FileProblem(_l("The file is empty."))
    guessed = filetype.guess(head)
    if guessed is not None and guessed.mime in (XLSX, "application/zip") and _is_workbook(path):
        raw = _xlsx_rows(path)
    elif guessed is not None or b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_l("This is not a CSV or Excel (XLSX) file. Export it from the DMS as CSV or XLSX."))
    else:
        raw = _csv_rows(path)
    return _table(raw, kind)


def _is_workbook(path):
    """An XLSX is a zip with a workbook inside (its entries may come in any order)."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _csv_rows(path):
    with open(path, "rb") as f:
        data = f.read()
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    return list(enumerate(csv.reader(io.StringIO(text), dialect), start=1))


def _decode(data):
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (which reads GBK too)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(_l("The file's text is in an encoding this app does not read: save it as UTF-8 or GBK."))


def _xlsx_rows(path):
    from openpyxl import load_workbook
    with open(path, "rb") as f:  # a file, not a path: openpyxl judges a path by its extension
        try:
            book = load_workbook(f, read_only=True, data_only=True)
        except Exception as error:  # a damaged or password-protected workbook
            raise FileProblem(_l("This Excel file cannot be read: save it again as XLSX or CSV.")) from error
        try:
            sheet = book.worksheets[0]
            return [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            book.close()


def _table(raw, kind):
    known = {_norm(h): column.name for column in COLUMNS[kind] for h in column.headers}
    candidates = [(number, cells) for number, cells in raw[:HEADER_SEARCH]
                  if sum(1 for c in cells if str(c or "").strip()) >= 2]
    if not candidates:
        raise FileProblem(_l("The file has no usable columns: it needs a header row and one column per field."))
    header_at = next((i for i, (_n, cells) in enumerate(candidates)
                      if sum(1 for c in cells if _norm(c) in known) >= 2), 0)
    header_number, headers = candidates[header_at]
    headers = [clean_line(str(h or "")).strip() for h in headers]
    rows = [(number, list(cells)) for number, cells in raw if number > header_number
            and any(str(c if c is not None else "").strip() for c in cells)]
    if not rows:
        raise FileProblem(_l("The file has a header but no rows under it."))
    table = Table(headers=headers, rows=rows)
    for index, header in enumerate(headers):
        name = known.get(_norm(header))
        if name and name not in table.mapping:
            table.mapping[name] = index
    return table


def signature(headers):
    """The same headers in the same order: the same file layout, the same remembered mapping."""
    return hashlib.sha256("\x1f".join(_norm(h) for h in headers).encode()).hexdigest()[:16]


def missing(table, kind):
    return [c for c in COLUMNS[kind] if c.required and c.name not in table.mapping]


def check(table, kind, today):
    """Every row checked: ([(row number, record)], [(row number, column label, problem)])."""
    good, problems, seen = [], [], {}
    columns = [c for c in COLUMNS[kind] if c.name in table.mapping]
    for number, cells in table.rows:
        record, errors = {}, []
        for column in columns:
            index = table.mapping[column.name]
            value, problem = _cell(column, cells[index] if index < len(cells) else None, today)
            record[column.name] = value
            if problem:
                errors.append((number, str(column.label), str(problem)))
        key = tuple(record.get(k) for k in KEYS[kind])
        if not errors and key in seen:
            errors.append((number, "", str(_l("The same as row %(row)s.", row=seen[key]))))
        if errors:
            problems.extend(errors)
            continue
        seen[key] = number
        good.append((number, record))
    return good, problems


def _cell(column, value, today):
    """(the value as stored, a problem or None)."""
    text = "" if value is None else (clean_text(str(value)) if column.kind == "long" else clean_line(str(value)))
    text = text.strip()
    if column.kind == "date":
        return _date(value, text, today)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # Excel keeps phone numbers and order numbers as numbers
    if not text:
        return (None if column.kind == "date" else ""), (_l("Missing.") if column.required else None)
    if column.kind == "phone":
        phone = fmt.normalize_phone(text)
        return phone, None if fmt.is_phone(phone) else _l("Not a phone number: %(value)s", value=text[:30])
    if column.kind == "vin":
        vin = fmt.normalize_vin(text)
        return vin, None if fmt.is_vin(vin) else _l("Not a VIN (17 letters and digits, no I, O or Q): %(value)s",
                                                  value=text[:30])
    if column.kind == "plate":
        return fmt.normalize_plate(text)[:12], None
    if len(text) > column.size:
        return text[:column.size], _l("Longer than %(size)s characters.", size=column.size)
    return text, None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m/%d/%Y")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 1 is 1900-01-01 (it counts a 29 February 1900 that never was)


def _date(value, text, today):
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) or re.fullmatch(r"\d{5}(\.\d+)?", text):
        serial = float(value if isinstance(value, (int, float)) else text)
        day = EXCEL_EPOCH + timedelta(days=int(serial)) if 1 <= serial < 2958466 else None
    else:
        day = next((d for d in (_parse(text, f) for f in DATE_FORMATS) if d), None)
    if not text and day is None:
        return None, _l("Missing.")
    if day is None or day.year < 1990:
        return None, _l("Not a date: %(value)s", value=text[:30])
    if day > today:
        return None, _l("In the future: %(value)s", value=day.isoformat())
    return day, None


def _parse(text, pattern):
    try:
        return datetime.strptime(text, pattern).date()
    except ValueError:
        return None
