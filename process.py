"""The dealership's choices about its own complaint process (the administrator's
process page): whether new complaints wait for the care manager's verification and
dispatch (policy §4.1.2), who makes the closing callback (§4.2.1.5: the care
manager; some showrooms give it to the callback clerk), and how far back an
earlier complaint of the same customer or vehicle makes a new one a repeat."""
from models import Setting

DEFAULTS = {"triage": True, "callback_owner": "care_manager", "repeat_days": 90,
            "call_attempts": 3}  # a call not answered this often is closed as unreachable
CALLBACK_OWNERS = ("care_manager", "callback_clerk")


def settings():
    return {**DEFAULTS, **(Setting.read("process") or {})}


def save(values):
    Setting.write("process", {**settings(), **values})
