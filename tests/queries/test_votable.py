"""VOTable answers to records, offline, on answers recorded from the local DaCHS.

Recorded with curl from the archive described in deploy/dachs/README.md (see
tests/data/votables/README.md); sia1-ucd1.xml and mapping.xml are written by hand.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from astropy.io.votable import parse as astropy_parse
from astropy.io.votable.exceptions import E16
from astropy.io.votable.tree import CooSys
from pyvo.dal.query import DALResults
from pyvo.dal.scs import SCSResults
from pyvo.dal.sia import SIAResults
from pyvo.dal.sia2 import SIA2Results
from pyvo.dal.tap import TAPResults

from esap_graphql.connectors.votable import (
    check_results,
    parse_votable,
    table_to_records,
    votable_to_result,
)
from esap_graphql.domain.errors import ArchiveFailure, MalformedResponse
from esap_graphql.domain.records import ResultSet

VOTABLES = Path(__file__).resolve().parents[1] / "data" / "votables"
URL = "http://archive.test/endpoint"


def load(
    name: str,
    *,
    results_class: type[DALResults] = DALResults,
    field_map: dict[str, str] | None = None,
    limit: int = 1000,
) -> ResultSet:
    return votable_to_result(
        (VOTABLES / name).read_bytes(),
        url=URL,
        native_query="the native query",
        field_map=field_map or {},
        limit=limit,
        results_class=results_class,
    )


# --- well-formed answers -------------------------------------------------------------


def test_tap_obscore_answer_maps_obscore_columns() -> None:
    # cone (200, 50) r=0.5 on ivoa.obscore: 7 rows (5 images, 2 cubes) per the DaCHS README
    result = load("tap-obscore.xml", results_class=TAPResults)
    assert len(result.records) == 7
    assert result.overflow is False
    assert result.native_query == "the native query"
    by_id = {r.id: r for r in result.records}
    assert len(by_id) == 7
    assert all(i is not None and i.startswith("ivo://esap.test/") for i in by_id)
    image = by_id["ivo://esap.test/images?24"]
    assert image.title == "ESAP test image 24 (g band)"
    assert image.target == "ESAP Field A"
    assert image.ra == pytest.approx(199.4877765)
    assert image.dec == pytest.approx(50.357614)
    assert image.fov == pytest.approx(0.3121)
    assert image.dataproduct_type == "image"
    assert image.calibration_level == 2
    assert image.collection == "esaptest-images"
    assert image.access_url == "http://localhost:8080/esaptest/data/24.fits"
    assert image.access_format == "image/fits"
    # access_estsize is 17496 kbyte: sizes are reported in bytes
    assert image.fields["access_estsize"] == 17496
    assert image.size_bytes == 17_496_000
    # preview is NULL (sent as an empty string by DaCHS): no thumbnail
    assert image.thumbnail_url is None
    types = sorted(r.dataproduct_type or "" for r in result.records)
    assert types == ["cube", "cube", "image", "image", "image", "image", "image"]


def test_native_columns_are_all_present_with_plain_values() -> None:
    result = load("tap-obscore.xml", results_class=TAPResults)
    record = result.records[0]
    names = [c.name for c in result.columns]
    assert list(record.fields) == names
    assert len(record.fields) == len(names)
    assert "s_region" in names
    assert "source_table" in names
    assert isinstance(record.fields["s_ra"], float)
    assert isinstance(record.fields["calib_level"], int)
    assert isinstance(record.fields["obs_publisher_did"], str)
    assert record.fields["s_region"].startswith("Polygon ICRS")
    # pol_xel is a NULL integer
    assert record.fields["pol_xel"] is None


def test_columns_carry_unit_ucd_and_datatype() -> None:
    result = load("tap-obscore.xml", results_class=TAPResults)
    columns = {c.name: c for c in result.columns}
    assert columns["s_ra"].unit == "deg"
    assert columns["s_ra"].ucd == "pos.eq.ra"
    assert columns["s_ra"].datatype == "double"
    assert columns["access_estsize"].unit == "kbyte"
    assert columns["obs_id"].unit is None


def test_scs_answer_maps_by_ucd1_fallback() -> None:
    # DaCHS's SCS renderer rewrites UCDs to ID_MAIN / POS_EQ_RA_MAIN / POS_EQ_DEC_MAIN
    result = load("scs.xml", results_class=SCSResults)
    assert len(result.records) == 20  # (200, 50) r=0.5 -> 20 sources
    assert result.overflow is False
    ucds = {c.name: c.ucd for c in result.columns}
    assert ucds["id"] == "ID_MAIN"
    for record in result.records:
        assert record.id is not None
        assert record.id.startswith("src-")
        assert record.id == record.fields["id"]
        assert record.ra == record.fields["ra"]
        assert record.dec == record.fields["dec"]
        assert record.ra is not None
        assert record.dec is not None
        assert 199.0 < record.ra < 201.0
        assert 49.4 < record.dec < 50.6
        # no ObsCore product columns in a source catalogue
        assert record.dataproduct_type is None
        assert record.size_bytes is None


def test_sia2_answer_is_obscore_shaped() -> None:
    result = load("sia2.xml", results_class=SIA2Results)
    assert len(result.records) == 15  # documented: POS=CIRCLE 200 50 0.5 -> 15 rows
    assert {r.collection for r in result.records} <= {"esaptest-images", "esaptest-cubes"}
    assert all(r.id and r.id.startswith("ivo://esap.test/") for r in result.records)
    assert all(r.size_bytes is not None and r.size_bytes % 1000 == 0 for r in result.records)


def test_sia1_answer_maps_vox_image_ucds() -> None:
    result = load("sia1-ucd1.xml", results_class=SIAResults)
    first, second, blank = result.records
    assert first.title == "WSRT 1.4 GHz mosaic M 31"
    assert first.ra == pytest.approx(10.6847)
    assert first.dec == pytest.approx(41.2690)
    assert first.access_url == "http://images.example.org/get?id=m31-1"
    assert first.access_format == "image/fits"
    # VOX:Image_FileSize is in bytes already
    assert first.size_bytes == 2_880_000
    assert second.access_format == "image/jpeg"
    assert second.size_bytes == 125_000
    # empty text -> None, NaN -> None
    assert blank.title is None
    assert blank.access_format is None
    assert blank.ra is None
    assert blank.dec == -5.5
    assert blank.fields["raj2000"] is None
    # no identifier column: stable, distinct fallback ids
    record_ids = [r.id for r in result.records]
    assert all(i is not None and i.startswith("row:") for i in record_ids)
    assert len(set(record_ids)) == 3
    again = load("sia1-ucd1.xml", results_class=SIAResults)
    assert [r.id for r in again.records] == record_ids


def test_configured_field_map_wins_and_converts_units() -> None:
    field_map = {
        "id": "obj_key",
        "title": "label",
        "ra": "alpha",
        "dec": "delta",
        "calibration_level": "level",
        "size_bytes": "volume",
        "access_url": "link",
    }
    first, second = load("mapping.xml", field_map=field_map).records
    assert first.id == "k-1"
    assert first.title == "first"
    assert first.ra == 12.5
    assert first.dec == -45.25
    assert first.calibration_level == 3
    assert first.size_bytes == 1_500_000  # 1.5 Mbyte
    assert first.access_url == "http://x.example/1"
    assert second.id == "k-2"
    assert second.title is None  # empty string
    assert second.ra is None  # NaN
    assert second.dec == 10.0
    assert second.calibration_level is None  # VALUES null="-1"
    assert second.size_bytes is None  # empty double
    assert second.access_url is None
    assert second.fields["flux"] is None  # float NaN in the native columns too
    assert second.fields["level"] is None
    assert first.fields["flux"] == 2.5


def test_unmapped_columns_leave_record_fields_empty() -> None:
    first, _ = load("mapping.xml").records
    assert first.ra is None
    assert first.title is None
    assert first.id is not None
    assert first.id.startswith("row:")
    assert first.fields["obj_key"] == "k-1"


def test_field_map_naming_a_missing_column_gives_none_not_a_fallback() -> None:
    result = load("tap-obscore.xml", results_class=TAPResults, field_map={"title": "no_such"})
    assert all(r.title is None for r in result.records)
    assert all(r.ra is not None for r in result.records)


def test_estsize_without_unit_defaults_to_kbyte() -> None:
    content = (VOTABLES / "tap-obscore.xml").read_bytes()
    # the same answer with the unit attribute removed from access_estsize
    stripped = content.replace(
        b'name="access_estsize" ucd="phys.size;meta.file" unit="kbyte"',
        b'name="access_estsize" ucd="phys.size;meta.file"',
    )
    assert stripped != content, "recorded answer changed shape"
    result = votable_to_result(
        stripped, url=URL, native_query="q", field_map={}, limit=100, results_class=TAPResults
    )
    assert {c.name: c.unit for c in result.columns}["access_estsize"] is None
    assert all(r.size_bytes == r.fields["access_estsize"] * 1000 for r in result.records)


def test_empty_answer() -> None:
    result = load("tap-empty.xml", results_class=TAPResults)
    assert result.records == ()
    assert result.overflow is False
    assert "obs_publisher_did" in [c.name for c in result.columns]


# --- overflow ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "results_class", "rows"),
    [("tap-overflow.xml", TAPResults, 3), ("scs-overflow.xml", SCSResults, 5)],
)
def test_overflow_status_is_flagged(name: str, results_class: type[DALResults], rows: int) -> None:
    result = load(name, results_class=results_class)
    assert result.overflow is True
    assert len(result.records) == rows


def test_more_rows_than_the_limit_is_an_overflow() -> None:
    result = load("tap-obscore.xml", results_class=TAPResults, limit=4)
    assert result.overflow is True
    assert len(result.records) == 4
    full = load("tap-obscore.xml", results_class=TAPResults)
    assert [r.id for r in result.records] == [r.id for r in full.records[:4]]


def test_limit_equal_to_rows_is_not_an_overflow() -> None:
    result = load("tap-obscore.xml", results_class=TAPResults, limit=7)
    assert result.overflow is False
    assert len(result.records) == 7


# --- archive errors --------------------------------------------------------------------


def test_tap_error_document_is_an_archive_failure_with_the_archives_message() -> None:
    with pytest.raises(ArchiveFailure) as caught:
        load("tap-error.xml", results_class=TAPResults)
    assert "Could not locate table 'ivoa.nosuchtable'" in caught.value.message
    assert caught.value.url == URL
    assert caught.value.code == "archive_failure"


def test_scs_error_info_is_an_archive_failure() -> None:
    with pytest.raises(ArchiveFailure) as caught:
        load("scs-error.xml", results_class=SCSResults)
    assert "'abc' is not a valid literal for RA" in caught.value.message


# --- malformed answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("truncated.xml", "no element found"),
        ("html-error.html", "does not appear to be a VOTABLE"),
        ("not-xml.txt", "syntax error"),
    ],
)
def test_broken_answers_are_malformed_responses(name: str, problem: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        load(name, results_class=TAPResults)
    assert problem in caught.value.message
    assert caught.value.url == URL


@pytest.mark.parametrize("content", [b"", b"  \n\t "])
def test_empty_body_is_malformed(content: bytes) -> None:
    with pytest.raises(MalformedResponse, match="empty response body"):
        parse_votable(content, url=URL)


def test_votable_without_results_table_is_malformed() -> None:
    votable = parse_votable(b'<VOTABLE version="1.4"></VOTABLE>', url=URL)
    with pytest.raises(MalformedResponse, match="missing results table"):
        check_results(votable, url=URL, results_class=TAPResults)


def test_table_to_records_limit_is_applied_before_mapping() -> None:
    votable = parse_votable((VOTABLES / "scs.xml").read_bytes(), url=URL)
    table, _, _ = check_results(votable, url=URL, results_class=SCSResults)
    records = table_to_records(table, {}, limit=2)
    assert len(records) == 2
    assert len(table_to_records(table, {})) == 20


def test_reference_frames_are_read_once_and_still_checked() -> None:
    assert isinstance(CooSys._reference_frames, frozenset)
    assert {"ICRS", "FK5"} <= CooSys._reference_frames
    document = (
        b'<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        b'<RESOURCE><COOSYS ID="c" system="NOT-A-FRAME"/><TABLE><FIELD name="x" datatype="int"/>'
        b"</TABLE></RESOURCE></VOTABLE>"
    )
    with pytest.warns(E16):
        astropy_parse(io.BytesIO(document), verify="warn")
