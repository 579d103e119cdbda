"""Tick records into a basket from the results; the basket page: items, exports, remove, clear."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
from astropy.io.votable import parse_single_table
from playwright.sync_api import Page, expect

from tests.interface.conftest import Gateway, check_accessibility

SEARCH = "/query/esap-images?ra=200&dec=50&radius=1&page=1&pageSize=25"  # 14 images


def use_basket(page: Page, name: str) -> None:
    page.get_by_role("group", name="Add to basket").get_by_label("Basket").fill(name)


def test_add_ticked_rows_and_a_whole_page(page: Page, gateway: Gateway, shoot: Any) -> None:
    page.goto(SEARCH)
    rows = page.get_by_test_id("results-table").locator("tbody tr[data-record-id]")
    expect(rows).to_have_count(14)
    use_basket(page, "web-add")
    picked = [rows.nth(i).get_attribute("data-record-id") for i in (0, 3)]
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(3).get_by_role("checkbox").check()
    bar = page.get_by_role("group", name="Add to basket")
    bar.get_by_role("button", name="Add selected (2)").click()
    message = page.get_by_test_id("basket-message")
    expect(message).to_have_text("Added 2 records to basket web-add. The basket holds 2 items.")
    expect(page.get_by_test_id("announcer")).to_contain_text("Added 2 records to basket web-add")
    expect(rows.nth(0).get_by_role("checkbox")).not_to_be_checked()  # the selection is spent

    bar.get_by_role("button", name="Add whole page (14)").click()
    expect(message).to_have_text(
        "Added 12 records to basket web-add; 2 records were already there. "
        "The basket holds 14 items."
    )
    check_accessibility(page)

    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        query = '{ basket(name: "web-add") { count items { recordId datasetId record } } }'
        body = {"query": query}
        basket = http.post("/graphql", json=body).json()["data"]["basket"]
    assert basket["count"] == 14
    assert set(picked) <= {item["recordId"] for item in basket["items"]}
    assert {item["datasetId"] for item in basket["items"]} == {"esap-images"}
    # the native record goes along, for the notebook
    assert all(item["record"]["obs_collection"] == "esaptest-images" for item in basket["items"])


def test_basket_page_exports_removes_and_clears(
    page: Page, gateway: Gateway, shoot: Any, tmp_path: Path
) -> None:
    page.goto(SEARCH)
    use_basket(page, "web-export")
    page.get_by_role("button", name="Add whole page (14)").click()
    expect(page.get_by_test_id("basket-message")).to_contain_text("The basket holds 14 items")
    page.get_by_role("link", name="Open basket").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Basket “web-export”")
    expect(page.get_by_test_id("basket-count")).to_contain_text("14 items")
    items = page.get_by_test_id("basket-items").locator("tbody tr")
    expect(items).to_have_count(14)
    tabs = page.get_by_role("navigation", name="Baskets")
    expect(tabs.get_by_role("link", name="web-export 14")).to_have_attribute("aria-current", "page")
    snippet = page.get_by_test_id("notebook-snippet")
    expect(snippet).to_contain_text(f'url = "{gateway.url}/baskets/web-export/export.votable"')
    check_accessibility(page)
    shoot(page, "basket")

    export = page.get_by_role("group", name="Export")
    with page.expect_download() as download:
        export.get_by_role("link", name="VOTable").click()
    saved = tmp_path / "basket.vot"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "web-export.vot"
    table = parse_single_table(str(saved)).to_table()
    assert len(table) == 14
    assert set(table["dataset"]) == {"esap-images"}

    with page.expect_download() as download:
        export.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 14
    with page.expect_download() as download:
        export.get_by_role("link", name="JSON").click()
    assert json.loads(Path(download.value.path()).read_text())["count"] == 14

    first_two = [items.nth(i).get_attribute("data-record-id") for i in (0, 1)]
    items.nth(0).get_by_role("checkbox").check()
    items.nth(1).get_by_role("checkbox").check()
    page.get_by_role("button", name="Remove selected (2)").click()
    expect(page.get_by_test_id("basket-page-message")).to_have_text(
        "Removed 2 items from basket web-export."
    )
    expect(page.get_by_test_id("basket-count")).to_contain_text("12 items")
    expect(items).to_have_count(12)
    for record_id in first_two:
        expect(page.locator(f'tr[data-record-id="{record_id}"]')).to_have_count(0)

    page.get_by_role("button", name="Clear basket").click()
    page.get_by_role("button", name="Yes, remove all 12 items").click()
    expect(page.get_by_test_id("basket-count")).to_contain_text("0 items")
    expect(page.get_by_text("This basket is empty.")).to_be_visible()

    page.get_by_role("button", name="Delete basket web-export").click()
    page.get_by_role("button", name="Yes, delete basket web-export").click()
    expect(page).to_have_url(f"{gateway.url}/basket/default")
    expect(tabs.get_by_role("link", name="web-export")).to_have_count(0)
