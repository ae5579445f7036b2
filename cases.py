"""The case library (案例库, seed 003 §2.8): closed complaints kept with the lesson learned,
searchable by any member of staff, with no personal data in them.

Search: SQLite's FTS5 with the trigram tokenizer (its default tokenizer does not split
Chinese, so "刹车异响" would match nothing inside a sentence). A trigram index finds any run
of three characters or more; one- and two-character words (常见: 异响, 漏油) are matched
with LIKE over the same columns, which on a library of a few thousand cases costs
little. On PostgreSQL every word is matched with ILIKE (a pg_trgm index would speed it up
for a large library).
"""
import json
import re

from peewee import SQL, SqliteDatabase

import catalog
from i18n import lazy_gettext as _l
from models import Bound, CaseStudy, Event, db, kept, write_transaction

FTS_TABLE = "casestudy_text"
HIDDEN = "***"
PAGE = 20
# What a case's text must not carry: a mobile or landline number, a VIN, a Chinese plate.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:\d[- ]?){6,11}\d(?!\d)")
_VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
_PLATE = re.compile(r"[\u4e00-\u9fa5][A-Z][·•]?[A-Z0-9]{5,6}", re.IGNORECASE)
_ADDRESSED = ("先生", "女士", "小姐", "总", "师傅")  # 张先生: the surname with a form of address


class CaseError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def scrub(text, complaint):
    """The text without the customer's name, phone, VIN or plate (nor anything shaped like them)."""
    text = text or ""
    name = (complaint.customer_name or "").strip()
    known = [complaint.customer_phone, complaint.vin, complaint.plate]
    if len(name) >= 2:
        known.append(name)
        if _is_chinese(name[0]):
            known += [name[0] + address for address in _ADDRESSED]
    for value in sorted(filter(None, known), key=len, reverse=True):
        text = re.sub(re.escape(value), HIDDEN, text, flags=re.IGNORECASE)
    for pattern in (_VIN, _PLATE, _PHONE):
        text = pattern.sub(HIDDEN, text)
    return text


def _is_chinese(char):
    return "\u4e00" <= char <= "\u9fff"


def draft(complaint):
    """A first version of the case from the complaint's file, for the care manager to edit."""
    parts = [(catalog.FIELD_LABELS.get(name, name), getattr(complaint, name))
             for name in ("description", "cause", "handling_method", "solution", "result")]
    story = "\n\n".join(f"{label}: {value.strip()}" for label, value in parts if (value or "").strip())
    title = f"{catalog.label('category', complaint.category)}: {complaint.description.strip()[:40]}"
    return {"title": scrub(title, complaint)[:120], "story": scrub(story, complaint), "lesson": "",
            "tags": []}


def save(case, complaint, fields, by, now):
    """Make the complaint a case, or amend its case (`case` as loaded, with its version); a case
    stays editable if its complaint is reopened later."""
    if case is None and complaint.status != "closed":
        raise CaseError(_l("Only a closed complaint can go into the case library."))
    values = {"title": scrub(fields["title"], complaint)[:120], "story": scrub(fields["story"], complaint),
              "lesson": scrub(fields["lesson"], complaint),
              "tags": ",".join(dict.fromkeys(scrub(t, complaint) for t in fields["tags"] if t))[:200],
              "updated_by": by, "updated_at": now, "category": complaint.category}
    with write_transaction():
        if case is None:
            if CaseStudy.select().where(CaseStudy.complaint == complaint).exists():
                raise CaseError(_l("This complaint is in the case library already."))
            case = CaseStudy.create(complaint=complaint, created_by=by, created_at=now, **values)
            kind = "case_made"
        else:
            loaded = case.version
            if not CaseStudy.update(version=loaded + 1, **values).where(
                    (CaseStudy.id == case.id) & (CaseStudy.version == loaded)).execute():
                raise CaseError(_l("Someone changed this case meanwhile; reload it and try again."))
            case = CaseStudy.get_by_id(case.id)
            kind = "case_edited"
        _index(case)
        Event.create(complaint=complaint, at=now, actor=by, kind=kind, text=case.title,
                     data=json.dumps({"changes": {}, "case": case.id}, ensure_ascii=False))
    return case


def has_text_index():
    return isinstance(db.obj, SqliteDatabase)


def create_text_index(database):
    """The trigram index of the cases' text (SQLite only); filled from the table when new."""
    if not isinstance(database, SqliteDatabase) or FTS_TABLE in database.get_tables():
        return
    database.execute_sql(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, story, lesson, tags, "
                         "tokenize='trigram')")
    database.execute_sql(f"INSERT INTO {FTS_TABLE}(rowid, title, story, lesson, tags) "
                         "SELECT id, title, story, lesson, tags FROM casestudy")


def _index(case):
    if not has_text_index():
        return
    db.execute_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", (case.id,))
    db.execute_sql(f"INSERT INTO {FTS_TABLE}(rowid, title, story, lesson, tags) VALUES (?, ?, ?, ?, ?)",
                   (case.id, case.title, case.story, case.lesson, case.tags))


def search(q, category=None):
    """The cases matching every word of q (all of them when q is empty), newest first."""
    query = CaseStudy.select()
    if category:
        query = query.where(CaseStudy.category == category)
    words = q.split()
    long_words = [w for w in words if len(w) >= 3] if has_text_index() else []
    if long_words:
        phrase = " AND ".join('"{}"'.format(w.replace('"', '""')) for w in long_words)
        query = query.where(CaseStudy.id.in_(
            SQL(f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {db.param})", [phrase])))
    text = CaseStudy.title.concat(" ").concat(CaseStudy.story).concat(" ").concat(CaseStudy.lesson) \
        .concat(" ").concat(CaseStudy.tags)
    for word in (w for w in words if w not in long_words):
        query = query.where(text.contains(word))  # LIKE '%word%', its wildcards escaped
    return query.order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())


# (a complaint's page reads both: their statements' text written once, models.kept)
_latest_of_category = kept(lambda: CaseStudy.select().where((CaseStudy.category == Bound("category"))
                                                            & (CaseStudy.complaint != Bound("complaint")))
                           .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc()).limit(Bound("limit")))
_of_complaint = kept(lambda: CaseStudy.select().where(CaseStudy.complaint == Bound("complaint")).limit(1))


def same_category(complaint, limit=3):
    """'How we handled this before': the latest cases of the complaint's category, not its own."""
    return list(_latest_of_category(category=complaint.category, complaint=complaint.id, limit=limit))


def of_complaint(complaint):
    return _of_complaint.first(complaint=complaint.id)


def can_edit(user):
    """The customer-care manager keeps the library (and the general manager may)."""
    return user.has_role("care_manager", "general_manager")


def complaint_can_be_case(user, complaint):
    return can_edit(user) and complaint.status == "closed"

