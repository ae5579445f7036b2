"""workdays.py at explicit instants (all moments naive UTC; Shanghai is UTC+8)."""
from datetime import date, datetime, time

from deadlines.workdays import Calendar

# A National Day week as the State Council publishes it: off 1-8 October,
# make-up working days on Sunday 27 September and Saturday 10 October.
NATIONAL_DAY = Calendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 9)) | {date(2027, 1, 1)},
    makeup_days=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def sh(y, m, d, hh, mm):
    """A Shanghai wall-clock time as naive UTC."""
    return datetime(y, m, d, hh, mm) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))


def test_weekends_holidays_and_make_up_days():
    cal = NATIONAL_DAY
    assert cal.is_working_day(date(2026, 9, 25))        # Friday
    assert not cal.is_working_day(date(2026, 9, 26))    # Saturday
    assert cal.is_working_day(date(2026, 9, 27))        # make-up Sunday
    assert not cal.is_working_day(date(2026, 10, 5))    # a Monday in the holiday
    assert cal.is_working_day(date(2026, 10, 10))       # make-up Saturday


def test_friday_1759_before_a_make_up_sunday():
    friday = sh(2026, 9, 25, 17, 59)
    assert not NATIONAL_DAY.is_working_time(friday)  # after 17:30
    assert NATIONAL_DAY.next_working_moment(friday) == sh(2026, 9, 27, 8, 30)


def test_1759_on_the_last_day_before_the_holiday():
    cal = NATIONAL_DAY
    evening = sh(2026, 9, 30, 17, 59)  # Wednesday 30 Sept is the last day before the holiday
    assert cal.local_day(evening) == date(2026, 9, 30)
    assert cal.next_working_moment(evening) == sh(2026, 10, 9, 8, 30)
    # Five working days: 9, 10 (make-up Saturday), 12, 13, 14 October.
    assert cal.add_working_days(evening, 5) == sh(2026, 10, 14, 17, 30)
    assert cal.previous_working_day(date(2026, 10, 9)) == date(2026, 9, 30)


def test_a_make_up_saturday_counts_and_the_sunday_before_it_does_not():
    cal = NATIONAL_DAY
    assert cal.add_working_days(sh(2026, 10, 9, 10, 0), 1) == sh(2026, 10, 10, 17, 30)
    assert cal.next_working_day(date(2026, 10, 10)) == date(2026, 10, 12)
    assert cal.add_working_days(sh(2026, 9, 25, 17, 59), 1) == sh(2026, 9, 27, 17, 30)


def test_the_lunch_break():
    cal = Calendar()
    assert cal.is_working_time(sh(2026, 11, 20, 11, 59))
    assert not cal.is_working_time(sh(2026, 11, 20, 12, 15))
    assert cal.next_working_moment(sh(2026, 11, 20, 12, 15)) == sh(2026, 11, 20, 13, 30)
    assert cal.next_working_moment(sh(2026, 11, 20, 7, 0)) == sh(2026, 11, 20, 8, 30)
    assert cal.next_working_moment(sh(2026, 11, 20, 13, 30)) == sh(2026, 11, 20, 13, 30)


def test_a_deadline_over_new_year():
    cal = NATIONAL_DAY
    # Thursday 31 Dec 2026, then New Year's Day (Friday) and a weekend.
    assert cal.add_working_days(sh(2026, 12, 31, 16, 0), 1) == sh(2027, 1, 4, 17, 30)
    # 31 Dec 23:30 UTC is already 1 January in Shanghai.
    assert cal.local_day(datetime(2026, 12, 31, 23, 30)) == date(2027, 1, 1)
    assert cal.working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


def test_a_zone_with_daylight_saving_time():
    cal = Calendar(tz="America/New_York")
    # DST starts on Sunday 8 March 2026: 08:30 is 13:30 UTC before, 12:30 UTC after.
    assert cal.day_starts(date(2026, 3, 6)) == datetime(2026, 3, 6, 13, 30)
    assert cal.day_starts(date(2026, 3, 9)) == datetime(2026, 3, 9, 12, 30)
    assert cal.add_working_days(datetime(2026, 3, 6, 20, 0), 1) == datetime(2026, 3, 9, 21, 30)
    assert cal.next_working_moment(datetime(2026, 3, 7, 15, 0)) == datetime(2026, 3, 9, 12, 30)


def test_working_days_between():
    cal = Calendar()
    assert cal.working_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Fri -> Mon
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 20)) == 0


def test_a_calendar_without_working_days_counts_plain_days_and_says_so():
    cal = Calendar(holidays=frozenset(date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + i)
                                      for i in range(800)))
    assert cal.next_working_day(date(2026, 1, 1)) == date(2026, 1, 2)
    assert cal.previous_working_day(date(2026, 1, 1)) == date(2025, 12, 31)
    assert cal.closed_stretches(date(2026, 1, 1), 400) == [(date(2026, 1, 1), date(2027, 2, 4))]
    assert Calendar().closed_stretches(date(2026, 1, 1), 400) == []


def test_custom_working_hours():
    cal = Calendar(work_start=time(9, 0), work_end=time(18, 0))
    assert cal.day_ends(date(2026, 11, 20)) == sh(2026, 11, 20, 18, 0)
