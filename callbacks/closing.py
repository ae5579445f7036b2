"""The closing callback of a complaint as a call in the queue (policy §4.2.1.5): opened when
the complaint is resolved, due with its callback deadline, made by the care manager or the
callback clerk (process.py); settled by the complaint's callback, cancelled when it closes
otherwise. Called by workflow.py inside its transaction; no Flask here."""
from callbacks import reminders
from models import Call, Clock

STATUS_OF = {"satisfied": "satisfied", "unhappy": "unhappy"}


def open_for(complaint, calendar):
    """A call for the complaint's running callback clock, unless one is open already."""
    clock = (Clock.select().where((Clock.complaint == complaint) & (Clock.kind == "callback")
                                  & Clock.met_at.is_null() & Clock.stopped_at.is_null()).first())
    if clock is None or Call.select().where((Call.complaint == complaint) & (Call.status == "open")).exists():
        return None
    import process
    call = Call(kind="closing", complaint=complaint, owner_role=process.settings()["callback_owner"],
                customer_name=complaint.customer_name, customer_phone=complaint.customer_phone,
                vehicle=" ".join(x for x in (complaint.vehicle_model, complaint.plate) if x)[:80],
                opens_at=clock.started_at, due_at=clock.due_at)
    reminders.schedule(call, calendar)
    call.save()
    return call


def settle(complaint, outcome, by, now, notes=""):
    """The complaint's callback was logged (from the queue or from its page)."""
    (Call.update(status=STATUS_OF[outcome], called_at=now, called_by=by, comment=notes or "",
                 next_step_at=None, next_try_at=None)
     .where((Call.complaint == complaint) & (Call.status == "open")).execute())


def cancel(complaint):
    Call.update(status="cancelled", next_step_at=None).where(
        (Call.complaint == complaint) & (Call.status == "open")).execute()
