"""The territory, its departments and the demo accounts: no randomness, so names and scopes
are the same for every seed."""

from __future__ import annotations

import math
from typing import Any

from grassroots.accounts.models import Role

from ..models import AreaKind
from .names import COMPOUND_SUFFIXES, STREET_WORDS, VILLAGE_WORDS, cn_number, community_name
from .plan import AccountPlan, AreaPlan, DepartmentPlan, Profile

DISTRICT = "110199"
DISTRICT_BOX = (116.30, 39.85, 116.50, 40.00)
Box = tuple[float, float, float, float]


def tile(box: Box, n: int) -> list[Box]:
    """`n` rectangles that cover `box` without overlapping: rows of equal height, each row cut
    into equal widths. Neighbours share an edge computed by the same expression, so they
    touch exactly."""
    x0, y0, x1, y1 = box
    rows = max(1, round(math.sqrt(n)))
    out = []
    for r in range(rows):
        k = n // rows + (1 if r < n % rows else 0)
        ya, yb = y0 + (y1 - y0) * r / rows, y0 + (y1 - y0) * (r + 1) / rows
        for c in range(k):
            out.append((x0 + (x1 - x0) * c / k, ya, x0 + (x1 - x0) * (c + 1) / k, yb))
    return out


def polygon(box: Box) -> dict[str, Any]:
    x0, y0, x1, y1 = (round(v, 6) for v in box)
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def street_code(s: int) -> str:
    return f"{DISTRICT}{s:03d}"


def territory(profile: Profile) -> list[AreaPlan]:
    """District → streets → communities and villages → grids → buildings, tiled on the map."""
    areas = [AreaPlan(DISTRICT, "示范区", AreaKind.DISTRICT, None, polygon(DISTRICT_BOX))]
    street_boxes = tile(DISTRICT_BOX, profile.streets)
    n_community = 0
    for s in range(1, profile.streets + 1):
        word = STREET_WORDS[(s - 1) % len(STREET_WORDS)]
        scode = street_code(s)
        areas.append(
            AreaPlan(scode, f"{word}街道", AreaKind.STREET, DISTRICT, polygon(street_boxes[s - 1]))
        )
        places = profile.communities + profile.villages
        for i, box in enumerate(tile(street_boxes[s - 1], places)):
            village = i >= profile.communities
            if village:
                v = (s - 1) * profile.villages + i - profile.communities
                round_, n = divmod(v, len(VILLAGE_WORDS))
                name = VILLAGE_WORDS[n] + (cn_number(round_ + 1) if round_ else "") + "村"
                ccode, kind = f"{scode}{201 + i - profile.communities:03d}", AreaKind.VILLAGE
            else:
                name = community_name(n_community) + "社区"
                compound = community_name(n_community) + COMPOUND_SUFFIXES[n_community % 8]
                n_community += 1
                ccode, kind = f"{scode}{i + 1:03d}", AreaKind.COMMUNITY
            areas.append(AreaPlan(ccode, name, kind, scode, polygon(box)))
            for g, gbox in enumerate(tile(box, profile.grids), start=1):
                gcode = f"{ccode}G{g:02d}"
                areas.append(
                    AreaPlan(
                        gcode, f"{name}第{cn_number(g)}网格", AreaKind.GRID, ccode, polygon(gbox)
                    )
                )
                for b in range(1, profile.buildings + 1):
                    n = (g - 1) * profile.buildings + b
                    bname = f"{name}第{cn_number(n)}排" if village else f"{compound} {n} 号楼"
                    areas.append(AreaPlan(f"{gcode}B{b:02d}", bname, AreaKind.BUILDING, gcode))
    return areas


S1 = street_code(1)
C1, C2 = f"{S1}001", f"{S1}002"
DEMO_RESIDENTS = {"13800138000": (64, "female"), "13800138001": (72, "male")}  # age, gender
BRANCH_LEADS = ("leader", "gridworker", "gridworker2")  # staff accounts who chair their branch


def demo_accounts(streets: int) -> list[AccountPlan]:
    """The cast of STYLE.md §11, each with a scope in the first street."""
    accounts = [
        AccountPlan(Role.RESIDENT, "13800138000", "张秀兰", "13800138000", home=f"{C1}G01B01"),
        AccountPlan(Role.RESIDENT, "13800138001", "孙建国", "13800138001", home=f"{C2}G01B01"),
        AccountPlan(Role.GRID_WORKER, "gridworker", "李卫东", "13900000001", (f"{C1}G01",)),
        AccountPlan(Role.GRID_WORKER, "gridworker2", "孙丽娟", "13900000009", (f"{C1}G02",)),
        AccountPlan(Role.BUILDING_HEAD, "buildinghead", "赵国庆", "13900000002", (f"{C1}G01B01",)),
        AccountPlan(Role.COMMUNITY_STAFF, "staff", "王晓燕", "13900000003", (C1,)),
        AccountPlan(Role.COMMUNITY_SECRETARY, "secretary", "刘建华", "13900000004", (C1,)),
        AccountPlan(Role.STREET_DISPATCHER, "dispatcher", "陈志刚", "13900000005", (S1,)),
        AccountPlan(Role.STREET_LEADER, "leader", "周海涛", "13900000006", (S1,)),
        AccountPlan(Role.DEPARTMENT_OFFICER, "officer", "吴静", "13900000007", (), ("D-CGW",)),
        AccountPlan(Role.DEPARTMENT_OFFICER, "officer2", "何明", "13900000011", (), ("D-ZJW",)),
        AccountPlan(Role.DEPARTMENT_HEAD, "depthead", "钱卫国", "13900000012", (), ("D-CGW",)),
        AccountPlan(Role.MEMBER_UNIT_CONTACT, "unitcontact", "郑伟", "13900000008", (C2,)),
    ]
    if streets > 1:
        accounts.append(
            AccountPlan(
                Role.STREET_DISPATCHER, "dispatcher2", "马俊", "13900000010", (street_code(2),)
            )
        )
    accounts += [
        AccountPlan(Role.SYSTEM_ADMIN, "sysadmin", "系统管理员", "", (DISTRICT,)),
        AccountPlan(Role.SECURITY_ADMIN, "secadmin", "安全管理员", ""),
        AccountPlan(Role.AUDIT_ADMIN, "auditor", "审计管理员", ""),
    ]
    return accounts


def scope_names() -> dict[str, str]:
    """Names of the areas and departments the demo accounts hold, the same in every size
    (the territory is laid out in the same order whatever its size)."""
    first_two = Profile(2, 2, 0, 2, 1, (1, 1), (1, 1), 1, (1, 1), 1.0)
    names = {a.code: a.name for a in territory(first_two)}
    return names | {d.code: d.name for d in departments(2)}


def departments(streets: int) -> list[DepartmentPlan]:
    found = [
        DepartmentPlan("D-CGW", "区城市管理委员会", DISTRICT),
        DepartmentPlan("D-ZJW", "区住房和城乡建设委员会", DISTRICT),
        DepartmentPlan("D-SCJ", "区市场监督管理局", DISTRICT),
        DepartmentPlan("D-HBJ", "区生态环境局", DISTRICT),
    ]
    for s in range(1, streets + 1):
        word = STREET_WORDS[(s - 1) % len(STREET_WORDS)]
        code = "D-ZFD" if s == 1 else f"D-ZFD{s:02d}"
        found.append(DepartmentPlan(code, f"{word}街道综合行政执法队", street_code(s)))
    return found
