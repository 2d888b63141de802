"""The people of the demo city, drawn from the seed: households and their residents, and the
member units. The planner's state lives here; `party` adds the party on top."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import accumulate

from django.conf import settings
from faker.providers.person.zh_CN import Provider as ZhPerson

from grassroots.alliance.models import MemberUnitKind
from grassroots.core.validators import id_check_char

from ..models import AreaKind, ResidentTagKind
from .layout import C1, C2, DEMO_RESIDENTS, demo_accounts, departments, territory
from .names import BEIJING_REGIONS, GIVEN, MOBILE_PREFIXES, OTHER_REGIONS
from .plan import SIZES, HouseholdPlan, Plan, ResidentPlan, UnitPlan

# (weight in a community, weight in a village): who lives together in a household.
HOUSEHOLD_KINDS = {
    "alone_elderly": (0.08, 0.10),
    "single": (0.12, 0.07),
    "couple": (0.26, 0.26),
    "parents_children": (0.33, 0.27),
    "three_generations": (0.175, 0.23),
    "grandparents_child": (0.015, 0.05),  # parents work away: 留守儿童
}


class PeoplePlanner:
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
