"""Member appraisal (民主评议党员) in a browser: a member casts the secret ballot on a phone
(390×844) and afterwards sees only that they have voted; the secretary reads the counters and
assesses a member on the workbench."""

from __future__ import annotations

import re
from typing import Any

import pytest

from grassroots.party.models import Appraisal, Assessment, BallotCast
from grassroots.party.services.appraisal import assessment_set, ballot_cast
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import scroll_width, sign_in
from tests.party.conftest import life  # noqa: F401 - grid B's branch with its committee
from tests.party.test_appraisal import ballot_of, counters, move_to, opened, voters

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect

ZHENG = "13700000102"  # 郑一's resident account (voters() in the appraisal tests)


def fits(page: Any) -> None:
    assert scroll_width(page) <= 390, "the page is wider than the phone"


def test_a_member_casts_a_secret_ballot_on_a_phone(
    phone: Any,
    url: Any,
    snap: Any,
    life: Any,  # noqa: F811
) -> None:
    voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    page = phone
    sign_in(page, url, ZHENG)
    page.goto(url("/workbench/party/appraisals/mine/"))
    expect(page).to_have_url(url(f"/workbench/party/appraisals/{appraisal.pk}/me/"))
    expect(page.get_by_test_id("steps")).to_contain_text("民主测评")
    expect(page.get_by_test_id("anonymous")).to_contain_text("这是不记名投票")
    form = page.get_by_test_id("ballot-form")
    groups = form.locator("fieldset")
    expect(groups).to_have_count(9)
    fits(page)
    snap(page, "1-ballot")

    # Submitting with one member left out: the page says whom, and keeps what was chosen.
    names = groups.locator("legend")
    for i in range(9):
        group = groups.nth(i)
        legend = names.nth(i).inner_text()
        grade = "优秀" if legend.startswith("孙书记") else "合格"
        if legend.startswith("蒋预备"):
            continue
        radio = group.get_by_role("radio", name=grade, exact=True)
        radio.check()  # a tap on the grade's button: the radio lies over it
        expect(radio).to_be_checked()
    page.get_by_role("button", name="提交选票").click()
    expect(page.get_by_role("alert").first).to_contain_text("还没有选：蒋预备")
    left_out = page.locator("fieldset.has-error")
    expect(left_out).to_have_count(1)
    expect(left_out).to_contain_text("请选择等次。")
    fits(page)
    snap(page, "2-incomplete")
    assert not BallotCast.objects.exists()

    left_out.get_by_role("radio", name="基本合格").check()
    page.get_by_role("button", name="提交选票").click()
    expect(page.get_by_role("status")).to_contain_text("您已投票")
    voted = page.get_by_test_id("voted")
    expect(voted).to_contain_text("您已投票")
    expect(voted).to_contain_text("没有保存您的选择")
    expect(page.get_by_role("radio")).to_have_count(0)
    fits(page)
    snap(page, "3-voted")

    found = counters(appraisal)
    assert found[(life.secretary.pk, "excellent")] == 1
    assert found[(life.probationary.pk, "basic")] == 1
    assert list(BallotCast.objects.values_list("voter", flat=True)) == [life.full[3].pk]


def test_the_secretary_assesses_on_the_workbench(
    page: Any,
    url: Any,
    snap: Any,
    life: Any,  # noqa: F811
) -> None:
    more = voters(life)
    appraisal = move_to(opened(life), life.chair_user, "ballot")
    for user in (more["zheng"], more["third"], life.recorder_user):
        ballot_cast(
            actor=user,
            appraisal=appraisal,
            grades=ballot_of(life.members, **{str(life.third.pk): "excellent"}),
        )
    move_to(appraisal, life.chair_user, "assessment")
    for member in life.members:
        if member.pk != life.third.pk:
            assessment_set(
                actor=life.chair_user, appraisal=appraisal, member=member, grade="qualified",
                reason="按时参加组织生活，完成支部交办的任务。",
            )  # fmt: skip
    sign_in(page, url, "grid_b")
    page.goto(url("/workbench/party/appraisals/"))
    page.get_by_role("link", name="东一社区B网格党支部").click()
    expect(page).to_have_url(url(f"/workbench/party/appraisals/{appraisal.pk}/"))
    expect(page.get_by_test_id("turnout")).to_have_text("3/8")
    row = page.locator(f"#m-{life.third.pk}")
    expect(row.get_by_test_id("majority")).to_have_text("优秀")
    snap(page, "1-table")

    # A grade other than the majority's, without a reason: said beside the field.
    row.get_by_label("评定等次").select_option("qualified")
    row.get_by_role("button", name="保存评定").click()
    row = page.locator(f"#m-{life.third.pk}")
    expect(row).to_contain_text("评定等次与民主测评的多数意见（优秀）不同，请写明理由。")
    snap(page, "2-reason-needed")
    row.get_by_label("评定理由").fill("测评优秀；全年两次无故缺席党员大会，经支委会讨论评为合格。")
    row.get_by_role("button", name="保存评定").click()
    expect(page).to_have_url(re.compile(rf"#m-{life.third.pk}$"))
    expect(page.get_by_role("status")).to_contain_text("已保存对 吴委员 的评定。")
    assert Assessment.objects.filter(appraisal=appraisal).count() == 9

    page.get_by_role("button", name="进入下一阶段：已完成").click()
    expect(page.get_by_role("status")).to_contain_text("已进入“已完成”阶段。")
    expect(page.get_by_test_id("stage")).to_contain_text("当前阶段：已完成")
    snap(page, "3-done")
    assert Appraisal.objects.get().stage == "done"
