"""The monthly review page (policy §4.4.2): a period's figures beside the period before and
the same period a year earlier, each count opening the complaints behind it."""
from datetime import date, timedelta
from urllib.parse import urlencode

from flask import Blueprint, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
import catalog
from i18n import lazy_gettext as _l
from models import Department, User, utcnow
from review import charts, export
from review.figures import DIMENSIONS, Rate, bounds, month_end, moved_since
from review.remembered import period_figures, trend
from views import current_calendar, deny, render

bp = Blueprint("reports", __name__)

# The inbox filter each count opens.
DRILL = {"category": "category", "severity": "severity", "channel": "channel", "department_id": "department",
         "handler_id": "handler", "cause_class": "cause_class", "business_line": "business_line"}


def can_see_reports(user):
    return user.has_role("care_manager", "general_manager", "admin")


@bp.get("/reports")
@login_required
def index():
    """A month (default: the last full one), a quarter or any range of days."""
    if not can_see_reports(current_user):
        deny(404)
    calendar = current_calendar()
    today = calendar.local_day(utcnow())
    first, last, problem = period_asked(request.args, today)
    periods, figures = compared(first, last, calendar)
    people = _people()
    rows = _rows(figures, people)
    return render("reports/index.html", periods=periods, figures=figures, problem=problem, rows=rows,
                  drill=_drill_url(first, last), month=first.strftime("%Y-%m"), dimensions=DIMENSIONS,
                  action_rows=ACTION_ROWS, quarters=recent_quarters(today), people=people,
                  trend=charts.trend(trend(last.replace(day=1), calendar)),
                  breakdowns={d: charts.breakdown(_labelled(rows[d], d)) for d in ("category", "cause_class")},
                  moved=moved_since(first, last, calendar))


def _labelled(rows, dimension):
    return [(str(catalog.label(dimension, code) or _("Not recorded")), now) for code, _name, now, *_rest in rows
            if now]


def _people():
    return {"department_id": {d.id: d.label for d in Department.select()},
            "handler_id": {u.id: u.display_name for u in User.select(User.id, User.display_name)}}


def recent_quarters(today, count=5):
    """[(label, first day, last day)] of this quarter and the ones before it, latest first."""
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarters = []
    while len(quarters) < count:
        label = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        quarters.append((label, first, month_end(_months_back(first, -2))))
        first = _months_back(first, 3)
    return quarters


def compared(first, last, calendar):
    """The period, the one before and the same one a year earlier: their days and figures."""
    periods = {"this": (first, last), "before": previous(first, last), "last_year": year_before(first, last)}
    return periods, {name: period_figures(a, b, calendar, per_owner=name == "this") for name, (a, b) in periods.items()}


def period_asked(args, today):
    """(first day, last day, why the request was not understood or None)."""
    try:
        if args.get("from") or args.get("to"):
            first, last = date.fromisoformat(args["from"]), date.fromisoformat(args["to"])
            if last < first or (last - first).days > 400:
                raise ValueError
            return first, last, None
        if args.get("quarter"):
            year, quarter = args["quarter"].split("-Q")
            first = date(int(year), 3 * int(quarter) - 2, 1)
            return first, month_end(first.replace(month=first.month + 2)), None
        if args.get("month"):
            year, month = (int(part) for part in args["month"].split("-"))
            first = date(year, month, 1)
            return first, month_end(first), None
    except (KeyError, ValueError):
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        return first, month_end(first), True
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last full month
    return first, month_end(first), None


def _whole_months(first, last):
    """How many whole months first..last covers (0 when it is not whole months)."""
    if first.day != 1 or last != month_end(last.replace(day=1)):
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _months_back(first, months):
    month = first.year * 12 + first.month - 1 - months
    return date(month // 12, month % 12 + 1, 1)


def previous(first, last):
    """The months just before whole months (a month, a quarter); otherwise as many days just before."""
    months = _whole_months(first, last)
    if months:
        start = _months_back(first, months)
        return start, month_end(_months_back(first, 1))
    return first - (last - first) - timedelta(days=1), first - timedelta(days=1)


def year_before(first, last):
    months = _whole_months(first, last)
    if months:
        start = _months_back(first, 12)
        return start, month_end(_months_back(last.replace(day=1), 12))

    def back(day):
        return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)
    return back(first), back(last)


def _rows(figures, names):
    """{dimension: [(code, name, this, before, last year)]}, most first in this period."""
    rows = {}
    for dimension in DIMENSIONS:
        counts = [figures[p]["by"][dimension] for p in ("this", "before", "last_year")]
        codes = sorted(set().union(*counts), key=lambda code: (-counts[0].get(code, 0), str(code)))
        rows[dimension] = [(code, names.get(dimension, {}).get(code, code), *(c.get(code, 0) for c in counts))
                           for code in codes]
    return rows


def _drill_url(first, last):
    """The inbox with the period's complaints, and one more filter when given. (The inbox's
    address is found once: a url_for for each of the page's hundred-odd counts was a fifth of it.)"""
    inbox = url_for("inbox.index")

    def url(dimension=None, code=None, missed=None):
        args = {"status": "all", "received_from": first.isoformat(), "received_to": last.isoformat()}
        if missed:
            args["missed"] = missed
        if dimension in DRILL:
            args[DRILL[dimension]] = "nobody" if dimension == "handler_id" and code is None else (code or "")
        return f"{inbox}?{urlencode(args)}"
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
    return rows + _action_summary(figures)


def _action_summary(figures):
    return [[str(name)] + [figures[p]["actions"][key] for p in ("this", "before", "last_year")]
            for key, name in ACTION_ROWS]


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
ACTION_ROWS = [("created", _l("Improvement actions created")), ("done", _l("Improvement actions done")),
               ("effective", _l("Verified effective")), ("ineffective", _l("Verified not effective")),
               ("late_at_end", _l("Late at the period's end"))]
