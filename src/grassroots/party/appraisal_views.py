"""Pages of member appraisal (民主评议党员).

On the workbench, for those who run a branch's appraisal (its secretary and committee, the
party staff of its territory): the appraisals they run and a form to open one, and an
appraisal's page — progress, the next stage, and from the assessment stage on the table of
counters, majorities, comments and the committee's assessment per member.

On the phone, for a member of the branch: my appraisal — the self-assessment, comments on the
members of my group, and the secret ballot, which after voting shows only that I have voted.

Every appraisal is fetched through visible_to (another scope's is a 404); the services decide
who may do what; a refused form comes back with the messages beside its fields and nothing
changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.accounts.typing import AuthedRequest
from grassroots.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from grassroots.core.scoping import get_visible

from .life_rules import LIFE_STAFF_ROLES, member_of
from .models import APPRAISAL_ORDER, Appraisal, AppraisalStage, Grade, PartyMember, PartyOrg
from .services import appraisal as services
from .services.appraisal import AppraisalState, appraisal_state, runnable_branches

PER_PAGE = 50
GRADES = [(g.value, str(g.label)) for g in Grade]


def _find(request: AuthedRequest, pk: int) -> Appraisal:
    appraisal: Appraisal = get_visible(Appraisal.objects.select_related("org"), request.user, pk=pk)
    return appraisal


def _steps(appraisal: Appraisal) -> list[dict[str, Any]]:
    here = APPRAISAL_ORDER.index(appraisal.stage)
    return [
        {
            "label": AppraisalStage(stage).label,
            "state": "done" if i < here else ("now" if i == here else "todo"),
        }
        for i, stage in enumerate(APPRAISAL_ORDER)
    ]


def _errors_of(
    exc: DomainError, rename: Callable[[str], str] = lambda name: name
) -> dict[str, list[str]]:
    """A refusal's messages by field (renamed as the page names them); the message of a
    refusal without fields, a conflict or a wrong stage under "form" (templates cannot read
    "__all__")."""
    found: dict[str, list[str]] = {}
    for name, messages_ in exc.fields.items():
        key = "form" if name in ("__all__", "stage") else rename(name)
        found.setdefault(key, []).extend(messages_)
    if not exc.fields or isinstance(exc, Conflict) or "stage" in exc.fields:
        found.setdefault("form", []).insert(0, exc.message)
    return found


# --- the workbench -------------------------------------------------------------------------------


def _index_page(
    request: AuthedRequest,
    branches: list[PartyOrg],
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = (
        Appraisal.objects.visible_to(request.user)
        .filter(org__in=[b.pk for b in branches])
        .select_related("org")
        .annotate(ballots=Count("cast"))
        .order_by("-year", "org__path", "pk")
    )
    return render(
        request,
        "party/appraisal/index.html",
        {
            "page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")),
            "branches": branches,
            "form": form or {"org": "", "year": timezone.localdate().year},
            "errors": errors or {},
        },
        status=status,
    )


def _runnable_or_leave(request: AuthedRequest) -> list[PartyOrg]:
    branches = list(runnable_branches(request.user))
    if not branches and request.user.role not in LIFE_STAFF_ROLES:
        # A member who runs no branch takes part on the phone; others have nothing here.
        if member_of(request.user) is not None:
            raise _Leave(redirect("party:appraisal_mine"))
        raise PermissionDenied
    return branches


class _Leave(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """民主评议: the appraisals of the branches the user runs, and a form to open one."""
    try:
        branches = _runnable_or_leave(request)
    except _Leave as leave:
        return leave.response
    return _index_page(request, branches)


@login_required
@require_POST
def open_appraisal(request: AuthedRequest) -> HttpResponse:
    try:
        branches = _runnable_or_leave(request)
    except _Leave as leave:
        return leave.response
    form = {"org": request.POST.get("org", ""), "year": request.POST.get("year", "").strip()}
    errors: dict[str, list[str]] = {}
    org = next((b for b in branches if str(b.pk) == form["org"]), None)
    if org is None:
        errors["org"] = [_("请选择党支部。")]
    try:
        year = int(form["year"])
    except ValueError:
        errors["year"] = [_("请填写年度，如 %(year)s。") % {"year": timezone.localdate().year}]
    if not errors:
        assert org is not None
        try:
            appraisal = services.appraisal_open(actor=request.user, org=org, year=year)
        except ValidationFailed as exc:
            errors = _errors_of(exc)
        except Conflict as exc:
            errors = {"year": [exc.message]}
        else:
            messages.success(
                request,
                _("已开展 %(org)s %(year)s 年度民主评议，已通知本支部党员填写个人自评。")
                % {"org": org.name, "year": year},
            )
            return redirect("party:appraisal", pk=appraisal.pk)
    return _index_page(request, branches, form=form, errors=errors, status=400)


def _desk_page(
    request: AuthedRequest,
    state: AppraisalState,
    *,
    advance_errors: dict[str, list[str]] | None = None,
    edited: tuple[int, dict[str, str], dict[str, list[str]]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The appraisal's workbench page; `edited` is a refused assessment (member id, what was
    sent, the messages), shown again in its row."""
    rows = []
    for result in state.results or []:
        values: dict[str, str] = {}
        row_errors: dict[str, list[str]] = {}
        if result.assessment is not None:
            values = {"grade": result.assessment.grade, "reason": result.assessment.reason}
        if edited is not None and edited[0] == result.member.pk:
            values, row_errors = edited[1], edited[2]
        rows.append({"result": result, "values": values, "errors": row_errors})
    return render(
        request,
        "party/appraisal/desk.html",
        {
            "state": state,
            "appraisal": state.appraisal,
            "steps": _steps(state.appraisal),
            "rows": rows,
            "grades": GRADES,
            "advance_errors": advance_errors or {},
            "done_stage": AppraisalStage.DONE,
        },
        status=status,
    )


def _runner_state(request: AuthedRequest, pk: int) -> AppraisalState | HttpResponse:
    state = appraisal_state(request.user, _find(request, pk))
    if not state.may_run:
        if state.me is not None:
            return redirect("party:appraisal_me", pk=pk)
        raise PermissionDenied
    return state


@login_required
def desk(request: AuthedRequest, pk: int) -> HttpResponse:
    """An appraisal on the workbench: progress, the next stage, the assessment table."""
    state = _runner_state(request, pk)
    if isinstance(state, HttpResponse):
        return state
    return _desk_page(request, state)


@login_required
@require_POST
def advance(request: AuthedRequest, pk: int) -> HttpResponse:
    state = _runner_state(request, pk)
    if isinstance(state, HttpResponse):
        return state
    to_stage = request.POST.get("to_stage", "")
    try:
        services.appraisal_advance(actor=request.user, appraisal=state.appraisal, to_stage=to_stage)
    except (ValidationFailed, Conflict) as exc:
        state = appraisal_state(request.user, _find(request, pk))
        status = 409 if isinstance(exc, Conflict) else 400
        return _desk_page(request, state, advance_errors=_errors_of(exc), status=status)
    messages.success(
        request, _("已进入“%(stage)s”阶段。") % {"stage": AppraisalStage(to_stage).label}
    )
    return redirect("party:appraisal", pk=pk)


@login_required
@require_POST
def assess(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    state = _runner_state(request, pk)
    if isinstance(state, HttpResponse):
        return state
    member = next((m for m in state.members if m.pk == member_pk), None)
    if member is None:
        raise NotFound()
    sent = {"grade": request.POST.get("grade", ""), "reason": request.POST.get("reason", "")}
    try:
        services.assessment_set(
            actor=request.user,
            appraisal=state.appraisal,
            member=member,
            grade=sent["grade"],
            reason=sent["reason"],
        )
    except ValidationFailed as exc:
        state = appraisal_state(request.user, _find(request, pk))
        return _desk_page(request, state, edited=(member.pk, sent, _errors_of(exc)), status=400)
    messages.success(request, _("已保存对 %(name)s 的评定。") % {"name": member.name})
    return redirect(reverse("party:appraisal", args=[pk]) + f"#m-{member.pk}")


# --- the phone -----------------------------------------------------------------------------------


@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """我的民主评议: the latest appraisal of the member's branch."""
    member = member_of(request.user)
    if member is None:
        raise PermissionDenied
    latest = Appraisal.objects.filter(org_id=member.branch_id).order_by("-year").first()
    if latest is not None:
        return redirect("party:appraisal_me", pk=latest.pk)
    return render(request, "party/appraisal/me_none.html", {"member": member, "tab": "me"})


def _member_state(request: AuthedRequest, pk: int) -> AppraisalState | HttpResponse:
    state = appraisal_state(request.user, _find(request, pk))
    if state.me is None:
        if state.may_run:
            return redirect("party:appraisal", pk=pk)
        raise PermissionDenied
    return state


def _me_page(
    request: AuthedRequest,
    state: AppraisalState,
    *,
    errors: dict[str, list[str]] | None = None,
    sent: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The member's page; `sent` holds what a refused form sent (shown again to its author
    only, in this one answer: a refused ballot is stored nowhere)."""
    me = state.me
    assert me is not None
    errors = errors or {}
    sent = sent or {}
    self_text = sent.get("self", me.self_assessment or "")
    peers = [
        {
            "member": m,
            "text": sent.get(f"peer_{m.pk}", me.my_reviews.get(m.pk, "")),
            "saved": m.pk in me.my_reviews,
            "errors": errors.get(f"peer_{m.pk}", []),
        }
        for m in me.peer_targets
    ]
    shown = {f"peer_{p['member'].pk}" for p in peers}
    for key in [k for k in errors if k.startswith("peer_") and k not in shown]:
        # A comment on someone the page does not list: said at the top.
        errors.setdefault("form", []).extend(errors.pop(key))
    ballot = [
        {
            "member": m,
            "chosen": sent.get(f"grade_{m.pk}", ""),
            "errors": errors.get(f"grades.{m.pk}", []),
        }
        for m in state.members
    ]
    return render(
        request,
        "party/appraisal/me.html",
        {
            "state": state,
            "appraisal": state.appraisal,
            "me": me,
            "steps": _steps(state.appraisal),
            "self_text": self_text,
            "peers": peers,
            "written": [p for p in peers if p["saved"]],
            "ballot": ballot,
            "grades": GRADES,
            "errors": errors,
            "tab": "me",
        },
        status=status,
    )


@login_required
def me(request: AuthedRequest, pk: int) -> HttpResponse:
    state = _member_state(request, pk)
    if isinstance(state, HttpResponse):
        return state
    return _me_page(request, state)


def _refused(
    request: AuthedRequest,
    pk: int,
    exc: DomainError,
    sent: dict[str, Any],
    rename: Callable[[str], str] = lambda name: name,
) -> HttpResponse:
    """The member's page again, with a refusal's messages beside the fields."""
    state = _member_state(request, pk)
    if isinstance(state, HttpResponse):
        return state
    status = 409 if isinstance(exc, Conflict) else 400
    return _me_page(request, state, errors=_errors_of(exc, rename), sent=sent, status=status)


@login_required
@require_POST
def self_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    appraisal = _find(request, pk)
    text = request.POST.get("text", "")
    try:
        services.self_assessment_submit(actor=request.user, appraisal=appraisal, text=text)
    except ValidationFailed as exc:
        return _refused(request, pk, exc, {"self": text}, lambda name: "self")
    messages.success(request, _("个人自评已保存，本阶段结束前还可以修改。"))
    return redirect("party:appraisal_me", pk=pk)


@login_required
@require_POST
def peer_submit(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    appraisal = _find(request, pk)
    about = PartyMember.objects.filter(pk=member_pk, branch_id=appraisal.org_id).first()
    if about is None:
        raise NotFound()
    text = request.POST.get("text", "")
    try:
        services.peer_review_submit(actor=request.user, appraisal=appraisal, about=about, text=text)
    except ValidationFailed as exc:
        key = f"peer_{about.pk}"
        return _refused(request, pk, exc, {key: text}, lambda name: key)
    messages.success(request, _("对 %(name)s 的互评意见已保存。") % {"name": about.name})
    return redirect(reverse("party:appraisal_me", args=[pk]) + f"#p-{about.pk}")


@login_required
@require_POST
def ballot_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    appraisal = _find(request, pk)
    grades: dict[str, str] = {}
    for key in request.POST:
        value = request.POST.get(key) or ""
        if key.startswith("grade_") and value:
            grades[key.removeprefix("grade_")] = value
    try:
        services.ballot_cast(actor=request.user, appraisal=appraisal, grades=grades)
    except (ValidationFailed, Conflict) as exc:
        sent = {f"grade_{k}": v for k, v in grades.items()}
        if isinstance(exc, Conflict):
            sent = {}  # a second ballot: nothing to show again, it is refused as it is
        return _refused(request, pk, exc, sent)
    messages.success(request, _("您已投票。感谢参与。"))
    return redirect("party:appraisal_me", pk=pk)
