"""IVOA-SAMP from the browser: the page registers with astropy's SAMP hub (now kept in
``pyvo.samp``, astropy 8 deprecated its copy) over the Web Profile (XML-RPC at
http://localhost:21012/) and sends a results page and a basket as VOTable URLs with
table.load.votable; a SAMP client (standing in for TOPCAT) receives them and reads the rows
from the gateway."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from astropy.io.votable import parse_single_table
from playwright.sync_api import Page, expect
from pyvo.samp import SAMPHubError, SAMPHubServer, SAMPIntegratedClient, WebProfileDialog

from tests.web.conftest import check_accessibility

TOOL = "Test TOPCAT"
SEARCH = "/query/esap-cubes?ra=10&dec=-30&radius=1&page=1&pageSize=5"  # 6 cubes, 2 pages


class AutoConsent(WebProfileDialog):
    """The hub's "accept this web page?" dialog, answered yes; remembers who asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def show_dialog(self, samp_name: str, details: Any, client: Any, origin: str) -> None:
        self.asked.append((samp_name, origin))
        self.consent()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.handle_queue()
            self._stop.wait(0.05)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Tool:
    """A SAMP client that accepts tables, as TOPCAT does."""

    def __init__(self, hub: SAMPHubServer) -> None:
        self.received: queue.Queue[dict[str, str]] = queue.Queue()
        self.client = SAMPIntegratedClient(name=TOOL, description="receives tables")
        self.client.connect(hub=hub)
        self.client.bind_receive_notification("table.load.votable", self._receive)

    def _receive(
        self, private_key: str, sender_id: str, mtype: str, params: Any, extra: Any
    ) -> None:
        self.received.put(dict(params))

    def next_table(self) -> dict[str, str]:
        return self.received.get(timeout=20)


@pytest.fixture(scope="module")
def samp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AutoConsent, Tool]]:
    """A SAMP hub with the Web Profile on its standard port, and a table tool connected."""
    dialog = AutoConsent()
    lockfile = Path(tmp_path_factory.mktemp("samp")) / "samp-hub"
    hub = SAMPHubServer(
        web_profile=True, web_profile_dialog=dialog, lockfile=str(lockfile), mode="multiple"
    )
    try:
        hub.start()
    except SAMPHubError as exc:
        pytest.fail(f"cannot start a SAMP hub with the Web Profile on port 21012: {exc}")
    dialog.start()
    tool = Tool(hub)
    try:
        yield dialog, tool
    finally:
        tool.client.disconnect()
        dialog.stop()
        hub.stop()


def votable_ids(url: str, column: str, tmp: Path) -> list[str]:
    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    path = tmp / "received.vot"
    path.write_bytes(response.content)
    return [str(value) for value in parse_single_table(str(path)).to_table()[column]]


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
