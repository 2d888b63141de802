"""Organisational life (三会一课 and the rest, DOMAIN.md §4).

Meeting kinds are configuration (`MeetingKind`, seeded from DOMAIN.md §4 and editable by the
system administrator): who holds them, how often, and the quorum and passing rules. A meeting
is planned, then recorded: the record is the minutes, entered once — attendance, minutes per
agenda item, resolutions with their votes — and confirmed by the chair and the recorder. A
confirmed record is locked; a correction is a new `MeetingRecord` version with its reason, the
old one kept. Attendance feeds the points ledger; the confirmed meetings feed the compliance
calendar. Agenda items may come from governance work (a ticket, a hotspot, a whistle), and a
resolution's follow-up tasks are tracked to done.

Member appraisal (民主评议) keeps ballots secret by construction: a ballot only adds one to
per-member, per-grade counters (`BallotTally`) and marks that the voter has voted
(`BallotCast`); no row links a voter to a grade.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.core.scoping import Scope, ScopedQuerySet, under_paths
from grassroots.territory.models import Area

from .orgs import PartyMember, PartyOrg


class HeldBy(models.TextChoices):
    """Who holds a meeting kind, which decides who is expected."""

    BRANCH = "branch", _("全体党员")
    COMMITTEE = "committee", _("支部委员会")
    GROUP = "group", _("党小组")
    PAIR = "pair", _("两人之间")


class Period(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class QuorumRule(models.TextChoices):
    NONE = "none", _("不设法定人数")
    # 支部党员大会: more than half of the members with a vote present (DOMAIN.md §4).
    HALF_OF_VOTING = "half_of_voting", _("有表决权的应到人数过半")
    # 支委会: more than half of the committee present.
    HALF_OF_EXPECTED = "half_of_expected", _("应到人数过半")


class PassingRule(models.TextChoices):
    NONE = "none", _("不表决")
    # 支部党员大会: a motion passes with more than half of those expected to vote.
    HALF_OF_EXPECTED = "half_of_expected", _("赞成票超过应到人数的半数")
    HALF_OF_PRESENT = "half_of_present", _("赞成票超过实到人数的半数")


class MeetingKind(models.Model):
    """A kind of meeting and its rules (configuration, DOMAIN.md §4)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    held_by = models.CharField(_("参加人员"), max_length=10, choices=HeldBy.choices)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    times = models.PositiveSmallIntegerField(
        _("每周期至少次数"), default=1, validators=[MinValueValidator(1)]
    )
    required = models.BooleanField(
        _("列入合规日历"), default=True, help_text=_("不勾选则只记录，不检查是否按时召开。")
    )
    quorum = models.CharField(
        _("法定人数"), max_length=20, choices=QuorumRule.choices, default=QuorumRule.NONE
    )
    passing = models.CharField(
        _("表决通过"), max_length=20, choices=PassingRule.choices, default=PassingRule.NONE
    )
    remind_days = models.PositiveSmallIntegerField(
        _("周期结束前几天提醒"), default=7, validators=[MaxValueValidator(90)]
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    rule = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("会议类型")
        verbose_name_plural = _("会议类型")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("已计划")
    RECORDED = "recorded", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")


class MeetingQuerySet(ScopedQuerySet["Meeting"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        """Staff see the meetings of the organisations in their territory; a member sees the
        meetings of their own branch and group."""
        own = PartyMember.objects.of_user(user)
        mine = Q(org_id__in=own.values("branch_id")) | Q(org_id__in=own.values("group_id"))
        inside = under_paths("area_path", scope.area_paths)
        return mine if inside is None else mine | inside


class Meeting(models.Model):
    """One meeting of an organisation: planned, then recorded (in versions) and confirmed."""

    org = models.ForeignKey(
        PartyOrg, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.ForeignKey(
        MeetingKind, verbose_name=_("会议类型"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("会议名称"), max_length=100)
    planned_at = models.DateTimeField(_("计划时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    chair = models.ForeignKey(
        PartyMember,
        verbose_name=_("主持人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorder = models.ForeignKey(
        PartyMember,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=MeetingState.choices, default=MeetingState.PLANNED
    )
    # Copied from the current record: what the compliance calendar reads.
    held_at = models.DateTimeField(_("召开时间"), null=True, blank=True)
    # The first day of the period the meeting counts for: its own period, or an earlier one
    # for a make-up meeting (补开), which the calendar shows as late.
    covers = models.DateField(_("计入周期"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(_("记录版本"), default=0)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False, blank=True)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-planned_at", "-id"]
        indexes = [
            models.Index(fields=["org", "kind", "covers"], name="meeting_org_kind_covers"),
            models.Index(fields=["street", "planned_at"], name="meeting_street_planned"),
        ]

    def __str__(self) -> str:
        return self.title


class AgendaSource(models.TextChoices):
    MANUAL = "manual", _("支部提出")
    TICKET = "ticket", _("群众诉求")
    HOTSPOT = "hotspot", _("诉求热点")
    WHISTLE = "whistle", _("吹哨事项")


class MeetingAgendaItem(models.Model):
    """A planned agenda item; one taken from governance work links to it (双向互动)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    title = models.CharField(_("议题"), max_length=200)
    source = models.CharField(
        _("来源"), max_length=10, choices=AgendaSource.choices, default=AgendaSource.MANUAL
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    whistle = models.ForeignKey(
        "whistles.Whistle",
        verbose_name=_("吹哨事项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    # A hotspot: many requests of one category in one area over a span of days.
    hotspot_category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hotspot_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hotspot_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return self.title


class MeetingRecord(models.Model):
    """One version of a meeting's record. Locked once both chair and recorder confirm; a
    correction is the next version, with its reason."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="records")
    version = models.PositiveSmallIntegerField(_("版本"))
    held_at = models.DateTimeField(_("召开时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    chair = models.ForeignKey(
        PartyMember, verbose_name=_("主持人"), on_delete=models.PROTECT, related_name="+"
    )
    recorder = models.ForeignKey(
        PartyMember, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    guests = models.CharField(_("列席人员"), max_length=500, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    correction_reason = models.CharField(_("更正原因"), max_length=500, blank=True)
    expected = models.PositiveSmallIntegerField(_("应到人数"), default=0)
    present = models.PositiveSmallIntegerField(_("实到人数"), default=0)
    voting_expected = models.PositiveSmallIntegerField(_("有表决权应到"), default=0)
    voting_present = models.PositiveSmallIntegerField(_("有表决权实到"), default=0)
    quorum_met = models.BooleanField(_("达到法定人数"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("填写时间"), auto_now_add=True)
    chair_confirmed_at = models.DateTimeField(_("主持人确认时间"), null=True, blank=True)
    recorder_confirmed_at = models.DateTimeField(_("记录人确认时间"), null=True, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会议记录")
        verbose_name_plural = _("会议记录")
        ordering = ["meeting", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="meeting_record_version")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.version}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("出席")
    EXCUSED = "excused", _("请假")
    ABSENT = "absent", _("无故缺席")


class Attendance(models.Model):
    record = models.ForeignKey(MeetingRecord, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("出席情况"), max_length=8, choices=AttendanceStatus.choices)
    reason = models.CharField(_("缺席原因"), max_length=200, blank=True)
    voting = models.BooleanField(_("有表决权"), default=True)

    class Meta:
        verbose_name = _("出席情况")
        verbose_name_plural = _("出席情况")
        ordering = ["record", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "member"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.status}"


class ItemMinutes(models.Model):
    """The minutes of one agenda item, in one version of the record."""

    record = models.ForeignKey(MeetingRecord, on_delete=models.CASCADE, related_name="items")
    agenda_item = models.ForeignKey(
        MeetingAgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    title = models.CharField(_("议题"), max_length=200)
    minutes = models.TextField(_("会议记录"), blank=True)

    class Meta:
        verbose_name = _("议题记录")
        verbose_name_plural = _("议题记录")
        ordering = ["record", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Resolution(models.Model):
    """A resolution with its votes, checked against the kind's quorum and passing rules."""

    record = models.ForeignKey(MeetingRecord, on_delete=models.CASCADE, related_name="resolutions")
    item = models.ForeignKey(
        ItemMinutes, on_delete=models.CASCADE, null=True, blank=True, related_name="resolutions"
    )
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.CharField(_("决议内容"), max_length=500)
    votes_for = models.PositiveSmallIntegerField(_("赞成"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("反对"), null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField(_("弃权"), null=True, blank=True)
    passed = models.BooleanField(_("通过"), default=False)
    outcome = models.CharField(_("表决结果说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        ordering = ["record", "order", "id"]

    def __str__(self) -> str:
        return self.text


class FollowUpState(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已完成")


class FollowUp(models.Model):
    """A task a resolution gave someone, tracked to done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="followups")
    resolution = models.ForeignKey(
        Resolution, on_delete=models.PROTECT, null=True, blank=True, related_name="followups"
    )
    title = models.CharField(_("任务"), max_length=200)
    owner = models.ForeignKey(
        PartyMember, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="followups"
    )
    due_on = models.DateField(_("完成期限"))
    state = models.CharField(
        _("状态"), max_length=6, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    whistle = models.ForeignKey(
        "whistles.Whistle", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("决议落实任务")
        verbose_name_plural = _("决议落实任务")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class MeetingAttachment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.name


class ReminderSent(models.Model):
    """One compliance reminder per organisation, kind and period: the sweep that inserts the
    row sends it, so running the sweep twice sends nothing twice."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="+")
    kind = models.ForeignKey(MeetingKind, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "period_start"], name="reminder_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.kind_id}/{self.period_start}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class AppraisalStage(models.TextChoices):
    SELF = "self", _("个人自评")
    PEER = "peer", _("党员互评")
    BALLOT = "ballot", _("民主测评")
    ASSESSMENT = "assessment", _("组织评定")
    DONE = "done", _("已完成")


APPRAISAL_ORDER = [s.value for s in AppraisalStage]


class AppraisalQuerySet(ScopedQuerySet["Appraisal"]):
    def scope_q(self, user: Any, scope: Scope) -> Q | None:
        own = PartyMember.objects.of_user(user)
        mine = Q(org_id__in=own.values("branch_id"))
        inside = under_paths("area_path", scope.area_paths)
        return mine if inside is None else mine | inside


class Appraisal(models.Model):
    """民主评议党员: a branch's yearly appraisal of its members."""

    org = models.ForeignKey(
        PartyOrg, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="appraisals"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    stage = models.CharField(
        _("阶段"), max_length=10, choices=AppraisalStage.choices, default=AppraisalStage.SELF
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    area_path = models.CharField(max_length=255, db_index=True, editable=False, blank=True)
    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("民主评议")
        verbose_name_plural = _("民主评议")
        ordering = ["-year", "org"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="appraisal_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year}"


class SelfAssessment(models.Model):
    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="selves")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("个人自评"))
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "member"], name="self_assessment_once")
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}/{self.member_id}"


class PeerReview(models.Model):
    """A named comment by one member on another of the same group (互评)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="peers")
    about = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("互评意见"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "about", "by"], name="peer_review_once"),
            models.CheckConstraint(condition=~Q(about=models.F("by")), name="peer_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}/{self.by_id}→{self.about_id}"


class BallotCast(models.Model):
    """The has-voted flag, and nothing else: no time, no grade."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="cast")
    voter = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appraisal", "voter"], name="ballot_once")]

    def __str__(self) -> str:
        return f"{self.appraisal_id}/{self.voter_id}"


class BallotTally(models.Model):
    """How many ballots gave a member a grade: counters, never ballots."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="tallies")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=12, choices=Grade.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "member", "grade"], name="ballot_tally_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}/{self.member_id}/{self.grade}: {self.count}"


class Assessment(models.Model):
    """The committee's assessment of a member, with its reason."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="assessments")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("评定等次"), max_length=12, choices=Grade.choices)
    reason = models.CharField(_("评定理由"), max_length=500)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "member"], name="assessment_once")
        ]

    def __str__(self) -> str:
        return f"{self.appraisal_id}/{self.member_id}: {self.grade}"
