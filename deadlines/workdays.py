"""Working-day arithmetic for the dealership's deadlines (DOMAIN.md §5). Pure.

Weekends are off, listed public holidays are off, listed make-up working days
(调休, usually a Saturday or Sunday) are on. Working hours have a lunch break.
Times go in and out as naive UTC (as stored); the calendar's zone decides
which local day a moment falls on.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
_SEARCH_LIMIT = 400  # no real calendar has a year of holidays in a row


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset = field(default_factory=frozenset)
    makeup_days: frozenset = field(default_factory=frozenset)
    work_start: time = time(8, 30)
    lunch_start: time = time(12, 0)
    lunch_end: time = time(13, 30)
    work_end: time = time(17, 30)
    tz: str = "Asia/Shanghai"

    # -- days -----------------------------------------------------------------

    def is_working_day(self, day):
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day):
        """The first working day strictly after `day`."""
        return self._step(day, _ONE_DAY)

    def previous_working_day(self, day):
        """The last working day strictly before `day`."""
        return self._step(day, -_ONE_DAY)

    def working_day_on_or_after(self, day):
        return day if self.is_working_day(day) else self.next_working_day(day)

    def _step(self, day, step):
        """The next working day in the direction of step. A calendar with no working
        day for more than a year is a mistake; rather than fail every deadline, the
        plain next day counts then (the calendar page warns: closed_stretches)."""
        for candidate in (day + step * n for n in range(1, _SEARCH_LIMIT + 1)):
            if self.is_working_day(candidate):
                return candidate
        return day + step

    def closed_stretches(self, first, days, longer_than=31):
        """[(first day, last day)] of runs of more than `longer_than` days without a working day."""
        runs, start = [], None
        for day in (first + _ONE_DAY * n for n in range(days)):
            if not self.is_working_day(day):
                start = start or day
                continue
            if start and (day - start).days > longer_than:
                runs.append((start, day - _ONE_DAY))
            start = None
        last = first + _ONE_DAY * (days - 1)
        if start and (last - start).days + 1 > longer_than:
            runs.append((start, last))
        return runs

    def working_days_between(self, first, last):
        """How many working days are in (first, last]; 0 when last <= first."""
        count, day = 0, first
        while day < last:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    # -- moments --------------------------------------------------------------

    @property
    def zone(self):
        return ZoneInfo(self.tz)

    def local(self, moment):
        """A naive UTC moment as an aware local one."""
        return moment.replace(tzinfo=UTC).astimezone(self.zone)

    def local_day(self, moment):
        return self.local(moment).date()

    def at(self, day, clock_time):
        """Local `day` at `clock_time`, as naive UTC."""
        return datetime.combine(day, clock_time, self.zone).astimezone(UTC).replace(tzinfo=None)

    def day_starts(self, day):
        return self.at(day, self.work_start)

    def day_ends(self, day):
        return self.at(day, self.work_end)

    def midnight_after(self, moment):
        """The end of the local day `moment` falls on, as naive UTC."""
        return self.at(self.local_day(moment) + _ONE_DAY, time(0, 0))

    def is_working_time(self, moment):
        local = self.local(moment)
        if not self.is_working_day(local.date()):
            return False
        t = local.time()
        return self.work_start <= t < self.lunch_start or self.lunch_end <= t < self.work_end

    def next_working_moment(self, moment):
        """`moment` itself during working hours, else when the next working period starts."""
        if self.is_working_time(moment):
            return moment
        local = self.local(moment)
        day, t = local.date(), local.time()
        if self.is_working_day(day):
            if t < self.work_start:
                return self.day_starts(day)
            if self.lunch_start <= t < self.lunch_end:
                return self.at(day, self.lunch_end)
        return self.day_starts(self.next_working_day(day))

    def add_working_days(self, start, days):
        """The end of working hours on the `days`-th working day after the start's day.

        The day a clock starts is not counted: a parts order registered on
        Friday evening before a holiday week has its five days after the holiday.
        """
        day = self.local_day(start)
        for _ in range(days):
            day = self.next_working_day(day)
        return self.day_ends(day)


HOLIDAY_WORDS = {"holiday", "off", "假", "休", "节假日"}
WORKDAY_WORDS = {"workday", "work", "班", "调休", "上班"}


def parse_calendar_lines(text):
    """Lines "2026-10-01 holiday 国庆节" or CSV "2026-10-01,holiday,国庆节" into
    [(date, kind, name)]; any bad line makes a list of (line number, line) errors."""
    rows, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#") or line.lower().startswith("date"):
            continue
        parts = [p.strip() for p in (line.split(",") if "," in line else line.split(None, 2))]
        try:
            day = date.fromisoformat(parts[0])
        except (ValueError, IndexError):
            errors.append((number, raw))
            continue
        word = parts[1].lower() if len(parts) > 1 else "holiday"
        kind = "holiday" if word in HOLIDAY_WORDS else "workday" if word in WORKDAY_WORDS else None
        if kind is None:
            errors.append((number, raw))
            continue
        rows.append((day, kind, parts[2][:60] if len(parts) > 2 else ""))
    return rows, errors
