"""Datasets for the REST/JSON connector tests, built through the real catalogue loader."""

from __future__ import annotations

import textwrap

from esap_graphql.config import parse_catalogue
from esap_graphql.domain.archives import Dataset

# The synthetic archives of tests/recorded_apis.py: records under data.items, the
# total under meta.total, record fields uid / name / pos.ra / pos.dec.
SYNTHETIC_ANSWER = """\
answer: {records: data.items, total: meta.total}
record: {id: uid, title: name, ra: pos.ra, dec: pos.dec}
"""


def http_dataset(url: str, http: str, *, extra: str = "", dataset_id: str = "d") -> Dataset:
    """One http dataset at ``url`` whose ``http:`` block is the YAML text ``http``."""
    text = (
        "archives:\n"
        "  - id: t\n"
        "    name: Test archive\n"
        "    datasets:\n"
        f"      - id: {dataset_id}\n"
        "        name: Test dataset\n"
        "        protocol: http\n"
        f"        access_url: {url}\n"
        + textwrap.indent(extra, " " * 8)
        + "        http:\n"
        + textwrap.indent(http, " " * 10)
    )
    catalogue = parse_catalogue(text, source="test.yaml")
    found = catalogue.dataset(dataset_id)
    assert found is not None
    return found
