"""The archive catalogue loads, and every problem names the file, the entry and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from esap_graphql.config import CatalogueError, Settings, load_catalogue, parse_catalogue
from esap_graphql.domain.archives import FieldType, Protocol
from tests.support import DACHS_CATALOGUE

GOOD = textwrap.dedent(
    """\
    archives:
      - id: astron-vo
        name: ASTRON VO
        instrument: LOFAR, WSRT
        short_description: Radio data.
        datasets:
          - id: apertif-dr1
            name: Apertif DR1 images and cubes
            protocol: tap
            access_url: https://vo.astron.nl/tap
            table: ivoa.obscore
            collection: apertif-dr1
            multi_query: true
            fields: {}
          - id: lotss-cone
            name: LoTSS sources
            protocol: scs
            access_url: https://vo.astron.nl/lotss/q/cone/scs.xml
          - id: old-images
            name: Old image service
            protocol: sia
            sia_version: 1
            access_url: https://images.example.org/sia
            timeout: 5
            max_records: 100
      - id: other
        name: Other archive
        datasets:
          - id: sources
            name: Sources
            protocol: tap
            access_url: https://tap.example.org/tap
            table: cat.sources
            fields: {id: source_id, ra: raj2000, dec: dej2000}
    """
)


def broken(**replacements: str) -> str:
    text = GOOD
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return text


def problem(text: str, source: str = "my-catalogue.yaml") -> str:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text, source=source)
    return str(caught.value)


def test_the_issue_shape_loads() -> None:
    catalogue = parse_catalogue(GOOD, source="good.yaml")
    assert [a.id for a in catalogue.archives] == ["astron-vo", "other"]
    assert [d.id for d in catalogue.datasets] == [
        "apertif-dr1",
        "lotss-cone",
        "old-images",
        "sources",
    ]
    apertif = catalogue.dataset("apertif-dr1")
    assert apertif is not None
    assert apertif.archive_id == "astron-vo"
    assert apertif.protocol is Protocol.TAP
    assert apertif.table == "ivoa.obscore"
    assert apertif.collection == "apertif-dr1"
    assert apertif.multi_query is True
    old = catalogue.dataset("old-images")
    assert old is not None
    assert (old.sia_version, old.timeout, old.max_records) == (1, 5.0, 100)
    sources = catalogue.dataset("sources")
    assert sources is not None
    assert sources.field_map == {"id": "source_id", "ra": "raj2000", "dec": "dej2000"}
    archive = catalogue.archive("astron-vo")
    assert archive is not None
    assert archive.instrument == "LOFAR, WSRT"
    assert catalogue.dataset("nope") is None


def test_default_query_fields_follow_the_protocol() -> None:
    catalogue = parse_catalogue(GOOD, source="good.yaml")

    def names(dataset_id: str) -> list[str]:
        dataset = catalogue.dataset(dataset_id)
        assert dataset is not None
        return [f.name for f in dataset.query_fields]

    # fixed collection: not offered as a choice
    assert names("apertif-dr1") == [
        "ra",
        "dec",
        "radius",
        "target",
        "calibrationLevel",
        "dataproductType",
    ]
    # a cone-only dataset also takes a target name, resolved to the cone's centre (issue 12)
    assert names("lotss-cone") == ["ra", "dec", "radius", "target"]
    assert names("sources") == ["ra", "dec", "radius", "target"]
    cone = catalogue.dataset("lotss-cone")
    assert cone is not None
    by_name = {f.name: f for f in cone.query_fields}
    assert not any(f.required for f in cone.query_fields)  # a name can stand for the cone
    assert all(by_name[n].unit == "deg" for n in ("ra", "dec", "radius"))
    assert "Sesame" in by_name["target"].description


def test_collections_become_an_enum_field() -> None:
    catalogue = load_catalogue(DACHS_CATALOGUE)
    dataset = catalogue.dataset("esap-obscore")
    assert dataset is not None
    collection = next(f for f in dataset.query_fields if f.name == "collection")
    assert collection.type is FieldType.ENUM
    assert collection.allowed_values == ("esaptest-images", "esaptest-cubes")


def test_the_test_catalogue_loads() -> None:
    catalogue = load_catalogue(DACHS_CATALOGUE)
    assert {d.id for d in catalogue.datasets} == {
        "esap-obscore",
        "esap-images",
        "esap-cubes",
        "esap-sources-tap",
        "esap-sources",
        "esap-sia",
        "dead-tap",
    }


def test_the_shipped_default_catalogue_loads() -> None:
    path = Settings(config=None).catalogue_path()
    assert path.name == "catalogue.yaml"
    catalogue = load_catalogue(path)
    assert len(catalogue.archives) >= 2
    assert {d.protocol for d in catalogue.datasets} == {
        Protocol.TAP,
        Protocol.SCS,
        Protocol.SIA,
        Protocol.HTTP,
    }
    assert all(d.access_url.startswith("https://") for d in catalogue.datasets)
    # the issue's example operations name this dataset
    assert catalogue.dataset("apertif-dr1") is not None


def test_error_names_file_entry_and_field() -> None:
    message = problem(
        broken(**{"access_url: https://images.example.org/sia": "access_url: ftp://images/sia"})
    )
    assert message.startswith("my-catalogue.yaml: ")
    assert "archives[0] (astron-vo) > datasets[2] (old-images) > access_url" in message
    assert "should match pattern" in message


def test_tap_without_table() -> None:
    message = problem(broken(**{"        table: ivoa.obscore\n": ""}))
    assert "my-catalogue.yaml: archives[0] (astron-vo) > datasets[0] (apertif-dr1)" in message
    assert "a tap dataset needs 'table'" in message


@pytest.mark.parametrize(
    "table", ["'ivoa.obscore; DROP TABLE x'", "'ivoa obscore'", "'\"quoted\".table'", "'a.b.c.d'"]
)
def test_bad_table_name(table: str) -> None:
    message = problem(broken(**{"table: cat.sources": f"table: {table}"}))
    assert "archives[1] (other) > datasets[0] (sources)" in message
    assert "is not a plain ADQL table name" in message


def test_table_on_a_non_tap_dataset() -> None:
    message = problem(broken(**{"protocol: scs\n": "protocol: scs\n        table: ivoa.obscore\n"}))
    assert "datasets[1] (lotss-cone)" in message
    assert "applies to tap datasets only" in message


def test_unknown_field_map_key() -> None:
    message = problem(broken(**{"{id: source_id,": "{identifier: source_id,"}))
    assert "archives[1] (other) > datasets[0] (sources)" in message
    assert "'identifier' is not a record field" in message


def test_field_map_column_must_be_a_plain_name() -> None:
    message = problem(broken(**{"ra: raj2000": "ra: 'raj2000 --'"}))
    assert "is not a plain column name" in message


def test_unknown_protocol() -> None:
    message = problem(broken(**{"protocol: scs": "protocol: ftp"}))
    assert "archives[0] (astron-vo) > datasets[1] (lotss-cone) > protocol" in message


def test_unknown_key_is_refused() -> None:
    message = problem(broken(**{"timeout: 5": "timeout: 5\n        timout: 6"}))
    assert "datasets[2] (old-images) > timout" in message
    assert "Extra inputs are not permitted" in message


def test_bad_id() -> None:
    message = problem(broken(**{"id: other": "id: Other Archive!"}))
    assert "archives[1] (Other Archive!) > id" in message


def test_every_problem_is_reported() -> None:
    message = problem(
        broken(
            **{
                "protocol: scs": "protocol: ftp",
                "table: cat.sources": "table: 'x y'",
            }
        )
    )
    lines = message.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("my-catalogue.yaml: ") for line in lines)


def test_duplicate_dataset_ids() -> None:
    message = problem(broken(**{"id: sources": "id: apertif-dr1"}))
    assert message == (
        "my-catalogue.yaml: dataset id 'apertif-dr1' is used twice "
        "(archives 'astron-vo' and 'other')"
    )


def test_duplicate_archive_ids() -> None:
    message = problem(broken(**{"id: other": "id: astron-vo"}))
    assert message == "my-catalogue.yaml: archive id 'astron-vo' is used twice"


def test_not_yaml() -> None:
    message = problem("archives: [\n")
    assert message.startswith("my-catalogue.yaml: not valid YAML")


@pytest.mark.parametrize("text", ["", "just text\n", "- a\n- b\n"])
def test_not_a_mapping(text: str) -> None:
    message = problem(text)
    assert message.startswith("my-catalogue.yaml: ")
    assert "valid dictionary" in message


def test_missing_archives_key() -> None:
    message = problem("datasets: []\n")
    assert "archives: Field required" in message
    assert "datasets: Extra inputs are not permitted" in message


def test_load_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(broken(**{"protocol: scs": "protocol: ftp"}), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert str(caught.value).startswith(f"{path}: archives[0] (astron-vo)")


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(missing)
    assert str(caught.value).startswith(f"{missing}: cannot read")


def test_sia1_offers_only_its_required_cone() -> None:
    # SIA 1.0 refuses every other parameter (connectors/sia.py), so the form must not offer them
    catalogue = parse_catalogue(GOOD, source="good.yaml")
    old = catalogue.dataset("old-images")
    assert old is not None
    # ... or a target name standing for its centre (issue 12)
    assert [(f.name, f.required) for f in old.query_fields] == [
        ("ra", False),
        ("dec", False),
        ("radius", False),
        ("target", False),
    ]
