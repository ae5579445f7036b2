"""Who may see and do what with a complaint. Pure: takes a user and a complaint.

Seeing: the customer-care manager, general manager, administrator and callback
clerk see every complaint (the clerk chases all open ones); a department manager
sees the department's; everyone sees what they registered or handle.
"""

MANAGING_ROLES = ("care_manager", "general_manager")

# action -> who may do it, besides the rule that they must see the complaint.
#   "handler": the complaint's handler, its department's manager, care manager, GM
#   "manager": its department's manager, care manager, GM
#   "callback": the callback clerk, care manager, GM
#   "care": care manager, GM
#   "viewer": anyone who sees it
ACTION_RIGHTS = {
    "note": "viewer",
    "contact": "handler",
    "findings": "handler",
    "solution": "handler",
    "resolve": "handler",
    "unfounded": "handler",
    "assign": "manager",
    "edit": "manager",
    "callback": "callback",
    "close": "care",
    "reopen": "care",
    "manufacturer_feedback": "handler",
    "set_deadline": "care",
    "wait": "handler",
    "parts": "handler",
    "parts_received": "handler",
    "remedial": "care",
    "attach": "viewer",
    "region_report": "handler",
    "dispatch": "care",
    "acknowledge": "manager",
    "compensate": "handler",
    "approve_compensation": "approver",
    "tell_compensation": "handler",
    "responsibility": "care",
    "penalty": "general_manager",
}


def can_view(user, complaint):
    if user.sees_everything:
        return True
    if user.id in (complaint.registered_by_id, complaint.handler_id):
        return True
    return _manages_department(user, complaint)


def _manages_department(user, complaint):
    return (user.has_role("department_manager")
            and user.department_id is not None
            and user.department_id == complaint.department_id)


def can(user, action, complaint):
    if not can_view(user, complaint):
        return False
    right = ACTION_RIGHTS[action]
    if right == "viewer":
        return True
    if right == "general_manager":  # penalties are the general manager's alone (seed 001 part 3 §8)
        return user.has_role("general_manager")
    if right == "approver":  # the approver the administrator chose, whatever else the user may do
        import compensation
        return compensation.may_approve(user, complaint)
    if user.has_role(*MANAGING_ROLES):
        return True
    if right == "handler":
        return user.id == complaint.handler_id or _manages_department(user, complaint)
    if right == "manager":
        return _manages_department(user, complaint)
    if right == "callback":
        return user.has_role("callback_clerk")
    return False


def can_administer(user):
    return user.has_role("admin")
