"""The hand-written statements of the hottest paths write and read what the ORM would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from grassroots.accounts.models import Role, User
from grassroots.core import sql
from grassroots.core.personal import digest
from grassroots.notices.models import Notice
from grassroots.territory.models import Area, AreaKind
from grassroots.tickets.models import Ticket

pytestmark = pytest.mark.django_db

FIELDS = ["username", "name", "role", "mobile", "mobile_digest", "is_active", "date_joined"]


def test_insert_writes_what_save_writes() -> None:
    joined = timezone.now() - timedelta(days=1)
    by_orm = User(username="orm", name="张三", role=Role.RESIDENT, mobile="13800000001")
    by_orm.date_joined = joined
    by_orm.save(force_insert=True)
    by_sql = User(username="sql", name="张三", role=Role.RESIDENT, mobile="13800000002")
    by_sql.date_joined = joined
    sql.insert(by_sql)
    assert by_sql.pk is not None and by_sql.pk != by_orm.pk
    assert not by_sql._state.adding
    orm_row, sql_row = (User.objects.values(*FIELDS).get(pk=u.pk) for u in (by_orm, by_sql))
    assert {**orm_row, "username": "sql", "mobile": "13800000002"} == {
        **sql_row,
        "mobile_digest": orm_row["mobile_digest"],
    }
    # the mobile number is stored encrypted, and its digest made, as a save does
    assert sql_row["mobile_digest"] == digest("13800000002")
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM accounts_user WHERE id = %s", [by_sql.pk])
        assert "13800000002" not in cursor.fetchone()[0]


def test_insert_refuses_a_model_with_save_signals_and_a_saved_row(city: Any) -> None:
    area = Area(kind=AreaKind.GRID, code="X", name="x", path="0009", depth=1)
    with pytest.raises(TypeError, match="save signals"):
        sql.insert(area)  # the streets memo listens to Area saves
    notice = Notice(recipient=User.objects.create(username="u"), title="t")
    sql.insert(notice)
    with pytest.raises(TypeError, match="already saved"):
        sql.insert(notice)
    assert Notice.objects.count() == 1


def test_by_pk_reads_what_the_orm_reads() -> None:
    user = User.objects.create(username="u", name="李四", role=Role.RESIDENT, mobile="13800000002")
    user.last_login = timezone.now()
    user.save()
    got = sql.by_pk(User, str(user.pk))  # the session keeps the id as text
    expected = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert got.mobile == "13800000002" and got.last_login.tzinfo is not None
    assert sql.by_pk(User, user.pk + 1000) is None


def test_next_id_is_the_sequence_on_postgresql_only() -> None:
    first = sql.next_id(Ticket)
    if connection.vendor != "postgresql":
        assert first is None
        return
    assert first is not None and sql.next_id(Ticket) == first + 1


def test_a_session_is_read_while_it_lasts(cast: Any) -> None:
    client = Client()
    client.force_login(cast.resident)
    assert client.get("/api/v1/auth/tokens").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/tokens").status_code == 401


def test_insert_then_runs_one_follow_up_with_it() -> None:
    user = User.objects.create(username="u")
    rename = "UPDATE accounts_user SET name = %s WHERE id = %s"
    notice = Notice(recipient=user, title="t")
    sql.insert(notice, then=(rename, ["新名字", user.pk]))
    assert notice.pk is not None and Notice.objects.filter(pk=notice.pk).exists()
    assert User.objects.get(pk=user.pk).name == "新名字"
    with pytest.raises(RuntimeError, match="changed no row"), transaction.atomic():
        sql.insert(Notice(recipient=user, title="x"), then=(rename, ["x", user.pk + 1000]))
    assert Notice.objects.count() == 1  # the insert went back with it


def test_the_hot_statements_are_prepared_and_the_orm_s_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL prepares statements")
    sql.fetch_one("SELECT name FROM territory_resident WHERE user_id = %s", [0])
    list(User.objects.filter(username="nobody"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FROM territory_resident WHERE user_id = $1" in text for text in prepared)
    assert not any('"accounts_user"."username"' in text for text in prepared)
    # DB_PREPARED_STATEMENTS=0: Django's own cursor.
    options = {**connection.settings_dict["OPTIONS"]}
    options.pop("prepare_threshold", None)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    with sql._cursor() as cursor:
        assert "Preparing" not in type(cursor.cursor).__name__
