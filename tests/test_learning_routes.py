"""Every page of the case library, accountability and the guidance settings, for every role."""
import pytest
from helpers import STAFF, post

from models import CaseStudy, Complaint, utcnow

ROLES = list(STAFF)
# path: the roles that may open it (others get 403 or 404; nobody logged out gets in)
ACCESS = {
    "/cases": set(ROLES),
    "/cases/{case}": set(ROLES),
    "/cases/{case}/edit": {"care", "gm"},
    "/cases/new?complaint={other}": {"care", "gm"},
    "/accountability": {"care", "gm", "admin"},
    "/accountability?quarter=2026-Q3": {"care", "gm", "admin"},
    "/admin/guidance": {"admin"},
    "/admin/guidance/stage.listen": {"admin"},
}


@pytest.fixture
def library(make_complaint, staff):
    done = [make_complaint(by="advisor") for _ in range(2)]
    Complaint.update(status="closed", closed_at=utcnow()).execute()
    case = CaseStudy.create(complaint=done[0], category=done[0].category, title="t", story="s", lesson="l",
                            created_by=staff["care"], created_at=utcnow(), updated_by=staff["care"],
                            updated_at=utcnow())
    return {"case": case.id, "other": done[1].number}


@pytest.mark.parametrize("path", list(ACCESS))
def test_each_role_gets_in_or_is_refused(as_user, client, library, path):
    url = path.format(**library)
    for role in ROLES:
        status = as_user(role).get(url).status_code
        if role in ACCESS[path]:
            assert status == 200, (role, url, status)
        else:
            assert status in (403, 404), (role, url, status)
    post(client, "/logout", {})
    assert client.get(url).status_code in (302, 401)
