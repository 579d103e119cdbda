"""Keyboard only: the query form, the results table (ticks, basket, record, pages), and a
1,000-row virtualised page whose rows keep coming as the focus moves down."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def focused(locator: Locator) -> bool:
    return bool(locator.evaluate("(element) => element === document.activeElement"))


def tab_to(page: Page, target: Locator, *, limit: int = 60, back: bool = False) -> int:
    """Press Tab (Shift+Tab) until ``target`` has the focus; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if focused(target):
            return presses
    raise AssertionError(f"{target} never took the focus in {limit} presses")


def test_query_form_and_results_by_keyboard(page: Page) -> None:
    page.goto("/query/esap-images")
    form = page.get_by_role("form", name="Query form")
    skip = page.get_by_role("link", name="Skip to content")
    expect(form.get_by_label("RA (deg)")).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(skip)
    page.keyboard.press("Enter")
    presses = tab_to(page, form.get_by_label("RA (deg)"))
    assert presses <= 4  # past the breadcrumb, straight to the form
    page.keyboard.type("200")
    page.keyboard.press("Tab")
    page.keyboard.type("50")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")  # submits the form

    summary = page.get_by_test_id("results-summary")
    expect(summary).to_contain_text("14 records")
    rows = page.get_by_test_id("results-table").locator("tbody tr[data-record-id]")
    first = rows.nth(0).get_by_role("checkbox")
    tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    tab_to(page, rows.nth(1).get_by_role("checkbox"))
    page.keyboard.press("Space")
    bar = page.get_by_role("group", name="Add to basket")
    bar_basket = bar.get_by_label("Basket")
    tab_to(page, bar_basket, back=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("web-keys")
    add = bar.get_by_role("button", name="Add selected (2)")
    tab_to(page, add)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("basket-message")).to_contain_text(
        "Added 2 records to basket web-keys"
    )
    assert focused(page.get_by_role("button", name="Add selected (0)"))  # focus stays put

    record = rows.nth(2).get_by_role("button", name="Record")
    tab_to(page, record)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("table")).to_be_visible()
    assert dialog.evaluate("(d) => d.contains(document.activeElement)")  # focus moved in
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert focused(record)


def test_keyboard_pages_and_virtualised_rows(page: Page) -> None:
    page.goto("/query/esap-sources?ra=150&dec=2&radius=1&page=1&pageSize=1000")
    table = page.get_by_test_id("results-table")
    expect(table).to_have_attribute("aria-rowcount", "10001")
    rendered = table.locator("tbody tr[data-record-id]")
    expect(rendered.first).to_be_visible()
    assert rendered.count() < 100  # only the rows in view (and a margin) are in the page

    tab_to(page, rendered.first.get_by_role("checkbox"))
    for _ in range(120):  # checkbox and "Record" per row: 60 rows down
        page.keyboard.press("Tab")
    row = page.locator("tr:focus-within")
    index = int(row.get_attribute("aria-rowindex") or 0)
    assert index > 50, index  # still in the table, far past the first rows rendered
    assert focused(row.get_by_role("checkbox")) or focused(row.get_by_role("button"))

    pager = page.get_by_role("navigation", name="Pages of Test sources (cone search)")
    nxt = pager.get_by_role("button", name="Next page")
    nxt.focus()
    page.keyboard.press("Enter")
    expect(pager).to_contain_text("Page 2 of 10")
    assert focused(nxt)
    expect(page.get_by_test_id("results-summary")).to_contain_text("showing 1,001")
