"""The reminder and escalation ladder, swept at explicit instants."""

import pytest
from helpers import national_day_calendar, sh, weekdays_only

import notify
import workflow
from models import Clock, Complaint, Escalation, Notification, Outbox, Setting, User


@pytest.fixture
def sweep(app):
    def _sweep(now):
        with app.app_context():
            return workflow.sweep(now)
    return _sweep


@pytest.fixture(autouse=True)
def _weekday_showroom(app):
    """These cases were written for a showroom closed at the weekend."""
    weekdays_only()


def ladder_notes():
    """Notifications of the ladder (a product-quality complaint also alerts at once on registration)."""
    return Notification.select().where(Notification.kind != "at_once")


def register(make_complaint, at, **fields):
    fields.setdefault("category", "repair_quality")  # after-sales: service_mgr's department
    return make_complaint(by="advisor", now=at, **fields)


def act(complaint, action, by, now, **data):
    fresh = Complaint.get_by_id(complaint.id)
    return workflow.perform(action, fresh.id, fresh.version, by, now, **data)


def sent(report, kind=None):
    return [(k, level, users) for _number, k, level, users in report["notified"] if kind in (None, k)]


def test_registered_1730_on_the_last_day_before_the_holiday(make_complaint, staff, sweep):
    national_day_calendar()
    register(make_complaint, sh(2026, 9, 30, 17, 30), category="parts_supply")
    # First contact (24 h) falls due on 1 October, a holiday: the due-day reminder goes at once.
    assert sent(sweep(sh(2026, 9, 30, 17, 31))) == [("first_contact", "due_day", ["service_mgr"])]
    assert sent(sweep(sh(2026, 10, 5, 10, 0))) == []   # the holiday: nothing new
    # The first working day it is late, the care manager and the general manager hear of it.
    assert sent(sweep(sh(2026, 10, 9, 8, 30))) == [("first_contact", "overdue", ["care", "gm"])]
    # The parts order's 5 working days end on 14 October: reminded the working day before,
    # on the day, and escalated on the first working day after.
    assert sent(sweep(sh(2026, 10, 12, 12, 0))) == []
    assert sent(sweep(sh(2026, 10, 13, 9, 0))) == [("completion", "before", ["service_mgr"])]
    assert sent(sweep(sh(2026, 10, 14, 8, 31))) == [("completion", "due_day", ["service_mgr"])]
    assert sent(sweep(sh(2026, 10, 14, 18, 0))) == []  # late after closing time: tomorrow morning
    assert sent(sweep(sh(2026, 10, 15, 8, 30))) == [("completion", "overdue", ["care", "gm"])]
    assert sent(sweep(sh(2026, 10, 20, 9, 0))) == []   # each step once
    # One notification per complaint and kind: the completion's overdue replaced the unread first-contact one.
    told = list(ladder_notes().where(Notification.user == staff["gm"]))
    assert [(n.kind, n.clock.kind) for n in told] == [("overdue", "completion")]


def test_two_sweeps_at_the_same_instant_notify_once(make_complaint, sweep):
    register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    first, second = sweep(sh(2026, 11, 20, 9, 1)), sweep(sh(2026, 11, 20, 9, 1))
    # Due today (2 h) and the working day before completion (Monday 09:00): today.
    assert sent(first) == [("first_contact", "due_day", ["service_mgr"]), ("completion", "before", ["service_mgr"])]
    assert second["notified"] == []
    assert ladder_notes().count() == 2


def test_a_three_hour_outage_covering_two_deadlines(make_complaint, sweep):
    a = register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")    # due 11:00
    b = register(make_complaint, sh(2026, 11, 20, 9, 30), category="product_quality")   # due 11:30
    sweep(sh(2026, 11, 20, 9, 31))  # the due-day reminders, then the consumer dies
    report = sweep(sh(2026, 11, 20, 12, 31))
    assert sorted((n, k, level) for n, k, level, _u in report["notified"]) == [
        (a.number, "first_contact", "overdue"), (b.number, "first_contact", "overdue")]
    assert sweep(sh(2026, 11, 20, 12, 32))["notified"] == []
    assert Escalation.select().where(Escalation.level == "overdue").count() == 2


def test_stale_reminders_are_skipped_not_sent_after_an_outage(make_complaint, sweep):
    register(make_complaint, sh(2026, 11, 16, 10, 0))  # completion due Thursday 19 Nov 10:00
    report = sweep(sh(2026, 11, 19, 10, 30))  # the consumer was down since Monday
    assert sent(report) == [("first_contact", "overdue", ["care", "gm"]),
                            ("completion", "overdue", ["care", "gm"])]
    levels = {(e.clock.kind, e.level, e.skipped) for e in Escalation.select()}
    assert ("completion", "before", True) in levels and ("completion", "due_day", True) in levels


def test_a_clock_met_between_two_sweeps_raises_no_alert(make_complaint, staff, sweep):
    c = register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    sweep(sh(2026, 11, 20, 9, 1))
    act(c, "contact", staff["service_mgr"], sh(2026, 11, 20, 10, 0), method="phone", summary="x")
    report = sweep(sh(2026, 11, 20, 11, 30))
    assert sent(report, "first_contact") == []


def test_a_complaint_closed_during_the_outage_raises_no_alert(make_complaint, staff, sweep):
    c = register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    act(c, "close", staff["care"], sh(2026, 11, 20, 9, 5), reason="客户撤诉")
    assert sweep(sh(2026, 11, 23, 9, 0))["notified"] == []
    assert ladder_notes().count() == 0


def test_an_interrupted_sweep_notifies_exactly_once_on_the_next_run(make_complaint, sweep, monkeypatch):
    register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")

    def killed(self):
        raise KeyboardInterrupt("consumer killed mid-sweep")
    monkeypatch.setattr(notify.Batch, "write", killed)
    with pytest.raises(KeyboardInterrupt):
        sweep(sh(2026, 11, 20, 11, 30))
    assert Escalation.select().count() == 0 and ladder_notes().count() == 0
    monkeypatch.undo()
    report = sweep(sh(2026, 11, 20, 11, 30))
    assert len(sent(report, "first_contact")) == 2
    assert Notification.select().where(Notification.kind == "overdue").count() == 4  # care and gm, twice
    assert sweep(sh(2026, 11, 20, 11, 31))["notified"] == []


def test_still_unhappy_at_the_callback_tells_the_general_manager_at_once(app, make_complaint, staff):
    c = register(make_complaint, sh(2026, 11, 20, 9, 0))
    act(c, "unfounded", staff["service_mgr"], sh(2026, 11, 20, 10, 0), explanation="正常")
    with app.app_context():
        act(c, "callback", staff["care"], sh(2026, 11, 20, 20, 0), outcome="unhappy", notes="不满意")
    note = Notification.get()
    assert (note.user.username, note.kind, note.urgent) == ("gm", "unhappy", True)


def test_recipients_and_levels_are_configurable(make_complaint, sweep):
    Setting.write("ladder", {"before": [], "due_day": ["handler"], "overdue": ["general_manager"],
                             "unhappy": ["general_manager"]})
    register(make_complaint, sh(2026, 11, 16, 10, 0))
    assert sent(sweep(sh(2026, 11, 18, 9, 0))) == [("first_contact", "overdue", ["gm"])]
    assert not Escalation.select().where(Escalation.level == "before").exists()


def test_the_handler_gets_the_reminders_once_assigned(make_complaint, staff, sweep):
    c = register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    act(c, "assign", staff["service_mgr"], sh(2026, 11, 20, 9, 0), department=c.department, handler=staff["advisor"])
    assert sent(sweep(sh(2026, 11, 20, 9, 1)), "first_contact") == [("first_contact", "due_day",
                                                                     ["advisor", "service_mgr"])]


def test_reminders_wait_for_working_hours_urgent_ones_do_not(app, make_complaint, staff, sweep):
    app.config["SMTP_HOST"] = "127.0.0.1"
    for name in ("service_mgr", "gm"):
        User.update(email=f"{name}@dealer.test", email_kinds="before,due_day,overdue,unhappy").where(
            User.username == name).execute()
    register(make_complaint, sh(2026, 11, 20, 17, 45))  # Friday after closing
    sweep(sh(2026, 11, 20, 17, 46))
    reminder = Outbox.get(Outbox.target == "service_mgr@dealer.test")
    assert reminder.send_after == sh(2026, 11, 23, 8, 30)  # Monday morning
    assert "TS-2026-0001" in reminder.subject
    sweep(sh(2026, 11, 23, 9, 0))  # overdue at Monday's opening? first contact was due Saturday 17:45
    overdue = Outbox.get(Outbox.target == "gm@dealer.test")
    assert overdue.send_after == sh(2026, 11, 23, 9, 0)


def test_sweep_reads_only_what_is_due(make_complaint, sweep, count_queries):
    for i in range(5):
        register(make_complaint, sh(2026, 11, 20, 9, i))
    Clock.update(next_step_at=None).execute()  # nothing is due
    with count_queries() as q:
        assert sweep(sh(2026, 11, 20, 10, 0)) == {"notified": [], "skipped": [], "calls": [], "actions": []}
    assert len([s for s in q.queries if "FROM \"clock\"" in s]) == 1


def test_a_large_sweep_goes_in_batches_and_a_kill_loses_only_the_batch_in_hand(make_complaint, sweep, monkeypatch):
    from deadlines import ladder
    monkeypatch.setattr(ladder, "BATCH", 3)
    for _ in range(7):
        register(make_complaint, sh(2026, 11, 20, 9, 0), category="product_quality")
    real_write, writes = notify.Batch.write, []

    def killed_on_the_second(self):
        writes.append(1)
        if len(writes) == 2:
            raise KeyboardInterrupt("consumer killed mid-sweep")
        real_write(self)
    monkeypatch.setattr(notify.Batch, "write", killed_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        sweep(sh(2026, 11, 20, 11, 30))
    kept = Escalation.select().where(~Escalation.skipped).count()
    assert 0 < kept <= 3  # the first batch of three clocks, whole; nothing of the second
    monkeypatch.setattr(notify.Batch, "write", real_write)
    sweep(sh(2026, 11, 20, 11, 30))
    overdue = Escalation.select().where((Escalation.level == "overdue") & ~Escalation.skipped)
    assert overdue.count() == 7  # every first contact, once
    assert Notification.select().where(Notification.kind == "overdue").count() == 14  # 7 complaints × care and gm
    assert sweep(sh(2026, 11, 20, 11, 31))["notified"] == []


def completion_steps(report):
    return [level for _n, kind, level, _u in report["notified"] if kind == "completion"]


def test_an_extended_deadline_is_reminded_and_escalated_again_once(app, make_complaint, staff, sweep):
    c = register(make_complaint, sh(2026, 11, 20, 9, 0))  # Friday; completion 72 h: Monday 09:00
    sweep(sh(2026, 11, 20, 9, 1))
    assert completion_steps(sweep(sh(2026, 11, 23, 9, 2))) == ["overdue"]  # escalated Monday
    with app.app_context():
        act(c, "set_deadline", staff["care"], sh(2026, 11, 23, 10, 0), due_at=sh(2026, 11, 25, 17, 30),
            reason="等厂家技术支持")
    clock = Clock.get((Clock.complaint == c) & (Clock.kind == "completion"))
    assert clock.next_step_at == sh(2026, 11, 24, 8, 30)  # re-armed: the working day before the new deadline
    assert completion_steps(sweep(sh(2026, 11, 23, 18, 0))) == []
    assert completion_steps(sweep(sh(2026, 11, 24, 9, 0))) == ["before"]
    assert completion_steps(sweep(sh(2026, 11, 25, 8, 31))) == ["due_day"]
    assert completion_steps(sweep(sh(2026, 11, 25, 17, 30))) == []  # due, not yet late
    assert completion_steps(sweep(sh(2026, 11, 26, 8, 30))) == ["overdue"]
    assert completion_steps(sweep(sh(2026, 11, 27, 9, 0))) == []  # each step once per deadline
    steps = [(e.level, e.due_day.isoformat(), e.skipped) for e in
             Escalation.select().where(Escalation.clock == clock).order_by(Escalation.id)]
    assert steps == [("before", "2026-11-23", False), ("due_day", "2026-11-23", True), ("overdue", "2026-11-23", False),
                     ("before", "2026-11-25", False), ("due_day", "2026-11-25", False),
                     ("overdue", "2026-11-25", False)]  # what was sent for the first deadline stays


def test_a_deadline_nudged_within_its_day_repeats_nothing(app, make_complaint, staff, sweep):
    from models import WaitReason
    WaitReason.update(pauses_completion=True).where(WaitReason.code == "customer").execute()
    c = register(make_complaint, sh(2026, 11, 20, 9, 0))  # completion due Monday 09:00
    assert completion_steps(sweep(sh(2026, 11, 20, 9, 1))) == ["before"]  # Friday: the working day before
    act(c, "contact", staff["service_mgr"], sh(2026, 11, 20, 9, 5), method="phone", summary="x")
    with app.app_context():
        act(c, "wait", staff["service_mgr"], sh(2026, 11, 20, 10, 0), reason="customer")
        act(c, "wait", staff["service_mgr"], sh(2026, 11, 20, 10, 20), reason="")  # due moves to Monday 09:20
    assert completion_steps(sweep(sh(2026, 11, 20, 11, 0))) == []  # no second "before" for the same day
    assert completion_steps(sweep(sh(2026, 11, 23, 8, 31))) == ["due_day"]


def test_the_upgrade_gives_old_escalations_their_deadline(app, make_complaint, sweep):
    import migrations
    from models import db
    c = register(make_complaint, sh(2026, 11, 20, 9, 0))
    sweep(sh(2026, 11, 20, 9, 1))
    db.execute_sql("DROP INDEX escalation_clock_id_level_due_day")
    db.execute_sql("CREATE UNIQUE INDEX escalation_clock_id_level ON escalation (clock_id, level)")
    Escalation.update(due_at=None, due_day=None).execute()
    migrations.open_and_upgrade(app.config["DATABASE_URL"])
    indexes = {i.name for i in db.get_indexes("escalation")}
    assert "escalation_clock_id_level" not in indexes and "escalation_clock_id_level_due_day" in indexes
    clock = Clock.get((Clock.complaint == c) & (Clock.kind == "completion"))
    assert [(e.due_at, str(e.due_day)) for e in Escalation.select().where(Escalation.clock == clock)] == [
        (clock.due_at, "2026-11-23")]


def test_the_sweep_reads_each_due_deadline_as_it_was_stored(make_complaint, staff):
    """The sweep reads its due deadlines without peewee's conversions (a time comes back from
    SQLite as its text): the times it works with are the ones stored, to the microsecond, the
    ids are numbers and the text is as it was written."""
    from datetime import timedelta

    from deadlines import ladder
    complaint = register(make_complaint, sh(2026, 11, 2, 9, 0))
    clock = Clock.get((Clock.complaint == complaint.id) & (Clock.kind == "completion"))
    due = sh(2026, 11, 3, 9, 15) + timedelta(microseconds=250)
    Clock.update(due_at=due, next_step_at=due, paused_since=sh(2026, 11, 2, 10, 0) + timedelta(microseconds=7)).where(
        Clock.id == clock.id).execute()
    [row] = [r for r in ladder.due_clocks(due, 500) if r.id == clock.id]
    assert (row.due_at, row.started_at, row.paused_since) == (due, clock.started_at,
                                                              sh(2026, 11, 2, 10, 0) + timedelta(microseconds=7))
    assert (row.kind, row.complaint.id, row.complaint.number, row.complaint.category) == (
        "completion", complaint.id, complaint.number, "repair_quality")
    assert row.complaint.department_id == complaint.department_id and type(row.complaint.id) is int
