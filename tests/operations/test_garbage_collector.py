"""A serving process collects the youngest generation every ESAP_GC_YOUNG_THRESHOLD
allocations (the older generations keep Python's settings)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from esap_graphql.app import freeze_loaded
from esap_graphql.config import Settings


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_the_young_threshold_is_set_and_the_rest_kept(restored: None) -> None:
    _, middle, old = gc.get_threshold()
    freeze_loaded(20_000)
    assert gc.get_threshold() == (20_000, middle, old)
    assert gc.get_freeze_count() > 0


def test_zero_keeps_pythons_thresholds(restored: None) -> None:
    before = gc.get_threshold()
    freeze_loaded(0)
    assert gc.get_threshold() == before


def test_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(data_dir=tmp_path).gc_young_threshold == 20_000
    monkeypatch.setenv("ESAP_GC_YOUNG_THRESHOLD", "0")
    assert Settings(data_dir=tmp_path).gc_young_threshold == 0
