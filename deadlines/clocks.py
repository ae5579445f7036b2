"""The clocks of DOMAIN.md §5: which start and which are met by each step of a
complaint's life, pauses and extensions (how long each runs: rules.py).

Called by workflow.py inside its transaction; takes `now` (naive UTC).
"""
from peewee import Case, fn

from deadlines import ladder
from deadlines.rules import due_after, ensure_defaults, rule_for
from models import Bound, Clock, ClockPause, WaitReason, kept


def start(complaint, kind, at, calendar):
    """Start a clock unless one of this kind is already running."""
    if open_clock(complaint, kind):
        return None
    rule = rule_for(kind, complaint.category, complaint.severity)
    if rule is None:
        return None  # the administrator removed this clock for this kind of complaint
    due = due_after(rule, at, calendar)
    clock = Clock(complaint=complaint, kind=kind, started_at=at, original_due_at=due, due_at=due)
    ladder.schedule(clock, calendar)
    clock.save()
    return clock


def open_clock(complaint, kind):
    return (Clock.select()
            .where((Clock.complaint == complaint) & (Clock.kind == kind)
                   & Clock.met_at.is_null() & Clock.stopped_at.is_null())
            .first())


def meet(complaint, kind, now):
    clock = open_clock(complaint, kind)
    if clock:
        if clock.paused_since:
            _end_pause(clock, now)
        clock.met_at = now
        clock.met_late = now > clock.due_at
        clock.next_step_at = None
        clock.save()
    return clock


def stop_all(complaint, now):
    Clock.update(stopped_at=now, next_step_at=None).where(
        (Clock.complaint == complaint) & Clock.met_at.is_null() & Clock.stopped_at.is_null()).execute()
    ClockPause.update(ended_at=now).where(
        ClockPause.clock.in_(Clock.select(Clock.id).where(Clock.complaint == complaint))
        & ClockPause.ended_at.is_null()).execute()


def set_completion_due(complaint, due, calendar, setting=False):
    """The care manager extends the completion deadline (the original stays recorded), or,
    dispatching it (`setting`), sets the deadline the policy means (处理时限)."""
    clock = open_clock(complaint, "completion")
    if clock is None:
        return None
    before = clock.due_at
    clock.due_at = due
    if setting:
        clock.original_due_at = due
    ladder.schedule(clock, calendar)
    clock.save()
    return before


def set_waiting(complaint, reason_code, now, calendar):
    """Record what the complaint waits for; pause or resume the completion clock by the rule."""
    reason = WaitReason.get_or_none(WaitReason.code == reason_code) if reason_code else None
    clock = open_clock(complaint, "completion")
    if clock and clock.paused_since and not (reason and reason.pauses_completion):
        _end_pause(clock, now)
        ladder.schedule(clock, calendar)
        clock.save()
    elif clock and reason and reason.pauses_completion and not clock.paused_since:
        clock.paused_since = now
        clock.next_step_at = None
        clock.save()
        ClockPause.create(clock=clock, reason=reason.code, started_at=now)
    complaint.waiting_reason = reason_code or ""


def _end_pause(clock, now):
    """Resume: the deadline moves on by the time spent paused."""
    paused = now - clock.paused_since
    clock.due_at += paused
    clock.paused_seconds += int(paused.total_seconds())
    clock.paused_since = None
    ClockPause.update(ended_at=now).where((ClockPause.clock == clock) & ClockPause.ended_at.is_null()).execute()


def refresh_next_due(complaint):
    """Keep the complaint's earliest open due time for the inbox's sort (a paused
    clock counts with the deadline it had when it paused), and the earliest of its running
    clocks for the overdue wall (a paused clock is not late)."""
    running_due = Case(None, [(Clock.paused_since.is_null(), Clock.due_at)], None)
    complaint.next_due_at, complaint.running_due_at = (
        Clock.select(fn.MIN(Clock.due_at), fn.MIN(running_due).python_value(Clock.due_at.python_value))
        .where((Clock.complaint == complaint) & Clock.met_at.is_null() & Clock.stopped_at.is_null())
        .tuples().get())


def after_registration(complaint, calendar):
    start(complaint, "first_contact", complaint.received_at, calendar)
    start(complaint, "completion", complaint.received_at, calendar)
    refresh_next_due(complaint)


# What each action does to the clocks, after the workflow has applied it.
def after_action(action, complaint, data, now, calendar):
    if action == "contact":
        if meet(complaint, "first_contact", now) or not Clock.select().where(
                (Clock.complaint == complaint) & (Clock.kind == "solution")).exists():
            start(complaint, "solution", now, calendar)
    elif action == "solution":
        meet(complaint, "solution", now)
    elif action in ("resolve", "unfounded"):
        for kind in ("first_contact", "solution", "completion"):
            meet(complaint, kind, now)
        start(complaint, "callback", now, calendar)
        if complaint.channel == "manufacturer":
            start(complaint, "manufacturer_feedback", now, calendar)
    elif action == "callback":
        meet(complaint, "callback", now)
        if data["outcome"] == "unhappy":
            start(complaint, "completion", now, calendar)
    elif action == "manufacturer_feedback":
        meet(complaint, "manufacturer_feedback", now)
    elif action == "reopen":
        start(complaint, "completion", now, calendar)
    elif action == "close":
        stop_all(complaint, now)
    elif action == "dispatch":
        set_completion_due(complaint, data["due_at"], calendar, setting=True)
        start(complaint, "acknowledgement", now, calendar)
    elif action == "acknowledge":
        meet(complaint, "acknowledgement", now)
    elif action == "edit":
        reclassified(complaint, calendar)
    refresh_next_due(complaint)


def reclassified(complaint, calendar):
    """A new category or severity re-times the running clocks that nobody set by hand."""
    for clock in Clock.select().where((Clock.complaint == complaint) & Clock.met_at.is_null()
                                      & Clock.stopped_at.is_null() & (Clock.due_at == Clock.original_due_at)):
        rule = rule_for(clock.kind, complaint.category, complaint.severity)
        if rule is None or clock.paused_since:
            continue
        due = due_after(rule, clock.started_at, calendar)
        if due != clock.due_at:
            clock.due_at = clock.original_due_at = due
            ladder.schedule(clock, calendar)
            clock.save()


def on_time(clock):
    """True, False, or None while it runs: judged against the deadline in force when met."""
    return None if clock.met_at is None else not clock.met_late


_clocks = kept(lambda: Clock.select().where(Clock.complaint == Bound("complaint")).order_by(Clock.started_at, Clock.id))


def clocks_of(complaint):
    return list(_clocks(complaint=complaint))


def urgency(due_at, now, calendar):
    """How a deadline stands now: (state, minutes left, working days overdue).

    state is "overdue", "due_today" (falls due before today's end) or "on_track".
    """
    if due_at is None:
        return None
    minutes = int((due_at - now).total_seconds() // 60)
    if minutes < 0:
        return "overdue", minutes, overdue_days_at(due_at, now, calendar)
    if calendar.local_day(due_at) <= calendar.local_day(now):
        return "due_today", minutes, 0
    return "on_track", minutes, 0


def overdue_days_at(due_at, now, calendar):
    return calendar.working_days_between(calendar.local_day(due_at), calendar.local_day(now))


def backfill(calendar):
    """Give complaints registered before deadlines existed the clocks they would have.

    Run once by the upgrade from the first schema: open complaints get their
    running clocks from the times they already record.
    """
    from models import Complaint
    ensure_defaults()
    for complaint in Complaint.select().where(Complaint.status != "closed"):
        if complaint.status == "registered":
            start(complaint, "first_contact", complaint.received_at, calendar)
        if complaint.status in ("registered", "in_progress"):
            start(complaint, "completion", complaint.received_at, calendar)
        if complaint.status == "awaiting_callback":
            start(complaint, "callback", complaint.resolved_at or complaint.updated_at, calendar)
        refresh_next_due(complaint)
        complaint.save(only=[Complaint.next_due_at, Complaint.running_due_at])
