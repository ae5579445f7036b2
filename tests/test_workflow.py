"""The lifecycle of DOMAIN.md §6, classification and routing, at explicit instants."""
from datetime import timedelta

import pytest
from helpers import NOW

import workflow
from models import Complaint, Event


def act(complaint, action, by, now=NOW, **data):
    fresh = Complaint.get_by_id(complaint.id)
    return workflow.perform(action, fresh.id, fresh.version, by, now, **data)


FINDINGS = {"fields": {"verified_facts": "属实", "cause_class": "after_sales_service",
                       "cause": "技师漏检", "handling_method": "免费返修", "root_cause": ""}}
SOLUTION = {"fields": {"solution": "免费更换刹车片",
                       "acceptance": "accepted", "confirmed_in_writing": True, "recourse_told": []}}


def test_major_fact_makes_the_complaint_major(make_complaint):
    complaint = make_complaint(severity="general", major_facts=["fire"])
    assert complaint.severity == "major"
    assert complaint.major_fact_list == ["fire"]


def test_demand_to_return_the_car_is_itself_a_major_fact(make_complaint):
    complaint = make_complaint(severity="intermediate", demand="return_car")
    assert complaint.severity == "major"
    assert complaint.major_fact_list == ["return_exchange"]


def test_without_major_fact_the_chosen_severity_stays(make_complaint):
    assert make_complaint(severity="irrational").severity == "irrational"


@pytest.mark.parametrize("category, department", [
    ("price", "sales"), ("new_car_delivery", "sales"), ("product_quality", "after_sales"),
    ("parts_supply", "after_sales"), ("value_added", "value_added"), ("other", None),
])
def test_category_routes_to_its_department(make_complaint, category, department):
    complaint = make_complaint(category=category)
    assert (complaint.department.code if complaint.department else None) == department


def test_registration_writes_the_first_event(make_complaint, staff):
    complaint = make_complaint()
    events = list(Event.timeline(complaint))
    assert [(e.kind, e.actor.username) for e in events] == [("registered", "front")]


def test_the_whole_life_of_a_complaint(make_complaint, staff):
    c = make_complaint()
    mgr = staff["service_mgr"]
    c = act(c, "assign", mgr, department=c.department, handler=mgr)
    c = act(c, "contact", mgr, NOW + timedelta(hours=1), method="phone", summary="致电客户")
    assert c.status == "in_progress" and c.first_contact_at == NOW + timedelta(hours=1)
    c = act(c, "findings", mgr, NOW + timedelta(hours=2), **FINDINGS)
    c = act(c, "solution", mgr, NOW + timedelta(hours=3), **SOLUTION)
    c = act(c, "resolve", mgr, NOW + timedelta(hours=30), result="已修好")
    assert c.status == "awaiting_callback" and c.resolved_at == NOW + timedelta(hours=30)
    c = act(c, "callback", staff["care"], NOW + timedelta(hours=40), outcome="satisfied", notes="满意")
    assert c.status == "closed" and c.closed_at is not None
    kinds = [e.kind for e in Event.timeline(c)]
    assert kinds == ["registered", "assign", "contact", "findings", "solution", "resolve", "callback"]


def test_still_unhappy_at_callback_reopens(make_complaint, staff):
    c = make_complaint()
    mgr = staff["service_mgr"]
    for action, data in [("contact", {"method": "phone", "summary": "x"}), ("findings", FINDINGS),
                         ("resolve", {"result": "ok"})]:
        c = act(c, action, mgr, **data)
    c = act(c, "callback", staff["care"], outcome="unhappy", notes="还是有异响")
    assert c.status == "in_progress" and c.reopen_count == 1


@pytest.mark.parametrize("action, data", [
    ("resolve", {"result": "x"}),            # nobody has contacted the customer yet
    ("solution", SOLUTION),
    ("callback", {"outcome": "satisfied"}),
    ("reopen", {"reason": "x"}),
])
def test_illegal_transitions_are_refused_and_nothing_changes(make_complaint, staff, action, data):
    c = make_complaint()
    with pytest.raises(workflow.WorkflowError) as refused:
        act(c, action, staff["care"], **data)
    assert "Awaiting contact" in str(refused.value.message)
    again = Complaint.get_by_id(c.id)
    assert again.status == "registered" and again.version == c.version
    assert Event.select().where(Event.complaint == c).count() == 1


def test_closed_complaint_takes_only_notes_and_reopen(make_complaint, staff):
    c = act(make_complaint(), "close", staff["care"], reason="客户三次联系不上")
    assert c.status == "closed" and c.close_reason == "客户三次联系不上"
    with pytest.raises(workflow.WorkflowError):
        act(c, "contact", staff["care"], method="phone", summary="x")
    c = act(c, "note", staff["care"], text="备注")
    c = act(c, "reopen", staff["care"], reason="客户又来电")
    assert c.status == "in_progress" and c.reopen_count == 1 and c.closed_at is None


def test_resolve_needs_cause_and_method(make_complaint, staff):
    c = act(make_complaint(), "contact", staff["care"], method="phone", summary="x")
    with pytest.raises(workflow.WorkflowError, match="cause"):
        act(c, "resolve", staff["care"], result="done")


def test_rejected_solution_keeps_the_complaint_open(make_complaint, staff):
    c = act(make_complaint(), "contact", staff["care"], method="phone", summary="x")
    c = act(c, "findings", staff["care"], **FINDINGS)
    rejected = {"fields": dict(SOLUTION["fields"], acceptance="rejected", confirmed_in_writing=False,
                               recourse_told=["consumer_12315"])}
    c = act(c, "solution", staff["care"], **rejected)
    assert c.recourse_list == ["consumer_12315"]
    with pytest.raises(workflow.WorkflowError, match="rejected"):
        act(c, "resolve", staff["care"], result="done")
    assert Complaint.get_by_id(c.id).status == "in_progress"


def test_rejection_without_recourse_is_refused(make_complaint, staff):
    c = act(make_complaint(), "contact", staff["care"], method="phone", summary="x")
    rejected = {"fields": dict(SOLUTION["fields"], acceptance="rejected", recourse_told=[])}
    with pytest.raises(workflow.WorkflowError):
        act(c, "solution", staff["care"], **rejected)


def test_unfounded_goes_to_callback_with_its_explanation(make_complaint, staff):
    c = act(make_complaint(), "unfounded", staff["service_mgr"], explanation="属于正常现象,已解释")
    assert c.status == "awaiting_callback" and c.unfounded


def test_the_person_involved_never_handles_it(make_complaint, staff):
    c = make_complaint(person_involved=staff["advisor"])
    with pytest.raises(workflow.WorkflowError):
        act(c, "assign", staff["service_mgr"], department=c.department, handler=staff["advisor"])
    assert Complaint.get_by_id(c.id).handler_id is None


def test_stale_version_is_refused_with_who_changed_it(make_complaint, staff):
    c = make_complaint()
    workflow.perform("note", c.id, c.version, staff["care"], NOW, text="first")
    with pytest.raises(workflow.StaleComplaint) as stale:
        workflow.perform("note", c.id, c.version, staff["gm"], NOW, text="second")
    assert stale.value.changed_by == staff["care"].display_name
    assert [e.text for e in Event.select().where(Event.kind == "note")] == ["first"]


def test_events_record_before_and_after(make_complaint, staff):
    c = make_complaint()
    act(c, "assign", staff["service_mgr"], department=c.department, handler=staff["service_mgr"])
    event = Event.select().where(Event.kind == "assign").get()
    assert event.payload["changes"]["handler"] == [None, staff["service_mgr"].display_name]


def test_events_are_append_only(make_complaint):
    event = Event.select().where(Event.complaint == make_complaint()).get()
    with pytest.raises(RuntimeError):
        event.text = "rewritten"
        event.save()
    with pytest.raises(RuntimeError):
        event.delete_instance()


def test_available_actions_follow_state_and_role(make_complaint, staff):
    c = make_complaint()
    assert workflow.available_actions(staff["front"], c) == ["note"]
    assert set(workflow.available_actions(staff["service_mgr"], c)) == {
        "contact", "note", "assign", "edit", "findings", "unfounded"}
    assert "close" in workflow.available_actions(staff["care"], c)
    assert workflow.available_actions(staff["sales_mgr"], c) == []  # not their department
