"""OAI-PMH pages, DataLink documents and service descriptors: recorded answers and broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from esap_graphql.connectors.datalink import parse_links
from esap_graphql.connectors.oai_pmh import parse_list_records
from esap_graphql.connectors.service_descriptor import find_descriptor
from esap_graphql.connectors.votable import votable_to_result
from esap_graphql.domain.datalink import (
    DATALINK_CONTENT_TYPE,
    LinkRequest,
    ServiceDescriptor,
    is_datalink_format,
    link_request,
)
from esap_graphql.domain.errors import ArchiveFailure, MalformedResponse
from esap_graphql.domain.registry import ServiceType

DATA = Path(__file__).parent.parent / "data"
URL = "http://registry.test/oai"

OAI_HEAD = (
    '<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2024-05-01T10:00:00Z</responseDate><request/>"
)


def page(body: str) -> bytes:
    return (OAI_HEAD + body + "</OAI-PMH>").encode()


def test_a_recorded_dachs_page_gives_resources_and_a_token() -> None:
    parsed = parse_list_records(
        (DATA / "oai" / "dachs-cone-page.xml").read_bytes(), url=URL, source=URL
    )
    assert parsed.resumption_token
    by_id = {r.ivoid: r for r in parsed.records}
    cone = by_id["ivo://esap.test/esapreg/q/cone"].resource
    assert cone is not None
    assert cone.title == "ESAP test cone search (registered)"
    assert cone.publisher == "ESAP test archive"
    assert cone.resource_type == "vs:CatalogService"
    assert cone.subjects == ("observational-astronomy", "radio-astronomy")
    assert cone.wavebands == ("radio",)
    scs = [c for c in cone.capabilities if c.service_type is ServiceType.SCS]
    assert [c.access_url for c in scs] == ["http://localhost:8080/esapreg/q/cone/scs.xml?"]
    assert scs[0].interface_type == "vs:ParamHTTP"
    assert cone.source == URL


def test_deleted_records_and_an_empty_result() -> None:
    deleted = page(
        "<ListRecords><record><header status='deleted'><identifier>ivo://x.test/gone"
        "</identifier><datestamp>2024-01-01T00:00:00Z</datestamp></header></record>"
        "<resumptionToken/></ListRecords>"
    )
    parsed = parse_list_records(deleted, url=URL, source=URL)
    assert [(r.ivoid, r.deleted, r.resource) for r in parsed.records] == [
        ("ivo://x.test/gone", True, None)
    ]
    assert parsed.resumption_token is None
    empty = parse_list_records(
        page('<error code="noRecordsMatch">nothing</error>'), url=URL, source=URL
    )
    assert empty.records == ()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", MalformedResponse),
        (b"<html>not a registry</html>", MalformedResponse),
        (b"<OAI-PMH", MalformedResponse),
        (page('<error code="badResumptionToken">expired</error>'), ArchiveFailure),
        (page("<GetRecord/>"), MalformedResponse),
        (page("<ListRecords><record><metadata/></record></ListRecords>"), MalformedResponse),
        (
            page(
                "<ListRecords><record><header><identifier>ivo://a.test/x</identifier>"
                "</header><metadata><Resource><title>no identifier</title></Resource>"
                "</metadata></record></ListRecords>"
            ),
            MalformedResponse,
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
            b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
            b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
            b"<r>&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;</r>",
            MalformedResponse,
        ),
    ],
)
def test_malformed_oai_pmh_answers_are_typed(content: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_list_records(content, url=URL, source=URL)


def test_a_recorded_datalink_document() -> None:
    links = parse_links((DATA / "votables" / "dachs-datalink-links.vot").read_bytes(), url=URL)
    good = [link for link in links if link.id == "ivo://esap.test/linked?301"]
    assert {link.semantics for link in good} == {"#this", "#preview", "#auxiliary"}
    preview = next(link for link in good if link.semantics == "#preview")
    assert preview.content_type == "image/png"
    assert preview.size is not None
    assert preview.size > 0
    bad = [link for link in links if link.id == "ivo://esap.test/nothing"]
    assert [(b.url, b.error_message) for b in bad] == [
        (None, "NotFoundFault: Not a dataset of the ESAP test archive")
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html>oops</html>",
        (DATA / "votables" / "dachs-obscore-with-datalink.vot").read_bytes(),  # no DataLink columns
    ],
)
def test_malformed_datalink_documents(content: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_links(content, url=URL)


def test_the_service_descriptor_of_a_recorded_answer_reaches_every_record() -> None:
    content = (DATA / "votables" / "dachs-obscore-with-datalink.vot").read_bytes()
    expected = ServiceDescriptor(
        access_url="http://localhost:8080/__system__/obscore/dl/dlmeta",
        id_column="obs_publisher_did",
    )
    assert find_descriptor(content) == expected
    result = votable_to_result(content, url=URL, native_query="q", field_map={}, limit=10)
    assert len(result.records) == 2
    assert all(r.datalink == expected for r in result.records)
    request = link_request(
        result.records[0].access_url,
        result.records[0].access_format,
        result.records[0].fields,
        result.records[0].datalink,
    )
    assert request == LinkRequest(expected.access_url, "ivo://esap.test/images?1")


def test_answers_without_descriptors_and_descriptors_of_other_services() -> None:
    assert find_descriptor((DATA / "votables" / "scs.xml").read_bytes()) is None
    soda = (
        b'<VOTABLE><RESOURCE type="results"><TABLE><FIELD ID="did" name="did"/></TABLE>'
        b'</RESOURCE><RESOURCE type="meta" utype="adhoc:service">'
        b'<PARAM name="standardID" value="ivo://ivoa.net/std/SODA#sync-1.0"/>'
        b'<PARAM name="accessURL" value="http://x.test/soda"/>'
        b'<GROUP name="inputParams"><PARAM name="ID" ref="did"/></GROUP></RESOURCE></VOTABLE>'
    )
    assert find_descriptor(soda) is None


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (DATALINK_CONTENT_TYPE, True),
        ("application/x-votable+xml; content=datalink", True),
        ('Application/X-VOTable+XML;Content="datalink"', True),
        ("application/x-votable+xml", False),
        ("image/fits", False),
        (None, False),
    ],
)
def test_datalink_content_types(content_type: str | None, expected: bool) -> None:
    assert is_datalink_format(content_type) is expected


def test_a_datalink_access_url_splits_into_endpoint_and_id() -> None:
    url = "https://x.test/dl/links?ID=ivo%3A%2F%2Fx.test%2Fa%3F1"
    assert link_request(url, DATALINK_CONTENT_TYPE, {}, None) == LinkRequest(
        "https://x.test/dl/links", "ivo://x.test/a?1"
    )
    other = "https://x.test/dl/links?ID=a&RESPONSEFORMAT=votable"
    assert link_request(other, DATALINK_CONTENT_TYPE, {}, None) == LinkRequest(other, None)
    assert link_request(url, "image/fits", {}, None) is None
