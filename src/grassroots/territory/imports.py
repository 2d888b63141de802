"""Buildings, households and residents from Excel; households and residents to Excel.

Each import reads the file, plans every row against what the importer may see (`visible_to`:
a grid worker writes only into their grid) and hands the plans to `core.excel.run_import`,
which writes through `area_create`, `household_create` and `resident_create`. Lookups are made
once per file (codes, households), not once per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grassroots.core.excel import (
    Column,
    ExportFile,
    ImportMode,
    ImportResult,
    RowPlan,
    check_export_size,
    export_audit,
    export_filename,
    may_reveal,
    read_rows,
    run_import,
    shown_id_number,
    shown_mobile,
    write_workbook,
)
from grassroots.core.personal import normalise
from grassroots.core.scoping import prefixes
from grassroots.core.validators import birth_year_from_id

from .models import Area, AreaKind, Gender, Household, ResidentTagKind
from .selectors import households_for, residents_for, visible_tags
from .services import area_create, check_resident_fields, household_create, resident_create

LIST_SPLIT = re.compile(r"[、,，;；\s]+")

GRID = Column(
    "grid",
    gettext_noop("所属网格"),
    note=gettext_noop("网格编码，或“社区/网格”的名称，如：幸福社区/第一网格。"),
    example="幸福社区/第一网格",
    required=True,
    width=24,
)
NEW_BUILDING_CODE = Column(
    "code",
    gettext_noop("楼栋编码"),
    note=gettext_noop("全区唯一，最多 32 个字符。"),
    example="XF01B09",
    required=True,
    text=True,
    max_length=32,
    width=16,
)
BUILDING_NAME = Column(
    "name", gettext_noop("楼栋名称"), example="幸福里9号楼", required=True, max_length=100, width=18
)
BUILDING_COLUMNS = (GRID, NEW_BUILDING_CODE, BUILDING_NAME)

BUILDING = Column(
    "building",
    gettext_noop("楼栋编码"),
    note=gettext_noop("已登记楼栋的编码，可在“辖区”页查到。"),
    example="XF01B09",
    required=True,
    text=True,
    width=16,
)
UNIT = Column(
    "unit",
    gettext_noop("单元"),
    note=gettext_noop("没有单元的不填。"),
    example="1",
    text=True,
    max_length=20,
    width=8,
)
ROOM = Column(
    "room", gettext_noop("房号"), example="101", required=True, text=True, max_length=20, width=10
)
HOUSEHOLD_COLUMNS = (BUILDING, UNIT, ROOM)

NAME = Column("name", gettext_noop("姓名"), example="张三", required=True, max_length=50, width=10)
MOBILE = Column(
    "mobile",
    gettext_noop("手机号"),
    note=gettext_noop("11 位大陆手机号码，选填。"),
    example="13800000000",
    text=True,
    width=14,
)
ID_NUMBER = Column(
    "id_number",
    gettext_noop("身份证号"),
    note=gettext_noop("18 位，最后一位可以是 X；同一身份证号只能登记一次。选填。"),
    text=True,
    width=22,
)
GENDER = Column("gender", gettext_noop("性别"), example="男", choices=("男", "女"), width=8)
BIRTH_YEAR = Column(
    "birth_year",
    gettext_noop("出生年份"),
    note=gettext_noop("4 位数字，如 1950。填了身份证号的可不填，会从身份证号读出。"),
    example="1950",
    width=10,
)
TAGS = Column(
    "tags",
    gettext_noop("标签"),
    note=gettext_noop(
        "选填，多个用顿号“、”隔开。可选：独居老人、残疾人、低保/低收入、退役军人、留守儿童。"
    ),
    example="退役军人",
    width=20,
)
RESIDENT_COLUMNS = (BUILDING, UNIT, ROOM, NAME, MOBILE, ID_NUMBER, GENDER, BIRTH_YEAR, TAGS)


def label_map(choices: Any) -> dict[str, str]:
    """Chinese label (and the label in the UI language) → value, for a TextChoices class."""
    found: dict[str, str] = {}
    with translation.override("zh-hans"):
        found.update({str(label): value for value, label in choices.choices})
    found.update({str(label): value for value, label in choices.choices})
    return found


class BuildingFinder:
    """The buildings a file names, resolved in two queries: the areas with those codes, and
    which of them the importer may see."""

    def __init__(self, actor: Any, codes: set[str]) -> None:
        self.areas = {a.code: a for a in Area.objects.filter(code__in=codes - {""})}
        self.visible = set(
            Area.objects.visible_to(actor)
            .filter(pk__in=[a.pk for a in self.areas.values()])
            .values_list("pk", flat=True)
        )

    def find(self, plan: RowPlan, column: Column, code: str) -> Area | None:
        if not code:
            return None
        area = self.areas.get(code)
        if area is None:
            plan.error(column, _("找不到楼栋“%(code)s”。") % {"code": code})
        elif area.pk not in self.visible:
            plan.error(column, _("楼栋“%(code)s”不在您的管辖范围内。") % {"code": code})
        elif area.kind != AreaKind.BUILDING:
            plan.error(column, _("“%(code)s”不是楼栋编码。") % {"code": code})
        else:
            return area
        return None


# ---------------------------------------------------------------------------------------------
# Buildings


class GridFinder:
    """A grid named by its code, or by the names above it ("社区/网格", "街道/社区/网格")."""

    def __init__(self, actor: Any, refs: set[str]) -> None:
        paths = {r: [p.strip() for p in re.split(r"[/／>＞]", r) if p.strip()] for r in refs}
        last_names = {p[-1] for p in paths.values() if p}
        candidates = list(Area.objects.filter(Q(code__in=refs) | Q(name__in=last_names)))
        ancestor_paths = {p for c in candidates for p in prefixes(c.path)[:-1]}
        names = dict(Area.objects.filter(path__in=ancestor_paths).values_list("path", "name"))
        self.by_ref: dict[str, list[Area]] = {}
        for ref, parts in paths.items():
            by_code = [c for c in candidates if c.code == ref]
            if by_code:
                self.by_ref[ref] = by_code
                continue
            found = []
            for c in candidates:
                chain = [names.get(p, "") for p in prefixes(c.path)[:-1]] + [c.name]
                if parts and chain[-len(parts) :] == parts:
                    found.append(c)
            self.by_ref[ref] = found
        self.visible = set(
            Area.objects.visible_to(actor)
            .filter(pk__in=[c.pk for c in candidates])
            .values_list("pk", flat=True)
        )

    def find(self, plan: RowPlan, column: Column, ref: str) -> Area | None:
        if not ref:
            return None
        found = self.by_ref.get(ref, [])
        visible = [a for a in found if a.pk in self.visible]
        grids = [a for a in visible if a.kind == AreaKind.GRID]
        if not found:
            plan.error(column, _("找不到网格“%(ref)s”。") % {"ref": ref})
        elif not visible:
            plan.error(column, _("网格“%(ref)s”不在您的管辖范围内。") % {"ref": ref})
        elif not grids:
            plan.error(column, _("“%(ref)s”不是网格，楼栋只能建在网格下。") % {"ref": ref})
        elif len(grids) > 1:
            plan.error(column, _("有多个网格符合“%(ref)s”，请填写网格编码。") % {"ref": ref})
        else:
            return grids[0]
        return None


def buildings_import(
    *,
    actor: Any,
    source: IO[bytes],
    mode: str = ImportMode.ALL_OR_NOTHING,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Buildings under grids the importer may see; codes are unique in the district."""
    rows = read_rows(source, BUILDING_COLUMNS)
    grids = GridFinder(actor, {r[GRID.key] for r in rows} - {""})
    taken = set(
        Area.objects.filter(code__in={r[NEW_BUILDING_CODE.key] for r in rows}).values_list(
            "code", flat=True
        )
    )
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        plan = RowPlan(
            row, fields={"code": NEW_BUILDING_CODE.label, "name": BUILDING_NAME.label, "kind": ""}
        )
        grid = grids.find(plan, GRID, plan.text(GRID))
        code = plan.text(NEW_BUILDING_CODE)
        name = plan.text(BUILDING_NAME)
        if code in seen:
            plan.error(
                NEW_BUILDING_CODE, _("与第 %(row)s 行的楼栋编码重复。") % {"row": seen[code]}
            )
        elif code in taken:
            plan.error(NEW_BUILDING_CODE, _("编码“%(code)s”已被使用。") % {"code": code})
        if code:
            seen.setdefault(code, row.number)
        if plan.ok:
            plan.write = partial(
                area_create, actor=actor, parent=grid, kind=AreaKind.BUILDING, code=code, name=name
            )
        plans.append(plan)
    return run_import(actor=actor, kind="buildings", plans=plans, mode=mode, request=request)


# ---------------------------------------------------------------------------------------------
# Households


def households_import(
    *,
    actor: Any,
    source: IO[bytes],
    mode: str = ImportMode.ALL_OR_NOTHING,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Households in buildings the importer may see; a unit and room once per building."""
    rows = read_rows(source, HOUSEHOLD_COLUMNS)
    buildings = BuildingFinder(actor, {r[BUILDING.key] for r in rows})
    existing = set(
        Household.objects.filter(building__in=buildings.visible).values_list(
            "building_id", "unit", "room"
        )
    )
    seen: dict[tuple[int, str, str], int] = {}
    plans = []
    for row in rows:
        plan = RowPlan(
            row, fields={"building": BUILDING.label, "room": ROOM.label, "unit": UNIT.label}
        )
        building = buildings.find(plan, BUILDING, plan.text(BUILDING))
        unit, room = plan.text(UNIT), plan.text(ROOM)
        if building is not None and room:
            key = (building.pk, unit, room)
            if key in seen:
                plan.error(ROOM, _("与第 %(row)s 行是同一住户。") % {"row": seen[key]})
            elif key in existing:
                plan.error(ROOM, _("该住户已登记。"))
            seen.setdefault(key, row.number)
        if plan.ok and building is not None:
            plan.write = partial(
                household_create, actor=actor, building=building, unit=unit, room=room
            )
        plans.append(plan)
    return run_import(actor=actor, kind="households", plans=plans, mode=mode, request=request)


# ---------------------------------------------------------------------------------------------
# Residents


def _resident_write(
    *, actor: Any, building: Area, unit: str, room: str, resident: dict[str, Any]
) -> None:
    """Register the resident, and the household first if the building does not have it yet
    (looked up at write time: an earlier row of the same file may have just created it)."""
    household = Household.objects.filter(building=building, unit=unit, room=room).first()
    if household is None:
        household = household_create(actor=actor, building=building, unit=unit, room=room)
    resident_create(actor=actor, household=household, **resident)


def residents_import(
    *,
    actor: Any,
    source: IO[bytes],
    mode: str = ImportMode.ALL_OR_NOTHING,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Residents in buildings the importer may see; a household not yet registered is
    registered with its first resident. An ID number is registered once in the district."""
    rows = read_rows(source, RESIDENT_COLUMNS)
    buildings = BuildingFinder(actor, {r[BUILDING.key] for r in rows})
    genders = label_map(Gender)
    tag_kinds = label_map(ResidentTagKind)
    seen_ids: dict[str, int] = {}
    columns = {c.key: c for c in RESIDENT_COLUMNS}
    plans = []
    for row in rows:
        plan = RowPlan(row, fields={k: c.label for k, c in columns.items()})
        building = buildings.find(plan, BUILDING, plan.text(BUILDING))
        unit, room, name = plan.text(UNIT), plan.text(ROOM), plan.text(NAME)
        mobile = row[MOBILE.key].replace(" ", "")
        id_number = normalise(row[ID_NUMBER.key])
        gender = genders.get(row[GENDER.key], "")
        if row[GENDER.key] and not gender:
            plan.error(GENDER, _("性别请填“男”或“女”。"))
        birth_year: int | None = None
        if row[BIRTH_YEAR.key]:
            if re.fullmatch(r"\d{4}", row[BIRTH_YEAR.key]):
                birth_year = int(row[BIRTH_YEAR.key])
            else:
                plan.error(BIRTH_YEAR, _("出生年份应为 4 位数字，如 1950。"))
        tags = [t for t in LIST_SPLIT.split(row[TAGS.key]) if t]
        unknown = [t for t in tags if t not in tag_kinds]
        if unknown:
            plan.error(
                TAGS,
                _("未知的标签：%(tags)s。可选：%(choices)s。")
                % {
                    "tags": "、".join(unknown),
                    "choices": "、".join(str(label) for label in ResidentTagKind.labels),
                },
            )
        found = check_resident_fields(
            name=name or "-", mobile=mobile, id_number=id_number, birth_year=birth_year
        )
        if id_number and id_number in seen_ids and "id_number" not in found:
            found["id_number"] = [
                _("与第 %(row)s 行的身份证号重复。") % {"row": seen_ids[id_number]}
            ]
        if (
            id_number
            and birth_year is not None
            and not found.keys() & {"id_number", "birth_year"}
            and birth_year != birth_year_from_id(id_number)
        ):
            found["birth_year"] = [_("出生年份与身份证号不一致。")]
        for key, messages in found.items():
            for message in messages:
                plan.error(columns[key], message)
        if id_number:
            seen_ids.setdefault(id_number, row.number)
        if plan.ok and building is not None:
            plan.write = partial(
                _resident_write,
                actor=actor,
                building=building,
                unit=unit,
                room=room,
                resident={
                    "name": name,
                    "mobile": mobile,
                    "id_number": id_number,
                    "gender": gender,
                    "birth_year": birth_year,
                    "tags": sorted({tag_kinds[t] for t in tags}),
                },
            )
        plans.append(plan)
    return run_import(actor=actor, kind="residents", plans=plans, mode=mode, request=request)


# ---------------------------------------------------------------------------------------------
# Exports


def households_export(
    *, actor: Any, reveal: bool = False, request: HttpRequest | None = None
) -> ExportFile:
    """The households the user may see, with how many residents each has."""
    qs = households_for(actor).annotate(residents_count=Count("residents"))
    check_export_size(qs.count())

    def rows() -> Iterator[list[Any]]:
        for h in qs.iterator(chunk_size=2000):
            yield [h.building.code, h.building.name, h.unit, h.room, h.residents_count]

    content, count = write_workbook(
        title=_("住户"),
        headers=[_("楼栋编码"), _("楼栋名称"), _("单元"), _("房号"), _("居民人数")],
        rows=rows(),
        widths=[16, 18, 8, 10, 10],
    )
    export_audit(actor=actor, kind="households", rows=count, revealed=False, request=request)
    return ExportFile(export_filename(_("住户")), content, count)


def residents_export(
    *, actor: Any, reveal: bool = False, request: HttpRequest | None = None
) -> ExportFile:
    """The residents the user may see. Phone and ID numbers are masked unless full numbers
    were asked for by someone allowed to reveal them (then the export is audited as a
    reveal); sensitive tags only for the staff of the resident's own community."""
    revealed = may_reveal(actor, reveal)
    qs = residents_for(actor)
    check_export_size(qs.count())

    def rows() -> Iterator[list[Any]]:
        for r in qs.iterator(chunk_size=2000):
            household = r.household
            yield [
                household.building.code if household else "",
                household.building.name if household else "",
                household.unit if household else "",
                household.room if household else "",
                r.name,
                shown_mobile(r.mobile, revealed),
                shown_id_number(r.id_number, revealed),
                r.get_gender_display(),
                r.birth_year,
                "、".join(str(t.get_kind_display()) for t in visible_tags(actor, r)),
            ]

    content, count = write_workbook(
        title=_("居民"),
        headers=[
            _("楼栋编码"),
            _("楼栋名称"),
            _("单元"),
            _("房号"),
            _("姓名"),
            _("手机号"),
            _("身份证号"),
            _("性别"),
            _("出生年份"),
            _("标签"),
        ],
        rows=rows(),
        widths=[16, 18, 8, 10, 10, 14, 22, 6, 10, 24],
    )
    export_audit(actor=actor, kind="residents", rows=count, revealed=revealed, request=request)
    return ExportFile(export_filename(_("居民")), content, count)
