"""workdays.py at explicit instants (all moments naive UTC; Shanghai is UTC+8)."""
import random
from datetime import date, datetime, time, timedelta

from deadlines.workdays import Calendar, Hours

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


def test_a_calendar_remembers_only_what_it_would_work_out_again():
    """A calendar remembers the working day before or after a day, and a moment's local time (a
    sweep asks thousands of times about a few days): asked again, or the other way about the same
    day, it answers as it did the first time and as the zone says, over a daylight saving change."""
    from datetime import UTC
    from zoneinfo import ZoneInfo
    cal = Calendar(tz="America/New_York", holidays=frozenset({date(2026, 11, 2)}))
    for _ in range(2):
        assert cal.previous_working_day(date(2026, 11, 3)) == date(2026, 10, 30)  # over the weekend and the holiday
        assert cal.next_working_day(date(2026, 11, 3)) == date(2026, 11, 4)
        assert cal.previous_working_day(date(2026, 10, 31)) == date(2026, 10, 30)
        assert cal.next_working_day(date(2026, 10, 31)) == date(2026, 11, 3)
        for moment in (datetime(2026, 11, 1, 5, 30), datetime(2026, 11, 1, 6, 30), datetime(2026, 3, 8, 7, 30)):
            local, zone = cal.local(moment), moment.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
            assert (local.replace(tzinfo=None), local.utcoffset()) == (zone.replace(tzinfo=None), zone.utcoffset())


def test_working_days_between():
    cal = Calendar()
    assert cal.working_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Fri -> Mon
    assert cal.working_days_between(date(2026, 11, 23), date(2026, 11, 20)) == 0


def test_working_days_between_agrees_with_counting_day_by_day():
    """The week-at-a-time count against the plain one, on calendars with holidays on open and
    closed weekdays, make-up days, days that are both, and odd weeks, over ranges up to years."""
    rng = random.Random(20261123)
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(1200)]
    for _ in range(60):
        week = tuple(Hours() if rng.random() < 0.7 else None for _ in range(7))
        holidays = frozenset(rng.sample(days, 40))
        makeup = frozenset(rng.sample(days, 15)) | frozenset(rng.sample(sorted(holidays), 5))
        cal = Calendar(holidays=holidays, makeup_days=makeup, week=week)
        for _ in range(20):
            first, last = sorted(rng.sample(days, 2))
            plain = sum(cal.is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))
            assert cal.working_days_between(first, last) == plain, (week, first, last)
    assert NATIONAL_DAY.working_days_between(date(2026, 9, 26), date(2026, 10, 11)) == 6  # 27-30 Sep, 9 and 10 Oct


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


SEVEN_DAYS = Calendar(week=(Hours(),) * 5 + (Hours(time(9, 0), time(17, 0), None, None),) * 2,
                      holidays=NATIONAL_DAY.holidays)


def test_a_seven_day_showroom_with_shorter_weekend_hours():
    assert SEVEN_DAYS.is_working_day(date(2026, 9, 26))  # a Saturday
    assert SEVEN_DAYS.day_starts(date(2026, 9, 26)) == sh(2026, 9, 26, 9, 0)
    assert SEVEN_DAYS.is_working_time(sh(2026, 9, 26, 12, 30))  # no lunch break at the weekend
    assert not SEVEN_DAYS.is_working_time(sh(2026, 9, 25, 12, 30))  # but on Friday
    assert SEVEN_DAYS.next_working_moment(sh(2026, 9, 25, 17, 40)) == sh(2026, 9, 26, 9, 0)
    assert not SEVEN_DAYS.is_working_day(date(2026, 10, 3))  # a closed public holiday on a Saturday


def test_a_holiday_the_showroom_staffs_is_a_working_day_with_its_weekdays_hours():
    cal = Calendar(week=SEVEN_DAYS.week, makeup_days=frozenset({date(2026, 10, 3)}))
    assert cal.is_working_day(date(2026, 10, 3)) and cal.day_ends(date(2026, 10, 3)) == sh(2026, 10, 3, 17, 0)


def test_a_make_up_saturday_on_a_weekday_showroom_has_the_standard_hours():
    assert NATIONAL_DAY.day_starts(date(2026, 10, 10)) == sh(2026, 10, 10, 8, 30)


def test_working_hours_skip_the_evening_the_lunch_break_and_the_holiday():
    cal = NATIONAL_DAY
    assert cal.add_working_hours(sh(2026, 11, 18, 10, 0), 2) == sh(2026, 11, 18, 12, 0)
    assert cal.add_working_hours(sh(2026, 11, 18, 11, 0), 2) == sh(2026, 11, 18, 14, 30)  # 1 h + lunch + 1 h
    assert cal.add_working_hours(sh(2026, 11, 18, 12, 30), 2) == sh(2026, 11, 18, 15, 30)  # from the lunch break
    assert cal.add_working_hours(sh(2026, 11, 18, 16, 50), 2) == sh(2026, 11, 19, 9, 50)  # 40 min tonight
    assert cal.add_working_hours(sh(2026, 9, 30, 17, 50), 2) == sh(2026, 10, 9, 10, 30)  # after the holiday
    assert cal.add_working_hours(sh(2026, 11, 20, 17, 0), 2) == sh(2026, 11, 23, 10, 0)  # Friday -> Monday


def test_the_same_working_day_or_the_next_working_morning():
    cal = NATIONAL_DAY
    assert cal.end_of_working_day(sh(2026, 11, 18, 10, 0)) == sh(2026, 11, 18, 17, 30)
    assert cal.end_of_working_day(sh(2026, 11, 18, 7, 30)) == sh(2026, 11, 18, 17, 30)  # before opening
    assert cal.end_of_working_day(sh(2026, 11, 18, 18, 0)) == sh(2026, 11, 19, 12, 0)  # after hours
    assert cal.end_of_working_day(sh(2026, 11, 21, 10, 0)) == sh(2026, 11, 23, 12, 0)  # a Saturday
    no_lunch = Calendar(lunch_start=None, lunch_end=None)
    assert no_lunch.end_of_working_day(sh(2026, 11, 18, 18, 0)) == sh(2026, 11, 19, 17, 30)


def test_a_holiday_range_in_one_line_and_chinese_words():
    from deadlines.workdays import parse_calendar_lines
    rows, errors = parse_calendar_lines("2026-10-01..2026-10-07 holiday 国庆节\n2026-10-10 调休 国庆调休\n"
                                        "2026-10-03 营业\n2027-01-01 ~ 2027-01-03,放假,元旦\n")
    assert errors == []
    assert len(rows) == 7 + 1 + 1 + 3
    assert rows[0] == (date(2026, 10, 1), "holiday", "国庆节") and rows[6] == (date(2026, 10, 7), "holiday", "国庆节")
    assert rows[7] == (date(2026, 10, 10), "workday", "国庆调休") and rows[8][1] == "open_holiday"
    assert rows[-1] == (date(2027, 1, 3), "holiday", "元旦")
    rows, errors = parse_calendar_lines("2026-10-07..2026-10-01 holiday\n2026-01-01..2027-12-31 holiday\nsoon\n")
    assert rows == [] and [n for n, _line in errors] == [1, 2, 3]
