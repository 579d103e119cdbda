"""Query one dataset: the form from queryFields, paging, errors where they belong, the record."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.interface.conftest import Gateway, check_accessibility

DASH = "\u2013"  # the interface writes ranges with an en dash


def search_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def results_rows(page: Page) -> Any:
    return page.get_by_test_id("results-table").locator("tbody tr[data-record-id]")


def test_query_form_paging_and_bookmark(page: Page, gateway: Gateway, shoot: Any) -> None:
    page.goto("/query/esap-obscore")
    form = page.get_by_role("form", name="Query form")
    expect(form.get_by_label("Search radius (deg)")).to_have_value("0.1")  # the field's default
    expect(form.get_by_label("Collection")).to_have_count(1)
    form.get_by_label("RA (deg)").fill("200")
    form.get_by_label("Dec (deg)").fill("50")
    form.get_by_label("Search radius (deg)").fill("2")
    form.get_by_label("Collection").select_option("esaptest-images")
    form.get_by_role("button", name="Search").click()

    summary = page.get_by_test_id("results-summary")
    expect(summary).to_contain_text("51 records")
    expect(summary).to_contain_text("complete")
    assert search_of(page) == {
        "ra": ["200"],
        "dec": ["50"],
        "radius": ["2"],
        "collection": ["esaptest-images"],
        "page": ["1"],
        "pageSize": ["50"],
    }
    expect(results_rows(page)).to_have_count(50)
    first = results_rows(page).first
    expect(first).to_contain_text("esaptest-images")
    expect(first).to_contain_text("image")
    expect(first.get_by_role("link", name="Download")).to_have_attribute(
        "href", re.compile(r"^http://localhost:8080/esaptest/data/\d+\.fits$")
    )
    check_accessibility(page)
    shoot(page, "query", docs="query-page")

    pager = page.get_by_role("navigation", name="Pages of All ObsCore products")
    expect(pager).to_contain_text("Page 1 of 2")
    pager.get_by_role("button", name="Next page").click()
    expect(pager).to_contain_text("Page 2 of 2")
    expect(results_rows(page)).to_have_count(1)
    expect(summary).to_contain_text(f"showing 51{DASH}51")
    assert search_of(page)["page"] == ["2"]

    pager.get_by_label("Rows per page").select_option("25")
    expect(pager).to_contain_text("Page 1 of 3")
    expect(results_rows(page)).to_have_count(25)

    page.go_back()  # history holds every page
    expect(pager).to_contain_text("Page 2 of 2")

    # the URL is the search: opened anew (a bookmark), it shows the same page and form
    bookmark = page.url
    fresh = page.context.new_page()
    fresh.goto(bookmark)
    expect(fresh.get_by_test_id("results-summary")).to_contain_text(f"showing 51{DASH}51")
    fresh_form = fresh.get_by_role("form", name="Query form")
    expect(fresh_form.get_by_label("RA (deg)")).to_have_value("200")
    expect(fresh_form.get_by_label("Collection")).to_have_value("esaptest-images")
    fresh.close()


def test_browser_checks_fields_before_sending(page: Page) -> None:
    queries: list[str] = []
    page.on(
        "request",
        lambda request: (
            queries.append(request.post_data or "")
            if request.url.endswith("/graphql") and "DatasetResults" in (request.post_data or "")
            else None
        ),
    )
    page.goto("/query/esap-sources")
    form = page.get_by_role("form", name="Query form")
    ra = form.get_by_label("RA (deg)")
    form.get_by_label("Dec (deg)").fill("95")
    form.get_by_role("button", name="Search").click()

    # the first invalid field takes the focus; each error sits at its field
    expect(ra).to_be_focused()
    expect(page.get_by_test_id("error-ra")).to_have_text(
        "RA and Dec must be given together for a cone search"
    )
    expect(page.get_by_test_id("error-dec")).to_have_text(
        "Dec must be at least -90 and at most 90 degrees"
    )
    expect(form.get_by_label("Dec (deg)")).to_have_attribute("aria-invalid", "true")
    described = form.get_by_label("Dec (deg)").get_attribute("aria-describedby") or ""
    assert page.get_by_test_id("error-dec").get_attribute("id") in described.split()
    check_accessibility(page)
    assert queries == []  # nothing was sent
    assert "page" not in search_of(page)

    ra.fill("150")
    expect(page.get_by_test_id("error-ra")).to_have_count(0)  # cleared as the user types


def test_server_errors_at_the_field_and_per_archive(page: Page, shoot: Any) -> None:
    # A URL can hold what the form would refuse: the gateway's typed error is put at the field.
    page.goto("/query/esap-obscore?ra=200&dec=95&radius=1&page=1&pageSize=50")
    expect(page.get_by_test_id("error-dec")).to_contain_text("dec: must be between -90 and 90")
    error = page.get_by_test_id("archive-error")
    expect(error).to_have_attribute("data-error-type", "InvalidParameter")

    # A parameter the dataset's protocol cannot filter on: no field for it, a per-archive message.
    page.goto("/query/esap-sources?ra=150&dec=2&radius=0.1&collection=x&page=1")
    error = page.get_by_test_id("archive-error")
    expect(error).to_have_attribute("data-error-type", "UnsupportedParameter")
    expect(error).to_contain_text("cannot filter on this parameter")

    # An archive that cannot be reached.
    page.goto("/query/dead-tap?ra=10&dec=10&radius=1&page=1")
    error = page.get_by_test_id("archive-error")
    expect(error).to_have_attribute("data-error-type", "ArchiveUnreachable")
    expect(error).to_contain_text("The archive could not be reached")
    expect(error).to_have_attribute("role", "alert")
    check_accessibility(page)
    shoot(page, "query-archive-error")


def test_overflow_native_query_and_record(page: Page, shoot: Any) -> None:
    page.goto("/query/esap-sources?ra=150&dec=2&radius=1&page=3&pageSize=25")
    summary = page.get_by_test_id("results-summary")
    expect(summary).to_contain_text("10,000 records")
    expect(summary).to_contain_text("record limit reached")
    expect(summary).to_contain_text(f"showing 51{DASH}75")
    expect(page.get_by_text("The archive stopped at its record limit")).to_be_visible()

    native = page.get_by_text("Native query (for experts)")
    expect(page.locator("details.native-query pre")).to_be_hidden()  # a closed disclosure
    native.click()
    expect(page.locator("details.native-query pre")).to_contain_text(
        "http://localhost:8080/esaptest/q/cone/scs.xml?RA=150.0&DEC=2.0&SR=1.0"
    )

    row = results_rows(page).nth(2)
    record_id = row.get_attribute("data-record-id")
    assert record_id is not None
    assert record_id.startswith("src-")
    row.get_by_role("button", name="Record").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Record:")
    fields = dialog.get_by_role("table")
    expect(fields).to_contain_text(record_id)
    expect(fields.get_by_role("rowheader", name="mag")).to_be_visible()
    check_accessibility(page)
    shoot(page, "query-record")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(row.get_by_role("button", name="Record")).to_be_focused()  # focus returns
