"""Appraisal pages: the workbench (the branch's leaders and party staff open, follow, advance
and assess) and the member's phone page (self-assessment, peer comments, the secret ballot)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.party.models import (
    Appraisal,
    Assessment,
    BallotCast,
    BallotTally,
    PeerReview,
    SelfAssessment,
)
from grassroots.party.services.appraisal import ballot_cast, self_assessment_submit
from tests.party.test_appraisal import ballot_of, counters, move_to, opened, this_year, voters
from tests.party.test_appraisal_api import grow

LIST = "/workbench/party/appraisals/"
MINE = "/workbench/party/appraisals/mine/"


def desk(appraisal: Appraisal) -> str:
    return f"/workbench/party/appraisals/{appraisal.pk}/"


def me(appraisal: Appraisal) -> str:
    return f"/workbench/party/appraisals/{appraisal.pk}/me/"


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:300])
    text: str = response.content.decode()
    return text


def to_login(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def queries(client: Client, path: str) -> int:
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


# --- the list and opening ----------------------------------------------------------------------


def test_the_list_offers_the_branches_the_user_runs(
    life: Any, cast: Any, people: Any, login: Any
) -> None:
    page = html(login(life.chair_user).get(LIST))
    assert "开展民主评议" in page and "东一社区B网格党支部" in page
    assert "东一社区A网格党支部" not in page
    page = html(login(cast.community_secretary).get(LIST))
    assert "东一社区A网格党支部" in page and "东一社区B网格党支部" in page
    assert "西一社区网格党支部" not in page
    assert "西一社区网格党支部" in html(login(cast.outsider).get(LIST))


def test_the_list_sends_members_to_their_page_and_refuses_others(
    life: Any, cast: Any, login: Any
) -> None:
    more = voters(life)
    response = login(more["zheng"]).get(LIST)
    assert response.status_code == 302 and response["Location"] == MINE
    assert login(cast.resident).get(LIST).status_code == 403
    assert login(cast.department_officer).get(LIST).status_code == 403
    to_login(Client().get(LIST))
    to_login(Client().post(f"{LIST}open/", {"org": life.branch.pk, "year": this_year()}))


def test_open_from_the_workbench(life: Any, login: Any) -> None:
    client = login(life.chair_user)
    response = client.post(f"{LIST}open/", {"org": life.branch.pk, "year": this_year()})
    appraisal = Appraisal.objects.get()
    assert response.status_code == 302 and response["Location"] == desk(appraisal)
    page = html(client.get(desk(appraisal)))
    assert "已开展" in page and "已通知本支部党员填写个人自评" in page
    assert "当前阶段：个人自评" in page and "进入下一阶段：党员互评" in page


def test_open_refusals_show_beside_the_fields(life: Any, people: Any, login: Any) -> None:
    client = login(life.chair_user)
    page = html(client.post(f"{LIST}open/", {"org": life.branch.pk, "year": "明年"}), 400)
    assert "请填写年度" in page
    page = html(client.post(f"{LIST}open/", {"org": life.branch.pk, "year": this_year() + 1}), 400)
    assert "不能为以后的年度开展民主评议。" in page
    page = html(client.post(f"{LIST}open/", {"org": people.branch_w.pk, "year": this_year()}), 400)
    assert "请选择党支部。" in page
    assert not Appraisal.objects.exists()
    opened(life)
    page = html(client.post(f"{LIST}open/", {"org": life.branch.pk, "year": this_year()}), 400)
    assert "已经开始，不能重复开展" in page
    assert Appraisal.objects.count() == 1


# --- the workbench page ------------------------------------------------------------------------


def test_the_desk_shows_progress(life: Any, cast: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="按时交纳党费。")
    for user in (life.chair_user, cast.community_secretary, life.recorder_user):
        page = html(login(user).get(desk(appraisal)))
        assert "1/9" in page  # self-assessed
        assert page.count('data-testid="member-row"') == 9
    # The text of a self-assessment waits for the assessment stage.
    assert "按时交纳党费。" not in page


def test_the_desk_is_scoped(life: Any, cast: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    for user in (cast.outsider, cast.grid_worker_a, cast.department_officer, cast.resident):
        assert login(user).get(desk(appraisal)).status_code == 404
        assert (
            login(user).post(f"{desk(appraisal)}advance/", {"to_stage": "peer"}).status_code == 404
        )
    response = login(more["zheng"]).get(desk(appraisal))
    assert response.status_code == 302 and response["Location"] == me(appraisal)
    assert (
        login(more["zheng"]).post(f"{desk(appraisal)}advance/", {"to_stage": "peer"}).status_code
        == 302
    )
    assert Appraisal.objects.get().stage == "self"
    to_login(Client().get(desk(appraisal)))
    to_login(Client().post(f"{desk(appraisal)}advance/", {"to_stage": "peer"}))


def test_advance_from_the_desk(life: Any, login: Any) -> None:
    appraisal = opened(life)
    client = login(life.chair_user)
    page = html(client.post(f"{desk(appraisal)}advance/", {"to_stage": "ballot"}), 400)
    assert "只能按顺序进入下一阶段“党员互评”。" in page
    assert Appraisal.objects.get().stage == "self"
    response = client.post(f"{desk(appraisal)}advance/", {"to_stage": "peer"})
    assert response.status_code == 302
    assert "已进入“党员互评”阶段。" in html(client.get(desk(appraisal)))
    move_to(Appraisal.objects.get(), life.chair_user, "assessment")
    page = html(client.post(f"{desk(appraisal)}advance/", {"to_stage": "done"}), 400)
    assert "还有党员没有评定：" in page and "蒋预备" in page
    stale = html(client.post(f"{desk(appraisal)}advance/", {"to_stage": "peer"}), 400)
    assert "只能按顺序进入下一阶段“已完成”。" in stale


def test_the_assessment_table(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    self_assessment_submit(actor=more["zheng"], appraisal=appraisal, text="按时交纳党费。")
    move_to(appraisal, life.chair_user, "ballot")
    for user in (more["zheng"], more["third"], life.chair_user):
        ballot_cast(
            actor=user,
            appraisal=appraisal,
            grades=ballot_of(life.members, **{str(life.full[3].pk): "excellent"}),
        )
    move_to(appraisal, life.chair_user, "assessment")
    client = login(life.chair_user)
    page = html(client.get(desk(appraisal)))
    assert "按时交纳党费。" in page  # the self-assessment, for the committee
    assert "3/8" in page and "投票率 38%" in page
    row = page.split(f'id="m-{life.full[3].pk}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"优秀 3<br>合格 0<br>基本合格 0<br>不合格 0", row)
    assert "优秀" in row.split('data-testid="majority"', 1)[1]
    assess = f"{desk(appraisal)}assess/{life.full[3].pk}/"
    refused = html(client.post(assess, {"grade": "qualified", "reason": ""}), 400)
    assert "评定等次与民主测评的多数意见（优秀）不同，请写明理由。" in refused
    assert not Assessment.objects.exists()
    response = client.post(assess, {"grade": "qualified", "reason": "全年两次无故缺席。"})
    assert response.status_code == 302
    assert response["Location"] == f"{desk(appraisal)}#m-{life.full[3].pk}"
    page = html(client.get(desk(appraisal)))
    assert "已保存对 郑一 的评定。" in page and "已评定：合格" in page
    assert Assessment.objects.get().reason == "全年两次无故缺席。"
    # A member of another branch is not in the table.
    assert (
        client.post(f"{desk(appraisal)}assess/999999/", {"grade": "qualified"}).status_code == 404
    )


def test_the_desk_queries_do_not_grow(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    ballot_cast(actor=more["zheng"], appraisal=appraisal, grades=ballot_of(life.members))
    move_to(appraisal, life.chair_user, "assessment")
    client = login(life.chair_user)
    before = queries(client, desk(appraisal))
    grow(life, 5)
    assert queries(client, desk(appraisal)) == before
    assert before <= 30


# --- the member's page -------------------------------------------------------------------------


def test_mine_goes_to_the_latest_appraisal(life: Any, cast: Any, login: Any) -> None:
    more = voters(life)
    client = login(more["zheng"])
    page = html(client.get(MINE))
    assert "还没有开展民主评议党员" in page
    opened(life, this_year() - 1)
    latest = opened(life)
    response = client.get(MINE)
    assert response.status_code == 302 and response["Location"] == me(latest)
    assert login(cast.resident).get(MINE).status_code == 403
    to_login(Client().get(MINE))


def test_self_assessment_on_the_phone(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = opened(life)
    client = login(more["zheng"])
    page = html(client.get(me(appraisal)))
    assert "我的自评" in page and "提交自评" in page
    refused = html(client.post(f"{me(appraisal)}self/", {"text": "  "}), 400)
    assert "请填写个人自评。" in refused
    assert not SelfAssessment.objects.exists()
    response = client.post(f"{me(appraisal)}self/", {"text": "按时参加组织生活。"})
    assert response.status_code == 302 and response["Location"] == me(appraisal)
    page = html(client.get(me(appraisal)))
    assert "个人自评已保存" in page and "按时参加组织生活。" in page and "修改自评" in page


def test_peer_comments_on_the_phone(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "peer")
    client = login(more["third"])
    page = html(client.get(me(appraisal)))
    # 吴委员's group: 孙书记, 周记录, 卫五 — not 郑一 (in no group), not himself.
    for name in ("孙书记", "周记录", "卫五"):
        assert f"对 {name} 的意见" in page
    assert "对 郑一 的意见" not in page and "对 吴委员 的意见" not in page
    peer = f"{me(appraisal)}peer/{life.secretary.pk}/"
    assert "请填写互评意见。" in html(client.post(peer, {"text": ""}), 400)
    assert not PeerReview.objects.exists()
    response = client.post(peer, {"text": "带头作用好。"})
    assert response.status_code == 302
    assert "带头作用好。" in html(client.get(me(appraisal)))
    assert PeerReview.objects.get().text == "带头作用好。"
    other = f"{me(appraisal)}peer/{life.full[3].pk}/"
    assert "只能评议本党小组的党员。" in html(client.post(other, {"text": "好"}), 400)


def test_the_secret_ballot_on_the_phone(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    client = login(more["zheng"])
    page = html(client.get(me(appraisal)))
    assert "这是不记名投票" in page
    assert page.count('type="radio"') == 4 * 9
    # An incomplete ballot: the voter's own choices come back, with a message per member.
    sent = {f"grade_{m.pk}": "excellent" for m in life.members[:-1]}
    refused = html(client.post(f"{me(appraisal)}ballot/", sent), 400)
    assert "请为每一位党员选择等次" in refused and "请选择等次。" in refused
    assert refused.count(" checked>") == 8
    assert not BallotCast.objects.exists()
    assert not BallotTally.objects.filter(count__gt=0).exists()
    sent[f"grade_{life.probationary.pk}"] = "basic"
    response = client.post(f"{me(appraisal)}ballot/", sent)
    assert response.status_code == 302 and response["Location"] == me(appraisal)
    page = html(client.get(me(appraisal)))
    assert "您已投票" in page
    assert 'type="radio"' not in page and " checked>" not in page
    assert "基本合格" not in page and "优秀" not in page  # nothing of what was chosen
    # A second ballot changes nothing.
    before = counters(appraisal)
    again = html(client.post(f"{me(appraisal)}ballot/", {k: "unqualified" for k in sent}), 409)
    assert "您已投过票。" in again and " checked>" not in again
    assert counters(appraisal) == before and BallotCast.objects.count() == 1


def test_a_probationary_member_sees_no_ballot(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    client = login(more["probationary"])
    page = html(client.get(me(appraisal)))
    assert "预备党员没有表决权" in page and 'type="radio"' not in page
    sent = {f"grade_{m.pk}": "qualified" for m in life.members}
    assert client.post(f"{me(appraisal)}ballot/", sent).status_code == 403
    assert not BallotCast.objects.exists()


def test_the_phone_page_is_scoped(life: Any, cast: Any, login: Any) -> None:
    appraisal = opened(life)
    for user in (cast.outsider, cast.grid_worker_a, cast.resident):
        assert login(user).get(me(appraisal)).status_code == 404
        assert login(user).post(f"{me(appraisal)}self/", {"text": "好"}).status_code == 404
    response = login(cast.community_secretary).get(me(appraisal))
    assert response.status_code == 302 and response["Location"] == desk(appraisal)
    assert (
        login(cast.community_secretary).post(f"{me(appraisal)}self/", {"text": "好"}).status_code
        == 403
    )
    to_login(Client().get(me(appraisal)))
    to_login(Client().post(f"{me(appraisal)}ballot/", {}))
    assert not SelfAssessment.objects.exists()


@pytest.mark.parametrize("stage", ["peer", "ballot"])
def test_the_phone_queries_do_not_grow(life: Any, login: Any, stage: str) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, stage)
    client = login(more["zheng"])
    before = queries(client, me(appraisal))
    grow(life, 5)
    assert queries(client, me(appraisal)) == before
    assert before <= 25


def test_the_result_on_the_phone(life: Any, login: Any) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "assessment")
    from grassroots.party.services.appraisal import assessment_set

    for member in life.members:
        assessment_set(
            actor=life.chair_user, appraisal=appraisal, member=member, grade="qualified",
            reason="按时参加组织生活。",
        )  # fmt: skip
    move_to(appraisal, life.chair_user, "done")
    page = html(login(more["zheng"]).get(me(appraisal)))
    assert "支部评定" in page and "合格" in page and "按时参加组织生活。" in page
