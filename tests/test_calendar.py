"""China's official calendar ships with the app; the administrator overrides any day."""
from datetime import date

from helpers import post

from deadlines import calendar_days
from models import CalendarDay, Setting


def test_the_official_2026_days_load_once_marked_as_from_the_package(app):
    assert calendar_days.load_official(2026) > 0
    national_day = CalendarDay.get_by_id(date(2026, 10, 1))
    assert (national_day.kind, national_day.name, national_day.source) == ("holiday", "national_day", "package")
    assert CalendarDay.get_by_id(date(2026, 2, 14)).kind == "workday"  # a make-up Saturday
    assert CalendarDay.get_by_id(date(2026, 9, 20)).kind == "workday"  # a make-up Sunday
    assert calendar_days.load_official(2026) == 0  # nothing twice
    calendar = calendar_days.load_calendar()
    assert not calendar.is_working_day(date(2026, 10, 5)) and calendar.is_working_day(date(2026, 10, 10))


def test_init_db_loads_this_year_and_the_next(app):
    app.config["OFFICIAL_CALENDAR"] = True
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert CalendarDay.select().where(CalendarDay.source == "package").count() > 30
    assert "2026" in Setting.read("official_calendar")


def test_the_administrator_staffs_a_holiday_and_the_package_never_undoes_it(as_user):
    calendar_days.load_official(2026)
    client = as_user("admin")
    post(client, "/admin/calendar/day/2026-10-03", {"kind": "open_holiday"})
    day = CalendarDay.get_by_id(date(2026, 10, 3))
    assert (day.kind, day.source) == ("open_holiday", "admin")
    assert calendar_days.load_calendar().is_working_day(date(2026, 10, 3))
    Setting.write("official_calendar", {})  # as after an upgrade of the package
    calendar_days.load_official(2026)
    assert CalendarDay.get_by_id(date(2026, 10, 3)).kind == "open_holiday"
    post(client, "/admin/calendar/day/2026-10-03", {"remove": "1"})  # the official day comes back
    day = CalendarDay.get_by_id(date(2026, 10, 3))
    assert (day.kind, day.source) == ("holiday", "package")


def test_a_holiday_range_in_one_line_through_the_page(as_user):
    response = post(as_user("admin"), "/admin/calendar", {"days-lines": "2027-10-01..2027-10-07 holiday 国庆节"})
    assert response.status_code == 303
    assert [d.day.day for d in CalendarDay.select().order_by(CalendarDay.day)] == list(range(1, 8))
    assert {d.source for d in CalendarDay.select()} == {"admin"}


def test_missing_years_by_the_date(app):
    calendar_days.load_official(2026)  # the package knows 2026, not 2027
    assert calendar_days.missing_years(date(2026, 10, 31)) == []
    assert calendar_days.missing_years(date(2026, 11, 1)) == [2027]  # the notice appears each November
    assert calendar_days.missing_years(date(2027, 3, 1)) == [2027]
    post_2027 = CalendarDay.create(day=date(2027, 10, 1), kind="holiday", name="国庆节")
    assert calendar_days.missing_years(date(2026, 12, 1)) == [] and post_2027


def test_the_calendar_page_and_the_overdue_wall_warn_of_a_missing_year(as_user, monkeypatch):
    monkeypatch.setattr(calendar_days, "missing_years", lambda today: [2027])
    page = as_user("admin").get("/admin/calendar").get_data(as_text=True)
    assert "2027 年的法定节假日还没有载入" in page
    wall = as_user("gm").get("/overdue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2027 年的法定节假日还没有载入" in wall


def test_the_page_shows_the_days_ahead_as_runs_and_where_they_came_from(as_user, monkeypatch):
    import views.calendar
    monkeypatch.setattr(views.calendar, "local_today", lambda: date(2026, 9, 1))
    calendar_days.load_official(2026)
    page = as_user("admin").get("/admin/calendar").get_data(as_text=True)
    assert "国庆节" in page and "国家法定" in page and "春节" not in page  # February is past
    assert "2026-10-01" in page and "– 2026-10-07" in page and "共 7 天" in page


def test_a_whole_holiday_week_is_staffed_in_one_go(as_user):
    calendar_days.load_official(2026)
    post(as_user("admin"), "/admin/calendar/day/2026-10-01", {"kind": "open_holiday", "through": "2026-10-07"})
    kinds = {d.kind for d in CalendarDay.select().where(
        (CalendarDay.day >= date(2026, 10, 1)) & (CalendarDay.day <= date(2026, 10, 7)))}
    assert kinds == {"open_holiday"}
    assert CalendarDay.get_by_id(date(2026, 10, 10)).kind == "workday"  # outside the run: untouched
