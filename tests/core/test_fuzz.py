"""Schemathesis against the API's own OpenAPI, served by the app itself (issue 6, item 4).

Every operation of /api/v1/ is called with generated requests, valid ones and invalid ones,
each sent twice: with the bearer token of the street dispatcher of 东街道 (s1) and with that of
the dispatcher of 西街道 (s2). Every answer must be no 5xx, have a status code, content type and
body the operation declares, put its messages in Chinese, and never carry the number of a
ticket or whistle of the other street.

Generated path parameters rarely name anything, so each operation is also called with the
numbers and ids of what the two streets hold (their own and each other's): the 200s and 404s
that matter. The run is bounded (MAX_EXAMPLES per operation and mode) and derandomised, so CI
sees the same requests every time: about 30 s on SQLite and 40 s on PostgreSQL, on two cores.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from grassroots.accounts.models import ApiToken, Role, User
from grassroots.accounts.services import token_issue
from grassroots.alliance.services import member_unit_create
from grassroots.territory.models import Area
from grassroots.tickets.models import Ticket
from grassroots.whistles.models import Flag, Whistle
from tests.conftest import make_user
from tests.tickets.conftest import advance, catalogue, submit  # noqa: F401  (fixtures)

MAX_EXAMPLES = 10  # per operation and generation mode; each example is sent once per scope
NUMBER = re.compile(r"\b(?:GR|WS)-\d{8}-\d{6}\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Scope:
    name: str
    user: User
    street: Area
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def wsgi_app() -> Any:
    """The project's WSGI application, called in this thread (so it sees the test's
    transaction). As Django's test client does, the handler must not close the connection
    at the end of a request: inside the test's transaction that would doom it."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from grassroots.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class World:
    """What the two streets hold, by the path parameter that names it."""

    scopes: list[Scope]
    pools: dict[str, list[Any]]
    bodies: dict[str, list[Any]]
    tickets: list[str]
    whistles: list[str]
    fuzz_tokens: set[int]
    # (scope, operation) → status codes answered: the run must not have been all errors
    seen: dict[tuple[str, str], set[int]] = field(default_factory=dict)


@pytest.fixture
def world(request: Any, city: Any, cast: Any, people: Any) -> World:
    from grassroots.tickets import services as tickets
    from grassroots.whistles import services as whistles
    from grassroots.whistles.selectors import find_summons, find_whistle

    file, move = request.getfixturevalue("submit"), request.getfixturevalue("advance")
    s1 = [file(), file(anonymous=True), file()]
    move(s1[1], "dispatched")
    move(s1[2], "in_progress")
    s2 = [
        file(
            actor=cast.outsider,
            building=people.building_w1,
            description="西一1号楼路灯不亮。",
            contact_name="钱西",
            contact_mobile="13700000004",
        )
        for _ in range(2)
    ]
    tickets.ticket_dispatch(actor=cast.outsider, ticket=s2[1], to=city.grid_w)

    leader_s2 = make_user(Role.STREET_LEADER, "s2_leader", areas=[city.s2])
    officer_s1 = make_user(Role.DEPARTMENT_OFFICER, "s1_officer", departments=[city.dept_s1])
    officer_s2 = make_user(Role.DEPARTMENT_OFFICER, "s2_officer", departments=[city.dept_s2])
    blown = [
        whistles.whistle_blow(
            actor=cast.street_leader, kind="emergency", reason="emergency",
            description="东一1号楼下水管爆裂。", address="东一1号楼下", ticket=s1[1],
            departments=[city.dept_district.pk, city.dept_s1.pk],
        ),
        whistles.whistle_blow(
            actor=leader_s2, kind="routine", reason="beyond_street", description="西一社区违建。",
            address="西一社区", departments=[city.dept_s2.pk], ticket=s2[1],
        ),
    ]  # fmt: skip
    # A department leaves each whistle unconfirmed: a shirking flag in each street.
    for whistle, officer, dept in zip(
        blown, (officer_s1, officer_s2), (city.dept_s1, city.dept_s2), strict=True
    ):
        summons = find_summons(officer, find_whistle(officer, whistle.number), dept.pk)
        whistles.summons_withdraw(actor=officer, summons=summons, note="人手不够")
    units = [
        member_unit_create(actor=None, name=name, kind="enterprise", area=area)
        for name, area in (("东街道供电所", city.s1), ("西街道医院", city.s2))
    ]

    scopes = []
    spare_tokens = []
    fuzz_tokens = set()
    for name, user, street in (
        ("s1", cast.street_dispatcher, city.s1),
        ("s2", cast.outsider, city.s2),
    ):
        token, raw = token_issue(user=user, name="fuzz")
        fuzz_tokens.add(token.pk)
        spare_tokens.append(token_issue(user=user, name="spare")[0].pk)
        scopes.append(Scope(name, user, street, {"Authorization": f"Bearer {raw}"}))

    areas = [city.s1, city.c1, city.grid_a, city.building_a1, city.s2, city.w1, city.grid_w]
    depts = [city.dept_district.pk, city.dept_s1.pk, city.dept_s2.pk]
    return World(
        scopes=scopes,
        pools={
            "area_id": [a.pk for a in areas],
            "department_id": depts,
            "department": depts,
            "household_id": [people.hh_a1_101.pk, people.hh_w1_301.pk],
            "resident_id": [people.wang.pk, people.west.pk],
            "org_id": [people.swc.pk, people.branch_a.pk, people.swc2.pk, people.branch_w.pk],
            "member_id": [people.m_wang.pk, people.m_west.pk],
            "unit_id": [u.pk for u in units],
            "user_id": [cast.street_dispatcher.pk, cast.outsider.pk, cast.resident.pk],
            "token_id": spare_tokens,
            "flag_id": list(Flag.objects.order_by("pk").values_list("pk", flat=True)),
        },
        # Generated bodies name no category or building: these file real requests, in either
        # street, as a hotline seat may.
        bodies={
            "POST /api/v1/tickets": [
                {"category": "0101", "description": "楼下垃圾桶满了。", "building": building}
                for building in ("S1C1GAB1", "S2C1GAB1")
            ]
        },
        tickets=[t.number for t in (*s1, *s2)],
        whistles=[w.number for w in blown],
        fuzz_tokens=fuzz_tokens,
    )


# --- checks --------------------------------------------------------------------------------------


def no_other_scope_numbers(scope: Scope, other: Scope) -> Any:
    """Fails when an answer to `scope` names a ticket or whistle of the other street that
    `scope` may not see (other than one it filed itself: a hotline seat is shown what it filed
    for another street)."""

    def no_other_scope_numbers(ctx: Any, response: Any, case: Any) -> None:
        found = set(NUMBER.findall(response.text))
        if not found:
            return
        foreign = {
            *Ticket.objects.filter(street=other.street, number__in=found)
            .exclude(submitted_by=scope.user)
            .exclude(pk__in=Ticket.objects.visible_to(scope.user).values("pk"))
            .values_list("number", flat=True),
            *Whistle.objects.filter(street=other.street, number__in=found)
            .exclude(pk__in=Whistle.objects.visible_to(scope.user).values("pk"))
            .values_list("number", flat=True),
        }
        assert not foreign, f"{scope.name} was shown {sorted(foreign)} of {other.name}"

    return no_other_scope_numbers


def messages_in_chinese(ctx: Any, response: Any, case: Any) -> None:
    """Every error message, and every field's, reads in Chinese (the default language)."""
    if response.status_code < 400 or "json" not in response.headers.get("content-type", [""])[0]:
        return  # a body that is not JSON fails the content type check
    error = json.loads(response.text).get("error", {})
    texts = [error.get("message", ""), *itertools.chain(*error.get("fields", {}).values())]
    english = [t for t in texts if not CJK.search(str(t))]
    assert not english, f"not in Chinese: {english}"


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    messages_in_chinese,
]


# --- the run -------------------------------------------------------------------------------------


def known_values(operation: Any, world: World) -> list[dict[str, Any]]:
    """Every combination of known values of the operation's path parameters and body, and of
    "generate it" (a missing key)."""
    choices = []
    for parameter in operation.path_parameters:
        name = parameter.name
        if name == "number":
            known = world.whistles if "/whistles/" in operation.path else world.tickets
        else:
            known = world.pools.get(name, [])
        choices.append([{name: value} for value in known] + [{}])
    choices.append([{"body": body} for body in world.bodies.get(operation.label, [])] + [{}])
    return [
        dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*choices)
    ]


def usable(case: Any, world: World) -> bool:
    parameters = case.path_parameters or {}
    # `/whistles/flags` is its own operation: OpenAPI matches a concrete path before a templated
    # one, so `number=flags` is not a request to `/whistles/{number}`.
    if "/whistles/" in case.operation.path and str(parameters.get("number", "")).startswith(
        "flags"
    ):
        return False
    # Revoking the tokens the fuzzer itself holds would turn every later call into a 401 (each
    # scope has a spare token to revoke instead, in the `token_id` pool).
    return parameters.get("token_id") not in world.fuzz_tokens


def fuzz(operation: Any, mode: GenerationMode, world: World) -> None:
    combos = known_values(operation, world)
    strategies: dict[int, Any] = {}

    def cases(index: int) -> Any:
        if index not in strategies:
            known = dict(combos[index])
            body = (
                {"body": known.pop("body"), "media_type": "application/json"}
                if "body" in known
                else {}
            )
            strategies[index] = operation.as_strategy(
                generation_mode=mode, path_parameters=known or None, **body
            )
        return strategies[index]

    leaks = [
        no_other_scope_numbers(s, o) for s, o in zip(world.scopes, world.scopes[::-1], strict=True)
    ]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: a failure is reported as found (with its curl), so that a broken build
        # still ends in bounded time.
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=st.integers(0, len(combos) - 1).flatmap(cases).filter(lambda c: usable(c, world)))
    def run(case: Any) -> None:
        for scope, leak in zip(world.scopes, leaks, strict=True):
            response = case.call(headers=scope.headers)
            world.seen.setdefault((scope.name, operation.label), set()).add(response.status_code)
            case.validate_response(response, checks=[*CHECKS, leak], headers=scope.headers)

    run()


def test_the_api_survives_fuzzing_by_two_streets(wsgi_app: Any, world: World) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, world)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    # Not a run of 401s: every token held to the end, and each street filed and read tickets and
    # read whistles and its own places.
    unauthorised = {label for (_, label), codes in world.seen.items() if 401 in codes}
    assert unauthorised <= {"POST /api/v1/auth/token"}  # a wrong password, not a lost token
    for scope in world.scopes:
        assert ApiToken.objects.usable().filter(user=scope.user, name="fuzz").exists()
        for label in (
            "POST /api/v1/tickets",
            "GET /api/v1/tickets/{number}",
            "GET /api/v1/whistles/{number}",
            "GET /api/v1/areas/{area_id}",
            "GET /api/v1/households/{household_id}",
        ):
            assert world.seen[(scope.name, label)] & {200, 201}, (scope.name, label)
