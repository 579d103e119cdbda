"""Basket exports at a stable authenticated URL: VOTable (read by pyvo and astropy), CSV, JSON."""

from __future__ import annotations

import csv
import io
import json

import pyvo
from astropy.io.votable import parse

from tests.basket.conftest import Gateway
from tests.support import graphql_data

ITEMS = [
    {
        "dataset": "apertif-dr1",
        "recordId": "ivo://astron.nl/apertif?230101001",
        "title": "Apertif cube, 'quoted', comma",
        "accessUrl": "https://vo.astron.nl/getproduct/230101001.fits",
        "accessFormat": "image/fits",
        "sizeBytes": 3_500_000_000,
        "ra": 202.4842,
        "dec": 47.2306,
        "record": {"obs_id": "230101001", "beams": [1, 2], "note": "naïve"},
    },
    {"dataset": "lotss-dr2", "recordId": "ILTJ133.1+47.2"},
]


async def fill(gw: Gateway, user: str = "alice") -> None:
    data = await graphql_data(
        gw.client,
        """mutation($items: [BasketItemInput!]!) { addToBasket(items: $items, basket: "paper") {
             __typename } }""",
        {"items": ITEMS},
        headers=gw.headers(user),
    )
    assert data["addToBasket"]["__typename"] == "BasketItemsAdded"


async def export_urls(gw: Gateway) -> dict[str, str]:
    data = await graphql_data(
        gw.client,
        """{ basket(name: "paper") { votable: exportUrl(format: VOTABLE)
             csv: exportUrl(format: CSV) json: exportUrl(format: JSON) } }""",
        headers=gw.headers("alice"),
    )
    urls: dict[str, str] = data["basket"]
    return urls


async def test_export_urls_are_stable_paths_of_the_gateway(gateway: Gateway) -> None:
    urls = await export_urls(gateway)
    assert urls == {
        "votable": "http://localhost/baskets/paper/export.votable",
        "csv": "http://localhost/baskets/paper/export.csv",
        "json": "http://localhost/baskets/paper/export.json",
    }


async def test_votable_export_is_read_by_pyvo_and_astropy(gateway: Gateway) -> None:
    await fill(gateway)
    url = (await export_urls(gateway))["votable"]
    response = await gateway.client.get(url, headers=gateway.headers("alice"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-votable+xml")
    assert response.headers["cache-control"] == "private, no-store"
    votable = parse(io.BytesIO(response.content))
    results = pyvo.dal.DALResults(votable, url=url)
    table = results.to_table()
    assert len(table) == 2
    first = table[0]
    assert first["record_id"] == "ivo://astron.nl/apertif?230101001"
    assert first["title"] == "Apertif cube, 'quoted', comma"
    assert first["size_bytes"] == 3_500_000_000
    assert abs(first["ra"] - 202.4842) < 1e-9
    assert str(table["ra"].unit) == "deg"
    assert json.loads(first["record"]) == ITEMS[0]["record"]
    assert bool(first["dataset_available"]) is True
    # The second item has no position: masked, not zero.
    assert table["ra"].mask[1]
    field = votable.get_first_table().get_field_by_id("ra")
    assert field.ucd == "pos.eq.ra;meta.main"


async def test_csv_export(gateway: Gateway) -> None:
    await fill(gateway)
    response = await gateway.client.get(
        "/baskets/paper/export.csv", headers=gateway.headers("alice")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="paper.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["record_id"] for r in rows] == [i["recordId"] for i in ITEMS]
    assert rows[0]["title"] == "Apertif cube, 'quoted', comma"
    assert rows[0]["size_bytes"] == "3500000000"
    assert json.loads(rows[0]["record"]) == ITEMS[0]["record"]
    assert rows[1]["ra"] == ""


async def test_json_export(gateway: Gateway) -> None:
    await fill(gateway)
    response = await gateway.client.get(
        "/baskets/paper/export.json", headers=gateway.headers("alice")
    )
    doc = response.json()
    assert doc["basket"] == "paper"
    assert doc["count"] == 2
    assert doc["items"][0]["record"] == ITEMS[0]["record"]
    assert doc["items"][1]["dataset"] == "lotss-dr2"


async def test_empty_basket_exports_are_valid(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/baskets/default/export.votable", headers=gateway.headers("alice")
    )
    assert response.status_code == 200
    table = pyvo.dal.DALResults(parse(io.BytesIO(response.content))).to_table()
    assert len(table) == 0
    assert "record_id" in table.colnames


async def test_export_needs_a_valid_token(gateway: Gateway) -> None:
    await fill(gateway)
    missing = await gateway.client.get("/baskets/paper/export.json")
    assert missing.status_code == 401
    assert missing.json()["error"] == "missing_token"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    token = gateway.issuer.token("alice", expires_in=-600)
    expired = await gateway.client.get(
        "/baskets/paper/export.json", headers={"Authorization": f"Bearer {token}"}
    )
    assert expired.status_code == 401
    assert expired.json() == {
        "error": "invalid_token",
        "message": "the bearer token was rejected: token has expired",
    }
    assert token not in expired.text


async def test_unknown_format_and_bad_name(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/baskets/paper/export.xlsx", headers=gateway.headers("alice")
    )
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_format"
    response = await gateway.client.get(
        "/baskets/a%20b/export.csv", headers=gateway.headers("alice")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_basket_name"
