"""The dealership's calendar as the administrator keeps it, loaded into a Calendar
(workdays.py): the days in CalendarDay and the working hours."""
from datetime import time

from flask import current_app, has_app_context

from deadlines.workdays import Calendar
from models import CalendarDay, Setting

DEFAULT_HOURS = {"work_start": "08:30", "lunch_start": "12:00", "lunch_end": "13:30", "work_end": "17:30"}


def load_calendar(tz=None):
    """The working-day calendar as the administrator keeps it."""
    days = list(CalendarDay.select())
    hours = {**DEFAULT_HOURS, **(Setting.read("working_hours") or {})}
    if tz is None:
        tz = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return Calendar(
        holidays=frozenset(d.day for d in days if d.kind == "holiday"),
        makeup_days=frozenset(d.day for d in days if d.kind == "workday"),
        tz=tz, **{name: time.fromisoformat(value) for name, value in hours.items()})
