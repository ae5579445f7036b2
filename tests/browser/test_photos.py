"""A service advisor photographs the defect and adds it to the complaint from the page."""
import io

from helpers import complaint_fields
from PIL import Image
from playwright.sync_api import expect

import workflow
from models import Attachment, User, utcnow


def test_upload_a_photo_and_see_its_thumbnail(live_server, page, log_in, staff_password, tmp_path):
    c = workflow.register(complaint_fields(category="product_quality"), User.get(User.username == "advisor"), utcnow())
    photo = tmp_path / "漆面划痕.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 30, 30)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    log_in("advisor", staff_password)
    page.goto(f"{live_server}/complaints/{c.number}")
    page.set_input_files("#attachments input[name=files][multiple]", str(photo))
    page.click("#attachments button.primary")
    thumbnail = page.locator("#attachments .thumbs img")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_attribute("alt", "漆面划痕.jpg")
    page.wait_for_function("() => document.querySelector('#attachments .thumbs img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('#attachments .thumbs img').naturalWidth") == 320
    expect(page.locator(".events")).to_contain_text("漆面划痕.jpg")
    assert Attachment.get().original_name == "漆面划痕.jpg"

    # A file that is not a picture, named like one, is refused beside the form and nothing is kept.
    fake = tmp_path / "假照片.jpg"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.set_input_files("#attachments input[name=files][multiple]", str(fake))
    page.click("#attachments button.primary")
    expect(page.locator("#attachments .error").first).to_contain_text("假照片.jpg")
    assert Attachment.select().count() == 1
