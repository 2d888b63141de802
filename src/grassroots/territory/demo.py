"""The demo city: a plan drawn from a seed, then written to an empty database.

`build_plan(size, seed)` makes plain Python data (areas, households, residents, party
organisations, members, links, accounts) from one `random.Random(seed)`, so the same seed gives
the same city; `plan_problems(plan)` checks it against the rules the services enforce (ID check
digits, unique mobiles, the branch rules of DOMAIN.md §4, the household-link limit) and
`load_plan(plan)` writes it, all or nothing. Upper tree nodes, party organisations above the
groups, committees, member units and accounts go through their services (each audited);
buildings, party groups, households, residents, members and links, which are many, are
bulk-inserted in batches from the validated plan, with one summary audit row for them all.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate, islice
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from faker.providers.person.zh_CN import Provider as ZhPerson

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import user_create
from grassroots.alliance.models import MemberUnit, MemberUnitKind
from grassroots.alliance.services import member_unit_create
from grassroots.core.audit import audit_log
from grassroots.core.validators import id_check_char, is_mobile, validate_id_number
from grassroots.party.models import (
    BRANCH_KINDS,
    LED_AREA_KINDS,
    ORG_PARENT_KINDS,
    HouseholdLink,
    MemberStatus,
    OrgKind,
    OrgSetting,
    PartyMember,
    PartyOrg,
)
from grassroots.party.rules_check import (
    add_years,
    membership_findings,
    structure_findings,
    term_findings,
    term_years,
)
from grassroots.party.services import party_org_create, party_org_set_committee

from .models import (
    Area,
    AreaKind,
    Department,
    Household,
    Resident,
    ResidentMove,
    ResidentTag,
    ResidentTagKind,
)
from .services import TREE_FIELDS, area_create, department_create

DEMO_PASSWORD = "grassroots2026"  # noqa: S105  (demo data, printed on purpose)
DEFAULT_SEED = 2026
BATCH = 2000
T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """How big the city is; every count is per parent node."""

    streets: int
    communities: int  # per street
    villages: int  # per street
    grids: int  # per community or village
    buildings: int  # per grid
    units: tuple[int, int]  # stairwells per apartment building
    floors: tuple[int, int]
    rooms_per_floor: int
    houses: tuple[int, int]  # households in a village row (a "building" of the village)
    occupancy: float  # share of households someone lives in


SIZES: dict[str, Profile] = {
    # For the test suite: every kind of node and organisation, a few hundred residents.
    "tiny": Profile(1, 2, 1, 2, 2, (1, 2), (4, 6), 2, (10, 20), 0.8),
    # `make run`: one street, about 2,000 residents.
    "small": Profile(1, 3, 1, 3, 5, (1, 2), (4, 6), 2, (10, 20), 0.8),
    "medium": Profile(3, 9, 1, 4, 5, (1, 2), (4, 6), 2, (10, 20), 0.8),
    # Benchmarks: 112 communities and villages, 784 grids of ~190 households (DOMAIN.md §4
    # quotes 160–255 per grid), about 350,000 residents.
    "large": Profile(8, 13, 1, 7, 8, (1, 3), (5, 7), 2, (20, 30), 0.9),
}


def words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------------------------
# Names. Surnames come with their frequencies from Faker's zh_CN data; given names follow the
# fashion of the decade a person was born in.

GIVEN: dict[tuple[int, str], list[str]] = {
    (1930, "male"): words(
        "建国 国庆 建华 志强 德明 国栋 振华 永福 长顺 宝山 卫东 庆丰 新民 玉林 春生 "
        "树林 金宝 福来 德胜 广才 铁柱 满仓 文华 士杰 连生 荣华 殿臣 万里"
    ),
    (1930, "female"): words(
        "秀英 桂兰 玉兰 秀兰 凤英 淑珍 桂英 秀珍 玉珍 淑兰 素芬 桂芝 玉梅 秀芳 "
        "凤兰 淑英 兰英 玉英 桂珍 素珍 凤琴 秀云 翠英 金凤"
    ),
    (1960, "male"): words(
        "卫国 建军 志刚 海涛 立新 建平 东升 永刚 伟 勇 军 强 斌 刚 平 辉 明 华 林 "
        "卫红 建伟 国强 晓军 红兵 振宇 文斌 宏伟 志勇 国华"
    ),
    (1960, "female"): words(
        "红梅 丽华 晓红 美玲 丽娟 春燕 秀云 红霞 丽萍 艳 红 霞 梅 萍 芳 丽 静 "
        "晓燕 建英 慧 玉华 卫红 淑芬 海燕 雪梅 桂香"
    ),
    (1980, "male"): words(
        "伟 磊 浩 鹏 超 杰 涛 明 俊杰 志伟 晓东 文博 海洋 宇 鑫 帅 亮 峰 健 "
        "晓明 建新 振东 子健 凯 洋 阳 博 晨 旭东"
    ),
    (1980, "female"): words(
        "婷婷 丹丹 晶晶 丽丽 静 倩 娜 雪 颖 琳 璐 佳 晓燕 雅琪 欣 慧敏 "
        "晓丽 莉 敏 薇 娟 楠 蕾 燕 璐璐 思琪"
    ),
    (2000, "male"): words(
        "子涵 浩宇 梓轩 宇轩 浩然 子墨 一鸣 俊熙 沐阳 梓豪 子轩 博文 思远 皓轩 "
        "奕辰 铭泽 天佑 睿 宇航 嘉豪 锦程 泽宇 家乐 明轩"
    ),
    (2000, "female"): words(
        "欣怡 梓涵 诗涵 一诺 子萱 雨桐 可欣 思彤 梓萱 紫涵 语桐 佳怡 若汐 依诺 "
        "芷若 雨涵 雨萱 安琪 诗琪 心怡 梦瑶 嘉怡 思雨 欣妍"
    ),
}

# Registered residence (the first six digits of an ID number): Beijing districts, then places
# many Beijing residents come from.
BEIJING_REGIONS = words("110101 110102 110105 110106 110107 110108 110109 110111 110112 110114")
OTHER_REGIONS = words(
    "130102 130602 131002 370102 370202 410102 410105 420102 430102 510104 "
    "610102 120101 140105 150102 210102 220102 230102 320102 340102 360102"
)
MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)

STREET_WORDS = words("和平 建设 团结 友谊 新华 解放 胜利 光华 永安 长青 向阳 东风")
COMMUNITY_WORDS = words(
    "幸福 光明 和谐 阳光 锦绣 春晖 翠微 金桥 银杏 丰泽 安华 惠民 康乐 福寿 平安 振兴 兴盛 "
    "文化 青年 育才 花园 枫林 桃源 紫荆 玉泉 清河 北湖 南苑 西环 东湖 新城 华光 双桥 杏林 "
    "松榆 柳荫 芳草 百合 民乐 祥和 长安 庆丰 天宁 福海 绿洲 景泰 宏达 秀水 明珠 恒泰 晨光 "
    "朝晖 书香 荷花 建华 红旗 友爱 嘉园 美景 欣园"
)
VILLAGE_WORDS = words("前进 红星 永丰 新庄 王家庄 李各庄 马坊 大营 小营 沙河 柳树屯 高庄")
COMPOUND_SUFFIXES = words("里 园 苑 家园 小区 花园 嘉园 新村")
CN_DIGITS = "零一二三四五六七八九"

COMMITMENTS = [
    "有事找我，随叫随到",
    "帮助独居老人买菜、就医",
    "调解邻里纠纷，化解矛盾",
    "宣传垃圾分类，带头做好分类",
    "每周巡查楼道，清理杂物",
    "为邻居讲解医保、养老政策",
    "帮助孩子课后辅导",
    "参与楼门文明劝导",
    "协助物业解决停车难题",
    "关心困难家庭，每月走访",
    "带头参加社区志愿服务",
    "及时反映居民诉求",
]
ROLES = ("policy_relay", "mediator", "helper")


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (grid and row names)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


# ---------------------------------------------------------------------------------------------
# The plan


@dataclass(slots=True)
class AreaPlan:
    code: str
    name: str
    kind: str
    parent: str | None
    boundary: dict[str, Any] | None = None


@dataclass(slots=True)
class DepartmentPlan:
    code: str
    name: str
    area: str


@dataclass(slots=True)
class AccountPlan:
    role: str
    login: str
    name: str
    mobile: str
    areas: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    home: str = ""  # residents: the building they live in


@dataclass(slots=True)
class UnitPlan:
    key: str
    name: str
    kind: str
    area: str
    address: str
    contact_name: str
    contact_mobile: str


@dataclass(slots=True)
class HouseholdPlan:
    building: str
    unit: str
    room: str


@dataclass(slots=True)
class ResidentPlan:
    household: int
    name: str
    gender: str
    birth_year: int
    id_number: str
    mobile: str
    tags: tuple[str, ...] = ()
    account: str = ""  # login of the resident account that is this person


@dataclass(slots=True)
class OrgPlan:
    key: str
    parent: str | None
    kind: str
    name: str
    setting: str = OrgSetting.TERRITORIAL
    area: str | None = None
    unit: str | None = None
    covered_units: int = 1
    term_start: date | None = None
    term_end: date | None = None


@dataclass(slots=True)
class MemberPlan:
    name: str
    status: str
    joined_on: date
    branch: str
    resident: int | None = None  # index into Plan.residents
    account: str = ""  # or the login of a staff account
    group: str | None = None
    commitment: str = ""
    roles: tuple[str, ...] = ()
    shows_identity: bool = False
    community_registered: bool = False


@dataclass(slots=True)
class CommitteePlan:
    org: str
    secretary: int  # index into Plan.members
    committee: tuple[int, ...]


@dataclass
class Plan:
    size: str
    seed: int
    today: date
    areas: list[AreaPlan] = field(default_factory=list)
    departments: list[DepartmentPlan] = field(default_factory=list)
    accounts: list[AccountPlan] = field(default_factory=list)
    units: list[UnitPlan] = field(default_factory=list)
    households: list[HouseholdPlan] = field(default_factory=list)
    residents: list[ResidentPlan] = field(default_factory=list)
    orgs: list[OrgPlan] = field(default_factory=list)
    members: list[MemberPlan] = field(default_factory=list)
    committees: list[CommitteePlan] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (member, household) indices


# ---------------------------------------------------------------------------------------------
# The territory: no randomness, so names and scopes are the same for every seed.

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


def community_name(i: int) -> str:
    word = COMMUNITY_WORDS[i % len(COMMUNITY_WORDS)]
    return word + "东西南北中"[i // len(COMMUNITY_WORDS) - 1] if i >= len(COMMUNITY_WORDS) else word


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


# ---------------------------------------------------------------------------------------------
# People and party: drawn from the seed.

# (weight in a community, weight in a village): who lives together in a household.
HOUSEHOLD_KINDS = {
    "alone_elderly": (0.08, 0.10),
    "single": (0.12, 0.07),
    "couple": (0.26, 0.26),
    "parents_children": (0.33, 0.27),
    "three_generations": (0.175, 0.23),
    "grandparents_child": (0.015, 0.05),  # parents work away: 留守儿童
}


class _Planner:
    def __init__(self, size: str, seed: int, today: date) -> None:
        self.profile = SIZES[size]
        self.rng = random.Random(seed)  # noqa: S311  (repeatable demo data, no secret)
        self.today = today
        self.plan = Plan(size=size, seed=seed, today=today)
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.surnames = list(ZhPerson.last_names)
        self.surname_cum = list(accumulate(ZhPerson.last_names.values()))
        self.links_limit = settings.HOUSEHOLD_LINK_LIMIT
        # Filled while planning:
        self.kind_of: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        self.grids_of: dict[str, list[str]] = {}  # community/village → grids
        self.buildings_of: dict[str, list[str]] = {}  # grid → buildings
        self.households_of: dict[str, list[int]] = {}  # building → households
        self.residents_of: dict[str, list[int]] = {}  # building → residents
        self.tagged: set[int] = set()  # households with someone who needs care
        self.member_of: dict[int, int] = {}  # resident → member index
        self.members_of: dict[str, list[int]] = {}  # branch → members
        self.account_member: dict[str, int] = {}
        self.parent: dict[str, str | None] = {}  # organisation → its parent

    # -- basics ---------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def given(self, year: int, gender: str) -> str:
        era = 2000 if year >= 2000 else 1980 if year >= 1980 else 1960 if year >= 1960 else 1930
        return self.rng.choice(GIVEN[(era, gender)])

    def born(self, age: int) -> date:
        day = date(self.today.year - age, 1, 1) + timedelta(days=self.rng.randrange(365))
        return min(day, self.today - timedelta(days=self.rng.randrange(1, 60)))

    def id_number(self, born: date, gender: str, village: bool) -> str:
        local = 0.85 if village else 0.65
        while True:
            regions = BEIJING_REGIONS if self.rng.random() < local else OTHER_REGIONS
            order = self.rng.randrange(50) * 2 + (1 if gender == "male" else 0)  # odd: male
            first17 = f"{self.rng.choice(regions)}{born:%Y%m%d}{order:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + id_check_char(first17)

    def mobile(self) -> str:
        while True:
            number = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def has_mobile(self, age: int) -> bool:
        return age >= 12 and self.rng.random() < (0.7 if age >= 80 else 0.97)

    def person(
        self,
        household: int,
        age: int,
        gender: str,
        surname: str,
        village: bool,
        tags: Iterable[str] = (),
        mobile: str = "",
        name: str = "",
        account: str = "",
    ) -> int:
        age = max(0, min(age, 99))
        born = self.born(age)
        tags = set(tags)
        if self.rng.random() < (0.045 if age >= 60 else 0.012):
            tags.add(ResidentTagKind.DISABLED)
        if age >= 38 and self.rng.random() < (0.10 if gender == "male" else 0.004):
            tags.add(ResidentTagKind.VETERAN)
        self.plan.residents.append(
            ResidentPlan(
                household=household,
                name=name or surname + self.given(born.year, gender),
                gender=gender,
                birth_year=born.year,
                id_number=self.id_number(born, gender, village),
                mobile=mobile or (self.mobile() if self.has_mobile(age) else ""),
                tags=tuple(t for t in ResidentTagKind.values if t in tags),
                account=account,
            )
        )
        if tags - {ResidentTagKind.VETERAN}:
            self.tagged.add(household)
        return len(self.plan.residents) - 1

    def family(self, household: int, village: bool) -> None:
        """The people of one household, with ages that fit together."""
        r = self.rng
        kinds = list(HOUSEHOLD_KINDS)
        kind = r.choices(kinds, weights=[HOUSEHOLD_KINDS[k][village] for k in kinds])[0]
        low_income = r.random() < (0.035 if village else 0.018)
        family = self.surname()
        people: list[tuple[int, str, str, tuple[str, ...]]] = []  # age, gender, surname, tags
        other = r.choice(("male", "female"))
        if kind == "alone_elderly":
            people.append((r.randint(65, 92), other, family, (ResidentTagKind.ELDERLY_ALONE,)))
        elif kind == "single":
            people.append((r.randint(22, 64), other, family, ()))
        elif kind == "couple":
            age = r.randint(25, 85)
            people += [(age, "male", family, ()), (age + r.randint(-5, 2), "female", "", ())]
        elif kind == "grandparents_child":
            age = r.randint(55, 76)
            people += [(age, "male", family, ())] if r.random() < 0.6 else []
            people.append((age + r.randint(-4, 2), "female", "", ()))
            for _i in range(1 if r.random() < 0.8 else 2):
                people.append(
                    (r.randint(3, 15), r.choice(("male", "female")), family, ("left_behind_child",))
                )
        else:
            father = r.randint(30 if kind == "three_generations" else 26, 52)
            mother = max(22, father + r.randint(-5, 2))
            people += [(father, "male", family, ()), (mother, "female", "", ())]
            for _i in range(1 if r.random() < 0.7 else 2):
                people.append((r.randint(0, min(24, mother - 22)), other, family, ()))
                other = r.choice(("male", "female"))
            if kind == "three_generations":
                elder = r.randint(father + 24, min(93, father + 36))
                if r.random() < 0.5:
                    people.append((elder, "male", family, ()))
                people.append((elder + r.randint(-4, 2), "female", "", ()))
        for age, gender, surname, tags in people:
            self.person(
                household,
                age,
                gender,
                surname or self.surname(),
                village,
                tags=(*tags, *((ResidentTagKind.LOW_INCOME,) if low_income else ())),
            )

    # -- the territory and its people -----------------------------------------------------

    def places(self) -> None:
        p = self.profile
        self.plan.areas = territory(p)
        self.plan.departments = departments(p.streets)
        self.plan.accounts = demo_accounts(p.streets)
        for mobile in (a.mobile for a in self.plan.accounts if a.mobile):
            self.used_mobiles.add(mobile)
        for area in self.plan.areas:
            self.kind_of[area.code] = area.kind
            self.name_of[area.code] = area.name
            if area.kind == AreaKind.GRID:
                self.grids_of.setdefault(area.parent or "", []).append(area.code)
            elif area.kind == AreaKind.BUILDING:
                self.buildings_of.setdefault(area.parent or "", []).append(area.code)
        homes = {a.home: a for a in self.plan.accounts if a.home}
        for area in self.plan.areas:
            if area.kind != AreaKind.BUILDING:
                continue
            village = self.kind_of[area.code[:12]] == AreaKind.VILLAGE
            rooms: list[tuple[str, str]] = []
            if village:
                rooms = [("", f"{n}号") for n in range(1, self.rng.randint(*p.houses) + 1)]
            else:
                floors = self.rng.randint(*p.floors)
                for unit in range(1, self.rng.randint(*p.units) + 1):
                    for floor in range(1, floors + 1):
                        for room in range(1, p.rooms_per_floor + 1):
                            rooms.append((str(unit), f"{floor}{room:02d}"))
            account = homes.get(area.code)
            for unit_no, room_no in rooms:
                index = len(self.plan.households)
                self.plan.households.append(HouseholdPlan(area.code, unit_no, room_no))
                self.households_of.setdefault(area.code, []).append(index)
                start = len(self.plan.residents)
                if account is not None:
                    # The demo resident and their spouse live in the first flat.
                    age, gender = DEMO_RESIDENTS[account.login]
                    self.person(
                        index,
                        age,
                        gender,
                        account.name[0],
                        village,
                        mobile=account.mobile,
                        name=account.name,
                        account=account.login,
                    )
                    spouse = "male" if gender == "female" else "female"
                    self.person(index, age + 2, spouse, self.surname(), village)
                    account = None
                elif self.rng.random() < p.occupancy:
                    self.family(index, village)
                self.residents_of.setdefault(area.code, []).extend(
                    range(start, len(self.plan.residents))
                )

    def member_units(self) -> None:
        r = self.rng
        for area in self.plan.areas:
            if area.kind == AreaKind.STREET:
                word = area.name[:-2]
                self.unit(f"{word}派出所", MemberUnitKind.AGENCY, area.code, word)
                self.unit(f"{word}社区卫生服务中心", MemberUnitKind.HOSPITAL, area.code, word)
            elif area.kind == AreaKind.VILLAGE:
                word = area.name[:-1]
                self.unit(f"{word}农业专业合作社", MemberUnitKind.ENTERPRISE, area.code, word)
                self.unit(f"{area.name}卫生室", MemberUnitKind.HOSPITAL, area.code, word)
            elif area.kind == AreaKind.COMMUNITY:
                word = area.name[:-2]
                first = area.code in (C1, C2)
                compound = self.name_of[f"{area.code}G01B01"].split(" ")[0]
                self.unit(f"{compound}物业服务有限公司", MemberUnitKind.ENTERPRISE, area.code, word)
                if first or r.random() < 0.7:
                    school = r.choice(("小学", "幼儿园", "中学"))
                    self.unit(f"{word}{school}", MemberUnitKind.SCHOOL, area.code, word)
                if r.random() < 0.5:
                    self.unit(f"{word}社区卫生服务站", MemberUnitKind.HOSPITAL, area.code, word)
                shops = r.sample(
                    ["超市", "便利店", "家政服务有限公司", "餐饮有限公司", "快递服务站", "药店"],
                    r.randint(2, 4),
                )
                for shop in shops:
                    brand = r.choice(("惠邻", "便民", "鲜丰", "邻里", "优品", "万家"))
                    name = f"{brand}{shop}（{word}店）"
                    self.unit(name, MemberUnitKind.ENTERPRISE, area.code, word)
                kind = r.choice(("志愿者协会", "老年协会", "文体队"))
                self.unit(f"{word}社区{kind}", MemberUnitKind.SOCIAL_ORG, area.code, word)
        # The member-unit contact account is the contact person of a unit in its community.
        contact = next(a for a in self.plan.accounts if a.login == "unitcontact")
        unit = next(u for u in self.plan.units if u.area == C2)
        unit.contact_name, unit.contact_mobile = contact.name, contact.mobile

    def unit(self, name: str, kind: str, area: str, word: str) -> None:
        gender = self.rng.choice(("male", "female"))
        self.plan.units.append(
            UnitPlan(
                key=f"U{len(self.plan.units) + 1:05d}",
                name=name,
                kind=kind,
                area=area,
                address=f"{word}路{self.rng.randint(1, 199)}号",
                contact_name=self.surname() + self.given(1975, gender),
                contact_mobile=self.mobile(),
            )
        )

    # -- party ------------------------------------------------------------------------------

    def term(self, key: str, kind: str, area: str | None) -> tuple[date, date]:
        """A term that began some time ago and runs its full length (5 years for community,
        village and grid organisations, 3 for the rest)."""
        years = term_years(kind, self.kind_of.get(area or ""))
        if key == f"O{C2}G02":
            # One branch near the end of its term, so the demo shows the 换届 reminder.
            start = add_years(self.today + timedelta(days=45), -years)
        else:
            start = self.today - timedelta(days=self.rng.randint(30, 230 * years))
        return start, add_years(start, years) - timedelta(days=1)

    def org(self, key: str, parent: str | None, kind: str, name: str, **kw: Any) -> str:
        if kind != OrgKind.GROUP:
            kw["term_start"], kw["term_end"] = self.term(key, kind, kw.get("area"))
        self.plan.orgs.append(OrgPlan(key=key, parent=parent, kind=kind, name=name, **kw))
        self.parent[key] = parent
        self.members_of[key] = []
        return key

    def member(
        self,
        branch: str,
        *,
        resident: int | None = None,
        account: AccountPlan | None = None,
        status: str | None = None,
        registered: bool = False,
    ) -> int:
        r = self.rng
        if resident is not None:
            person = self.plan.residents[resident]
            age = self.today.year - person.birth_year
            name = person.name
        else:
            assert account is not None
            age, name = r.randint(32, 52), account.name
        if status is None:
            status = MemberStatus.PROBATIONARY if age < 20 or r.random() < 0.07 else "full"
        if status == MemberStatus.PROBATIONARY:
            joined = self.today - timedelta(days=r.randint(30, 330))
        else:
            latest = self.today - timedelta(days=400)
            age_then = r.randint(18, max(18, min(age - 2, 50)))
            joined = min(
                date(self.today.year - age + age_then, 7, 1) + timedelta(days=r.randint(0, 180)),
                latest,
            )
        shows = r.random() < 0.45
        roles = tuple(x for x in ROLES if r.random() < 0.5) or (r.choice(ROLES),)
        self.plan.members.append(
            MemberPlan(
                name=name,
                status=status,
                joined_on=joined,
                branch=branch,
                resident=resident,
                account=account.login if account else "",
                commitment=r.choice(COMMITMENTS) if shows else "",
                roles=roles if shows else (),
                shows_identity=shows,
                community_registered=registered,
            )
        )
        index = len(self.plan.members) - 1
        self.members_of.setdefault(branch, []).append(index)
        if resident is not None:
            self.member_of[resident] = index
        return index

    def adults(self, buildings: Iterable[str], low: int = 18, high: int = 99) -> list[int]:
        """Residents of these buildings in an age range who are not members yet."""
        year = self.today.year
        return [
            i
            for b in buildings
            for i in self.residents_of.get(b, [])
            if low <= year - self.plan.residents[i].birth_year <= high and i not in self.member_of
        ]

    def party(self) -> None:
        r = self.rng
        accounts = {a.login: a for a in self.plan.accounts}
        for area in self.plan.areas:
            if area.kind != AreaKind.STREET:
                continue
            street = area.code
            swc = self.org(
                f"O{street}",
                None,
                OrgKind.STREET_WORKING_COMMITTEE,
                f"{area.name}党工委",
                area=street,
            )
            # The street office's own branch: the street's leaders and staff living nearby.
            office = self.org(f"O{street}-JG", swc, OrgKind.BRANCH, f"{area.name}机关党支部")
            staff = [
                a
                for a in self.plan.accounts
                if a.role in (Role.STREET_LEADER, Role.STREET_DISPATCHER) and a.areas == (street,)
            ]
            for account in staff:
                self.account_member[account.login] = self.member(
                    office, account=account, status="full"
                )
            street_buildings = [
                b for g, bs in self.buildings_of.items() if g.startswith(street) for b in bs
            ]
            for resident in r.sample(self.adults(street_buildings, 25, 58), 6 - len(staff)):
                self.member(office, resident=resident, status="full", registered=True)
            for place in (a for a in self.plan.areas if a.parent == street):
                self.place_party(place, swc, accounts)

    def place_party(self, place: AreaPlan, swc: str, accounts: dict[str, AccountPlan]) -> None:
        r = self.rng
        village = place.kind == AreaKind.VILLAGE
        kind = OrgKind.VILLAGE_COMMITTEE if village else OrgKind.COMMUNITY_COMMITTEE
        committee = self.org(f"O{place.code}", swc, kind, f"{place.name}党委", area=place.code)
        year = self.today.year
        for grid in self.grids_of[place.code]:
            name = self.name_of[grid]
            branch = self.org(f"O{grid}", committee, OrgKind.BRANCH, f"{name}党支部", area=grid)
            for account in (a for a in self.plan.accounts if a.areas == (grid,)):
                self.account_member[account.login] = self.member(
                    branch, account=account, status="full"
                )
            if place.code == C1 and grid.endswith("G01"):
                self.account_member["secretary"] = self.member(
                    branch, account=accounts["secretary"], status="full"
                )
            buildings = self.buildings_of[grid]
            for resident in self.adults(buildings):
                age = year - self.plan.residents[resident].birth_year
                share = (0.07 if village else 0.055) * (1.4 if age >= 55 else 1.0)
                # A branch usually keeps under 50 members (DOMAIN.md §4).
                if r.random() < share and len(self.members_of[branch]) < 45:
                    self.member(branch, resident=resident)
            # At least five members, at least three of them full (the rule for a branch).
            short = 5 - len(self.members_of[branch])
            if short > 0:
                for resident in r.sample(self.adults(buildings, 25, 75), short):
                    self.member(branch, resident=resident, status="full")
            self.ensure_full(branch)
            self.groups(branch, buildings)
        # Branches set up in member units: the schools and hospitals have their own, the
        # small shops one joint branch; a village co-operative has its own.
        buildings = [b for g in self.grids_of[place.code] for b in self.buildings_of[g]]
        units = [u for u in self.plan.units if u.area == place.code]
        for unit in units:
            big = unit.kind in (MemberUnitKind.SCHOOL, MemberUnitKind.HOSPITAL)
            if big and not village and (place.code == C1 or r.random() < 0.6):
                key = self.org(
                    f"O{unit.key}",
                    committee,
                    OrgKind.BRANCH,
                    f"{unit.name}党支部",
                    setting=OrgSetting.MEMBER_UNIT,
                    unit=unit.key,
                )
                self.unit_members(key, buildings, r.randint(3, 7))
        shops = [u for u in units if u.kind == MemberUnitKind.ENTERPRISE and "（" in u.name]
        if len(shops) >= 2:
            key = self.org(
                f"O{place.code}-LH",
                committee,
                OrgKind.JOINT_BRANCH,
                f"{place.name}非公企业联合党支部",
                setting=OrgSetting.MEMBER_UNIT,
                unit=shops[0].key,
                covered_units=len(shops),
            )
            self.unit_members(key, buildings, r.randint(3, 6))
        if village and (place.parent == S1 or r.random() < 0.7):
            coop = units[0]
            key = self.org(
                f"O{coop.key}",
                committee,
                OrgKind.BRANCH,
                f"{coop.name}党支部",
                setting=OrgSetting.COOPERATIVE,
            )
            self.unit_members(key, buildings, r.randint(3, 5))

    def unit_members(self, branch: str, buildings: list[str], n: int) -> None:
        """Members working in a unit and living in the community (在职党员双报到)."""
        for resident in self.rng.sample(self.adults(buildings, 22, 60), n):
            self.member(branch, resident=resident, registered=True)
        self.ensure_full(branch)

    def ensure_full(self, branch: str) -> None:
        """A branch needs three full members: the longest-standing probationers are confirmed."""
        members = [self.plan.members[i] for i in self.members_of[branch]]
        waiting = sorted(
            (m for m in members if m.status != MemberStatus.FULL), key=lambda m: m.joined_on
        )
        short = 3 - sum(m.status == MemberStatus.FULL for m in members)
        for m in waiting[: max(short, 0)]:
            m.status = MemberStatus.FULL
            m.joined_on = self.today - timedelta(days=self.rng.randint(366, 399))

    def groups(self, branch: str, buildings: list[str]) -> None:
        """A party group in the buildings where three or more members of the branch live."""
        for building in buildings:
            living = [
                self.member_of[i]
                for i in self.residents_of.get(building, [])
                if i in self.member_of and self.plan.members[self.member_of[i]].branch == branch
            ]
            home = any(a.home == building for a in self.plan.accounts)
            if len(living) >= 3 and (home or self.rng.random() < 0.7):
                group = self.org(
                    f"O{building}",
                    branch,
                    OrgKind.GROUP,
                    f"{self.name_of[building]}党小组",
                    area=building,
                )
                for m in living:
                    self.plan.members[m].group = group
            if home:
                self.show_someone(building, living, branch)

    def show_someone(self, building: str, living: list[int], branch: str) -> None:
        """The demo residents see at least one member of their building (亮身份)."""
        if not living:
            resident = self.rng.choice(self.adults([building], 25, 70))
            living = [self.member(branch, resident=resident, status="full")]
            self.ensure_full(branch)
        if not any(self.plan.members[m].shows_identity for m in living):
            m = self.plan.members[living[0]]
            m.shows_identity, m.commitment, m.roles = True, COMMITMENTS[0], ("helper", "mediator")

    def committees(self) -> None:
        """Secretaries and committees: a committee of 3–5 where a branch has 7 or more full
        members, a secretary alone below that (DOMAIN.md §4); the higher committees are
        drawn from the branch secretaries below them."""
        r = self.rng
        members = self.plan.members
        secretary_of: dict[str, int] = {}
        for org in self.plan.orgs:
            if org.kind not in BRANCH_KINDS:
                continue
            full = [i for i in self.members_of[org.key] if members[i].status == MemberStatus.FULL]
            full.sort(key=lambda i: members[i].joined_on)
            staff = [i for i in self.account_member.values() if members[i].branch == org.key]
            leads = [i for i in staff if members[i].account in BRANCH_LEADS]
            if len(full) >= 7:
                size = 3 if len(full) < 15 else 5
                chosen = list(dict.fromkeys([*leads, *staff, *full]))[:size]
                self.plan.committees.append(CommitteePlan(org.key, chosen[0], tuple(chosen)))
            else:
                chosen = [(leads or full)[0]]
                self.plan.committees.append(CommitteePlan(org.key, chosen[0], ()))
            secretary_of[org.key] = chosen[0]
        for org in self.plan.orgs:
            if org.kind not in (
                OrgKind.COMMUNITY_COMMITTEE,
                OrgKind.VILLAGE_COMMITTEE,
                OrgKind.STREET_WORKING_COMMITTEE,
            ):
                continue
            below = [s for key, s in secretary_of.items() if self.parent[key] == org.key]
            first = self.account_member.get(
                "secretary" if org.area == C1 else "leader" if org.area == S1 else ""
            )
            if org.kind == OrgKind.STREET_WORKING_COMMITTEE:
                below = [*below, *(s for k, s in secretary_of.items() if k.startswith(org.key))]
            chair = first if first is not None else below[0]
            rest = [s for s in dict.fromkeys(below) if s != chair]
            elected = (chair, *r.sample(rest, min(len(rest), 4)))
            self.plan.committees.append(CommitteePlan(org.key, chair, elected))

    def household_links(self) -> None:
        """党员联系户: each member keeps in touch with a few households of their own grid,
        those with someone who needs care and those in their own building first; a household
        has one member."""
        r = self.rng
        members = self.plan.members
        linked: set[int] = set()
        building_of = [h.building for h in self.plan.households]
        occupied = {self.plan.residents[i].household for b in self.residents_of.values() for i in b}
        for i, member in enumerate(members):
            if member.resident is not None:
                home = building_of[self.plan.residents[member.resident].household]
                grid = home[: home.index("B")]
            else:
                grid = next(a.areas[0] for a in self.plan.accounts if a.login == member.account)
                if self.kind_of[grid] != AreaKind.GRID:
                    continue  # street office staff
                home = ""
            if member.branch.startswith("O" + grid):
                n = self.links_limit if member.account else r.randint(3, 8)
            else:
                n = r.randint(0, 2)
            n = min(n, self.links_limit)
            if n == 0:
                continue
            candidates = [
                h
                for b in self.buildings_of[grid]
                for h in self.households_of[b]
                if h in occupied and h not in linked
            ]
            keys = {
                h: (h not in self.tagged, building_of[h] != home, r.random()) for h in candidates
            }
            for h in sorted(candidates, key=keys.__getitem__)[:n]:
                linked.add(h)
                self.plan.links.append((i, h))

    def build(self) -> Plan:
        self.places()
        self.member_units()
        self.party()
        self.committees()
        self.household_links()
        return self.plan


def build_plan(size: str = "small", seed: int = DEFAULT_SEED, today: date | None = None) -> Plan:
    """The whole demo city as plain data; the same size, seed and day give the same plan."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    return _Planner(size, seed, today or timezone.localdate()).build()


# ---------------------------------------------------------------------------------------------
# The rules, checked on the plan before anything is written


def plan_problems(plan: Plan) -> list[str]:
    """What a service would refuse in this plan (empty when every row is valid)."""
    problems: list[str] = []
    seen_ids: set[str] = set()
    seen_mobiles: set[str] = {a.mobile for a in plan.accounts if a.role != Role.RESIDENT}
    for i, p in enumerate(plan.residents):
        try:
            validate_id_number(p.id_number)
        except ValidationError:
            problems.append(f"resident {i}: ID number {p.id_number} is invalid")
        if p.id_number in seen_ids:
            problems.append(f"resident {i}: ID number repeated")
        seen_ids.add(p.id_number)
        if int(p.id_number[6:10]) != p.birth_year:
            problems.append(f"resident {i}: birth year does not match the ID number")
        if (int(p.id_number[16]) % 2 == 1) != (p.gender == "male"):
            problems.append(f"resident {i}: gender does not match the ID number")
        if p.mobile and (not is_mobile(p.mobile) or p.mobile in seen_mobiles):
            problems.append(f"resident {i}: mobile {p.mobile} is invalid or repeated")
        seen_mobiles.add(p.mobile)
        if not p.name.strip() or any(t not in ResidentTagKind.values for t in p.tags):
            problems.append(f"resident {i}: no name or an unknown tag")
    rooms = {(h.building, h.unit, h.room) for h in plan.households}
    if len(rooms) != len(plan.households):
        problems.append("two households share a building, unit and room")
    full: dict[str, int] = {}
    total: dict[str, int] = {}
    for m in plan.members:
        total[m.branch] = total.get(m.branch, 0) + 1
        full[m.branch] = full.get(m.branch, 0) + (m.status == MemberStatus.FULL)
        if m.joined_on > plan.today:
            problems.append(f"member {m.name}: joined after today")
    committee = {c.org: len(set(c.committee)) for c in plan.committees}
    area_kind = {a.code: a.kind for a in plan.areas}
    if len(area_kind) != len(plan.areas):
        problems.append("two areas share a code")
    by_key = {o.key: o for o in plan.orgs}
    for org in plan.orgs:
        # What party_org_create checks, for the groups that are written in bulk.
        parent = by_key[org.parent] if org.parent else None
        if (parent.kind if parent else None) not in ORG_PARENT_KINDS[org.kind]:
            problems.append(f"{org.name}: cannot sit under {parent.name if parent else 'the top'}")
        if org.area and area_kind[org.area] not in LED_AREA_KINDS[org.kind]:
            problems.append(f"{org.name}: cannot lead {org.area}")
        if org.area and parent and parent.area and not org.area.startswith(parent.area):
            problems.append(f"{org.name}: leads an area outside its parent's")
        findings = (
            structure_findings(kind=org.kind, covered_units=org.covered_units)
            + term_findings(
                kind=org.kind,
                area_kind=area_kind.get(org.area or ""),
                term_start=org.term_start,
                term_end=org.term_end,
                today=plan.today,
            )
            + membership_findings(
                kind=org.kind,
                full=full.get(org.key, 0),
                total=total.get(org.key, 0),
                committee=committee.get(org.key, 0),
            )
        )
        problems += [f"{org.name}: {f.message}" for f in findings if f.is_error]
    per_member: dict[int, int] = {}
    for member, _household in plan.links:
        per_member[member] = per_member.get(member, 0) + 1
    if per_member and max(per_member.values()) > settings.HOUSEHOLD_LINK_LIMIT:
        problems.append("a member links more households than HOUSEHOLD_LINK_LIMIT")
    if len(set(plan.links)) != len(plan.links):
        problems.append("a household link is repeated")
    return problems


# ---------------------------------------------------------------------------------------------
# Writing the plan


def _batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def load_plan(plan: Plan) -> dict[str, int]:
    """Write a plan into an empty database, all or nothing; returns the row counts."""
    problems = plan_problems(plan)
    if problems:
        raise ValueError("the demo plan breaks the rules: " + "; ".join(problems[:5]))
    with transaction.atomic():
        areas = _write_areas(plan)
        depts = {
            d.code: department_create(actor=None, area=areas[d.area], code=d.code, name=d.name)
            for d in plan.departments
        }
        users = {
            a.login: user_create(
                actor=None,
                role=a.role,
                name=a.name,
                mobile=a.mobile,
                username="" if a.role == Role.RESIDENT else a.login,
                scope_areas=[areas[c] for c in a.areas],
                scope_departments=[depts[c] for c in a.departments],
            )
            for a in plan.accounts
        }
        # One hash for every account: the demo password is printed for all to see anyway,
        # and PBKDF2 is slow on purpose (hashing it per account took most of the load).
        for user in users.values():
            validate_password(DEMO_PASSWORD, user)
        User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
            password=make_password(DEMO_PASSWORD)
        )
        units = {
            u.key: member_unit_create(
                actor=None,
                name=u.name,
                kind=u.kind,
                area=areas[u.area],
                address=u.address,
                contact_name=u.contact_name,
                contact_mobile=u.contact_mobile,
            )
            for u in plan.units
        }
        households = _write_households(plan, areas)
        residents = _write_residents(plan, households, users)
        orgs = _write_orgs(plan, areas, units)
        members = _write_members(plan, orgs, residents, users)
        for c in plan.committees:
            party_org_set_committee(
                actor=None,
                org=orgs[c.org],
                secretary=members[c.secretary],
                committee=[members[i] for i in c.committee],
            )
        for chunk in _batches(plan.links):
            HouseholdLink.objects.bulk_create(
                [HouseholdLink(member=members[m], household_id=households[h]) for m, h in chunk]
            )
        counts = {
            "areas": Area.objects.count(),
            "departments": Department.objects.count(),
            "accounts": User.objects.count(),
            "member_units": MemberUnit.objects.count(),
            "households": Household.objects.count(),
            "residents": Resident.objects.count(),
            "resident_tags": ResidentTag.objects.count(),
            "party_orgs": PartyOrg.objects.count(),
            "members": PartyMember.objects.count(),
            "links": HouseholdLink.objects.count(),
        }
        # One row for the whole load: the many bulk rows are the demo, not anyone's act.
        audit_log(
            action="territory.demo_city_load",
            data={"size": plan.size, "seed": plan.seed, **counts},
        )
    return counts


def _write_areas(plan: Plan) -> dict[str, Area]:
    leaves: dict[str, list[AreaPlan]] = {}
    areas: dict[str, Area] = {}
    for a in plan.areas:
        if a.kind == AreaKind.BUILDING and a.parent:
            leaves.setdefault(a.parent, []).append(a)
            continue
        areas[a.code] = area_create(
            actor=None,
            parent=areas[a.parent] if a.parent else None,
            kind=a.kind,
            code=a.code,
            name=a.name,
            boundary=a.boundary,
        )
    areas = {a.code: a for a in Area.objects.all()}  # sorted insertion may move siblings
    # Buildings are most of the tree: they go in bulk, after the validation area_create runs
    # (codes are unique by plan_problems), with the paths treebeard gives children added in
    # `node_order_by` order. Audit rows per node would cost more than the rest of the load on
    # PostgreSQL: every row updates the chain head, whose dead versions pile up until commit.
    buildings = []
    for code, children in leaves.items():
        grid = areas[code]
        if grid.numchild:
            raise ValueError(f"{grid.code} already has children")
        for step, a in enumerate(sorted(children, key=lambda a: a.code), start=1):
            node = Area(
                kind=a.kind,
                code=a.code,
                name=a.name,
                boundary=a.boundary,
                path=Area._get_path(grid.path, grid.depth + 1, step),
                depth=grid.depth + 1,
            )
            node._parent = grid  # type: ignore[attr-defined]  # read by Area.clean
            node.full_clean(exclude=TREE_FIELDS, validate_unique=False)
            buildings.append(node)
        grid.numchild = len(children)
    for chunk in _batches(buildings):
        Area.objects.bulk_create(chunk)
    Area.objects.bulk_update([areas[code] for code in leaves], ["numchild"], batch_size=BATCH)
    return {a.code: a for a in Area.objects.all()}


def _write_households(plan: Plan, areas: dict[str, Area]) -> list[int]:
    street = {code: areas[code[:9]] for code in {h.building for h in plan.households}}
    ids: list[int] = []
    for chunk in _batches(plan.households):
        rows = Household.objects.bulk_create(
            [
                Household(
                    building=areas[h.building],
                    unit=h.unit,
                    room=h.room,
                    area_path=areas[h.building].path,
                    street=street[h.building],
                )
                for h in chunk
            ]
        )
        ids += [row.pk for row in rows]
    return ids


def _write_residents(plan: Plan, households: list[int], users: dict[str, User]) -> list[int]:
    path_street = dict(Household.objects.values_list("pk", "area_path").iterator())
    street_of = dict(Household.objects.values_list("pk", "street_id").iterator())
    now = timezone.now()
    reason = _("登记入住")
    ids: list[int] = []
    for chunk in _batches(plan.residents):
        rows = Resident.objects.bulk_create(
            [
                Resident(
                    name=p.name,
                    mobile=p.mobile,
                    id_number=p.id_number,
                    gender=p.gender,
                    birth_year=p.birth_year,
                    household_id=households[p.household],
                    area_path=path_street[households[p.household]],
                    street_id=street_of[households[p.household]],
                    user=users[p.account] if p.account else None,
                )
                for p in chunk
            ]
        )
        ResidentTag.objects.bulk_create(
            [
                ResidentTag(resident=row, kind=t)
                for row, p in zip(rows, chunk, strict=True)
                for t in p.tags
            ]
        )
        ResidentMove.objects.bulk_create(
            [
                ResidentMove(
                    resident=row, to_household_id=row.household_id, moved_at=now, reason=reason
                )
                for row in rows
            ]
        )
        ids += [row.pk for row in rows]
    return ids


def _write_orgs(
    plan: Plan, areas: dict[str, Area], units: dict[str, MemberUnit]
) -> dict[str, PartyOrg]:
    groups: dict[str, list[OrgPlan]] = {}
    orgs: dict[str, PartyOrg] = {}
    for o in plan.orgs:
        if o.kind == OrgKind.GROUP and o.parent:
            groups.setdefault(o.parent, []).append(o)
            continue
        orgs[o.key] = party_org_create(
            actor=None,
            parent=orgs[o.parent] if o.parent else None,
            kind=o.kind,
            name=o.name,
            setting=o.setting,
            area=areas[o.area] if o.area else None,
            member_unit=units[o.unit] if o.unit else None,
            covered_units=o.covered_units,
            term_start=o.term_start,
            term_end=o.term_end,
        )
    # Sorted insertion (by kind and name) moves siblings created earlier: read paths back.
    fresh = PartyOrg.objects.in_bulk([o.pk for o in orgs.values()])
    orgs = {key: fresh[o.pk] for key, o in orgs.items()}
    # Party groups, the leaves, go in bulk like the buildings they lead (plan_problems has
    # checked what party_org_create checks for them).
    rows = []
    for key, children in groups.items():
        branch = orgs[key]
        if branch.numchild:
            raise ValueError(f"{branch.name} already has children")
        for step, o in enumerate(sorted(children, key=lambda o: (o.kind, o.name)), start=1):
            area = areas[o.area or ""]
            rows.append(
                PartyOrg(
                    kind=o.kind,
                    name=o.name,
                    area=area,
                    area_path=area.path,
                    street=areas[area.code[:9]],
                    path=PartyOrg._get_path(branch.path, branch.depth + 1, step),
                    depth=branch.depth + 1,
                )
            )
            orgs[o.key] = rows[-1]
        branch.numchild = len(children)
    for chunk in _batches(rows):
        PartyOrg.objects.bulk_create(chunk)
    PartyOrg.objects.bulk_update([orgs[k] for k in groups], ["numchild"], batch_size=BATCH)
    return orgs


def _write_members(
    plan: Plan, orgs: dict[str, PartyOrg], residents: list[int], users: dict[str, User]
) -> list[PartyMember]:
    now = timezone.now()
    out: list[PartyMember] = []
    for chunk in _batches(plan.members):
        out += PartyMember.objects.bulk_create(
            [
                PartyMember(
                    name=m.name,
                    status=m.status,
                    joined_on=m.joined_on,
                    branch=orgs[m.branch],
                    group=orgs[m.group] if m.group else None,
                    resident_id=residents[m.resident] if m.resident is not None else None,
                    user=users[m.account] if m.account else None,
                    commitment=m.commitment,
                    community_registered=m.community_registered,
                    serves_as_policy_relay="policy_relay" in m.roles,
                    serves_as_mediator="mediator" in m.roles,
                    serves_as_helper="helper" in m.roles,
                    shows_identity=m.shows_identity,
                    shows_identity_since=now if m.shows_identity else None,
                    street_id=orgs[m.branch].street_id,
                )
                for m in chunk
            ]
        )
    return out
