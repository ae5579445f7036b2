"""Photos and documents on a complaint: checked by content, stored under server-chosen
names, reached only through their complaint, listed on the printed form."""
import io
import os

import pytest
from helpers import csrf_token
from PIL import Image

from models import Attachment, AuditEntry, Event


def jpeg(width=800, height=600, color="red", orientation=None):
    image = Image.new("RGB", (width, height), color)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png():
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 500


def upload(client, number, *files, htmx=False):
    data = {"files": [(io.BytesIO(content), name) for name, content in files], "csrf_token": csrf_token(client)}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/complaints/{number}/attachments", data=data, content_type="multipart/form-data",
                       headers=headers)


@pytest.fixture
def complaint(make_complaint):
    return make_complaint(by="advisor", category="product_quality")


def test_several_photos_and_a_document_at_once(app, as_user, complaint):
    client = as_user("advisor")
    response = upload(client, complaint.number, ("刹车盘.jpg", jpeg()), ("仪表.png", png()), ("发票.pdf", PDF))
    assert response.status_code == 303 and response.headers["Location"].endswith("#attachments")
    rows = list(Attachment.select().order_by(Attachment.id))
    assert [(a.original_name, a.content_type, a.has_images) for a in rows] == [
        ("刹车盘.jpg", "image/jpeg", True), ("仪表.png", "image/png", True), ("发票.pdf", "application/pdf", False)]
    root = os.path.join(app.instance_path, "attachments")
    for a in rows:
        assert os.path.getsize(os.path.join(root, a.stored_name)) == a.size
        assert "刹车" not in a.stored_name and a.stored_name.count("/") == 2  # YYYY/MM/random.ext
    event = Event.get(Event.kind == "attachments")
    assert event.text == "刹车盘.jpg, 仪表.png, 发票.pdf"
    page = client.get(f"/complaints/{complaint.number}").get_data(as_text=True)
    assert page.count(f"/complaints/{complaint.number}/attachments/") >= 4 and "发票.pdf" in page
    assert "照片和文件" in page


def test_thumbnails_are_small_jpegs_turned_upright(as_user, complaint):
    client = as_user("advisor")
    upload(client, complaint.number, ("竖拍.jpg", jpeg(800, 600, orientation=6)))  # a phone held upright
    a = Attachment.get()
    thumb = client.get(f"/complaints/{complaint.number}/attachments/{a.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(thumb.data))
    assert max(image.size) <= 320 and image.height > image.width
    preview = client.get(f"/complaints/{complaint.number}/attachments/{a.id}/preview")
    assert Image.open(io.BytesIO(preview.data)).size == (600, 800)


@pytest.mark.parametrize("name,content", [
    ("照片.jpg", HTML), ("图.svg", SVG), ("photo.jpg", SVG), ("setup.jpg", EXE),
    ("坏图.jpg", b"\xff\xd8\xff\xe0" + b"x" * 900), ("空.pdf", b""), ("note.txt", b"just text"),
])
def test_a_file_is_judged_by_its_content_and_one_bad_file_saves_nothing(as_user, complaint, name, content):
    client = as_user("advisor")
    response = upload(client, complaint.number, ("好的.jpg", jpeg()), (name, content), htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and name in page and "没有保存" in page
    assert Attachment.select().count() == 0 and not Event.select().where(Event.kind == "attachments").exists()


def test_the_size_limit_is_configurable(app, as_user, complaint):
    app.config["UPLOAD_MAX_MB"] = 1
    response = upload(as_user("advisor"), complaint.number, ("大.jpg", jpeg(3000, 3000) + b"\0" * 2 ** 20))
    assert response.status_code == 422 and "1 MB" in response.get_data(as_text=True)
    too_many = upload(as_user("advisor"), complaint.number, *[(f"{i}.jpg", jpeg(10, 10)) for i in range(11)])
    assert too_many.status_code == 422 and Attachment.select().count() == 0


def test_a_request_far_over_the_limit_is_refused_unread(app, as_user, complaint):
    app.config.update(UPLOAD_MAX_MB=1, UPLOAD_MAX_FILES=1)
    response = upload(as_user("advisor"), complaint.number, ("huge.pdf", PDF + b"\0" * 5 * 2 ** 20))
    assert response.status_code == 413


def test_a_download_is_an_attachment_with_the_users_name_and_no_sniffing(as_user, complaint):
    client = as_user("advisor")
    upload(client, complaint.number, ("客户来信.pdf", PDF))
    a = Attachment.get()
    response = client.get(f"/complaints/{complaint.number}/attachments/{a.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%AE%A2" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert AuditEntry.get(AuditEntry.action == "attachment_downloaded").target == f"{complaint.number} 客户来信.pdf"


def test_an_attachment_is_reached_only_through_its_own_complaint(as_user, complaint, make_complaint):
    other = make_complaint(by="advisor")
    client = as_user("advisor")
    upload(client, complaint.number, ("a.pdf", PDF))
    a = Attachment.get()
    assert client.get(f"/complaints/{other.number}/attachments/{a.id}").status_code == 404
    assert client.get(f"/complaints/{complaint.number}/attachments/{a.id + 1}").status_code == 404
    outsider = as_user("front")  # a sales front-line user: may not see an after-sales complaint of others
    assert outsider.get(f"/complaints/{complaint.number}/attachments/{a.id}").status_code == 404
    assert outsider.get(f"/complaints/{complaint.number}/attachments/{a.id}/thumb").status_code == 404
    assert upload(outsider, complaint.number, ("x.pdf", PDF)).status_code == 404
    assert Attachment.select().count() == 1


def test_the_printed_form_lists_attachments_without_showing_them(as_user, complaint):
    client = as_user("advisor")
    upload(client, complaint.number, ("刹车盘.jpg", jpeg()), ("发票.pdf", PDF))
    printed = client.get(f"/complaints/{complaint.number}/print").get_data(as_text=True)
    assert "刹车盘.jpg" in printed and "发票.pdf" in printed and "<img" not in printed


def test_a_wrong_photo_is_removed_with_a_reason_and_kept_on_record(app, as_user, complaint):
    client = as_user("advisor")
    upload(client, complaint.number, ("别的客户.jpg", jpeg()))
    a = Attachment.get()
    front = as_user("front")
    assert front.post(f"/complaints/{complaint.number}/attachments/{a.id}/remove",
                      data={"reason": "x", "csrf_token": csrf_token(front)}).status_code == 404
    client = as_user("advisor")
    client.post(f"/complaints/{complaint.number}/attachments/{a.id}/remove",
                data={"reason": "拍错了客户", "csrf_token": csrf_token(client)})
    assert Attachment.get().removed_at is not None
    assert Event.get(Event.kind == "attachment_removed").text == "别的客户.jpg: 拍错了客户"
    assert client.get(f"/complaints/{complaint.number}/attachments/{a.id}").status_code == 404
    assert os.path.exists(os.path.join(app.instance_path, "attachments", a.stored_name))


def test_the_htmx_upload_swaps_the_whole_complaint(as_user, complaint):
    response = upload(as_user("advisor"), complaint.number, ("a.jpg", jpeg()), htmx=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#complaint"
    assert "<html" not in response.get_data(as_text=True)
