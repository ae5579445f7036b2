"""The case library (案例库): search it, read a case, and (the customer-care manager) make a
closed complaint a case or amend one. Cases carry no personal data, so all staff may read them."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required

import cases
import catalog
from case_forms import CaseForm, tag_list
from models import CaseStudy, User, utcnow
from permissions import can_view
from views import deny, get_complaint_or_404, render

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:100]
    category = request.args.get("category") if request.args.get("category") in catalog.codes("category") else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = list(cases.search(q, category).limit(cases.PAGE + 1).offset((page - 1) * cases.PAGE))
    return render("cases/index.html", "cases/_results.html", cases=rows[:cases.PAGE],
                  has_next=len(rows) > cases.PAGE, page=page, q=q, category=category,
                  categories=catalog.CATEGORIES)


@bp.get("/<int:case_id>")
@login_required
def show(case_id):
    case = _case_or_404(case_id)
    people = {u.id: u for u in User.select().where(User.id.in_({case.created_by_id, case.updated_by_id}))}
    return render("cases/show.html", case=case, complaint=case.complaint, people=people,
                  may_open_complaint=can_view(current_user, case.complaint), may_edit=cases.can_edit(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    complaint = get_complaint_or_404(request.args.get("complaint", ""))
    if not cases.complaint_can_be_case(current_user, complaint):
        deny(403)
    existing = cases.of_complaint(complaint)
    if existing:
        return redirect(url_for("cases.edit", case_id=existing.id))
    form = CaseForm()
    if request.method == "GET":
        fields = cases.draft(complaint)
        form.title.data, form.story.data, form.lesson.data = fields["title"], fields["story"], fields["lesson"]
    return _save_or_show(form, None, complaint)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id):
    case = _case_or_404(case_id)
    if not cases.can_edit(current_user):
        deny(403)
    form = CaseForm(obj=case) if request.method == "POST" else CaseForm(
        formdata=None, data={"title": case.title, "story": case.story, "lesson": case.lesson,
                             "tags": ", ".join(case.tag_list), "version": str(case.version)})
    return _save_or_show(form, case, case.complaint)


def _save_or_show(form, case, complaint):
    status = 200
    if form.validate_on_submit():
        if case is not None:
            case.version = int(form.version.data or 0)
        try:
            saved = cases.save(case, complaint, {"title": form.title.data, "story": form.story.data,
                                                 "lesson": form.lesson.data, "tags": tag_list(form.tags.data)},
                               current_user, utcnow())
            return redirect(url_for("cases.show", case_id=saved.id), code=303)
        except cases.CaseError as refused:
            form.form_errors.append(str(refused.message))
            status = 409
    elif request.method == "POST":
        status = 422
    return render("cases/form.html", form=form, case=case, complaint=complaint, status=status)


def _case_or_404(case_id):
    case = CaseStudy.get_or_none(CaseStudy.id == case_id)
    if case is None:
        abort(404)
    return case
