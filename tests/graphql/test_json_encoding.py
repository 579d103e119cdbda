"""GraphQL responses are encoded by orjson, and by the standard library where orjson refuses."""

from __future__ import annotations

import json

from esap_graphql.json_encoding import dumps, dumps_str, loads


def test_compact_utf8() -> None:
    data = {"data": {"rows": [{"id": "ω Cen", "ra": 201.5, "n": None, "ok": True}]}}
    encoded = dumps(data)
    assert encoded == '{"data":{"rows":[{"id":"ω Cen","ra":201.5,"n":null,"ok":true}]}}'.encode()
    assert json.loads(encoded) == data
    assert dumps_str(data) == encoded.decode()


def test_integers_beyond_64_bits_still_encode() -> None:
    record = {"record": {"counter": 2**70, "nested": [-(2**80)]}}
    assert json.loads(dumps(record)) == record


def test_loads_reads_what_dumps_writes_big_integers_included() -> None:
    record = {"n": 2**70, "x": [1.5, None, "é"]}
    assert loads(dumps(record)) == record
    assert loads(b'{"a": 1}') == {"a": 1}
