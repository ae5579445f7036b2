"""The dealership's choices about its own complaint process (the administrator's
process page): whether new complaints wait for the care manager's verification and
dispatch (policy §4.1.2), who makes the closing callback (§4.2.1.5: the care
manager; some showrooms give it to the callback clerk), and how far back an
earlier complaint of the same customer or vehicle makes a new one a repeat."""
from models import Setting

DEFAULTS = {"triage": True, "callback_owner": "care_manager", "repeat_days": 90,
            # Compensation above this many yuan (and any return or exchange) waits for approval by
            # the general manager, or by the complaint's department manager (sales manager, service director).
            "approval_over": 1000, "approver": "general_manager",
            # Registered more than this long after it was received: flagged as not reported in time.
            "late_registration_hours": 24,
            "call_attempts": 3}  # a call not answered this often is closed as unreachable
CALLBACK_OWNERS = ("care_manager", "callback_clerk")


def settings():
    return {**DEFAULTS, **(Setting.read("process") or {})}


def save(values):
    Setting.write("process", {**settings(), **values})


def dealership(fallback_name=""):
    """The name, address and phone printed on the complaint form: the administrator's
    settings page first, the DEALERSHIP_NAME environment variable as fallback."""
    saved = Setting.read("dealership") or {}
    return {"name": saved.get("name") or fallback_name, "address": saved.get("address", ""),
            "phone": saved.get("phone", "")}


def save_dealership(values):
    Setting.write("dealership", values)
