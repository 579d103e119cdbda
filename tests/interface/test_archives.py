"""Browse: archive cards, an archive's page, its datasets and the way to query one."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.interface.conftest import Gateway, check_accessibility


def test_archives_page_lists_cards(page: Page, gateway: Gateway, shoot: Any) -> None:
    page.goto("/")
    expect(page).to_have_url(f"{gateway.url}/archives")
    expect(page.get_by_role("heading", level=1, name="Archives")).to_be_visible()
    cards = page.get_by_role("list", name="Archives").get_by_role("listitem")
    expect(cards).to_have_count(3)
    test_archive = cards.filter(has_text="ESAP test archive (local DaCHS)")
    expect(test_archive).to_contain_text("Synthetic images, cubes and sources served by GAVO")
    expect(test_archive).to_contain_text("6 datasets")
    expect(page.get_by_test_id("single-user-badge")).to_have_text("Single-user mode")
    check_accessibility(page)
    shoot(page, "archives")


def test_archive_page_shows_catalogue_and_datasets(
    page: Page, gateway: Gateway, shoot: Any
) -> None:
    page.goto("/archives")
    page.get_by_role("link", name="ESAP test archive (local DaCHS)").click()
    expect(page).to_have_url(f"{gateway.url}/archives/esap-test")
    heading = page.get_by_role("heading", level=1, name="ESAP test archive (local DaCHS)")
    expect(heading).to_be_focused()  # focus moves to the new page's title
    expect(page.get_by_text("Isaac Newton Telescope WFC, LOFAR HBA")).to_be_visible()
    expect(page.get_by_text("Files are referenced by access_url.")).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(7)  # header + 6 datasets
    cone = rows.filter(has_text="Test sources (cone search)")
    expect(cone).to_contain_text("Simple Cone Search")
    check_accessibility(page)
    shoot(page, "archive")

    cone.get_by_role("link", name="Query this dataset").click()
    expect(page).to_have_url(f"{gateway.url}/query/esap-sources")
    expect(page.get_by_role("heading", level=1)).to_have_text("Query Test sources (cone search)")


def test_unknown_archive_and_page(page: Page, gateway: Gateway, shoot: Any) -> None:
    page.goto("/archives/nope")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unknown archive")
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_accessibility(page)
    shoot(page, "not-found")


def test_gateway_serves_the_app(gateway: Gateway) -> None:
    """Client routes answer with the app; assets are long-cached, the page itself is not."""
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        for path in ("/", "/archives/esap-test", "/query/esap-sources?ra=1&dec=2&radius=3&page=1"):
            response = http.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-cache"
            assert '<div id="root">' in response.text
        script = next(
            part.split('"')[0]
            for part in response.text.split('src="')[1:]
            if part.startswith("/assets/")
        )
        asset = http.get(script, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["content-encoding"] == "gzip"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith("text/javascript")
        plain = http.get(script, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == asset.content  # httpx decoded the gzipped one
        config = http.get("/app-config.json").json()
        assert config["singleUser"] is True
        assert config["oidcIssuer"] is None
        # the gateway's own routes are untouched
        assert http.get("/health").json()["status"] == "ok"
        assert "graphiql" in http.get("/graphql", headers={"Accept": "text/html"}).text.lower()
        missing = http.get("/nothing-here")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/json"
        browser_missing = http.get("/nothing-here", headers={"Accept": "text/html"})
        assert browser_missing.status_code == 404
        assert '<div id="root">' in browser_missing.text
        assert http.get("/assets/../index.html").status_code == 404
