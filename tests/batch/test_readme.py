"""The README's Slurm facility and workflow are a valid catalogue as written."""

from __future__ import annotations

from pathlib import Path

from esap_graphql.config.analysis import parse_analysis_catalogue
from esap_graphql.domain.analysis import CommandSource, FacilityKind
from esap_graphql.services.job_types import JOB_TYPES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_slurm_catalogue_parses() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("```yaml\nfacilities:\n  - id: spider")
    block = text[start + len("```yaml\n") : text.index("```", start + 8)]
    catalogue = parse_analysis_catalogue(block, source="README")
    facility, workflow = catalogue.launchable("spider", "count-rows")
    assert facility.kind is FacilityKind.SLURM
    assert facility.slurm is not None
    assert facility.slurm.staging_dir == "/project/esap/staging"
    assert isinstance(workflow.source, CommandSource)
    assert workflow.source.script == '#!/bin/bash\nwc -l "$ESAP_BASKET"\n'


def test_the_readme_lists_the_batch_job_type() -> None:
    assert "batch.slurm" in JOB_TYPES
    assert "| `batch.slurm` |" in README.read_text(encoding="utf-8")
