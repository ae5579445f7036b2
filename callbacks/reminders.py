"""Reminders and escalation for calls: the deadlines' ladder (deadlines/ladder.py) applied to
calls, with the same step times and the same recipients settings, run by the same sweep.
"Handler" means whoever makes the call; the department manager has no part in it."""
from types import SimpleNamespace

import notify
from deadlines import ladder
from models import Call, CallStep, bulk_insert


def first_step(call, calendar, done=frozenset(), enabled=None):
    """(when, level) of the call's next ladder step, or (None, "")."""
    enabled = enabled or ladder.recipients_setting()
    timing = SimpleNamespace(due_at=call["due_at"] if isinstance(call, dict) else call.due_at,
                             started_at=call["opens_at"] if isinstance(call, dict) else call.opens_at)
    for level, at in ladder.step_times(timing, calendar):
        if level not in done and enabled.get(level):
            return at, level
    return None, ""


def schedule(call, calendar):
    """Set the next step of a call row (a dict about to be inserted) or of a Call."""
    at, level = first_step(call, calendar)
    if isinstance(call, dict):
        call["next_step_at"], call["next_level"] = at, level
    else:
        call.next_step_at, call.next_level = at, level


def sweep(now, calendar, batch=ladder.BATCH):
    """Take every call step that has come due, in batches as the deadlines' sweep does."""
    enabled, directory = ladder.recipients_setting(), ladder.Directory()
    return ladder.sweep_in_batches(
        lambda size: (Call.select().where((Call.next_step_at <= now) & (Call.status == "open"))
                      .order_by(Call.next_step_at, Call.id).limit(size)),
        lambda calls, report: _sweep_batch(calls, now, calendar, enabled, directory, report), batch)


def _sweep_batch(calls, now, calendar, enabled, directory, report):
    done = ladder.steps_done(CallStep, CallStep.call, calls, lambda c: c.due_at, calendar)
    outgoing = notify.Batch(now, calendar)
    steps, next_steps = [], {}
    for call in calls:
        due_day = calendar.local_day(call.due_at)
        timing = SimpleNamespace(due_at=call.due_at, started_at=call.opens_at)
        taken = [(level, at) for level, at in ladder.step_times(timing, calendar)
                 if at <= now and level not in done[call.id] and enabled.get(level)]
        for index, (level, _at) in enumerate(taken):
            steps.append({"call": call.id, "level": level, "at": now, "skipped": index < len(taken) - 1,
                          "due_day": due_day})
        if taken:
            level = taken[-1][0]
            users = recipients(directory, enabled[level], call)
            outgoing.add_call(users, call, level, urgent=(level == "overdue"))
            report.append((call.id, call.kind, level, sorted(u.username for u in users)))
        next_at, next_level = first_step(call, calendar, done[call.id] | {lv for lv, _a in taken}, enabled)
        next_steps.setdefault((next_at, next_level), []).append(call.id)
    bulk_insert(CallStep, steps)
    ladder.write_next_steps(Call, next_steps)
    outgoing.write()


def recipients(directory, kinds, call):
    found = {}
    for kind in kinds:
        if kind == "handler":
            owner = directory.users.get(call.owner_id)
            people = [owner] if owner else (directory.by_role.get(call.owner_role)
                                            or directory.by_role.get("care_manager", []))
        elif kind == "department_manager":
            people = []
        else:
            people = directory.by_role.get(kind, [])
        found.update({u.id: u for u in people})
    return list(found.values())
