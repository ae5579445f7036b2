"""Clocks started and met by real events, with the rules table, pauses and extensions."""
from datetime import timedelta

import pytest
from helpers import NOW, national_day_calendar, sh

import workflow
from deadlines import rules
from models import Clock, ClockPause, ClockRule, Complaint, Event, WaitReason


def act(complaint, action, by, now, **data):
    fresh = Complaint.get_by_id(complaint.id)
    return workflow.perform(action, fresh.id, fresh.version, by, now, **data)


def clock(complaint, kind):
    return Clock.select().where((Clock.complaint == complaint) & (Clock.kind == kind)).order_by(Clock.id.desc()).get()


FINDINGS = {"fields": {"verified_facts": "", "cause_class": "other", "cause": "c", "handling_method": "m",
                       "root_cause": ""}}
SOLUTION = {"fields": {"solution": "s", "acceptance": "accepted", "confirmed_in_writing": False, "recourse_told": []}}


@pytest.mark.parametrize("category, severity, facts, hours", [
    ("price", "general", [], 24),
    ("product_quality", "general", [], 2),
    ("price", "general", ["fire"], 2),          # a major fact makes it major: 2 hours
])
def test_first_contact_deadline_by_category_and_severity(make_complaint, category, severity, facts, hours):
    c = make_complaint(category=category, severity=severity, major_facts=facts)
    first = clock(c, "first_contact")
    assert first.started_at == NOW and first.due_at == NOW + timedelta(hours=hours)
    assert Complaint.get_by_id(c.id).next_due_at == first.due_at


def test_completion_is_72_hours_and_parts_orders_5_working_days(make_complaint):
    national_day_calendar()
    normal = make_complaint(now=sh(2026, 9, 30, 17, 30), category="repair_quality")
    parts = make_complaint(now=sh(2026, 9, 30, 17, 30), category="parts_supply")
    assert clock(normal, "completion").due_at == sh(2026, 10, 3, 17, 30)
    # 9, 10 (make-up Saturday), 12, 13, 14 October.
    assert clock(parts, "completion").due_at == sh(2026, 10, 14, 17, 30)


def test_received_time_starts_the_clock_not_the_typing(make_complaint):
    letter = make_complaint(received_at=NOW - timedelta(days=2))
    assert clock(letter, "first_contact").due_at == NOW - timedelta(days=1)


def test_each_clock_is_met_by_its_event(make_complaint, staff):
    c = make_complaint(channel="manufacturer", external_ref="CRM1")
    mgr = staff["service_mgr"]
    act(c, "contact", mgr, NOW + timedelta(hours=1), method="phone", summary="x")
    assert clock(c, "first_contact").met_at == NOW + timedelta(hours=1)
    assert clock(c, "solution").due_at == NOW + timedelta(hours=25)
    act(c, "findings", mgr, NOW + timedelta(hours=2), **FINDINGS)
    act(c, "solution", mgr, NOW + timedelta(hours=30), **SOLUTION)
    assert clock(c, "solution").met_late is True  # 30 h after a 24 h clock began at 1 h: late
    act(c, "resolve", mgr, NOW + timedelta(hours=40), result="done")
    assert clock(c, "completion").met_late is False
    # Resolved on Sunday 02:00 (a seven-day showroom): the callback is due at that day's closing time.
    assert clock(c, "callback").due_at == sh(2026, 11, 22, 17, 30)
    assert clock(c, "manufacturer_feedback").is_open
    act(c, "manufacturer_feedback", mgr, NOW + timedelta(hours=41), text="已在 CRM 回复")
    act(c, "callback", staff["care"], NOW + timedelta(hours=42), outcome="satisfied", notes="")
    assert not Clock.select().where((Clock.complaint == c) & Clock.met_at.is_null()).exists()
    assert Complaint.get_by_id(c.id).next_due_at is None


def test_unhappy_callback_starts_a_new_completion_clock(make_complaint, staff):
    c = make_complaint()
    act(c, "unfounded", staff["care"], NOW + timedelta(hours=1), explanation="正常现象")
    act(c, "callback", staff["care"], NOW + timedelta(hours=2), outcome="unhappy", notes="不接受")
    completions = list(Clock.select().where((Clock.complaint == c) & (Clock.kind == "completion")))
    assert [x.is_open for x in completions] == [False, True]
    assert completions[1].started_at == NOW + timedelta(hours=2)


def test_closing_stops_the_clocks(make_complaint, staff):
    c = act(make_complaint(), "close", staff["care"], NOW + timedelta(hours=1), reason="客户撤诉")
    assert all(x.stopped_at == NOW + timedelta(hours=1) for x in Clock.select().where(Clock.complaint == c))
    assert c.next_due_at is None


def test_care_manager_extends_completion_and_the_original_stays(make_complaint, staff):
    c = make_complaint()
    original = clock(c, "completion").due_at
    act(c, "set_deadline", staff["care"], NOW, due_at=original + timedelta(days=3), reason="等待厂家鉴定")
    extended = clock(c, "completion")
    assert extended.due_at == original + timedelta(days=3) and extended.original_due_at == original
    event = Event.select().where(Event.kind == "set_deadline").get()
    assert event.text == "等待厂家鉴定" and event.payload["due"][0].startswith(original.date().isoformat())
    with pytest.raises(workflow.WorkflowError):
        act(c, "set_deadline", staff["care"], NOW, due_at=NOW - timedelta(hours=1), reason="x")


def test_met_late_uses_the_deadline_in_force(make_complaint, staff):
    c = make_complaint()
    act(c, "contact", staff["care"], NOW, method="phone", summary="x")
    act(c, "findings", staff["care"], NOW, **FINDINGS)
    act(c, "set_deadline", staff["care"], NOW, due_at=NOW + timedelta(hours=100), reason="r")
    act(c, "resolve", staff["care"], NOW + timedelta(hours=90), result="ok")  # after 72 h, before 100 h
    assert clock(c, "completion").met_late is False


def test_a_pausing_wait_moves_the_deadline_by_the_time_paused(make_complaint, staff):
    WaitReason.update(pauses_completion=True).where(WaitReason.code == "parts_centre").execute()
    c = make_complaint(category="repair_quality")
    act(c, "contact", staff["service_mgr"], NOW, method="phone", summary="x")
    due = clock(c, "completion").due_at
    act(c, "wait", staff["service_mgr"], NOW + timedelta(hours=1), reason="parts_centre")
    assert clock(c, "completion").paused_since == NOW + timedelta(hours=1)
    act(c, "wait", staff["service_mgr"], NOW + timedelta(hours=11), reason="")
    resumed = clock(c, "completion")
    assert resumed.due_at == due + timedelta(hours=10) and resumed.paused_seconds == 36000
    pause = ClockPause.get()
    assert (pause.reason, pause.started_at, pause.ended_at) == ("parts_centre", NOW + timedelta(hours=1),
                                                                NOW + timedelta(hours=11))


def test_a_wait_that_does_not_pause_keeps_the_clock_running(make_complaint, staff):
    c = make_complaint()
    act(c, "contact", staff["care"], NOW, method="phone", summary="x")
    act(c, "wait", staff["care"], NOW, reason="customer")
    assert clock(c, "completion").paused_since is None
    assert Complaint.get_by_id(c.id).waiting_reason == "customer"


def test_rules_table_is_editable(make_complaint):
    ClockRule.update(amount=4).where((ClockRule.kind == "first_contact") & (ClockRule.category == "*")
                                     & (ClockRule.severity == "*")).execute()
    c = make_complaint(category="price")
    assert clock(c, "first_contact").due_at == NOW + timedelta(hours=4)


def test_most_specific_rule_wins(app):
    ClockRule.create(kind="first_contact", category="product_quality", severity="major", amount=1, unit="hours")
    assert rules.rule_for("first_contact", "product_quality", "major").amount == 1
    assert rules.rule_for("first_contact", "product_quality", "general").amount == 2
    assert rules.rule_for("first_contact", "price", "major").amount == 2
    assert rules.rule_for("first_contact", "price", "general").amount == 24


def test_parts_out_of_stock_is_tracked_until_served(make_complaint, staff):
    c = make_complaint(category="parts_supply")
    mgr = staff["service_mgr"]
    act(c, "contact", mgr, NOW, method="phone", summary="x")
    lines = [{"part_name": "空调压缩机", "part_number": "5Q0820803", "quantity": 1},
             {"part_name": "膨胀阀", "part_number": "5Q0816679", "quantity": 2}]
    act(c, "parts", mgr, NOW, stock="out", lines=lines)
    fresh = Complaint.get_by_id(c.id)
    assert fresh.parts_stock == "out" and fresh.waiting_reason == "parts_centre"
    ids = [str(p.id) for p in fresh.parts_lines]
    with pytest.raises(workflow.WorkflowError):
        act(c, "parts_received", mgr, NOW, lines=ids[:1], served=True)
    act(c, "parts_received", mgr, NOW, lines=ids[:1], served=False)
    act(c, "parts_received", mgr, NOW, lines=ids[1:], served=True)
    fresh = Complaint.get_by_id(c.id)
    assert fresh.parts_served_at == NOW and fresh.waiting_reason == ""


def test_at_most_six_parts_lines(make_complaint, staff):
    c = make_complaint(category="parts_supply")
    act(c, "contact", staff["care"], NOW, method="phone", summary="x")
    seven = [{"part_name": f"p{i}", "part_number": "", "quantity": 1} for i in range(7)]
    with pytest.raises(workflow.WorkflowError):
        act(c, "parts", staff["care"], NOW, stock="out", lines=seven)


def test_reclassifying_as_major_re_times_the_first_contact(make_complaint, staff):
    c = make_complaint(category="price")
    assert clock(c, "first_contact").due_at == NOW + timedelta(hours=24)
    fields = {name: getattr(c, name) for name in workflow.REGISTRATION_FIELDS}
    fields.update(major_facts=["media_court"], person_involved=None)
    act(c, "edit", staff["care"], NOW + timedelta(minutes=30), fields=fields)
    assert clock(c, "first_contact").due_at == NOW + timedelta(hours=2)
    assert Complaint.get_by_id(c.id).next_due_at == NOW + timedelta(hours=2)
