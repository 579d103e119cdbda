"""The notebook client against a real gateway server (sign-in on, a scoped token as a launch
would hand out), and where it finds its connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from esap_graphql.app import create_app
from esap_graphql.client import BasketClientError, connect, find_connection
from esap_graphql.client.basket import Connection, to_item
from esap_graphql.config import Settings
from esap_graphql.domain.tokens import ScopeAction
from esap_graphql.identity.scoped_tokens import ScopedTokens, signing_key
from tests.analysis.conftest import ANALYSIS_CATALOGUE
from tests.oidc_issuer import AUDIENCE, Issuer
from tests.servers import serve_in_thread


@pytest.fixture
def served(tmp_path: Path, issuer: Issuer) -> Iterator[tuple[str, ScopedTokens, str]]:
    """A real gateway server with sign-in on; its URL, its token signer, alice's user id."""
    settings = Settings(
        config=ANALYSIS_CATALOGUE,
        data_dir=tmp_path / "data",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )
    tokens = ScopedTokens(key=signing_key(None, settings.data_dir))
    with serve_in_thread(create_app(settings)) as base:
        yield base, tokens, f"{issuer.url}|alice"


def test_read_and_add_with_a_launch_token(served: tuple[str, ScopedTokens, str]) -> None:
    base, tokens, alice = served
    token = tokens.issue(alice, "project", [ScopeAction.WRITE]).token
    with connect(base, basket="project", token=token) as basket:
        assert len(basket.table()) == 0
        added = basket.add(
            [
                {"dataset": "apertif-dr1", "record_id": "a", "ra": 1.5, "dec": 2.0, "snr": 7},
                {"dataset": "apertif-dr1", "recordId": "b", "title": "B", "sizeBytes": 10},
            ]
        )
        assert added == 2
        table = basket.table()
        assert table.meta["basket"] == "project"
        assert list(table["record_id"]) == ["a", "b"]
        assert table["ra"].unit == "deg"
        assert table["ra"][0] == 1.5
        assert bool(table["ra"].mask[1]) is True
        assert table["size_bytes"].dtype == np.int64
        assert table["size_bytes"][1] == 10
        assert table["record"][0] == {"snr": 7}
        assert table["dataset_available"].dtype == bool
        # rows read back can be added back: nothing is duplicated
        assert basket.add(table) == 0
        mine = Table({"dataset": ["apertif-dr1"] * 2, "record_id": ["c", "d"], "flux": [0.1, 0.2]})
        assert basket.add(mine, batch_size=1) == 2
        assert basket.table()["record"][3] == {"flux": 0.2}


def test_a_read_only_token_cannot_add(served: tuple[str, ScopedTokens, str]) -> None:
    base, tokens, alice = served
    with connect(base, basket="project", token=tokens.issue(alice, "project", []).token) as b:
        with pytest.raises(BasketClientError) as refused:
            b.add([{"dataset": "apertif-dr1", "record_id": "x"}])
        assert refused.value.code == "insufficient_scope"
    other = connect(base, basket="other", token=tokens.issue(alice, "project", []).token)
    with other, pytest.raises(BasketClientError, match="not the token's basket"):
        other.table()
    expired = tokens.issue(alice, "project", [], lifetime=-60).token
    with connect(base, basket="project", token=expired) as b:
        with pytest.raises(BasketClientError) as refused:
            b.table()
        assert refused.value.code == "invalid_token"


def test_unknown_datasets_are_refused(served: tuple[str, ScopedTokens, str]) -> None:
    base, tokens, alice = served
    token = tokens.issue(alice, "project", [ScopeAction.WRITE]).token
    with connect(base, basket="project", token=token) as basket:
        with pytest.raises(BasketClientError) as refused:
            basket.add([{"dataset": "no-such-dataset", "record_id": "x"}])
        assert refused.value.code == "unknown_dataset"


def test_rows_become_items() -> None:
    row = {
        "dataset": "d",
        "record_id": np.int64(5),
        "ra": np.float64(1.0),
        "dec": float("nan"),
        "id": "12",  # read-only columns of a read table are dropped
        "added_at": "2020-01-01",
        "flux": np.float32(0.5),
        "record": {"obs_id": "x"},
    }
    assert to_item(row) == {
        "dataset": "d",
        "recordId": "5",
        "ra": 1.0,
        "record": {"obs_id": "x", "flux": 0.5},
    }
    with pytest.raises(BasketClientError, match="needs dataset and record_id"):
        to_item({"dataset": "d"})


def test_finding_the_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ESAP_GATEWAY_URL", "ESAP_BASKET", "ESAP_TOKEN", "ESAP_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    workflow = tmp_path / "server" / "wf" / "notebooks"
    workflow.mkdir(parents=True)
    assert find_connection(workflow) is None
    monkeypatch.chdir(workflow)
    with pytest.raises(BasketClientError) as missing:
        connect()
    assert missing.value.code == "no_connection"
    launch = {"gateway_url": "http://gw:8000", "basket": "project", "token": "t1"}
    (tmp_path / "server" / "wf" / "esap.json").write_text(json.dumps(launch))
    found = find_connection(workflow)
    assert found == Connection(gateway_url="http://gw:8000", basket="project", token="t1")
    assert found.graphql_url == "http://gw:8000/graphql"
    with connect() as basket:  # the working directory is the notebook's
        assert basket.connection == found
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"gateway_url": "http://other", "token": "t2"}))
    monkeypatch.setenv("ESAP_CONNECTION", str(other))
    assert find_connection(workflow) == Connection(gateway_url="http://other", token="t2")
    monkeypatch.setenv("ESAP_GATEWAY_URL", "http://env:1")
    monkeypatch.setenv("ESAP_BASKET", "b")
    assert find_connection(workflow) == Connection(gateway_url="http://env:1", basket="b")
