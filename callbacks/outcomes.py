"""What a call found, recorded in the call's own columns (for the figures).

satisfied     score 1-5 and a comment; the call is done
complaint     a complaint was found: the intake form opens prefilled; the call is done when it is registered
no_answer     tried again in the next working period, up to the attempts setting, then unreachable
wrong_number  done
do_not_call   done, and no more calls to that phone
For the closing callback of a complaint, satisfied closes the complaint and unhappy reopens it
(the general manager is told at once): the complaint's own callback step.
"""
import process
import workflow
from i18n import lazy_gettext as _l
from models import Call, DoNotCall, lock_for_update, write_transaction

OUTCOMES = ("satisfied", "complaint", "no_answer", "wrong_number", "do_not_call")
CLOSING_OUTCOMES = ("satisfied", "unhappy", "no_answer", "wrong_number")


class OutcomeError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def allowed(call):
    return CLOSING_OUTCOMES if call.kind == "closing" else OUTCOMES


def record(call_id, outcome, by, now, calendar, score=None, comment=""):
    """Record one call's outcome; the complaint of a closing callback follows it."""
    call = Call.get_by_id(call_id)
    if call.kind == "closing" and outcome in ("satisfied", "unhappy") and call.status == "open":
        # The complaint's callback step settles the call in the same transaction.
        complaint = call.complaint
        workflow.perform("callback", complaint.id, complaint.version, by, now, outcome=outcome, notes=comment)
        return Call.get_by_id(call_id)
    with write_transaction():
        call = lock_for_update(Call.select().where(Call.id == call_id)).get()
        if call.status != "open":
            raise OutcomeError(_l("This call was recorded already."))
        if outcome not in allowed(call) or outcome == "complaint":
            raise OutcomeError(_l("Choose what the call found."))
        if outcome == "no_answer":
            _no_answer(call, by, now, calendar)
        else:
            _done(call, outcome, by, now, score, comment)
            if outcome == "do_not_call":
                _do_not_call(call, by, now)
        call.save()
    return call


def _no_answer(call, by, now, calendar):
    """Again in the next working period (this afternoon, or the next working morning)."""
    call.attempts += 1
    if call.attempts >= process.settings()["call_attempts"]:
        _done(call, "unreachable", by, now)
        return
    current = next((b for a, b in calendar.periods(calendar.local_day(now)) if a <= now < b), None)
    call.next_try_at = calendar.next_working_moment(current or now)


def _done(call, status, by, now, score=None, comment=""):
    call.status, call.called_at, call.called_by = status, now, by
    call.score = score if status == "satisfied" else None
    call.comment = comment or ""
    call.next_try_at = call.next_step_at = None
    call.next_level = ""


def _do_not_call(call, by, now):
    DoNotCall.insert(phone=call.customer_phone, since=now, noted_by=by).on_conflict_ignore().execute()
    (Call.update(status="cancelled", next_step_at=None)
     .where((Call.customer_phone == call.customer_phone) & (Call.status == "open") & (Call.kind != "closing")
            & (Call.id != call.id)).execute())

