"""Meeting kinds and point rules seeded from DOMAIN.md §4; the system administrator may change
them afterwards (local practice: the lecture's frequency, reminder days, point values)."""

from django.db import migrations

# code, name, held_by, period, times, quorum, passing, remind_days, order, rule
KINDS = [
    (
        "general_meeting",
        "支部党员大会",
        "branch",
        "quarter",
        1,
        "half_of_voting",
        "half_of_expected",
        15,
        10,
        "一般每季度召开 1 次；有表决权的到会人数超过应到人数的半数方可召开，赞成人数超过应到会有表决权人数的半数为通过。",
    ),
    (
        "committee_meeting",
        "支委会",
        "committee",
        "month",
        1,
        "half_of_expected",
        "half_of_expected",
        7,
        20,
        "一般每月召开 1 次；应到会支委过半数方可召开。",
    ),
    (
        "group_meeting",
        "党小组会",
        "group",
        "month",
        1,
        "none",
        "half_of_present",
        7,
        30,
        "一般每月召开 1 次。",
    ),
    (
        "party_lecture",
        "党课",
        "branch",
        "quarter",
        1,
        "none",
        "none",
        15,
        40,
        "支部书记每年至少讲 1 次党课；本地一般每季度 1 次，可调整。",
    ),
    (
        "theme_day",
        "主题党日",
        "branch",
        "month",
        1,
        "none",
        "half_of_present",
        7,
        50,
        "每月相对固定 1 天开展。",
    ),
    (
        "org_life_review",
        "组织生活会",
        "branch",
        "year",
        1,
        "none",
        "none",
        45,
        60,
        "每年至少召开 1 次，一般安排在第四季度。",
    ),
    (
        "member_appraisal",
        "民主评议党员",
        "branch",
        "year",
        1,
        "half_of_voting",
        "half_of_expected",
        45,
        70,
        "每年开展 1 次：个人自评、党员互评、民主测评、组织评定。",
    ),
    (
        "heart_to_heart",
        "谈心谈话",
        "pair",
        "year",
        1,
        "none",
        "none",
        30,
        80,
        "支部书记与支委之间、支委与党员之间、党员与党员之间，每年谈心谈话一般不少于 1 次。",
    ),
]

RULES = [
    (
        "meeting_present",
        "参加组织生活",
        2,
        True,
        "按要求参加支部党员大会、支委会、党小组会、党课、主题党日等。",
    ),
    ("meeting_absent", "无故缺席组织生活", -2, True, "未请假缺席按要求召开的会议。"),
    ("ticket_resolved", "办结群众诉求", 3, True, "作为承办人办结的工单，经回访结案。"),
    ("volunteer_hour", "志愿服务", 1, False, "每小时志愿服务；志愿者模块上线后启用。"),
]


def seed(apps, schema_editor):
    MeetingKind = apps.get_model("party", "MeetingKind")
    PointRule = apps.get_model("party", "PointRule")
    for code, name, held_by, period, times, quorum, passing, remind, order, rule in KINDS:
        MeetingKind.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "held_by": held_by,
                "period": period,
                "times": times,
                "quorum": quorum,
                "passing": passing,
                "remind_days": remind,
                "order": order,
                "rule": rule,
            },
        )
    for code, name, points, active, note in RULES:
        PointRule.objects.update_or_create(
            code=code, defaults={"name": name, "points": points, "active": active, "note": note}
        )


class Migration(migrations.Migration):
    dependencies = [("party", "0003_org_life")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
