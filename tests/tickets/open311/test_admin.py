"""Open311 in the admin: the security admin issues client keys (shown once), edits and revokes
them, audited; the system admin adds extra questions to a leaf, audited; nobody else may."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from grassroots.accounts.models import Role
from grassroots.core.models import AuditEntry
from grassroots.tickets.models import Category, CategoryAttribute, Open311Client
from grassroots.tickets.open311.keys import client_for_key
from tests.tickets.test_admin import category_form, inline_management

pytestmark = pytest.mark.django_db
CLIENTS = "/admin/tickets/open311client/"


def issue(client: Any, city: Any, **values: Any) -> Any:
    form = {
        "name": "市12345热线",
        "contact": "李工 010-12345",
        "streets": [city.s1.pk],
        "rate_limit": "120",
        **values,
    }
    return client.post(f"{CLIENTS}add/", form, follow=True)


def test_the_security_admin_issues_a_key_shown_once(cast: Any, city: Any, login: Any) -> None:
    admin = login(cast.security_admin)
    response = issue(admin, city)
    assert response.status_code == 200
    shown = re.findall(r"o311_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", response.content.decode())
    assert len(set(shown)) == 1
    client = Open311Client.objects.get()
    assert client_for_key(shown[0]) == client
    assert client.digest != shown[0] and shown[0] not in str(
        Open311Client.objects.filter(pk=client.pk).values().get()
    )
    assert client.account is not None and client.account.role == Role.INTEGRATION
    assert list(client.account.scope_areas.all()) == [city.s1]
    assert not client.account.has_usable_password()
    assert AuditEntry.objects.filter(action="tickets.open311_client_issue").count() == 1
    # The change page never shows the key again.
    page = admin.get(f"{CLIENTS}{client.pk}/change/").content.decode()
    assert shown[0] not in page and client.prefix in page


def test_bad_input_issues_nothing(cast: Any, city: Any, login: Any) -> None:
    admin = login(cast.security_admin)
    response = issue(admin, city, name="", rate_limit="0")
    assert response.status_code == 200
    assert not Open311Client.objects.exists()
    assert not AuditEntry.objects.filter(action="tickets.open311_client_issue").exists()


def test_editing_streets_follows_the_account_and_is_audited(
    cast: Any, city: Any, login: Any
) -> None:
    admin = login(cast.security_admin)
    issue(admin, city)
    client = Open311Client.objects.get()
    form = {
        "name": client.name,
        "contact": client.contact,
        "streets": [city.s1.pk, city.s2.pk],
        "rate_limit": "60",
        "is_active": "on",
    }
    response = admin.post(f"{CLIENTS}{client.pk}/change/", form)
    assert response.status_code == 302, response.content
    client.refresh_from_db()
    assert client.rate_limit == 60
    assert set(client.account.scope_areas.all()) == {city.s1, city.s2}
    change = AuditEntry.objects.get(action="tickets.open311_client_change")
    assert "streets" in json.loads(change.data)["changed"]
    # Turned off: its account goes with it.
    form.pop("is_active")
    admin.post(f"{CLIENTS}{client.pk}/change/", form)
    client.account.refresh_from_db()
    assert client.account.is_active is False


def test_revoking_by_the_action(cast: Any, city: Any, login: Any) -> None:
    admin = login(cast.security_admin)
    issue(admin, city)
    client = Open311Client.objects.get()
    response = admin.post(
        CLIENTS, {"action": "revoke", "_selected_action": [client.pk]}, follow=True
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.revoked_at is not None and not client.is_usable
    assert AuditEntry.objects.filter(action="tickets.open311_client_revoke").count() == 1
    # No delete: the audit trail keeps the client.
    assert admin.get(f"{CLIENTS}{client.pk}/delete/").status_code == 403


@pytest.mark.parametrize("who", ["system_admin", "audit_admin", "street_leader"])
def test_only_the_security_admin_manages_keys(cast: Any, city: Any, login: Any, who: str) -> None:
    user = login(getattr(cast, who))
    assert user.get(CLIENTS).status_code in (302, 403)
    issue(user, city)
    assert not Open311Client.objects.exists()


def test_the_system_admin_adds_a_question_to_a_leaf(cast: Any, login: Any) -> None:
    leaf = Category.objects.get(code="0101")
    form = category_form(
        code="0101",
        name=leaf.name,
        treebeard_position="sorted-child",
        treebeard_ref_node=Category.objects.get_parent(leaf).pk,
        **inline_management("attributes", total=1),
    )
    form.update(
        {
            "attributes-0-order": "1",
            "attributes-0-code": "bins",
            "attributes-0-description": "满了几个垃圾桶",
            "attributes-0-datatype": "number",
            "attributes-0-datatype_description": "",
            "attributes-0-values": "[]",
            "attributes-0-variable": "on",
        }
    )
    response = login(cast.system_admin).post(f"/admin/tickets/category/{leaf.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    question = CategoryAttribute.objects.get(category=leaf)
    assert (question.code, question.datatype) == ("bins", "number")
    entry = AuditEntry.objects.get(action="tickets.category_attributes_change")
    assert json.loads(entry.data)["added"] == ["bins"]


def test_each_admin_finds_their_pages_on_the_admin_home(cast: Any, login: Any) -> None:
    """The admin home lists what each administrator manages (三员分立), and nothing else."""
    system = login(cast.system_admin).get("/admin/").content.decode()
    security = login(cast.security_admin).get("/admin/").content.decode()
    audit = login(cast.audit_admin).get("/admin/").content.decode()
    assert "/admin/tickets/category/" in system and "/admin/tickets/open311client/" not in system
    assert "/admin/tickets/open311client/" in security and "/admin/accounts/user/" in security
    assert "/admin/tickets/category/" not in security
    assert "/admin/core/auditentry/" in audit and "/admin/tickets/" not in audit
