"""The web interface in a real headless Chromium, against the real gateway under uvicorn.

The gateway serves the built app (esap_graphql/static/app) over the local DaCHS catalogue,
plus ``slow-images``: the same DaCHS TAP service behind the fault-injecting proxy, which
holds its answers until a test releases them. One gateway and proxy serve the whole package,
one browser each module; each test gets a fresh browser context (its own storage).
Screenshots go to ``ESAP_SCREENSHOT_DIR`` (default: a temporary directory).

Needs Debian's chromium (scripts/setup-browser.sh) and web/node_modules for axe-core
(scripts/setup-web.sh); Playwright's own browsers are never downloaded. Playwright's sync
API holds an event loop while it runs, so it lives per module: a module of asyncio tests
(test_routes.py) must not use the browser.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from starlette.requests import Request
from starlette.responses import Response

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.web.single_page_app import APP_DIR
from tests.servers import DachsProxy, serve_in_thread
from tests.support import DACHS_CATALOGUE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SLOW_DATASET = "slow-images"

# A shared 2-core machine can be slow to answer; waits are not measurements (benchmarks/ui.py).
expect.set_options(timeout=20_000)
DOCS = Path(__file__).parents[2] / "docs"


@dataclass
class GatedProxy(DachsProxy):
    """The DaCHS proxy; requests of a held route wait until the test releases it."""

    gates: dict[str, threading.Event] = field(default_factory=dict)
    #: Requests that arrived while their route was held, by route.
    held_requests: dict[str, int] = field(default_factory=dict)
    url: str = ""

    def hold(self, route: str) -> None:
        """Answers on ``route`` wait from now on."""
        self.gates[route] = threading.Event()

    def release(self, route: str) -> None:
        """Let the waiting and later answers of ``route`` through."""
        gate = self.gates.pop(route, None)
        if gate is not None:
            gate.set()

    async def _handle(self, request: Request) -> Response:
        route = request.path_params["route"]
        gate = self.gates.get(route)
        if gate is not None:
            self.held_requests[route] = self.held_requests.get(route, 0) + 1
            for _ in range(1200):  # at most 60 s, whatever the test does
                if gate.is_set():
                    break
                await asyncio.sleep(0.05)
        return await super()._handle(request)


@dataclass(frozen=True)
class Gateway:
    """The gateway under test and what it was built from."""

    url: str
    settings: Settings


def web_catalogue(proxy_url: str) -> dict[str, Any]:
    """The DaCHS test catalogue plus a dataset that answers only when a test lets it."""
    catalogue: dict[str, Any] = yaml.safe_load(DACHS_CATALOGUE.read_text(encoding="utf-8"))
    catalogue["archives"].append(
        {
            "id": "slow-archive",
            "name": "Slow archive (held by the test proxy)",
            "short_description": "The local DaCHS images, answering when the test says so.",
            "datasets": [
                {
                    "id": SLOW_DATASET,
                    "name": "Test images, slowly",
                    "protocol": "tap",
                    "access_url": f"{proxy_url}/slow/tap",
                    "table": "ivoa.obscore",
                    "collection": "esaptest-images",
                    "timeout": 60,
                    "multi_query": False,
                }
            ],
        }
    )
    return catalogue


@pytest.fixture(scope="package")
def proxy(dachs: str) -> Iterator[GatedProxy]:
    """The fault-injecting proxy in front of DaCHS, under uvicorn."""
    gated = GatedProxy()
    with serve_in_thread(gated.app()) as url:
        gated.url = url
        yield gated


def gateway_settings(tmp: Path, proxy_url: str, **overrides: Any) -> Settings:
    """Settings over the web test catalogue, with a private SQLite database."""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "catalogue.yaml"
    path.write_text(yaml.safe_dump(web_catalogue(proxy_url)), encoding="utf-8")
    return Settings(config=path, data_dir=tmp / "data", query_timeout=20, **overrides)


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory, proxy: GatedProxy) -> Iterator[Gateway]:
    """The real app (single-user mode, in-process jobs) under uvicorn on 127.0.0.1."""
    if not (APP_DIR / "index.html").is_file():
        pytest.fail("the web app is not built: run scripts/build-web.sh")
    settings = gateway_settings(tmp_path_factory.mktemp("web-gateway"), proxy.url)
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url=url, settings=settings)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless system Chromium, once per module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; run scripts/setup-browser.sh (Debian chromium)")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, chromium_sandbox=False, args=CHROMIUM_ARGS
    )
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class PageErrors:
    """Script errors and failed requests a page had; tests assert there were none."""

    errors: list[str] = field(default_factory=list)


def open_context(browser: Browser, base_url: str) -> BrowserContext:
    """A fresh context (cookies, storage) on the gateway."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(20_000)
    return context


@pytest.fixture
def context(browser: Browser, gateway: Gateway) -> Iterator[BrowserContext]:
    ctx = open_context(browser, gateway.url)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(context: BrowserContext, page_errors: PageErrors) -> Iterator[Page]:
    """A page of the app; uncaught script errors fail the test."""
    opened = context.new_page()
    opened.on("pageerror", lambda error: page_errors.errors.append(str(error)))
    yield opened
    assert page_errors.errors == [], page_errors.errors


@pytest.fixture(scope="package")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("ESAP_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shoot(screenshot_dir: Path) -> Any:
    """``shoot(page, name)`` saves a full-page screenshot of the page as it is.

    With ``docs=NAME`` and ``ESAP_DOCS_SCREENSHOTS=1``, the window's view also goes to
    ``docs/NAME.png`` (the README's pictures).
    """

    def take(page: Page, name: str, *, docs: str | None = None) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("ESAP_DOCS_SCREENSHOTS") == "1":
            page.screenshot(path=str(DOCS / f"{docs}.png"))
        return path

    return take


def check_accessibility(page: Page) -> None:
    """axe-core over the page as it is now: no serious or critical violation."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing; run scripts/setup-web.sh")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        }"""
    )
    assert violations == [], f"accessibility violations on {page.url}: {violations}"
