"""Load the demo city (only into an empty database) and print the demo accounts."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from grassroots.accounts.models import Role, User
from grassroots.core.personal import digests
from grassroots.party.demo import load_demo_org_life
from grassroots.territory.demo import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    SIZES,
    AccountPlan,
    build_plan,
    demo_accounts,
    load_plan,
    scope_names,
)
from grassroots.territory.models import Area
from grassroots.tickets.demo import load_demo_tickets
from grassroots.whistles.demo import load_demo_whistles

COUNT_LABELS = [
    ("areas", "辖区节点 areas"),
    ("households", "住户 households"),
    ("residents", "居民 residents"),
    ("members", "党员 party members"),
    ("party_orgs", "党组织 party organisations"),
    ("member_units", "驻区单位 member units"),
    ("links", "党员联系户 household links"),
    ("accounts", "账号 accounts"),
    ("tickets", "工单 tickets"),
    ("whistles", "吹哨 whistles"),
    ("meetings", "组织生活会议 meetings"),
]


class Command(BaseCommand):
    help = "Load the demo city when the database has none, then print the demo accounts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="small (one street, ~2,000 residents; the default), medium (~20,000), "
            "large (8 streets, 112 communities, ~370,000 residents; for benchmarks)",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="the same seed gives the same city"
        )
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="do not print the accounts table"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = options["size"]
        if Area.objects.exists() or User.objects.exists():
            self.stdout.write("database already has data: demo city not loaded")
            # Show the demo accounts this database really holds (it may have been loaded
            # with another size), and nothing when it holds none of them.
            accounts = [a for a in demo_accounts(streets=2) if _exists(a)]
        else:
            started = time.monotonic()
            plan = build_plan(size, options["seed"])
            with transaction.atomic():
                counts = load_plan(plan)
                # Requests over the last months, so that queues and the 三率 are alive.
                tickets_started = time.monotonic()
                counts |= load_demo_tickets(seed=options["seed"])
                # Whistles on some of those tickets, with departments answering (吹哨报到).
                counts |= load_demo_whistles(seed=options["seed"])
                tickets_elapsed = time.monotonic() - tickets_started
                # This year's organisational life: meetings, talks, points, an appraisal.
                counts |= load_demo_org_life(seed=options["seed"])
            elapsed = time.monotonic() - started
            self.stdout.write(
                self.style.SUCCESS(f"demo city loaded ({size}, seed {options['seed']})")
            )
            for key, label in COUNT_LABELS:
                self.stdout.write(f"  {label}: {counts[key]:,}")
            self.stdout.write(
                f"  用时 time: {elapsed:.1f} s (工单 tickets {tickets_elapsed:.1f} s)"
            )
            accounts = plan.accounts
        if not options["quiet_accounts"]:
            self.print_accounts(accounts)

    def print_accounts(self, accounts: list[AccountPlan]) -> None:
        names = scope_names()
        rows = [("角色", "登录名", "密码", "管辖范围")]
        for a in accounts:
            if a.role == Role.RESIDENT:
                scope = "住" + names.get(a.home, a.home)
            else:
                scope = "、".join(names.get(c, c) for c in [*a.areas, *a.departments]) or "—"
            rows.append((str(Role(a.role).label), a.login, DEMO_PASSWORD, scope))
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        self.stdout.write("\n演示账号 (demo accounts):")
        for i, row in enumerate(rows):
            line = "  ".join(_pad(cell, widths[j]) for j, cell in enumerate(row))
            self.stdout.write(("  " + line).rstrip())
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))


def _exists(account: AccountPlan) -> bool:
    if account.role == Role.RESIDENT:
        return User.objects.filter(
            role=Role.RESIDENT, mobile_digest__in=digests(account.mobile)
        ).exists()
    return User.objects.filter(username=account.login).exists()


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
