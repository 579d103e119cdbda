"""GraphiQL in a real headless Chromium: it renders and runs a query with no request leaving
the gateway, so it works on networks without internet access.

Needs Debian's chromium (scripts/setup-browser.sh) and the playwright package; Playwright's
own browsers are not used (``playwright install`` downloads them from the internet).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.web.graphiql import STATIC_DIR
from tests.servers import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERY = "{ archives { id name } }"
SUBSCRIPTION = (
    'subscription { multiQueryStream(params: {}, datasets: ["dead-tap"]) { kind completed total } }'
)
SCREENSHOT = Path("/tmp/graphiql.png")


@pytest.fixture
def gateway(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1; its base URL."""
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless system Chromium with a fresh profile."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; run scripts/setup-browser.sh (Debian chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


def _editor_value(page: Page, selector: str) -> str:
    """The text of a GraphiQL CodeMirror editor, read through CodeMirror's own API."""
    value: Any = page.evaluate(
        "(selector) => document.querySelector(selector).CodeMirror.getValue()",
        selector,
    )
    assert isinstance(value, str)
    return value


def test_page_loads_only_local_assets(gateway: str) -> None:
    page = httpx.get(f"{gateway}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "unpkg.com" not in page.text
    assert "jsdelivr" not in page.text
    assert 'src="/static/graphiql/graphiql.min.js"' in page.text
    for name in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "start.js"):
        asset = httpx.get(f"{gateway}/static/graphiql/{name}", timeout=10)
        assert asset.status_code == 200, name
        assert asset.content == (STATIC_DIR / "graphiql" / name).read_bytes()


def _run(page: Page, query: str) -> None:
    """Replace the query as a user would (focus, select all, type over), then press run."""
    page.click(".graphiql-query-editor .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(query)
    assert _editor_value(page, ".graphiql-query-editor .CodeMirror") == query
    # GraphiQL parses the editor 100 ms after a change and picks HTTP or the websocket from
    # that parse: run once it has caught up with the text, as a person's click would.
    page.wait_for_function(
        """(selector) => {
            const editor = document.querySelector(selector).CodeMirror;
            const ast = editor.documentAST;
            return Boolean(ast && ast.loc && ast.loc.source.body === editor.getValue());
        }""",
        arg=".graphiql-query-editor .CodeMirror",
        timeout=10_000,
    )
    page.click(".graphiql-execute-button")


def _open_graphiql(browser: BrowserContext, gateway: str) -> Page:
    page = browser.new_page()
    page.goto(f"{gateway}/graphql", wait_until="load")
    page.wait_for_selector(".graphiql-container .graphiql-query-editor .CodeMirror", timeout=30_000)
    assert page.locator(".graphiql-execute-button").is_visible()
    return page


def test_graphiql_runs_a_query_offline(gateway: str, browser: BrowserContext) -> None:
    requests: list[str] = []
    failures: list[str] = []
    errors: list[str] = []
    browser.on("request", lambda request: requests.append(request.url))
    browser.on(
        "requestfailed", lambda request: failures.append(f"{request.url}: {request.failure}")
    )
    browser.on(
        "response",
        lambda response: (
            failures.append(f"{response.url}: HTTP {response.status}")
            if response.status >= 400
            else None
        ),
    )
    browser.on("weberror", lambda error: errors.append(str(error.error)))
    page = _open_graphiql(browser, gateway)

    _run(page, QUERY)
    page.locator(".graphiql-response").get_by_text('"esap-test"').wait_for(timeout=30_000)
    result = json.loads(_editor_value(page, ".graphiql-response .CodeMirror"))
    assert "errors" not in result
    assert {"id": "esap-test", "name": "ESAP test archive (local DaCHS)"} in result["data"][
        "archives"
    ]
    page.screenshot(path=str(SCREENSHOT))

    outside = [url for url in requests if not url.startswith(f"{gateway}/")]
    assert outside == [], f"requests left the gateway: {outside}"
    assert errors == [], errors
    assert failures == [], failures
    assert f"{gateway}/static/graphiql/graphiql.min.js" in requests
    assert f"{gateway}/graphql" in requests  # the page, then the introspection and the query


def test_graphiql_subscribes_over_websocket(gateway: str, browser: BrowserContext) -> None:
    sockets: list[str] = []
    browser.on("page", lambda page: page.on("websocket", lambda ws: sockets.append(ws.url)))
    page = _open_graphiql(browser, gateway)

    # dead-tap refuses connections at once: one RESULT (an error), then DONE, no DaCHS needed.
    _run(page, SUBSCRIPTION)
    page.locator(".graphiql-response").get_by_text('"DONE"').wait_for(timeout=30_000)
    event = json.loads(_editor_value(page, ".graphiql-response .CodeMirror"))
    assert event == {"data": {"multiQueryStream": {"kind": "DONE", "completed": 1, "total": 1}}}
    ws_url = gateway.replace("http://", "ws://", 1) + "/graphql"
    assert sockets == [ws_url]
