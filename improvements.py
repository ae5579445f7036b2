"""Improvement actions (持续改进, policy §4.4.2): the rules. Pure of requests; `now` is given.

An action is made from a complaint (its root cause → a corrective step) or from the
monthly review. Its owner carries it out by the due date; the customer-care manager (or
the GM) then checks whether it worked and records what was checked. Life cycle:

    open ──done──▶ done ──verify──▶ effective | ineffective

An ineffective action stays on record as such; the next step is a new action (the page
offers one, filled in from it). While open, an action goes through the deadlines' ladder
(deadlines/ladder.py): reminded the working day before and on the day, escalated the
first working moment it is late, to the same recipients as a complaint's deadlines
("handler" meaning the owner). Moving the due date moves its reminders with it.
"""
import json
from types import SimpleNamespace

import notify
from deadlines import ladder
from i18n import lazy_gettext as _l
from models import Action, ActionStep, Event, bulk_insert, write_transaction

STATUSES = ("open", "done", "effective", "ineffective")
# Who may verify an action's effect: the policy gives it to the customer-care director.
VERIFIERS = ("care_manager", "general_manager", "admin")


class ActionError(Exception):
    """A rule refused the change; the message says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def due_moment(due_on, calendar):
    """An action is due by the end of working hours on its due day."""
    return calendar.day_ends(due_on)


def create(fields, by, now, calendar, complaint=None, period=""):
    """A new open action; `fields` holds description, root_cause, owner (a User), due_on."""
    with write_transaction():
        owner = fields["owner"]
        action = Action(complaint=complaint, period=period, description=fields["description"],
                        root_cause=fields.get("root_cause") or "", owner=owner, due_on=fields["due_on"],
                        due_at=due_moment(fields["due_on"], calendar), created_by=by, created_at=now,
                        department=(complaint.department_id if complaint else None) or owner.department_id)
        schedule(action, calendar)
        action.save()
        _on_timeline(action, by, now, "action_added", action.description)
    return action


def revise(action, owner, due_on, by, now, calendar):
    """A new owner or due date for an open action; its reminders follow the new date."""
    if action.status != "open":
        raise ActionError(_l("Only an open action can be given another owner or due date."))
    changes = {}
    if owner.id != action.owner_id:
        changes["owner"] = [action.owner.display_name, owner.display_name]
    if due_on != action.due_on:
        changes["due_on"] = [action.due_on.isoformat(), due_on.isoformat()]
    if not changes:
        return changes
    with write_transaction():
        action.owner, action.due_on, action.due_at = owner, due_on, due_moment(due_on, calendar)
        schedule(action, calendar)
        _save(action)
        _on_timeline(action, by, now, "action_revised", "", changes)
    return changes


def mark_done(action, note, by, now):
    """The owner says it is done: it waits for its effect to be checked."""
    if action.status != "open":
        raise ActionError(_l("This action is not open."))
    with write_transaction():
        action.status, action.done_at, action.done_note = "done", now, note
        action.next_step_at, action.next_level = None, ""
        _save(action)
        _on_timeline(action, by, now, "action_done", note)


def verify(action, effective, verification, by, now):
    """Record what was checked and whether the action worked."""
    if action.status != "done":
        raise ActionError(_l("Only an action marked done can have its effect verified."))
    with write_transaction():
        action.status = "effective" if effective else "ineffective"
        action.verified_at, action.verified_by, action.verification = now, by, verification
        _save(action)
        _on_timeline(action, by, now, "action_verified", verification, extra={"effective": bool(effective)})


def _save(action):
    """Save against the version the user loaded (action.version): two people changing it at
    once do not overwrite each other."""
    loaded = action.version
    action.version = loaded + 1
    data = {field: getattr(action, name) for name, field in Action._meta.fields.items() if name != "id"}
    if not Action.update(data).where((Action.id == action.id) & (Action.version == loaded)).execute():
        raise ActionError(_l("Someone changed this action meanwhile; reload it and try again."))


def _on_timeline(action, by, now, kind, text, changes=None, extra=None):
    """A change to an action made from a complaint is a change to that complaint's file."""
    if action.complaint_id is None:
        return
    data = {"changes": changes or {}, "action": action.id, **(extra or {})}
    Event.create(complaint=action.complaint_id, at=now, actor=by, kind=kind, text=text or "",
                 data=json.dumps(data, ensure_ascii=False))


def visible(user, query=None):
    """The actions a user may see: all for those who see every complaint; a department
    manager their department's; everyone the actions they own or made."""
    query = query if query is not None else Action.select()
    if user.sees_everything:
        return query
    mine = (Action.owner == user.id) | (Action.created_by == user.id)
    if user.has_role("department_manager") and user.department_id:
        mine |= Action.department == user.department_id
    return query.where(mine)


def can_view(user, action):
    return visible(user, Action.select(Action.id).where(Action.id == action.id)).exists()


def can_change(user, action):
    """Mark done, or give another owner or date: the owner, its department's manager, the managers."""
    if user.has_role("care_manager", "general_manager", "admin") or user.id == action.owner_id:
        return True
    return user.has_role("department_manager") and user.department_id is not None \
        and user.department_id == action.department_id


def can_verify(user):
    return user.has_role(*VERIFIERS)


# The ladder -----------------------------------------------------------------

def _timing(action):
    return SimpleNamespace(due_at=action.due_at, started_at=action.created_at)


def schedule(action, calendar, done=frozenset(), enabled=None):
    """Set the action's next ladder step (None once it is no longer open)."""
    action.next_step_at, action.next_level = None, ""
    if action.status != "open":
        return
    enabled = enabled or ladder.recipients_setting()
    if action.id is not None and not done:
        done = {s.level for s in ActionStep.select(ActionStep.level).where(
            (ActionStep.action == action.id) & (ActionStep.due_day == calendar.local_day(action.due_at)))}
    for level, at in ladder.step_times(_timing(action), calendar):
        if level not in done and enabled.get(level):
            action.next_step_at, action.next_level = at, level
            return


def sweep(now, calendar, batch=ladder.BATCH):
    """Take every action step that has come due, in batches as the deadlines' sweep does."""
    enabled, directory = ladder.recipients_setting(), ladder.Directory()
    return ladder.sweep_in_batches(
        lambda size: (Action.select().where((Action.next_step_at <= now) & (Action.status == "open"))
                      .order_by(Action.next_step_at, Action.id).limit(size)),
        lambda actions, report: _sweep_batch(actions, now, calendar, enabled, directory, report), batch)


def _sweep_batch(actions, now, calendar, enabled, directory, report):
    done = ladder.steps_done(ActionStep, ActionStep.action, actions, lambda a: a.due_at, calendar)
    outgoing = notify.Batch(now, calendar)
    steps, next_steps = [], {}
    for action in actions:
        taken = [(level, at) for level, at in ladder.step_times(_timing(action), calendar)
                 if at <= now and level not in done[action.id] and enabled.get(level)]
        for index, (level, _at) in enumerate(taken):
            steps.append({"action": action.id, "level": level, "at": now, "skipped": index < len(taken) - 1,
                          "due_day": calendar.local_day(action.due_at)})
        if taken:
            level = taken[-1][0]
            users = recipients(directory, enabled[level], action)
            outgoing.add_action(users, action, level, urgent=(level == "overdue"))
            report.append((action.id, level, sorted(u.username for u in users)))
        schedule(action, calendar, done[action.id] | {lv for lv, _a in taken}, enabled)
        next_steps.setdefault((action.next_step_at, action.next_level), []).append(action.id)
    bulk_insert(ActionStep, steps)
    ladder.write_next_steps(Action, next_steps)
    outgoing.write()


def recipients(directory, kinds, action):
    """The ladder's recipient kinds for an action: "handler" is its owner."""
    found = {}
    for kind in kinds:
        if kind == "handler":
            owner = directory.users.get(action.owner_id)
            people = [owner] if owner else directory.by_role.get("care_manager", [])
        elif kind == "department_manager":
            people = [u for u in directory.by_role.get("department_manager", [])
                      if action.department_id and u.department_id == action.department_id]
        else:
            people = directory.by_role.get(kind, [])
        found.update({u.id: u for u in people})
    return list(found.values())
