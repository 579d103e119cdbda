"""GraphQL responses are encoded by orjson, and by the standard library where orjson refuses."""

from __future__ import annotations

import json

from esap_graphql.json_encoding import dumps, dumps_str


def test_compact_utf8() -> None:
    data = {"data": {"rows": [{"id": "ω Cen", "ra": 201.5, "n": None, "ok": True}]}}
    encoded = dumps(data)
    assert encoded == '{"data":{"rows":[{"id":"ω Cen","ra":201.5,"n":null,"ok":true}]}}'.encode()
    assert json.loads(encoded) == data
    assert dumps_str(data) == encoded.decode()


def test_integers_beyond_64_bits_still_encode() -> None:
    record = {"record": {"counter": 2**70, "nested": [-(2**80)]}}
    assert json.loads(dumps(record)) == record
