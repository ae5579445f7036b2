"""Policy §4.2.2.3: new-car product quality goes to the general manager at once; a major
complaint too, and it is reported to the manufacturer's regional staff."""
from helpers import NOW, complaint_fields, post

import workflow
from models import Complaint, Event, Notification


def alerts():
    return sorted((n.user.username, n.kind, n.urgent) for n in Notification.select())


def test_a_product_quality_complaint_reaches_the_gm_and_care_manager_at_once(app, staff):
    with app.app_context():
        c = workflow.register(complaint_fields(category="product_quality"), staff["advisor"], NOW)
    assert alerts() == [("care", "at_once", True), ("gm", "at_once", True)]
    assert Complaint.get_by_id(c.id).told_at_once_at == NOW
    assert Event.get(Event.kind == "told_at_once").actor is None


def test_a_general_complaint_tells_nobody_until_it_is_reclassified_major_and_then_once(app, staff, as_user):
    with app.app_context():
        c = workflow.register(complaint_fields(category="price", business_line="sales"), staff["front"], NOW)
    assert alerts() == []
    fields = {k: v for k, v in complaint_fields(category="price", business_line="sales").items()
              if v not in (None, [])}
    client = as_user("care")
    for fact in ("media_court", "fire"):
        c = Complaint.get_by_id(c.id)
        response = post(client, f"/complaints/{c.number}/edit", dict(fields, major_facts=[fact], version=c.version))
        assert response.status_code == 303
    assert alerts() == [("care", "at_once", True), ("gm", "at_once", True)]  # once, not twice


def test_the_message_says_what_it_is(app, staff):
    from deadlines.workdays import Calendar
    from notify import message
    with app.app_context():
        c = workflow.register(complaint_fields(category="product_quality"), staff["advisor"], NOW)
        subject, _body = message("at_once", c, None, "zh_CN", Calendar())
    assert c.number in subject and "新车质量" in subject


def test_a_major_complaint_has_the_manufacturer_region_on_its_checklist(as_user, app, staff):
    with app.app_context():
        c = workflow.register(complaint_fields(category="product_quality", major_facts=["fire"]), staff["advisor"],
                              NOW)
    client = as_user("service_mgr")
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "☐" in page and "厂家区域" in page and 'id="action-region_report"' in page
    response = post(client, f"/complaints/{c.number}/act/region_report",
                    {"region_report-text": "已电话通知大众区域经理李工，明天到店", "region_report-version": c.version})
    assert response.status_code == 303
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "明天到店" in page and 'id="action-region_report"' not in page
    assert "明天到店" in client.get(f"/complaints/{c.number}/print").get_data(as_text=True)


def test_no_region_checklist_for_a_general_complaint(as_user, make_complaint):
    c = make_complaint(by="advisor")
    page = as_user("service_mgr").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert 'id="action-region_report"' not in page and "☐" not in page
