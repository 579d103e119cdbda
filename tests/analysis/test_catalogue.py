"""Facilities and workflows load from the catalogue file; every problem names file, entry and
problem, as for the archives."""

from __future__ import annotations

from pathlib import Path

import pytest

from esap_graphql.config import CatalogueError, load_catalogue
from esap_graphql.config.analysis import load_analysis_catalogue, parse_analysis_catalogue
from esap_graphql.domain.analysis import (
    CommandSource,
    FacilityKind,
    GitSource,
    UnknownFacility,
    UnknownWorkflow,
    WorkflowNotSupported,
    ZenodoSource,
)
from tests.analysis.conftest import ANALYSIS_CATALOGUE

GOOD = ANALYSIS_CATALOGUE.read_text()


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def problem(text: str) -> str:
    with pytest.raises(CatalogueError) as err:
        parse_analysis_catalogue(text, source="cat.yaml")
    return str(err.value)


def test_the_test_catalogue_loads_with_its_archives() -> None:
    catalogue = load_analysis_catalogue(ANALYSIS_CATALOGUE)
    assert [f.id for f in catalogue.facilities] == ["astron-hub", "mybinder", "spider"]
    hub = catalogue.facility("astron-hub")
    assert hub is not None
    assert hub.kind is FacilityKind.JUPYTERHUB
    assert hub.jupyterhub is not None
    assert hub.jupyterhub.api_token_env == "ESAP_TEST_HUB_TOKEN"
    assert hub.jupyterhub.nbgitpuller is True
    assert hub.jupyterhub.default_url == "lab"
    binder = catalogue.facility("mybinder")
    assert binder is not None
    assert binder.binderhub is not None
    assert binder.binderhub.base_url == "https://mybinder.org"  # defaults to the facility url
    slurm = catalogue.facility("spider")
    assert slurm is not None
    assert slurm.slurm is not None
    assert (slurm.slurm.user, slurm.slurm.partition) == ("esap", "normal")
    assert slurm.slurm.staging_dir == "/srv/esap/staging"
    # the archive part of the same file still loads on its own
    assert [d.id for d in load_catalogue(ANALYSIS_CATALOGUE).datasets] == ["apertif-dr1"]


def test_sources_are_typed() -> None:
    catalogue = parse_analysis_catalogue(GOOD, source="cat.yaml")
    lofar, ossr, count = catalogue.workflows
    assert lofar.source == GitSource(
        repository="https://github.com/escape2020/lofar-notebooks",
        ref="main",
        path="notebooks/imaging.ipynb",
    )
    assert ossr.source == ZenodoSource(record="4044010", file="spectra.ipynb")
    assert isinstance(ossr.source, ZenodoSource)
    assert ossr.source.doi == "10.5281/zenodo.4044010"
    assert isinstance(count.source, CommandSource)
    assert count.source.script is not None
    assert count.source.script.startswith("#!/bin/bash")
    assert count.facility_kinds == (FacilityKind.SLURM,)


def test_keyword_search_ignores_case_and_kind_filters() -> None:
    catalogue = parse_analysis_catalogue(GOOD, source="cat.yaml")
    assert [w.id for w in catalogue.find_workflows("lofar")] == ["lofar-imaging", "count-rows"]
    assert [w.id for w in catalogue.find_workflows("LOFAR", FacilityKind.SLURM)] == ["count-rows"]
    assert catalogue.find_workflows("nothing") == ()
    assert len(catalogue.find_workflows()) == 3


def test_launchable_names_what_is_wrong() -> None:
    catalogue = parse_analysis_catalogue(GOOD, source="cat.yaml")
    facility, workflow = catalogue.launchable("astron-hub", "lofar-imaging")
    assert (facility.id, workflow.id) == ("astron-hub", "lofar-imaging")
    with pytest.raises(UnknownFacility, match="'nowhere'"):
        catalogue.launchable("nowhere", "lofar-imaging")
    with pytest.raises(UnknownWorkflow, match="'nothing'"):
        catalogue.launchable("astron-hub", "nothing")
    with pytest.raises(WorkflowNotSupported, match="runs on slurm, not on 'astron-hub'"):
        catalogue.launchable("astron-hub", "count-rows")


def test_a_file_without_facilities_has_none() -> None:
    catalogue = parse_analysis_catalogue("archives: []\n", source="cat.yaml")
    assert catalogue.facilities == ()
    assert catalogue.workflows == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "kind: binderhub",
            "kind: kubernetes",
            "cat.yaml: facilities[1] (mybinder) > kind: Input should be 'jupyterhub', "
            "'binderhub' or 'slurm'",
        ),
        (
            "      api_token_env: ESAP_TEST_HUB_TOKEN\n",
            "      api_token: s3cr3t\n",
            "facilities[0] (astron-hub) > jupyterhub > api_token: Extra inputs are not permitted",
        ),
        (
            "      jwt_env: ESAP_TEST_SLURM_JWT",
            "      jwt_env: not a name",
            "facilities[2] (spider) > slurm > jwt_env: String should match pattern",
        ),
        (
            "    url: https://spider.surf.nl\n    slurm:",
            "    url: https://spider.surf.nl\n    other:",
            "facilities[2] (spider) > other: Extra inputs are not permitted",
        ),
        (
            "    kind: slurm\n",
            "    kind: jupyterhub\n",
            "'slurm' settings apply to slurm facilities only, not jupyterhub",
        ),
        (
            "      staging_dir: /srv/esap/staging",
            "      staging_dir: relative/dir",
            "facilities[2] (spider) > slurm > staging_dir: String should match pattern '^/'",
        ),
        (
            "      ref: main",
            "      ref: --upload-pack=evil",
            "workflows[0] (lofar-imaging) > source > git > ref: String should match pattern",
        ),
        (
            "      path: notebooks/imaging.ipynb",
            "      path: ../../etc/passwd",
            "workflows[0] (lofar-imaging) > source > git > path: Value error, "
            "'../../etc/passwd' is not a plain relative path",
        ),
        (
            "      record: 10.5281/zenodo.4044010",
            "      record: some-doi",
            "workflows[1] (ossr-spectra) > source > zenodo > record: Value error, expected a "
            "Zenodo record id",
        ),
        (
            "      type: git",
            "      type: svn",
            "workflows[0] (lofar-imaging) > source: Input tag 'svn' found using 'type' does not "
            "match any of the expected tags: 'git', 'zenodo', 'command'",
        ),
        (
            "    facility_kinds: [slurm]",
            "    facility_kinds: [jupyterhub]",
            "workflows[2] (count-rows): Value error, a command workflow cannot run on "
            "jupyterhub facilities",
        ),
        (
            "    facility_kinds: [jupyterhub, binderhub]\n    source:\n      type: git",
            "    facility_kinds: [slurm]\n    source:\n      type: git",
            "a git notebook workflow cannot run on slurm facilities",
        ),
        (
            "      script: |\n        #!/bin/bash\n",
            "      script: |\n        wc -l x\n",
            "'script' must start with an interpreter line",
        ),
        (
            "    facility_kinds: [slurm]",
            "    facility_kinds: []",
            "workflows[2] (count-rows) > facility_kinds: List should have at least 1 item",
        ),
        (
            "  - id: mybinder\n",
            "  - id: astron-hub\n",
            "cat.yaml: facility id 'astron-hub' is used twice",
        ),
        (
            "  - id: ossr-spectra\n",
            "  - id: lofar-imaging\n",
            "cat.yaml: workflow id 'lofar-imaging' is used twice",
        ),
    ],
)
def test_problems_name_the_entry(old: str, new: str, expected: str) -> None:
    assert expected in problem(broken(old, new))


def test_jupyterhub_settings_are_required_for_a_hub() -> None:
    text = broken(
        "    jupyterhub:\n      api_token_env: ESAP_TEST_HUB_TOKEN\n"
        "      single_user_name: esap\n      server_name: esap\n      nbgitpuller: true\n",
        "",
    )
    expected = (
        "facilities[0] (astron-hub): Value error, a jupyterhub facility needs its "
        "'jupyterhub' settings"
    )
    assert expected in problem(text)


def test_not_yaml_and_unreadable_files() -> None:
    assert problem("facilities: [").startswith("cat.yaml: not valid YAML")
    with pytest.raises(CatalogueError, match="cannot read"):
        load_analysis_catalogue(Path("/nonexistent/cat.yaml"))


def test_the_shipped_catalogue_loads() -> None:
    from esap_graphql.config import Settings

    catalogue = load_analysis_catalogue(Settings().catalogue_path())
    assert all(w.facility_kinds for w in catalogue.workflows)


def test_check_config_validates_facilities_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from esap_graphql.cli import main

    assert main(["check-config", str(ANALYSIS_CATALOGUE)]) == 0
    out = capsys.readouterr().out
    assert "facility spider [slurm] https://spider.surf.nl" in out
    assert "ok: 3 facilities, 3 workflows" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(broken("kind: binderhub", "kind: kubernetes"))
    assert main(["check-config", str(bad)]) == 1
    assert "facilities[1] (mybinder) > kind" in capsys.readouterr().err
