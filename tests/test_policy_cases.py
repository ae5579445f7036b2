"""The dealer policy (seed 001) case by case, at explicit instants on China's real 2026
calendar as the chinesecalendar package carries it (Spring Festival off 15-23 February with
make-up Saturdays 14 and 28 February; National Day off 1-7 October with make-up days Sunday
20 September and Saturday 10 October). Each row says what the policy asks and what the app
does; `pytest -v tests/test_policy_cases.py` lists them."""
from datetime import date, timedelta

import pytest
from helpers import complaint_fields, sh

import process
import workflow
from deadlines import calendar_days
from models import CalendarDay, Clock, Complaint, Escalation, Setting


def seven_days_staffing_golden_week():
    """A 4S showroom open every day, and open through National Day (its busiest sales week)."""
    Setting.write("week", calendar_days.DEFAULT_WEEK)
    CalendarDay.update(kind="open_holiday", source="admin").where(
        (CalendarDay.day >= date(2026, 10, 1)) & (CalendarDay.day <= date(2026, 10, 7))).execute()


def weekdays_closed_on_holidays():
    Setting.write("week", calendar_days.WEEKDAYS_ONLY)


def seven_days():
    Setting.write("week", calendar_days.DEFAULT_WEEK)


def register(staff, at, **fields):
    fields.setdefault("category", "repair_quality")
    return workflow.register(complaint_fields(**fields), staff["advisor"], at)


def clock(complaint, kind):
    return Clock.select().where((Clock.complaint == complaint) & (Clock.kind == kind)).order_by(Clock.id.desc()).get()


def first_contact_due(staff, at, **fields):
    return clock(register(staff, at, **fields), "first_contact").due_at


def callback_due(staff, resolved_at):
    c = register(staff, resolved_at - timedelta(days=1))
    workflow.perform("unfounded", c.id, c.version, staff["service_mgr"], resolved_at, explanation="正常现象")
    return clock(c, "callback").due_at


def overdue_escalated_at(app, staff, at, **fields):
    """When the first-overdue-day report goes out, sweeping every half hour."""
    c = register(staff, at, **fields)
    due = clock(c, "first_contact").due_at
    moment = due
    with app.app_context():
        while moment < due + timedelta(days=15):
            moment += timedelta(minutes=30)
            if any(level == "overdue" for _n, kind, level, _u in workflow.sweep(moment)["notified"]
                   if kind == "first_contact"):
                return moment
    return None


CASES = [
    ("product-quality-1750-seven-day",
     "§4.2.2.1 收到抱怨的2小时内主动联系客户: first contact within 2 hours",
     "2 working hours from Wed 30 Sep 17:50 at a showroom open through National Day: Thu 1 Oct 10:30",
     seven_days_staffing_golden_week,
     lambda app, staff: first_contact_due(staff, sh(2026, 9, 30, 17, 50), category="product_quality"),
     sh(2026, 10, 1, 10, 30)),
    ("product-quality-1750-weekdays",
     "§4.2.2.1 within 2 hours",
     "Mon-Fri showroom closed 1-7 Oct: the 2 working hours run from its next opening, Thu 8 Oct 08:30, to 10:30",
     weekdays_closed_on_holidays,
     lambda app, staff: first_contact_due(staff, sh(2026, 9, 30, 17, 50), category="product_quality"),
     sh(2026, 10, 8, 10, 30)),
    ("general-1600-due-on-a-holiday",
     "Course: reply within 24 hours (calendar hours by default)",
     "Wed 30 Sep 16:00 + 24 h = Thu 1 Oct 16:00, a closed holiday: due then, nobody is reminded on holidays",
     weekdays_closed_on_holidays,
     lambda app, staff: first_contact_due(staff, sh(2026, 9, 30, 16, 0), category="price", business_line="sales"),
     sh(2026, 10, 1, 16, 0)),
    ("deadline-on-a-holiday-escalated-after-it",
     "§4.3.3 超过时限而未完成...超期后的第一天立即汇报: on the first day overdue, report",
     "the 1 Oct deadline is reported at the first working moment after it: Thu 8 Oct 08:30",
     weekdays_closed_on_holidays,
     lambda app, staff: overdue_escalated_at(app, staff, sh(2026, 9, 30, 16, 0), category="price",
                                             business_line="sales"),
     sh(2026, 10, 8, 8, 30)),
    ("parts-order-5-working-days-spring-festival",
     "Training deck: parts work orders are finished in 5 working days",
     "from Fri 13 Feb: Sat 14 Feb (make-up day), then 24, 25, 26, 27 Feb after the holiday: Fri 27 Feb 17:30",
     weekdays_closed_on_holidays,
     lambda app, staff: clock(register(staff, sh(2026, 2, 13, 10, 0), category="parts_supply"), "completion").due_at,
     sh(2026, 2, 27, 17, 30)),
    ("registered-in-the-lunch-break",
     "§4.2.2.1 within 2 hours",
     "received Wed 18 Nov 12:30 (lunch 12:00-13:30): counting starts at 13:30, due 15:30",
     weekdays_closed_on_holidays,
     lambda app, staff: first_contact_due(staff, sh(2026, 11, 18, 12, 30), category="product_quality"),
     sh(2026, 11, 18, 15, 30)),
    ("callback-resolved-saturday-seven-day",
     "§4.2.1.5 抱怨处理完成当天,客户总监须进行回访: the care manager calls back the same day",
     "resolved Sat 21 Nov 10:00 at a seven-day showroom: due that day, 17:30",
     seven_days,
     lambda app, staff: callback_due(staff, sh(2026, 11, 21, 10, 0)),
     sh(2026, 11, 21, 17, 30)),
    ("callback-resolved-saturday-weekdays",
     "§4.2.1.5 the same day",
     "resolved Sat 21 Nov 10:00 when the showroom is closed: the next working morning, Mon 23 Nov by 12:00",
     weekdays_closed_on_holidays,
     lambda app, staff: callback_due(staff, sh(2026, 11, 21, 10, 0)),
     sh(2026, 11, 23, 12, 0)),
]


@pytest.fixture
def real_2026(app):
    calendar_days.load_official(2026)
    process.save({"triage": False})


@pytest.mark.parametrize("name, policy, app_does, showroom, actual, expected", CASES, ids=[c[0] for c in CASES])
def test_policy_case(app, staff, real_2026, name, policy, app_does, showroom, actual, expected):
    showroom()
    assert actual(app, staff) == expected, f"{name}: the policy says {policy}; the app should: {app_does}"


def test_an_extension_after_the_first_escalation_gets_its_own_reminder_and_escalation_once(app, staff, real_2026):
    """§4.3.2 remind the day before the deadline, §4.3.3 report the first day overdue: for the deadline
    in force. Completion 72 h from Mon 28 Sep 09:00 is Thu 1 Oct 09:00, a holiday: reminded Tue 29 Sep,
    and on Wed 30 Sep, the last working day before it, as its due day; reported Thu 8 Oct. Extended then
    to Mon 12 Oct 17:30: reminded Sat 10 Oct (a make-up working day) and on the 12th, reported Tue 13 Oct
    08:30, each once."""
    weekdays_closed_on_holidays()
    c = register(staff, sh(2026, 9, 28, 9, 0))

    def completion(moment):
        with app.app_context():
            return [level for _n, kind, level, _u in workflow.sweep(moment)["notified"] if kind == "completion"]
    assert completion(sh(2026, 9, 29, 9, 0)) == ["before"]
    assert completion(sh(2026, 9, 30, 9, 0)) == ["due_day"]  # the last working day before the holiday deadline
    assert completion(sh(2026, 10, 8, 8, 30)) == ["overdue"]
    with app.app_context():
        fresh = Complaint.get_by_id(c.id)
        workflow.perform("set_deadline", c.id, fresh.version, staff["care"], sh(2026, 10, 8, 9, 0),
                         due_at=sh(2026, 10, 12, 17, 30), reason="厂家配件到货后更换")
    assert completion(sh(2026, 10, 9, 9, 0)) == []
    assert completion(sh(2026, 10, 10, 9, 0)) == ["before"]  # Saturday 10 Oct is a make-up working day
    assert completion(sh(2026, 10, 11, 9, 0)) == []  # Sunday
    assert completion(sh(2026, 10, 12, 9, 0)) == ["due_day"]
    assert completion(sh(2026, 10, 13, 8, 30)) == ["overdue"]
    assert completion(sh(2026, 10, 14, 9, 0)) == []
    sent = [(e.level, str(e.due_day)) for e in Escalation.select().join(Clock).where(
        (Clock.complaint == c) & (Clock.kind == "completion") & ~Escalation.skipped).order_by(Escalation.id)]
    assert sent == [("before", "2026-10-01"), ("due_day", "2026-10-01"), ("overdue", "2026-10-01"),
                    ("before", "2026-10-12"), ("due_day", "2026-10-12"), ("overdue", "2026-10-12")]
