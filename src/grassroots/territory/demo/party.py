"""The party in the demo city, drawn from the seed on top of its people: organisations,
members, committees and household links; and `build_plan`, which draws the whole city."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from grassroots.accounts.models import Role
from grassroots.alliance.models import MemberUnitKind
from grassroots.party.models import BRANCH_KINDS, MemberStatus, OrgKind, OrgSetting
from grassroots.party.rules_check import add_years, term_years

from ..models import AreaKind
from .layout import BRANCH_LEADS, C1, C2, S1
from .names import COMMITMENTS, ROLES
from .people import PeoplePlanner
from .plan import (
    DEFAULT_SEED,
    SIZES,
    AccountPlan,
    AreaPlan,
    CommitteePlan,
    MemberPlan,
    OrgPlan,
    Plan,
)


class _Planner(PeoplePlanner):
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
