"""Handling guidance on the complaint page: the advice for the customer's type and the stage the
complaint is in, in the reader's language, rewritten by the administrator."""
import pytest
from helpers import post

import guidance
from models import Complaint, User


def test_a_new_complaint_shows_greet_listen_calm_the_type_and_the_calming_techniques(make_complaint, as_user):
    c = make_complaint(by="front", customer_type="impatient")
    page = as_user("front").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "处理指引 · 急躁型" in page
    for fragment in ("八成时间在听", "保持冷静，让他看到你在为他努力", "我非常理解您现在的感受",
                     "以“同意”代替“反对”"):
        assert fragment in page
    assert "只问这次抱怨的处理是否满意" not in page  # the callback's advice comes at the callback


def test_the_stage_follows_the_status_and_english_readers_get_english(make_complaint, as_user, staff):
    c = make_complaint(by="front")
    Complaint.update(status="awaiting_callback").where(Complaint.id == c.id).execute()
    User.update(language="en").where(User.username == "front").execute()
    client = as_user("front")
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "Ask only whether they are satisfied" in page and "八成" not in page
    assert "Signs:" not in page  # no customer type recorded: no type advice


def test_the_administrator_rewrites_a_text_and_an_empty_one_goes_back(make_complaint, as_user):
    admin = as_user("admin")
    assert "急躁型" in admin.get("/admin/guidance").get_data(as_text=True) or "/admin/guidance/type.impatient" in \
        admin.get("/admin/guidance").get_data(as_text=True)
    form = {"zh_CN": "先请客户坐下喝杯茶<script>alert(1)</script>", "en": "Offer a seat and tea first."}
    assert post(admin, "/admin/guidance/type.impatient", form).status_code == 303
    c = make_complaint(by="front", customer_type="impatient")
    page = as_user("front").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "先请客户坐下喝杯茶&lt;script&gt;" in page and "<script>alert(1)" not in page
    assert guidance.texts()["type.impatient"]["en"] == "Offer a seat and tea first."
    admin = as_user("admin")
    post(admin, "/admin/guidance/type.impatient", {"zh_CN": "", "en": ""})
    assert guidance.texts()["type.impatient"] == guidance.DEFAULTS["type.impatient"]
    too_long = post(admin, "/admin/guidance/type.impatient", {"zh_CN": "长" * 2001, "en": ""})
    assert too_long.status_code == 422 and "长" * 2001 in too_long.get_data(as_text=True)


@pytest.mark.parametrize("user", ["care", "gm", "front", "sales_mgr", "clerk"])
def test_only_the_administrator_edits_guidance(as_user, staff, user):
    client = as_user(user)
    assert client.get("/admin/guidance").status_code == 404
    assert post(client, "/admin/guidance/type.rude", {"zh_CN": "x", "en": "y"}).status_code == 404
    assert guidance.texts()["type.rude"] == guidance.DEFAULTS["type.rude"]


def test_every_type_stage_and_technique_has_both_languages():
    import catalog
    keys = ({f"type.{code}" for code, _name in catalog.CUSTOMER_TYPES}
            | {f"stage.{code}" for code, _name in guidance.STAGES}
            | {f"technique.{code}" for code, _name in guidance.TECHNIQUES})
    assert keys == set(guidance.DEFAULTS)
    for key, versions in guidance.DEFAULTS.items():
        assert versions["zh_CN"] and versions["en"], key
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in versions["en"]), key
        assert any("\u4e00" <= ch <= "\u9fff" for ch in versions["zh_CN"]), key
