"""Chinese first, English for those who pick it; every string in the catalogs."""
import glob
import os
import re

from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from helpers import ROOT

from models import User

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages():
    sources = [("python", p) for p in glob.glob(os.path.join(ROOT, "*.py"))
               + glob.glob(os.path.join(ROOT, "views", "*.py")) + glob.glob(os.path.join(ROOT, "deadlines", "*.py"))
               + glob.glob(os.path.join(ROOT, "callbacks", "*.py"))]
    sources += [("jinja2", p) for p in glob.glob(os.path.join(ROOT, "templates", "**", "*.html"), recursive=True)]
    found = set()
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(method, path, KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_user_visible_string_has_a_chinese_translation():
    with open(os.path.join(ROOT, "translations/zh/LC_MESSAGES/messages.po"), "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and (isinstance(m.string, str) or all(m.string)) and not m.fuzzy}
    found = source_messages()
    assert len(found) > 200  # the extraction itself worked
    missing = sorted(found - translated)
    assert missing == [], f"run `make update-translations` and translate: {missing}"


def test_compiled_catalog_matches_the_source():
    with open(os.path.join(ROOT, "translations/zh/LC_MESSAGES/messages.mo"), "rb") as f:
        compiled = read_mo(f)
    assert compiled.get("Register a complaint").string == "登记投诉"


def test_pages_are_chinese_by_default(as_user, make_complaint):
    c = make_complaint()
    client = as_user("care")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "投诉列表" in inbox and "登记投诉" in inbox and "待响应" in inbox
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "跟踪记录" in page and "记录联系客户" in page and "维修质量" in page


def test_a_user_who_picks_english_gets_english(as_user, make_complaint):
    c = make_complaint()
    User.update(language="en").where(User.username == "care").execute()
    client = as_user("care")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Inbox" in inbox and "Awaiting contact" in inbox and "投诉列表" not in inbox
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "Timeline" in page and "Log a contact" in page and "Repair quality" in page
    printed = client.get(f"/complaints/{c.number}/print").get_data(as_text=True)
    assert "After-sales complaint form" in printed


def test_form_errors_are_translated(as_user):
    from helpers import post
    response = post(as_user("front"), "/complaints/new", {"customer_phone": "1"})
    assert "请输入手机号" in response.get_data(as_text=True)


CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# A Chinese plate starts with its province's character: the examples stay as they are.
PLATE_EXAMPLES = ("沪A12345", "沪AD12345")


def test_the_english_catalog_holds_no_chinese():
    """What an English page shows for each entry (its text, or the English source when
    the entry is empty) holds no Chinese."""
    with open(os.path.join(ROOT, "translations/en/LC_MESSAGES/messages.po"), "rb") as f:
        catalog = read_po(f)
    shown = {}
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            shown[ids[0]] = [s or ids[min(i, len(ids) - 1)] for i, s in enumerate(strings)]
    def chinese(text):
        for plate in PLATE_EXAMPLES:
            text = text.replace(plate, "")
        return CJK.search(text)
    assert [msgid for msgid, texts in shown.items() if any(chinese(t) for t in texts)] == []


ADMIN_PAGES = ["/account", "/admin/users", "/admin/users/new", "/admin/departments", "/admin/dealership",
               "/admin/rules", "/admin/calendar", "/admin/ladder", "/admin/process", "/admin/callbacks", "/admin/audit"]
CARE_PAGES = ["/inbox", "/inbox?due=overdue", "/overdue", "/callbacks", "/notifications", "/parts", "/reports",
              "/complaints/new", "/callbacks/deliveries/new", "/callbacks/visits/new", "/callbacks/import"]


def test_english_pages_show_no_chinese_but_the_language_name(as_user, make_complaint):
    """Every page an English user opens, with a late complaint behind it, is English
    (the customer's own words and the plate examples aside)."""
    from datetime import timedelta

    import workflow
    from models import utcnow
    late = make_complaint(by="advisor", now=utcnow() - timedelta(days=3), category="product_quality",
                          customer_name="Li Lei", description="Engine light on",
                          vehicle_model="Lavida", plate="ABC123", major_facts=["fire"])
    workflow.sweep(utcnow())
    User.update(language="en").where(User.username.in_(["admin", "care"])).execute()
    complaint_pages = [f"/complaints/{late.number}", f"/complaints/{late.number}/print",
                       f"/complaints/{late.number}/edit"]
    chinese = []
    for user, paths in (("admin", ADMIN_PAGES), ("care", CARE_PAGES + complaint_pages)):
        client = as_user(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            # The Chinese call scripts' own fields hold Chinese on purpose.
            text = re.sub(r'name="script_[a-z0-9_]+_zh_CN" placeholder="[^"]*"', "", response.get_data(as_text=True))
            for allowed in ("简体中文", "中文") + PLATE_EXAMPLES:
                text = text.replace(allowed, "")
            found = [f"{path}: {m.group()} in ...{text[max(0, m.start() - 60):m.end() + 20]}"
                     for m in re.finditer(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+", text)]
            chinese.extend(found[:3])
    assert chinese == [], "\n".join(chinese)


def test_templates_translate_and_escape_the_values_put_in(app):
    """The templates' _() and ngettext(): translated, the values escaped into the translation
    (it is markup), "%%" written as "%"."""
    from flask import render_template_string
    with app.test_request_context("/"):
        page = render_template_string(
            '{{ _("Ignored: %(what)s", what=hostile) }}|{{ ngettext("%(num)s complaint", "%(num)s complaints", 3) }}'
            '|{{ ngettext("%(num)s complaint", "%(num)s complaints", 1, num="<b>") }}'
            '|{{ _("<em>%(what)s</em> 100%%", what=hostile) }}',
            hostile='<script>alert("x")</script> 100%')
    ignored, many, one, markup = page.split("|")
    assert ignored == "已忽略：&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 100%"
    assert many == "共 3 条投诉" and one == "共 &lt;b&gt; 条投诉"
    assert markup == "<em>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 100%</em> 100%"
