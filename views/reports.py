"""The monthly review page (policy §4.4.2): a period's figures beside the period before and
the same period a year earlier, each count opening the complaints behind it."""
from datetime import date, timedelta

from flask import Blueprint, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

import audit
from models import Department, User, utcnow
from review import export
from review.figures import DIMENSIONS, Rate, bounds, period_figures
from views import current_calendar, deny, render

bp = Blueprint("reports", __name__)

# The inbox filter each count opens (cause and business line have none yet: shown without a link).
DRILL = {"category": "category", "severity": "severity", "channel": "channel", "department_id": "department",
         "handler_id": "handler"}


def can_see_reports(user):
    return user.has_role("care_manager", "general_manager", "admin")


@bp.get("/reports")
@login_required
def index():
    """A month (default: the last full one) or any range of days."""
    if not can_see_reports(current_user):
        deny(404)
    calendar = current_calendar()
    first, last, problem = period_asked(request.args, calendar.local_day(utcnow()))
    periods, figures = compared(first, last, calendar)
    return render("reports/index.html", periods=periods, figures=figures, problem=problem,
                  rows=_rows(figures), drill=_drill_url(first, last), month=first.strftime("%Y-%m"),
                  dimensions=DIMENSIONS)


def compared(first, last, calendar):
    """The period, the one before and the same one a year earlier: their days and figures."""
    periods = {"this": (first, last), "before": previous(first, last), "last_year": year_before(first, last)}
    return periods, {name: period_figures(a, b, calendar) for name, (a, b) in periods.items()}


def period_asked(args, today):
    """(first day, last day, why the request was not understood or None)."""
    try:
        if args.get("from") or args.get("to"):
            first, last = date.fromisoformat(args["from"]), date.fromisoformat(args["to"])
            if last < first or (last - first).days > 400:
                raise ValueError
            return first, last, None
        if args.get("month"):
            year, month = (int(part) for part in args["month"].split("-"))
            first = date(year, month, 1)
            return first, _month_end(first), None
    except (KeyError, ValueError):
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        return first, _month_end(first), True
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last full month
    return first, _month_end(first), None


def _month_end(first):
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous(first, last):
    """The month before a whole month; otherwise the same number of days just before."""
    if first.day == 1 and last == _month_end(first):
        before = (first - timedelta(days=1)).replace(day=1)
        return before, _month_end(before)
    return first - (last - first) - timedelta(days=1), first - timedelta(days=1)


def year_before(first, last):
    def back(day):
        return day.replace(year=day.year - 1) if not (day.month == 2 and day.day == 29) else day.replace(
            year=day.year - 1, day=28)
    if first.day == 1 and last == _month_end(first):
        start = back(first)
        return start, _month_end(start)
    return back(first), back(last)


def _rows(figures):
    """{dimension: [(code, name, this, before, last year)]}, most first in this period."""
    names = {"department_id": {d.id: d.label for d in Department.select()},
             "handler_id": {u.id: u.display_name for u in User.select(User.id, User.display_name)}}
    rows = {}
    for dimension in DIMENSIONS:
        counts = [figures[p]["by"][dimension] for p in ("this", "before", "last_year")]
        codes = sorted(set().union(*counts), key=lambda code: (-counts[0].get(code, 0), str(code)))
        rows[dimension] = [(code, names.get(dimension, {}).get(code, code), *(c.get(code, 0) for c in counts))
                           for code in codes]
    return rows


def _drill_url(first, last):
    """The inbox with the period's complaints, and one more filter when given."""
    def url(dimension=None, code=None):
        args = {"status": "all", "received_from": first.isoformat(), "received_to": last.isoformat()}
        if dimension in DRILL:
            args[DRILL[dimension]] = "nobody" if dimension == "handler_id" and code is None else (code or "")
        return url_for("inbox.index", **args)
    return url


@bp.get("/reports/export.xlsx")
@login_required
def export_xlsx():
    """The period's report as a workbook: summary, per department, the register."""
    first, last, calendar, figures = _period_for_export()
    book = export.workbook(_summary_rows(figures), _department_rows(figures["this"]),
                           export.register_rows(*bounds(first, last, calendar), calendar))
    return _download(book, f"complaints-{first}-{last}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/reports/register.csv")
@login_required
def export_csv():
    """The period's register alone, for Excel (UTF-8 with a BOM)."""
    first, last, calendar, _figures = _period_for_export(with_figures=False)
    data = export.register_csv(export.register_rows(*bounds(first, last, calendar), calendar))
    return _download(data, f"complaints-{first}-{last}.csv", "text/csv; charset=utf-8")


def _period_for_export(with_figures=True):
    if not can_see_reports(current_user):
        deny(404)
    calendar = current_calendar()
    first, last, _problem = period_asked(request.args, calendar.local_day(utcnow()))
    audit.record("export", actor=current_user, target=f"{request.path} {first}..{last}")
    if not with_figures:
        return first, last, calendar, None
    return first, last, calendar, compared(first, last, calendar)[1]


def _download(data, filename, mimetype):
    response = make_response(data)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _summary_rows(figures):
    def show(value):
        if isinstance(value, Rate):
            return value.percent
        return value
    rows = [[_("Figure"), _("This period"), _("Period before"), _("A year earlier")]]
    for key, name in SUMMARY:
        rows.append([str(name)] + [show(figures[p][key]) for p in ("this", "before", "last_year")])
    for key, name in (("to_first_contact", _l("Working hours to first contact")),
                      ("to_close", _l("Working hours to close"))):
        for stat, stat_name in (("average", _("average")), ("p90", _("90th percentile"))):
            rows.append([f"{name}, {stat_name}"] + [figures[p][key][stat] for p in ("this", "before", "last_year")])
    return rows


def _department_rows(figures):
    names = {d.id: d.label for d in Department.select()}
    rows = [[_("Department"), _("Complaints received"), _("Timely response rate"), _("Timely completion rate")]]
    for department, numbers in figures["departments"].items():
        rows.append([str(names.get(department, _("To triage"))), numbers["received"], numbers["response"].percent,
                     numbers["completion"].percent])
    return rows


SUMMARY = [("received", _l("Complaints received")), ("response", _l("Timely response rate")),
           ("response_original", _l("… against the original deadlines")),
           ("completion", _l("Timely completion rate")),
           ("completion_original", _l("… against the original deadlines")), ("repeat", _l("Repeat rate")),
           ("callbacks", _l("Satisfied at the closing callback")), ("closed", _l("Closed in the period")),
           ("open_at_end", _l("Open at the period's end")),
           ("overdue_at_end", _l("… of them with a deadline already late"))]
