"""The http block of a catalogue entry: what it accepts, and every refusal naming its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from esap_graphql.config import CatalogueError, Settings, load_catalogue, parse_catalogue
from esap_graphql.domain.archives import FieldType, Protocol
from esap_graphql.domain.http_api import Escape, PagingStyle
from tests.queries.http_json_support import http_dataset

PLACE = "test.yaml: archives[0] (t) > datasets[0] (d)"
MINIMAL = "answer: {records: results}\n"


def refusal(http: str, *, extra: str = "") -> str:
    with pytest.raises(CatalogueError) as caught:
        http_dataset("https://archive.example.org/api", http, extra=extra)
    return str(caught.value)


def test_a_full_http_block_becomes_the_domain_description() -> None:
    dataset = http_dataset(
        "https://archive.example.org/api",
        """\
parameters:
  target: target__icontains
  ra: {name: view_ra}
  dec: view_dec
  radius: {name: fov, unit: arcmin}
  calibrationLevel: {name: level, values: {"1": raw, "2": processed}}
fixed: {format: json, public: true, limit: 3}
headers: {Accept: application/json}
paging: {style: offset, page_size: 200, size_parameter: limit_rows, max_pages: 9}
answer: {records: results, total: count}
record: {id: PID, ra: RA, access_url: "join('/', [base, path])"}
auth: {env: ARCHIVE_TOKEN, template: "Bearer {token}"}
max_response_bytes: 2048
""",
    )
    assert dataset.protocol is Protocol.HTTP
    api = dataset.http
    assert api is not None
    assert list(api.parameters) == ["target", "ra", "dec", "radius", "calibrationLevel"]
    assert api.parameters["target"].name == "target__icontains"
    assert api.parameters["radius"].unit == "arcmin"
    assert api.parameters["target"].escape is Escape.NONE
    assert api.fixed == (("format", "json"), ("public", "true"), ("limit", "3"))
    assert api.headers == (("Accept", "application/json"),)
    assert api.paging.style is PagingStyle.OFFSET
    assert api.paging.page_size == 200
    assert api.paging.max_pages == 9
    assert api.answer.total == "count"
    assert api.record["access_url"] == "join('/', [base, path])"
    assert api.auth is not None
    assert (api.auth.header, api.auth.env, api.auth.optional) == (
        "Authorization",
        "ARCHIVE_TOKEN",
        False,
    )
    assert api.max_response_bytes == 2048
    fields = {f.name: f for f in dataset.query_fields}
    assert list(fields) == ["ra", "dec", "radius", "target", "calibrationLevel"]
    assert fields["calibrationLevel"].type is FieldType.ENUM
    assert fields["calibrationLevel"].allowed_values == ("1", "2")
    assert "target__icontains" in fields["target"].description


def test_a_cone_without_a_target_mapping_still_takes_a_target_name() -> None:
    dataset = http_dataset(
        "https://archive.example.org/api",
        "parameters: {ra: ra, dec: dec, radius: sr}\n" + MINIMAL,
    )
    fields = {f.name: f for f in dataset.query_fields}
    assert list(fields) == ["ra", "dec", "radius", "target"]
    assert "Sesame" in fields["target"].description
    assert not any(f.required for f in dataset.query_fields)


def test_no_mapping_means_an_empty_form() -> None:
    assert http_dataset("https://archive.example.org/api", MINIMAL).query_fields == ()


@pytest.mark.parametrize(
    ("http", "where", "problem"),
    [
        ("answer: {records: 'results[?'}\n", "http > answer > records", "not a JMESPath"),
        ("answer: {total: count}\n", "http > answer > records", "Field required"),
        (
            MINIMAL + "record: {ra: 'RA[', id: PID}\n",
            "http > record",
            "ra: not a JMESPath expression",
        ),
        (MINIMAL + "record: {ascension: RA}\n", "http > record > ascension", "Input should be"),
        (MINIMAL + "parameters: {position: pos}\n", "http > parameters > position", "Input"),
        (
            MINIMAL + "parameters: {ra: 'view ra'}\n",
            "http > parameters > ra > name",
            "should match pattern",
        ),
        (
            MINIMAL + "parameters: {target: {name: q, template: 'name:x'}}\n",
            "http > parameters > target > template",
            "must hold {value}",
        ),
        (
            MINIMAL + "parameters: {target: {name: q, unit: arcsec}}\n",
            "http",
            "a unit applies to ra, dec and radius only",
        ),
        (
            MINIMAL + "parameters: {target: q}\nfixed: {q: x}\n",
            "http",
            "'q' is used by parameters.target and fixed",
        ),
        (
            MINIMAL + "parameters: {ra: page}\npaging: {style: page}\n",
            "http",
            "'page' is used by parameters.ra and paging.page_parameter",
        ),
        (
            MINIMAL + "parameters: {dataproductType: {name: t, values: {galaxy: g}}}\n",
            "http",
            "galaxy can never be asked for",
        ),
        (MINIMAL + "paging: {style: cursor}\n", "http", "cursor needs answer.next"),
        ("answer: {records: r, next: n}\n", "http", "read only when paging.style is link"),
        (
            MINIMAL + "headers: {Authorization: Bearer abc}\n",
            "http > headers",
            "credentials never go in the catalogue",
        ),
        (MINIMAL + "headers: {'bad header': x}\n", "http > headers", "not an HTTP header name"),
        (MINIMAL + "auth: {env: 'MY-TOKEN'}\n", "http > auth > env", "should match pattern"),
        (
            MINIMAL + "auth: {env: TOKEN, template: 'Bearer'}\n",
            "http > auth > template",
            "must hold {token}",
        ),
        (MINIMAL + "paging: {style: scroll}\n", "http > paging > style", "Input should be"),
        (MINIMAL + "max_response_bytes: 10\n", "http > max_response_bytes", "greater than"),
    ],
)
def test_problems_name_their_place(http: str, where: str, problem: str) -> None:
    message = refusal(http)
    assert f"{PLACE} > {where}" in message
    assert problem in message


def test_protocol_and_block_go_together() -> None:
    no_block = (
        "archives:\n  - id: t\n    name: T\n    datasets:\n      - id: d\n        name: D\n"
        "        protocol: http\n        access_url: https://a.org/api\n"
    )
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(no_block, source="test.yaml")
    assert "an http dataset needs 'http'" in str(caught.value)
    on_tap = no_block.replace("protocol: http", "protocol: tap\n        table: ivoa.obscore")
    on_tap += "        http: {answer: {records: r}}\n"
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(on_tap, source="test.yaml")
    assert "'http' applies to http datasets only, not tap" in str(caught.value)
    message = refusal(MINIMAL, extra="fields: {id: PID}\n")
    assert "maps record fields under http.record" in message


def test_the_shipped_rest_archives() -> None:
    catalogue = load_catalogue(Settings(config=None).catalogue_path())
    alta = catalogue.dataset("apertif-imaging-processed")
    zenodo = catalogue.dataset("zenodo-escape")
    zooniverse = catalogue.dataset("zooniverse-projects")
    assert alta is not None
    assert zenodo is not None
    assert zooniverse is not None
    assert [f.name for f in alta.query_fields] == [
        "ra",
        "dec",
        "radius",
        "target",
        "calibrationLevel",
        "dataproductType",
    ]
    assert alta.multi_query
    assert alta.http is not None
    assert alta.http.paging.style is PagingStyle.LINK
    assert [f.name for f in zenodo.query_fields] == ["target"]  # the community is fixed
    assert zenodo.http is not None
    assert zenodo.http.auth is not None
    assert zenodo.http.auth.optional
    assert [(f.name, f.label) for f in zooniverse.query_fields] == [("target", "Project name")]


def test_the_readme_example_is_a_valid_entry() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### REST/JSON archives")
    example = re.search(r"```yaml\n(.*?)```", readme[start:], flags=re.S)
    assert example is not None
    text = "archives:\n  - id: alta\n    name: ALTA\n    datasets:\n" + example.group(1)
    dataset = parse_catalogue(text, source="README.md").dataset("apertif-imaging-processed")
    assert dataset is not None
    assert dataset.http is not None
    assert dataset.http.auth is not None
    assert dataset.http.auth.template == "Token {token}"
    assert dataset.http.parameters["dataproductType"].values == {"image": "image", "cube": "cube"}
