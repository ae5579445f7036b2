"""Working-day and working-hour arithmetic for the dealership's deadlines (DOMAIN.md §5). Pure.

A Calendar knows the showroom's week (which weekdays it opens, and its hours each
day, with an optional lunch break), the closed days (public holidays it does not
staff) and the extra open days (make-up working days, 调休, and holidays it does
staff). Times go in and out as naive UTC (as stored); the calendar's zone decides
which local day and hour a moment falls on.
"""
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
_ONE_DAY_BACK = -_ONE_DAY
_SEARCH_LIMIT = 400  # no real calendar has a year of holidays in a row


@dataclass(frozen=True)
class Hours:
    """One day's opening hours; no lunch break when lunch_start is None."""
    start: time = time(8, 30)
    end: time = time(17, 30)
    lunch_start: time | None = time(12, 0)
    lunch_end: time | None = time(13, 30)

    def periods(self):
        """[(from, to)] of the day's working time, in local clock times."""
        if self.lunch_start is None or self.lunch_end is None:
            return [(self.start, self.end)]
        return [(self.start, self.lunch_start), (self.lunch_end, self.end)]


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset = field(default_factory=frozenset)  # closed, whatever the week says
    makeup_days: frozenset = field(default_factory=frozenset)  # open, whatever the week says
    work_start: time = time(8, 30)  # the standard hours: of every open weekday unless `week` says
    lunch_start: time | None = time(12, 0)
    lunch_end: time | None = time(13, 30)
    work_end: time = time(17, 30)
    tz: str = "Asia/Shanghai"
    # Monday first: each weekday's Hours, or None when the showroom is closed that day.
    # Empty: Monday to Friday at the standard hours.
    week: tuple = ()

    def __post_init__(self):
        standard = Hours(self.work_start, self.work_end, self.lunch_start, self.lunch_end)
        object.__setattr__(self, "standard", standard)
        if not self.week:
            object.__setattr__(self, "week", (standard,) * 5 + (None, None))
        # A sweep after an outage asks for the same few days' hours thousands of times.
        object.__setattr__(self, "_zone", ZoneInfo(self.tz))
        object.__setattr__(self, "_moments", {})
        object.__setattr__(self, "_steps", {})
        object.__setattr__(self, "_locals", {})
        # A page of late calls or deadlines counts the same few spans of days on every row.
        object.__setattr__(self, "_spans", {})
        object.__setattr__(self, "_periods", {})
        # The days that differ from their weekday, in order, each with what it changes (+1 an
        # extra open day, -1 a holiday on an open weekday): a span counts them by two bisections.
        changes = sorted([(day, 1) for day in self.makeup_days if self.week[day.weekday()] is None]
                         + [(day, -1) for day in self.holidays
                            if day not in self.makeup_days and self.week[day.weekday()] is not None])
        object.__setattr__(self, "_change_days", [day for day, _change in changes])
        running, totals = 0, [0]
        for _day, change in changes:
            running += change
            totals.append(running)
        object.__setattr__(self, "_change_totals", totals)  # totals[i]: the sum of the first i changes

    # -- days -----------------------------------------------------------------

    def is_working_day(self, day):
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        return self.week[day.weekday()] is not None

    def hours_on(self, day):
        """The day's hours: its weekday's, or the standard ones on an extra open day."""
        return self.week[day.weekday()] or self.standard

    def next_working_day(self, day):
        """The first working day strictly after `day`."""
        return self._step(day, _ONE_DAY)

    def previous_working_day(self, day):
        """The last working day strictly before `day`."""
        return self._step(day, _ONE_DAY_BACK)

    def working_day_on_or_after(self, day):
        return day if self.is_working_day(day) else self.next_working_day(day)

    def _step(self, day, step):
        """The next working day in the direction of step (remembered: a sweep's deadlines fall on
        a few days, and each asks for the working day before its own)."""
        key = (day, step)
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = self._search(day, step)
        return found

    def _search(self, day, step):
        """A calendar with no working day for more than a year is a mistake; rather than fail
        every deadline, the plain next day counts then (the calendar page warns: closed_stretches)."""
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
        """How many working days are in (first, last]; 0 when last <= first.

        Whole weeks by the week's open days, then the days left over, then the closed
        and extra open days in the range: a call left open for years costs no more to
        show than one a day late.
        """
        if last <= first:
            return 0
        found = self._spans.get((first, last))
        if found is None:
            found = self._spans[(first, last)] = self._count_working_days(first, last)
        return found

    def _count_working_days(self, first, last):
        weeks, rest = divmod((last - first).days, 7)
        count = weeks * sum(hours is not None for hours in self.week)
        day = first + _ONE_DAY * (7 * weeks)
        for _ in range(rest):
            day += _ONE_DAY
            count += self.week[day.weekday()] is not None
        days, totals = self._change_days, self._change_totals
        return count + totals[bisect_right(days, last)] - totals[bisect_right(days, first)]

    # -- moments --------------------------------------------------------------

    @property
    def zone(self):
        return self._zone

    def local(self, moment):
        """A naive UTC moment as an aware local one. (The zone's fromutc is what astimezone ends in;
        called straight it takes two thirds of the time. Remembered: a sweep asks four times per
        deadline, twice about its due time, and many deadlines share one.)"""
        found = self._locals.get(moment)
        if found is None:
            found = self._locals[moment] = self._zone.fromutc(moment.replace(tzinfo=self._zone))
        return found

    def local_day(self, moment):
        return self.local(moment).date()

    def at(self, day, clock_time):
        """Local `day` at `clock_time`, as naive UTC (remembered: a calendar lives for one request or sweep)."""
        key = (day, clock_time)
        found = self._moments.get(key)
        if found is None:
            found = self._moments[key] = datetime.combine(day, clock_time, self._zone).astimezone(UTC).replace(
                tzinfo=None)
        return found

    def day_starts(self, day):
        return self.at(day, self.hours_on(day).start)

    def day_ends(self, day):
        return self.at(day, self.hours_on(day).end)

    def periods(self, day):
        """The day's working periods as ((from, to), ...) in naive UTC; () on a day off."""
        found = self._periods.get(day)
        if found is None:  # (remembered: the report measures thousands of complaints over the same days)
            found = self._periods[day] = (
                tuple((self.at(day, a), self.at(day, b)) for a, b in self.hours_on(day).periods())
                if self.is_working_day(day) else ())
        return found

    def midnight_after(self, moment):
        """The end of the local day `moment` falls on, as naive UTC."""
        return self.at(self.local_day(moment) + _ONE_DAY, time(0, 0))

    def is_working_time(self, moment):
        return any(a <= moment < b for a, b in self.periods(self.local_day(moment)))

    def next_working_moment(self, moment):
        """`moment` itself during working hours, else when the next working period starts."""
        for a, b in self.periods(self.local_day(moment)):
            if moment < b:
                return max(a, moment)
        return self.day_starts(self.next_working_day(self.local_day(moment)))

    def add_working_days(self, start, days):
        """The end of working hours on the `days`-th working day after the start's day.

        The day a clock starts is not counted: a parts order registered on
        Friday evening before a holiday week has its five days after the holiday.
        """
        day = self.local_day(start)
        for _ in range(days):
            day = self.next_working_day(day)
        return self.day_ends(day)

    def add_working_hours(self, start, hours):
        """`hours` of opening time after `start`, counting only inside working periods:
        two working hours from 17:50 end at 10:30 the next working morning."""
        left = timedelta(hours=hours)
        moment = self.next_working_moment(start)
        for _ in range(_SEARCH_LIMIT * 3):
            period_end = next(b for a, b in self.periods(self.local_day(moment)) if a <= moment < b)
            if left <= period_end - moment:
                return moment + left
            left -= period_end - moment
            moment = self.next_working_moment(period_end)
        return moment + left  # a calendar with (almost) no working time: see closed_stretches

    def working_hours_between(self, start, end):
        """The opening time between two moments, in hours (0 when `end` is not later)."""
        if end <= start:
            return 0.0
        total = timedelta()
        day, last = self.local_day(start), self.local_day(end)
        while day <= last:
            for a, b in self.periods(day):
                overlap = min(b, end) - max(a, start)
                if overlap > timedelta():
                    total += overlap
            day += _ONE_DAY
        return total.total_seconds() / 3600

    def end_of_working_day(self, moment):
        """For "the same day": the end of the working day `moment` falls on; when it falls
        after hours or on a day off, the end of the next working morning."""
        day = self.local_day(moment)
        periods = self.periods(day)
        if periods and moment < periods[-1][1]:
            return periods[-1][1]
        following = self.next_working_day(day)
        return self.periods(following)[0][1]


# The second word of a calendar line, in English or Chinese.
KIND_WORDS = {
    "holiday": {"holiday", "closed", "off", "假", "休", "休息", "放假", "节假日", "关门"},
    "open_holiday": {"open", "staffed", "营业", "值班", "开门", "照常营业"},
    "workday": {"workday", "work", "班", "调休", "上班", "补班"},
}
_RANGE = re.compile(r"(\d)\s*(?:\.\.|~|～|至|到)\s*(\d)")
LONGEST_RANGE = 366


def parse_calendar_lines(text):
    """Lines "2026-10-01 holiday 国庆节", "2026-10-01..2026-10-07 holiday 国庆节" (a range) or
    CSV "2026-10-01,holiday,国庆节" into [(date, kind, name)]; kind is holiday (closed),
    open_holiday (a holiday the showroom staffs) or workday (make-up working day).
    Any bad line makes a list of (line number, line) errors."""
    rows, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _RANGE.sub(r"\1..\2", raw.strip().lstrip("\ufeff"), count=1)
        if not line or line.startswith("#") or line.lower().startswith("date"):
            continue
        parts = [p.strip() for p in (line.split(",") if "," in line else line.split(None, 2))]
        days = _days(parts[0])
        word = parts[1].lower() if len(parts) > 1 else "holiday"
        kind = next((k for k, words in KIND_WORDS.items() if word in words), None)
        if not days or kind is None:
            errors.append((number, raw))
            continue
        rows += [(day, kind, parts[2][:60] if len(parts) > 2 else "") for day in days]
    return rows, errors


def _days(text):
    """The days of "2026-10-01" or "2026-10-01..2026-10-07"; [] when it is neither."""
    try:
        first, _sep, last = text.partition("..")
        first = date.fromisoformat(first)
        last = date.fromisoformat(last) if last else first
    except ValueError:
        return []
    count = (last - first).days + 1
    return [first + _ONE_DAY * n for n in range(count)] if 0 < count <= LONGEST_RANGE else []
