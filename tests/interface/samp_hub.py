"""A SAMP hub with the Web Profile (pyvo.samp, formerly astropy.samp) for the browser tests,
its consent dialog answered yes, and a table tool connected to it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from astropy.io.votable import parse_single_table
from pyvo.samp import SAMPHubError, SAMPHubServer, SAMPIntegratedClient, WebProfileDialog

TOOL = "Test TOPCAT"


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


@contextmanager
def running_hub(folder: Path) -> Iterator[tuple[AutoConsent, Tool]]:
    """A SAMP hub with the Web Profile on its standard port, and a table tool connected."""
    dialog = AutoConsent()
    lockfile = folder / "samp-hub"
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
    """Fetch a VOTable as a tool would (no token), and read one column."""
    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    path = tmp / "received.vot"
    path.write_bytes(response.content)
    return [str(value) for value in parse_single_table(str(path)).to_table()[column]]
