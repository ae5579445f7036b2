"""The reminder and escalation ladder (DOMAIN.md §5, policy §4.3) and the sweep.

For each open clock:
  before   - the working day before the deadline: remind the handler;
  due_day  - on the due day, still open: remind the handler and department manager;
  overdue  - the first working moment after the deadline: tell the customer-care
             manager and the general manager.
A customer still unhappy at the callback tells the general manager at once.

Each step is taken at most once per clock (a unique key on clock and level). A
step whose moment passed while a later step is also due (the consumer was down)
is recorded as skipped, so staff get the step that is true now, once. Each clock
carries the moment of its next step, so the sweep reads only what is due.
"""
from datetime import timedelta
from types import SimpleNamespace

from peewee import chunked

import notify
import process
from models import (
    Bound,
    Clock,
    Complaint,
    Department,
    Escalation,
    Ids,
    Setting,
    User,
    UserRole,
    WriterTurns,
    bulk_insert,
    kept,
    read_moment,
    write_transaction,
)

LEVELS = ("before", "due_day", "overdue")
RECIPIENT_KINDS = ("handler", "department_manager", "care_manager", "general_manager", "callback_clerk")
DEFAULT_RECIPIENTS = {
    "before": ["handler"],
    "due_day": ["handler", "department_manager"],
    "overdue": ["care_manager", "general_manager"],
    "unhappy": ["general_manager"],
    "at_once": ["general_manager", "care_manager"],
}


def recipients_setting():
    """Who each level goes to; a level with nobody is switched off."""
    return {**DEFAULT_RECIPIENTS, **(Setting.read("ladder") or {})}


def step_times(clock, calendar, due_day=None):
    """[(level, when)] for a clock, in order; levels that cannot apply are left out. `due_day`: the
    local day of its deadline, when the caller has it."""
    due_day = calendar.local_day(clock.due_at) if due_day is None else due_day
    target = due_day if calendar.is_working_day(due_day) else calendar.previous_working_day(due_day)
    start_day = calendar.local_day(clock.started_at)
    steps = []
    before_day = calendar.previous_working_day(target)
    if before_day >= start_day:
        steps.append(("before", max(calendar.day_starts(before_day), clock.started_at)))
    if target >= start_day:
        at = max(calendar.day_starts(target), clock.started_at)
        if at < clock.due_at:
            steps.append(("due_day", at))
    # Late means after the deadline: the first working moment once it has passed.
    steps.append(("overdue", calendar.next_working_moment(clock.due_at + timedelta(minutes=1))))
    return steps


def schedule(clock, calendar, done=None, enabled=None, times=None):
    """Set when the sweep next has to look at the clock (None: never again). `done`: the levels
    taken for the deadline in force, when the caller knows them (None: they are read);
    `times`: its step_times when the caller has them already."""
    clock.next_step_at, clock.next_level = None, ""
    if clock.met_at or clock.stopped_at or clock.paused_since:
        return
    enabled = enabled or recipients_setting()
    if done is None:
        done = set() if clock.id is None else {e.level for e in Escalation.select(Escalation.level).where(
            (Escalation.clock == clock.id) & (Escalation.due_day == calendar.local_day(clock.due_at)))}
    for level, at in times or step_times(clock, calendar):
        if level not in done and enabled.get(level):
            clock.next_step_at, clock.next_level = at, level
            return


BATCH = 500  # clocks per transaction: the write lock is held for a fraction of a second


def sweep(now, calendar):
    """Take every ladder step that has come due; return what was done.

    In batches of BATCH clocks, each one transaction written in bulk, so the
    database stays writable for staff even when thousands come due at once (after
    an outage). A sweep killed mid-run leaves whole batches, never half of one;
    the next sweep takes up the rest, and every step still happens once.
    """
    enabled, directory = recipients_setting(), Directory()
    return sweep_in_batches(
        lambda limit: due_clocks(now, limit),
        lambda due, report: _sweep_batch(due, now, calendar, enabled, directory, report),
        batch=BATCH, report={"notified": [], "skipped": []})


_due = kept(lambda: Clock.select(
    Clock.id, Clock.kind, Clock.due_at, Clock.started_at, Clock.paused_since,
    Complaint.id, Complaint.number, Complaint.customer_name, Complaint.category, Complaint.department,
    Complaint.handler).join(Complaint)
    .where((Clock.next_step_at <= Bound("now")) & Clock.met_at.is_null() & Clock.stopped_at.is_null())
    .order_by(Clock.next_step_at, Clock.id).limit(Bound("limit")).tuples())


def due_clocks(now, limit):
    """The first `limit` running clocks whose next step has come due, with what the steps name of
    their complaints, as plain rows: building each as a peewee model with its complaint was a
    tenth of a sweep's time. Read unconverted (ids and text come back as they are), the times
    converted here."""
    rows = []
    for (clock_id, kind, due_at, started_at, paused_since, complaint_id, number, customer_name, category,
         department_id, handler_id) in _due.unconverted(now=now, limit=limit):
        due_at, started_at, paused_since = read_moment(due_at), read_moment(started_at), read_moment(paused_since)
        complaint = SimpleNamespace(id=complaint_id, number=number, customer_name=customer_name, category=category,
                                    department_id=department_id, handler_id=handler_id)
        rows.append(SimpleNamespace(id=clock_id, kind=kind, due_at=due_at, started_at=started_at, met_at=None,
                                    stopped_at=None, paused_since=paused_since, complaint=complaint,
                                    next_step_at=None, next_level=""))
    return rows


def _sweep_batch(due, now, calendar, enabled, directory, report):
    """The steps of these clocks; each clock's next step moves past `now`, so no batch repeats."""
    done = steps_done(Escalation, Escalation.clock, due, lambda clock: clock.due_at, calendar)
    outgoing = notify.Batch(now, calendar, directory.departments)
    escalations, next_steps = [], {}
    for clock in due:
        due_day = calendar.local_day(clock.due_at)  # (once for its steps and their rows)
        times = step_times(clock, calendar, due_day)
        steps = [(level, at) for level, at in times if at <= now and level not in done[clock.id] and enabled.get(level)]
        for index, (level, _at) in enumerate(steps):
            last = index == len(steps) - 1
            escalations.append({"clock": clock.id, "level": level, "at": now, "skipped": not last,
                                "due_at": clock.due_at, "due_day": due_day})
            if not last:
                report["skipped"].append((clock.complaint.number, clock.kind, level))
        if steps:
            level = steps[-1][0]
            users = directory.recipients(enabled[level], clock.complaint, clock.kind)
            outgoing.add(users, clock.complaint, clock, level, urgent=(level == "overdue"))
            report["notified"].append((clock.complaint.number, clock.kind, level, sorted(u.username for u in users)))
        schedule(clock, calendar, done[clock.id] | {level for level, _at in steps}, enabled, times)
        next_steps.setdefault((clock.next_step_at, clock.next_level), []).append(clock.id)
    bulk_insert(Escalation, escalations)
    write_next_steps(Clock, next_steps)
    outgoing.write()


def write_next_steps(model, next_steps):
    """Store each row's next ladder step: {(when, level): [row ids]}, one update per step and chunk
    (a clock, call or action each)."""
    for (step_at, level), ids in next_steps.items():
        for chunk in chunked(ids, 500):
            model.update(next_step_at=step_at, next_level=level).where(model.id.in_(Ids(chunk))).execute()


def sweep_in_batches(due_rows, take, batch=BATCH, report=None):
    """Take `take(rows, report)` over `due_rows(batch)` (rows whose next step has come due), one
    transaction a batch, until nothing due is left; each row's next step moves past now, and a
    row seen once is never taken again in the same sweep. Every half second or so other writers get
    their turn, so staff can save while thousands of steps are taken after an outage."""
    report = [] if report is None else report
    seen, turns = set(), WriterTurns()
    while True:
        with write_transaction():
            due = list(due_rows(batch))
            fresh = [row for row in due if row.id not in seen]  # a guard: a row never comes round twice
            seen.update(row.id for row in fresh)
            take(fresh, report)
        if len(due) < batch or not fresh:
            return report
        turns.between_transactions()


def steps_done(step_model, owner_field, rows, due_at_of, calendar):
    """{row id: the levels already taken for the due day now in force}, from a step table such
    as CallStep or ActionStep (owner_field: its foreign key to the row)."""
    due_days = {row.id: calendar.local_day(due_at_of(row)) for row in rows}
    done = {row_id: set() for row_id in due_days}
    for chunk in chunked(list(due_days), 500):
        for row_id, level, due_day in (step_model.select(owner_field, step_model.level, step_model.due_day)
                                       .where(owner_field.in_(Ids(chunk))).tuples()):
            if due_day == due_days[row_id]:
                done[row_id].add(level)
    return done


def notify_unhappy(complaint, now, calendar):
    """A customer still unhappy at the callback: the general manager hears at once."""
    return _alert(complaint, "unhappy", now, calendar)


def alert_at_once(complaint, now, calendar):
    """A product-quality or major complaint: the general manager and the care manager hear
    at once (policy §4.2.2.3), not only when it is late."""
    return _alert(complaint, "at_once", now, calendar)


def notify_dispatched(complaint, now, calendar):
    """A complaint dispatched to a department: its manager (and the handler, if named) is to acknowledge it."""
    users = Directory().recipients(["handler", "department_manager"], complaint)
    batch = notify.Batch(now, calendar)
    batch.add(users, complaint, None, "dispatched")
    batch.write()
    return users


def notify_approvers(complaint, roles, now, calendar):
    """Compensation waits for approval: whoever may approve it hears at once."""
    users = Directory().recipients(roles, complaint)
    batch = notify.Batch(now, calendar)
    batch.add(users, complaint, None, "approval", urgent=True)
    batch.write()
    return users


def _alert(complaint, kind, now, calendar):
    users = Directory().recipients(recipients_setting().get(kind, []), complaint)
    batch = notify.Batch(now, calendar)
    batch.add(users, complaint, None, kind, urgent=True)
    batch.write()
    return users


class Directory:
    """Active staff by role, read once per sweep rather than once per clock."""

    def __init__(self):
        self.departments = {d.id: d for d in Department.select()}
        self.callback_owner = process.settings()["callback_owner"]
        self.users = {u.id: u for u in User.select().where(User.active)}
        self.by_role = {}
        for row in UserRole.select().where(UserRole.user.in_(list(self.users))):
            self.by_role.setdefault(row.role, []).append(self.users[row.user_id])

    def recipients(self, kinds, complaint, clock_kind=None):
        found = {}
        for kind in kinds:
            for user in self._resolve(kind, complaint, clock_kind):
                found[user.id] = user
        return list(found.values())

    def _department_managers(self, complaint):
        return [u for u in self.by_role.get("department_manager", [])
                if complaint.department_id and u.department_id == complaint.department_id]

    def _resolve(self, kind, complaint, clock_kind=None):
        if kind == "handler" and clock_kind in OWNED_BY:
            return OWNED_BY[clock_kind](self, complaint)
        if kind == "department_manager" and clock_kind in OWNED_BY:
            return []  # the clock is not the department's to keep
        if kind == "handler":
            handler = self.users.get(complaint.handler_id)
            # Nobody assigned yet: the department's manager, else the care manager triaging it.
            return [handler] if handler else (self._department_managers(complaint)
                                              or self.by_role.get("care_manager", []))
        if kind == "department_manager":
            return self._department_managers(complaint)
        return self.by_role.get(kind, [])


# Clocks that are not the handler's: who "handler" means for their reminders.
OWNED_BY = {
    # The department manager signs for a dispatched complaint (policy §4.1.2).
    "acknowledgement": lambda d, c: d._department_managers(c) or d.by_role.get("care_manager", []),
    # The closing callback is the care manager's (policy §4.2.1.5), or the clerk's where the showroom says so.
    "callback": lambda d, c: d.by_role.get(d.callback_owner) or d.by_role.get("care_manager", []),
}
