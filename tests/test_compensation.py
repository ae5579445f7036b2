"""Compensation with approval: returns, exchanges and anything above the set amount wait for the
approver, and nothing is told to the customer before approval."""
from decimal import Decimal

import pytest
from helpers import NOW, post
from helpers import action_payload as payload
from helpers import action_url as url

import process
import workflow
from models import CompensationItem, Complaint, Event, Notification


@pytest.fixture
def handled(make_complaint, staff):
    """An after-sales complaint in progress, handled by the service manager."""
    c = make_complaint(by="advisor")
    workflow.perform("assign", c.id, Complaint.get_by_id(c.id).version, staff["care"], NOW,
                     department=staff["service_mgr"].department, handler=staff["service_mgr"])
    workflow.perform("contact", c.id, Complaint.get_by_id(c.id).version, staff["service_mgr"], NOW,
                     method="phone", summary="致电")
    return c


def offer(client, c, kind, amount, description="补偿"):
    return post(client, url(c, "compensate"), payload("compensate", c, kind=kind, amount=amount,
                                                      description=description), htmx=True)


def test_cash_above_the_limit_waits_for_the_general_manager_and_cannot_be_promised_before(as_user, handled, staff):
    mgr = as_user("service_mgr")
    assert offer(mgr, handled, "cash", "3000").status_code == 200
    item = CompensationItem.get()
    assert item.status == "awaiting"
    assert [n.user.username for n in Notification.select().where(Notification.kind == "approval")] == ["gm"]
    # Telling the customer is refused: the item cannot be chosen, and the rule refuses it too.
    response = post(mgr, url(handled, "tell_compensation"), payload("tell_compensation", handled, item=item.id),
                    htmx=True)
    assert response.status_code in (403, 422)
    with pytest.raises(workflow.WorkflowError):
        workflow.perform("tell_compensation", handled.id, Complaint.get_by_id(handled.id).version,
                         staff["service_mgr"], NOW, item=str(item.id))
    offer(mgr, handled, "gifted_service", "200")  # with an approved item beside it, the rule itself says why
    with pytest.raises(workflow.WorkflowError, match="not approved"):
        workflow.perform("tell_compensation", handled.id, Complaint.get_by_id(handled.id).version,
                         staff["service_mgr"], NOW, item=str(item.id))
    assert CompensationItem.get_by_id(item.id).told_at is None
    assert Complaint.get_by_id(handled.id).compensation_cost == Decimal("200")  # the cash is not approved yet
    # The general manager approves it; now it can be told.
    gm = as_user("gm")
    assert "3000.00" in gm.get(f"/complaints/{handled.number}").get_data(as_text=True)
    assert post(gm, url(handled, "approve_compensation"),
                payload("approve_compensation", handled, item=item.id, decision="approve", reason=""),
                htmx=True).status_code == 200
    mgr = as_user("service_mgr")  # one browser: logging in as the GM logged the manager out
    assert post(mgr, url(handled, "tell_compensation"), payload("tell_compensation", handled, item=item.id),
                htmx=True).status_code == 200
    item = CompensationItem.get_by_id(item.id)
    assert (item.status, item.decided_by_id, item.told_by_id) == ("approved", staff["gm"].id, staff["service_mgr"].id)
    assert Complaint.get_by_id(handled.id).compensation_cost == Decimal("3200")
    assert [e.kind for e in Event.timeline(handled)][-4:] == ["compensate", "compensate", "approve_compensation",
                                                               "tell_compensation"]


def test_within_the_limit_it_is_approved_at_once_but_a_return_always_waits(as_user, handled, staff):
    mgr = as_user("service_mgr")
    offer(mgr, handled, "free_repair", "500")
    offer(mgr, handled, "return_car", "")
    small, car = CompensationItem.select().order_by(CompensationItem.id)
    assert (small.status, car.status) == ("approved", "awaiting")
    assert Complaint.get_by_id(handled.id).compensation_cost == Decimal("500")


def test_a_refusal_needs_a_reason_and_is_not_counted(as_user, handled, staff):
    offer(as_user("service_mgr"), handled, "cash", "2000")
    item = CompensationItem.get()
    gm = as_user("gm")
    response = post(gm, url(handled, "approve_compensation"),
                    payload("approve_compensation", handled, item=item.id, decision="refuse", reason=""), htmx=True)
    assert response.status_code == 422 and CompensationItem.get_by_id(item.id).status == "awaiting"
    post(gm, url(handled, "approve_compensation"),
         payload("approve_compensation", handled, item=item.id, decision="refuse", reason="超出授权,改为赠送保养"),
         htmx=True)
    item = CompensationItem.get_by_id(item.id)
    assert (item.status, item.decision_reason) == ("refused", "超出授权,改为赠送保养")
    assert Complaint.get_by_id(handled.id).compensation_cost is None


@pytest.mark.parametrize("approver, may", [
    ("general_manager", {"gm"}),
    ("department_manager", {"gm", "service_mgr"}),
])
def test_who_may_approve(as_user, handled, staff, approver, may):
    process.save({"approver": approver})
    offer(as_user("service_mgr"), handled, "exchange_car", "")
    item = CompensationItem.get()
    for user in ("care", "advisor", "front", "clerk", "admin", "sales_mgr", "service_mgr", "gm"):
        response = post(as_user(user), url(handled, "approve_compensation"),
                        payload("approve_compensation", handled, item=item.id, decision="approve", reason=""),
                        htmx=True)
        if user in may:
            assert response.status_code == 200, user
            CompensationItem.update(status="awaiting").where(CompensationItem.id == item.id).execute()
        else:
            assert response.status_code in (403, 404), user
            assert CompensationItem.get_by_id(item.id).status == "awaiting"


def test_only_those_handling_it_may_add_or_tell(as_user, handled, staff):
    for user in ("front", "clerk", "sales_mgr"):
        assert offer(as_user(user), handled, "cash", "100").status_code in (403, 404), user
    assert not CompensationItem.select().exists()


def test_the_form_prints_only_approved_items(as_user, handled, staff):
    mgr = as_user("service_mgr")
    offer(mgr, handled, "gifted_service", "300", "赠送一次保养")
    offer(mgr, handled, "cash", "8000", "现金补偿待批")
    page = mgr.get(f"/complaints/{handled.number}/print").get_data(as_text=True)
    assert "赠送一次保养" in page and "现金补偿待批" not in page


def test_bad_compensation_is_refused_beside_the_field_and_nothing_saved(as_user, handled):
    mgr = as_user("service_mgr")
    for kind, amount in (("", "100"), ("cash", "-5"), ("cash", "五百"), ("no_such_kind", "100")):
        response = offer(mgr, handled, kind, amount, "<b>补偿说明</b>")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (kind, amount)
        assert 'class="error"' in page and "&lt;b&gt;补偿说明&lt;/b&gt;" in page  # kept, inert
    assert not CompensationItem.select().exists()


def test_the_approval_settings_refuse_bad_values(as_user):
    admin = as_user("admin")
    form = {"triage": "y", "callback_owner": "care_manager", "repeat_days": "90", "late_registration_hours": "0",
            "approval_over": "-1", "approver": "nobody"}
    response = post(admin, "/admin/process", form)
    assert response.status_code == 422
    assert process.settings()["approval_over"] == 1000 and process.settings()["late_registration_hours"] == 24
