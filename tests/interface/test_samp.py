"""IVOA-SAMP from the browser: the page registers with astropy's SAMP hub (now kept in
``pyvo.samp``, astropy 8 deprecated its copy) over the Web Profile (XML-RPC at
http://localhost:21012/) and sends a results page and a basket as VOTable URLs with
table.load.votable; a SAMP client (standing in for TOPCAT) receives them and reads the rows
from the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.interface.conftest import check_accessibility
from tests.interface.samp_hub import TOOL, AutoConsent, Tool, running_hub, votable_ids

SEARCH = "/query/esap-cubes?ra=10&dec=-30&radius=1&page=1&pageSize=5"  # 6 cubes, 2 pages


@pytest.fixture(scope="module")
def samp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AutoConsent, Tool]]:
    with running_hub(tmp_path_factory.mktemp("samp")) as running:
        yield running


def test_samp_page_connects_and_lists_tools(
    page: Page, samp: tuple[AutoConsent, Tool], shoot: Any
) -> None:
    dialog, _tool = samp
    page.goto("/samp")
    expect(page.get_by_test_id("samp-status")).to_contain_text("not connected")
    page.get_by_role("button", name="Connect to the SAMP hub").click()
    expect(page.get_by_test_id("samp-status")).to_contain_text("connected to the SAMP hub")
    expect(page.get_by_test_id("samp-clients")).to_contain_text(TOOL)
    assert dialog.asked[-1][0] == "ESAP"
    assert dialog.asked[-1][1] == page.url.split("/samp")[0]  # the hub saw our origin
    check_accessibility(page)
    shoot(page, "samp")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_test_id("samp-status")).to_contain_text("not connected")


def test_send_results_page_and_basket(
    page: Page, samp: tuple[AutoConsent, Tool], tmp_path: Path
) -> None:
    _dialog, tool = samp
    page.goto(SEARCH)
    rows = page.get_by_test_id("results-table").locator("tbody tr[data-record-id]")
    expect(rows).to_have_count(5)
    shown = [rows.nth(i).get_attribute("data-record-id") for i in range(5)]

    page.get_by_role("button", name="Connect to SAMP").click()
    send = page.get_by_role("group", name="Send over SAMP")
    send.get_by_label("Send to").select_option(label=TOOL)
    send.get_by_role("button", name="Send table").click()
    expect(page.get_by_test_id("samp-result")).to_have_text(f"Sent “Test cubes, page 1” to {TOOL}.")
    message = tool.next_table()
    assert message["name"] == "Test cubes, page 1"
    assert "/query/esap-cubes.votable?" in message["url"]
    assert votable_ids(message["url"], "record_id", tmp_path) == shown

    # the basket, through the app's own navigation (the SAMP connection stays)
    page.get_by_role("group", name="Add to basket").get_by_label("Basket").fill("web-samp")
    page.get_by_role("button", name="Add whole page (5)").click()
    expect(page.get_by_test_id("basket-message")).to_contain_text("holds 5 items")
    page.get_by_role("link", name="Open basket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Basket “web-samp”")
    send = page.get_by_role("group", name="Send over SAMP")
    send.get_by_role("button", name="Send table").click()  # to every table tool
    message = tool.next_table()
    assert message["name"] == "ESAP basket web-samp"
    assert message["url"].endswith("/baskets/web-samp/export.votable")
    assert sorted(votable_ids(message["url"], "record_id", tmp_path)) == sorted(shown)
