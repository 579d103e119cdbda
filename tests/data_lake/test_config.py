"""Catalogue entries with ``protocol: rucio``: credentials by name, a scope and name form."""

from __future__ import annotations

import pytest

from esap_graphql.config import CatalogueError, parse_catalogue
from esap_graphql.domain.archives import FieldType, Protocol
from esap_graphql.domain.data_lake import AuthType, DidType

ENTRY = """
archives:
  - id: escape
    name: ESCAPE data lake
    datasets:
      - id: escape-lake
        name: ESCAPE Rucio
        protocol: rucio
        access_url: https://rucio.example.org
{extra}        rucio:
{rucio}
"""
GOOD = """          account: esap
          username_env: ESAP_RUCIO_USERNAME
          password_env: ESAP_RUCIO_PASSWORD
          default_scope: lofar"""


def catalogue(rucio: str = GOOD, extra: str = "") -> str:
    return ENTRY.format(rucio=rucio, extra=extra)


def test_a_rucio_dataset_loads_with_its_settings_and_query_form() -> None:
    text = catalogue(
        GOOD + "\n          schemes: [https, root]\n          did_type: file",
        extra="        collections: [lofar, apertif]\n",
    )
    (dataset,) = parse_catalogue(text, source="t.yaml").datasets
    assert dataset.protocol is Protocol.RUCIO
    assert dataset.rucio is not None
    assert dataset.rucio.auth_host == "https://rucio.example.org"  # defaults to access_url
    assert dataset.rucio.auth_type is AuthType.USERPASS
    assert dataset.rucio.password_env == "ESAP_RUCIO_PASSWORD"
    assert dataset.rucio.schemes == ("https", "root")
    assert dataset.rucio.did_type is DidType.FILE
    scope, pattern = dataset.query_fields
    assert (scope.name, scope.label, scope.type) == ("collection", "Scope", FieldType.ENUM)
    assert (scope.allowed_values, scope.default, scope.required) == (
        ("lofar", "apertif"),
        "lofar",
        False,
    )
    assert (pattern.name, pattern.label, pattern.default) == ("target", "Name pattern", "*")


def test_a_dataset_fixed_to_a_scope_offers_only_the_name_pattern() -> None:
    text = catalogue(extra="        collection: lofar\n")
    (dataset,) = parse_catalogue(text, source="t.yaml").datasets
    assert [f.name for f in dataset.query_fields] == ["target"]


def test_without_a_default_scope_the_scope_is_required() -> None:
    rucio = "\n".join(line for line in GOOD.splitlines() if "default_scope" not in line)
    (dataset,) = parse_catalogue(catalogue(rucio), source="t.yaml").datasets
    assert dataset.query_fields[0].required


@pytest.mark.parametrize(
    ("rucio", "extra", "problem"),
    [
        (
            GOOD + "\n          password: hunter2",
            "",
            "password: never put credentials in the catalogue",
        ),
        ("          account: esap\n          username_env: U", "", "needs password_env"),
        (
            "          account: esap\n          auth_type: x509\n          client_cert_env: C",
            "",
            "needs client_key_env",
        ),
        (GOOD + "\n          auth_type: kerberos", "", "auth_type"),
        (GOOD.replace("ESAP_RUCIO_PASSWORD", "not a name"), "", "password_env"),
        (GOOD.replace("lofar", "bad scope"), "", "default_scope"),
        (GOOD, "        table: ivoa.obscore\n", "'table' applies to tap datasets only"),
    ],
)
def test_bad_rucio_blocks_are_refused_with_the_entry_and_problem(
    rucio: str, extra: str, problem: str
) -> None:
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(catalogue(rucio, extra), source="t.yaml")
    assert "t.yaml: archives[0] (escape) > datasets[0] (escape-lake)" in str(raised.value)
    assert problem in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_rucio_block_belongs_to_rucio_datasets_only() -> None:
    text = catalogue().replace("protocol: rucio", "protocol: scs")
    with pytest.raises(CatalogueError, match="'rucio' block is needed by, and allowed in"):
        parse_catalogue(text, source="t.yaml")


def test_a_rucio_dataset_needs_its_block() -> None:
    text = ENTRY.format(rucio="", extra="").replace("        rucio:\n", "")
    with pytest.raises(CatalogueError, match="'rucio' block is needed by"):
        parse_catalogue(text, source="t.yaml")
