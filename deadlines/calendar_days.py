"""The dealership's calendar as the administrator keeps it, loaded into a Calendar
(workdays.py): the showroom's week and its hours, and the days that differ from it.

China's public holidays and make-up working days (调休) come from the State
Council's yearly notice as the chinesecalendar package carries it: they are
loaded for this year and the next on start-up and on init-db, marked as from
the package, and never overwrite a day the administrator set. The notice for
the coming year appears each November; until the package has it, the calendar
page and the overdue wall say so.
"""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app, has_app_context

from deadlines.workdays import Calendar, Hours
from models import Bound, CalendarDay, Setting, calendar_day_kinds, kept

DEFAULT_DAY = {"open": True, "start": "08:30", "lunch_start": "12:00", "lunch_end": "13:30", "end": "17:30"}
# 4S showrooms usually open every day: seven days at the same hours until the administrator says otherwise.
DEFAULT_WEEK = [dict(DEFAULT_DAY) for _ in range(7)]
WEEKDAYS_ONLY = [dict(DEFAULT_DAY, open=weekday < 5) for weekday in range(7)]
HOLIDAY_CODES = {holiday.value: holiday.name for holiday in chinese_calendar.Holiday}
OPEN_KINDS = ("workday", "open_holiday")


def week():
    """The showroom's week, Monday first: {"open", "start", "lunch_start", "lunch_end", "end"} each."""
    return Setting.read("week") or DEFAULT_WEEK


def _hours(entry):
    lunch = entry.get("lunch_start") and entry.get("lunch_end")
    return Hours(start=time.fromisoformat(entry["start"]), end=time.fromisoformat(entry["end"]),
                 lunch_start=time.fromisoformat(entry["lunch_start"]) if lunch else None,
                 lunch_end=time.fromisoformat(entry["lunch_end"]) if lunch else None)


def load_calendar(tz=None):
    """The working-day calendar as the administrator keeps it."""
    days = list(calendar_day_kinds())  # (day, kind)
    entries = week()
    opening = [e for e in entries if e["open"]]
    standard = _hours(opening[0] if opening else DEFAULT_DAY)  # the hours of an extra open day on a closed weekday
    if tz is None:
        tz = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return Calendar(
        holidays=frozenset(day for day, kind in days if kind == "holiday"),
        makeup_days=frozenset(day for day, kind in days if kind in OPEN_KINDS),
        week=tuple(_hours(e) if e["open"] else None for e in entries),
        work_start=standard.start, work_end=standard.end, lunch_start=standard.lunch_start,
        lunch_end=standard.lunch_end, tz=tz)


def official_days(year):
    """[(day, kind, holiday code)] of `year` in China's official calendar; [] when the package has no notice yet."""
    rows = [(day, "holiday", HOLIDAY_CODES.get(name, "")) for day, name in chinese_calendar.holidays.items()
            if day.year == year]
    rows += [(day, "workday", HOLIDAY_CODES.get(name, "")) for day, name in chinese_calendar.workdays.items()
             if day.year == year]
    return sorted(rows)


def load_official_now(tz):
    """load_official for the dealership's current year."""
    return load_official(datetime.now(ZoneInfo(tz)).year)


def load_official(year):
    """Load this year's and the next year's official days once per package version;
    the administrator's days stay as they are. Returns how many days were added."""
    done = Setting.read("official_calendar") or {}
    added = 0
    for each in (year, year + 1):
        rows = official_days(each)
        if not rows or done.get(str(each)) == chinese_calendar.__version__:
            continue
        added += (CalendarDay.insert_many([{"day": d, "kind": k, "name": n, "source": "package"} for d, k, n in rows])
                  .on_conflict_ignore().as_rowcount().execute())
        done[str(each)] = chinese_calendar.__version__
    Setting.write("official_calendar", done)
    return added


def restore_official(day):
    """Put the official entry back for a day whose override the administrator removed."""
    for official, kind, name in official_days(day.year):
        if official == day:
            CalendarDay.insert(day=day, kind=kind, name=name, source="package").on_conflict_ignore().execute()


def missing_years(today):
    """The years whose public holidays are not known yet: this year, and from November the next."""
    wanted = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    known = {day.year for day, in _days_off(first=date(wanted[0], 1, 1), last=date(wanted[-1], 12, 31))}
    return [year for year in wanted if year not in known]


# (written once: the overdue wall asks on every refresh)
_days_off = kept(lambda: CalendarDay.select(CalendarDay.day).where(
    (CalendarDay.kind != "workday") & (CalendarDay.day >= Bound("first")) & (CalendarDay.day <= Bound("last")))
    .tuples())
