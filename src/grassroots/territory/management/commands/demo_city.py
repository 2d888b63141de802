"""Load the demo district (only into an empty database) and print the demo accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from grassroots.accounts.models import Role, User
from grassroots.accounts.services import user_create
from grassroots.territory.models import Area, AreaKind
from grassroots.territory.services import area_create, department_create

DEMO_PASSWORD = "grassroots2026"  # noqa: S105  (demo data, printed on purpose)

# (code, name, kind, parent code, (lon, lat) of the south-west corner, size in degrees)
AREAS = [
    ("110199", "示范区", AreaKind.DISTRICT, None, (116.30, 39.85), 0.20),
    ("110199001", "和平街道", AreaKind.STREET, "110199", (116.35, 39.90), 0.04),
    ("110199001001", "幸福社区", AreaKind.COMMUNITY, "110199001", (116.35, 39.90), 0.02),
    ("110199001002", "光明社区", AreaKind.COMMUNITY, "110199001", (116.37, 39.90), 0.02),
    ("110199001001G01", "幸福社区第一网格", AreaKind.GRID, "110199001001", (116.35, 39.90), 0.01),
    ("110199001001G02", "幸福社区第二网格", AreaKind.GRID, "110199001001", (116.36, 39.90), 0.01),
    ("110199001002G01", "光明社区第一网格", AreaKind.GRID, "110199001002", (116.37, 39.90), 0.01),
    ("110199001002G02", "光明社区第二网格", AreaKind.GRID, "110199001002", (116.38, 39.90), 0.01),
    ("110199001001G01B01", "幸福里 1 号楼", AreaKind.BUILDING, "110199001001G01", None, 0),
    ("110199001001G01B02", "幸福里 2 号楼", AreaKind.BUILDING, "110199001001G01", None, 0),
    ("110199001001G02B01", "幸福里 3 号楼", AreaKind.BUILDING, "110199001001G02", None, 0),
    ("110199001002G01B01", "光明园 1 号楼", AreaKind.BUILDING, "110199001002G01", None, 0),
    ("110199001002G02B01", "光明园 2 号楼", AreaKind.BUILDING, "110199001002G02", None, 0),
]

DEPARTMENTS = [
    ("D-CGW", "区城市管理委员会", "110199"),
    ("D-ZFD", "和平街道综合行政执法队", "110199001"),
]

# (role, login, name, mobile, scope area codes, scope department codes)
ACCOUNTS = [
    (Role.RESIDENT, "13800138000", "张阿姨", "13800138000", [], []),
    (Role.GRID_WORKER, "gridworker", "李网格", "13900000001", ["110199001001G01"], []),
    (Role.BUILDING_HEAD, "buildinghead", "赵楼长", "13900000002", ["110199001001G01B01"], []),
    (Role.COMMUNITY_STAFF, "staff", "王社工", "13900000003", ["110199001001"], []),
    (Role.COMMUNITY_SECRETARY, "secretary", "刘书记", "13900000004", ["110199001001"], []),
    (Role.STREET_DISPATCHER, "dispatcher", "陈派单", "13900000005", ["110199001"], []),
    (Role.STREET_LEADER, "leader", "周主任", "13900000006", ["110199001"], []),
    (Role.DEPARTMENT_OFFICER, "officer", "吴科员", "13900000007", [], ["D-CGW"]),
    (Role.MEMBER_UNIT_CONTACT, "unitcontact", "郑联络", "13900000008", ["110199001002"], []),
    (Role.SYSTEM_ADMIN, "sysadmin", "系统管理员", "", ["110199"], []),
    (Role.SECURITY_ADMIN, "secadmin", "安全管理员", "", [], []),
    (Role.AUDIT_ADMIN, "auditor", "审计管理员", "", [], []),
]


def square(corner: tuple[float, float] | None, size: float) -> dict[str, Any] | None:
    if corner is None:
        return None
    x, y = corner
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}


class Command(BaseCommand):
    help = "Load the demo district when the database has none, then print the demo accounts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="do not print the accounts table"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Area.objects.exists() or User.objects.exists():
            self.stdout.write("database already has data: demo city not loaded")
        else:
            self.load()
            self.stdout.write(self.style.SUCCESS("demo city loaded"))
        if not options["quiet_accounts"]:
            self.print_accounts()

    @transaction.atomic
    def load(self) -> None:
        by_code: dict[str, Area] = {}
        for code, name, kind, parent, corner, size in AREAS:
            by_code[code] = area_create(
                actor=None,
                parent=by_code[parent] if parent else None,
                kind=kind,
                code=code,
                name=name,
                boundary=square(corner, size),
            )
        departments = {
            code: department_create(actor=None, area=by_code[area], code=code, name=name)
            for code, name, area in DEPARTMENTS
        }
        for role, login, name, mobile, areas, depts in ACCOUNTS:
            user_create(
                actor=None,
                role=role,
                name=name,
                mobile=mobile,
                password=DEMO_PASSWORD,
                username="" if role == Role.RESIDENT else login,
                scope_areas=[by_code[c] for c in areas],
                scope_departments=[departments[c] for c in depts],
            )

    def print_accounts(self) -> None:
        rows = [("角色", "登录名", "密码", "管辖范围")]
        codes = {code: name for code, name, *_rest in AREAS}
        codes.update({code: name for code, name, _area in DEPARTMENTS})
        for role, login, _name, _mobile, areas, depts in ACCOUNTS:
            scope = "、".join(codes[c] for c in [*areas, *depts]) or "—"
            rows.append((str(Role(role).label), login, DEMO_PASSWORD, scope))
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        self.stdout.write("\n演示账号 (demo accounts):")
        for i, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(_pad(cell, widths[j]) for j, cell in enumerate(row)))
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
