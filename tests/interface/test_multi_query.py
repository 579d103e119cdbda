"""Multi Query: results stream in dataset by dataset; a slow archive arrives last while the
others are already on screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.interface.conftest import SLOW_DATASET, GatedProxy, check_accessibility

FAST = {"esap-images": "14 records", "esap-cubes": "6 records", "esap-sources": "76 records"}


@pytest.fixture
def held(proxy: GatedProxy) -> Iterator[GatedProxy]:
    """The slow dataset's archive answers only when the test releases it."""
    proxy.hold("slow")
    try:
        yield proxy
    finally:
        proxy.release("slow")


def test_results_stream_in_as_they_arrive(page: Page, held: GatedProxy, shoot: Any) -> None:
    page.goto("/multi")
    form = page.get_by_role("form", name="Query form")
    form.get_by_label("Every multi-query dataset").uncheck()  # a choice, from those ticked
    for name in ("All ObsCore products", "Test sources (TAP)", "Test images and cubes (SIA v2)"):
        form.get_by_role("checkbox", name=name, exact=True).uncheck()
    expect(form.get_by_role("checkbox", name="Nothing listens here")).to_be_checked()
    form.get_by_role("checkbox", name="Test images, slowly").check()
    form.get_by_label("RA (deg)").fill("200")
    form.get_by_label("Dec (deg)").fill("50")
    form.get_by_label("Search radius (deg)").fill("1")
    form.get_by_role("button", name="Search all").click()

    query = parse_qs(urlsplit(page.url).query)
    assert query["datasets"] == [f"esap-images,esap-cubes,esap-sources,dead-tap,{SLOW_DATASET}"]
    assert query["ra"] == ["200"]

    answers = page.get_by_role("list", name="Answers, in order of arrival")
    for dataset, count in FAST.items():
        item = answers.locator(f'li[data-dataset="{dataset}"]')
        expect(item).to_have_attribute("data-status", "OK")
        expect(item.get_by_test_id("stream-count")).to_have_text(count)
    dead = answers.locator('li[data-dataset="dead-tap"]')
    expect(dead).to_have_attribute("data-status", "ERROR")
    expect(dead).to_contain_text("archive unreachable")

    # Four answers are on screen; the held archive has not answered and is shown as waiting.
    expect(answers.get_by_role("listitem")).to_have_count(4)
    expect(page.locator(f'[data-waiting="{SLOW_DATASET}"]')).to_be_visible()
    progress = page.get_by_role("progressbar", name="4 of 5 datasets answered")
    expect(progress).to_have_attribute("value", "4")
    expect(page.get_by_test_id("announcer")).to_contain_text("4 of 5 datasets answered")
    assert held.held_requests["slow"] >= 1  # its query is at the archive, held there
    check_accessibility(page)
    shoot(page, "multi-query-streaming", docs="multi-query-page")

    held.release("slow")
    slow = answers.locator(f'li[data-dataset="{SLOW_DATASET}"]')
    expect(slow).to_have_attribute("data-status", "OK")
    expect(slow).to_have_attribute("data-arrival", "5")  # last
    expect(slow.get_by_test_id("stream-count")).to_have_text("14 records")
    expect(page.locator(f'[data-waiting="{SLOW_DATASET}"]')).to_have_count(0)
    summary = page.get_by_test_id("multi-summary")
    expect(summary).to_contain_text("110 records from 4 of 5 datasets (1 failed)")
    expect(page.get_by_test_id("announcer")).to_contain_text("All 5 datasets answered")

    # a dataset's records open in place, with the basket at hand
    cubes = answers.locator('li[data-dataset="esap-cubes"]')
    cubes.get_by_role("button", name="Show 6 records").click()
    table = cubes.get_by_test_id("results-table")
    expect(table.locator("tbody tr[data-record-id]")).to_have_count(6)
    cubes.get_by_role("group", name="Add to basket").get_by_label("Basket").fill("web-multi")
    table.locator("tbody tr[data-record-id]").first.get_by_role("checkbox").check()
    cubes.get_by_role("button", name="Add selected (1)").click()
    expect(cubes.get_by_test_id("basket-message")).to_contain_text(
        "Added 1 record to basket web-multi"
    )
    check_accessibility(page)
    shoot(page, "multi-query")

    # "Open in the query page" carries the search over
    cubes.get_by_role("link", name="Open in the query page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Query Test cubes")
    expect(page.get_by_test_id("results-summary")).to_contain_text("6 records")
