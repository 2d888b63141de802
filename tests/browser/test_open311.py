"""Open311 keys in the browser: the security admin issues a key for a client organisation in
the admin, sees it once, and the key files a request; then revokes it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from grassroots.tickets.models import Open311Client, Ticket
from tests.browser.conftest import SKIP_MESSAGE
from tests.browser.test_smoke import sign_in
from tests.tickets.conftest import catalogue  # noqa: F401 - the seeded catalogue
from tests.tickets.open311.conftest import attributes  # noqa: F401 - the seeded questions

expect = pytest.importorskip("playwright.sync_api", reason=SKIP_MESSAGE).expect


def test_the_security_admin_issues_a_key_that_files_a_request(
    page: Any, url: Any, snap: Any, cast: Any, city: Any
) -> None:
    sign_in(page, url, "secadmin")
    page.goto(url("/admin/tickets/open311client/add/"))
    page.locator("input[name=name]").fill("市12345热线")
    page.locator("input[name=contact]").fill("李工 010-12345")
    # The street picker (filter_horizontal): choose 东街道.
    page.locator("select#id_streets_from").select_option(label=city.s1.name)
    page.locator("#id_streets_add").click()
    snap(page, "1-add")
    page.locator("input[name=_save]").click()
    message = page.locator(".messagelist")
    expect(message).to_contain_text("只显示这一次")
    snap(page, "2-issued")
    key = re.search(r"o311_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", message.inner_text())
    assert key is not None
    client = Open311Client.objects.get()
    assert list(client.streets.all()) == [city.s1]

    filed = page.request.post(
        url("/open311/v2/requests.json"),
        form={
            "api_key": key.group(0),
            "jurisdiction_id": city.s1.code,
            "service_code": "0101",
            "description": "小区门口垃圾三天没人清运。",
            "address_string": "东一社区北门",
        },
    )
    assert filed.status == 201, filed.text()
    number = filed.json()[0]["service_request_id"]
    assert Ticket.objects.filter(number=number, channel="open311").exists()

    # Revoked from the list: the key stops working.
    page.goto(url("/admin/tickets/open311client/"))
    page.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("revoke")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("已吊销 1 个")
    snap(page, "3-revoked")
    refused = page.request.post(
        url("/open311/v2/requests.json"),
        form={"api_key": key.group(0), "jurisdiction_id": city.s1.code},
    )
    assert refused.status == 403
