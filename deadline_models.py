"""Tables for deadlines and what they set off: clocks and their rules, the
working-day calendar, escalations, notifications and the outbox, parts lines.
Imported through models.py, which lists every table."""
import json

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models import BaseModel, Complaint, User


class ClockRule(BaseModel):
    """How long a clock runs, per category and severity ("*" matches any)."""
    category = CharField(max_length=30, default="*")
    severity = CharField(max_length=20, default="*")
    kind = CharField(max_length=30)
    amount = IntegerField()
    unit = CharField(max_length=20)  # hours (calendar time) or working_days

    class Meta:
        indexes = ((("kind", "category", "severity"), True),)


class Clock(BaseModel):
    """One deadline of one complaint: started by an event, met by another."""
    complaint = ForeignKeyField(Complaint, backref="clocks", on_delete="CASCADE")
    kind = CharField(max_length=30)
    started_at = DateTimeField()
    original_due_at = DateTimeField()
    due_at = DateTimeField()  # the deadline in force (moved by an extension or a pause)
    met_at = DateTimeField(null=True)
    met_late = BooleanField(null=True)  # judged against the deadline in force when met
    stopped_at = DateTimeField(null=True)  # complaint closed before the clock was met
    paused_since = DateTimeField(null=True)
    paused_seconds = IntegerField(default=0)
    # When the sweep has to look at this clock next, and for which ladder level.
    next_step_at = DateTimeField(null=True)
    next_level = CharField(max_length=20, default="")

    class Meta:
        indexes = ((("complaint", "kind"), False),)

    @property
    def is_open(self):
        return self.met_at is None and self.stopped_at is None


# The sweep's work list and the overdue list read only open clocks, by time.
Clock.add_index(Clock.index(Clock.next_step_at, name="clock_sweep_queue")
                .where(Clock.met_at.is_null() & Clock.stopped_at.is_null() & Clock.next_step_at.is_null(False)))
Clock.add_index(Clock.index(Clock.due_at, name="clock_open_due")
                .where(Clock.met_at.is_null() & Clock.stopped_at.is_null()))


class ClockPause(BaseModel):
    clock = ForeignKeyField(Clock, backref="pauses", on_delete="CASCADE")
    reason = CharField(max_length=40)
    started_at = DateTimeField()
    ended_at = DateTimeField(null=True)


class WaitReason(BaseModel):
    """Something a complaint can be waiting for; the administrator decides
    whether waiting for it pauses the completion clock."""
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    pauses_completion = BooleanField(default=False)


class CalendarDay(BaseModel):
    """A public holiday, or a make-up working day (调休) on a weekend."""
    day = DateField(primary_key=True)
    kind = CharField(max_length=10)  # holiday or workday
    name = CharField(max_length=60, default="")


class Setting(BaseModel):
    key = CharField(max_length=60, primary_key=True)
    value = TextField()

    @classmethod
    def read(cls, key, default=None):
        row = cls.get_or_none(cls.key == key)
        return json.loads(row.value) if row else default

    @classmethod
    def write(cls, key, value):
        cls.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[cls.key], update={cls.value: json.dumps(value)}).execute()


class Escalation(BaseModel):
    """One ladder step taken for one clock; the unique key makes it once only."""
    clock = ForeignKeyField(Clock, backref="escalations", on_delete="CASCADE")
    level = CharField(max_length=20)
    at = DateTimeField()
    skipped = BooleanField(default=False)  # superseded by a later step before it was due to go out

    class Meta:
        indexes = ((("clock", "level"), True),)


class Notification(BaseModel):
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    complaint = ForeignKeyField(Complaint, on_delete="CASCADE")
    clock = ForeignKeyField(Clock, null=True, on_delete="SET NULL")
    kind = CharField(max_length=20)  # reminder, due_today, overdue, unhappy
    created_at = DateTimeField()
    read_at = DateTimeField(null=True)
    urgent = BooleanField(default=False)

    class Meta:
        indexes = ((("user", "read_at", "created_at"), False),)


class Outbox(BaseModel):
    """A message to send by e-mail or webhook; kept until sent, retried with back-off."""
    channel = CharField(max_length=10)  # email or webhook
    target = CharField(max_length=500)
    subject = CharField(max_length=200, default="")
    body = TextField()
    webhook_format = CharField(max_length=20, default="")
    created_at = DateTimeField()
    send_after = DateTimeField()
    attempts = IntegerField(default=0)
    sent_at = DateTimeField(null=True)
    last_error = TextField(default="")


Outbox.add_index(Outbox.index(Outbox.send_after, name="outbox_pending").where(Outbox.sent_at.is_null()))


class PartsLine(BaseModel):
    """One part asked of the regional parts centre (up to six per complaint)."""
    complaint = ForeignKeyField(Complaint, backref="parts_lines", on_delete="CASCADE")
    part_name = CharField(max_length=80)
    part_number = CharField(max_length=40, default="")
    quantity = IntegerField(default=1)
    requested_at = DateTimeField()
    received_at = DateTimeField(null=True)
