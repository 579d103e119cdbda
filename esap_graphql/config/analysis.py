"""Analysis facilities and workflows from the catalogue file (top-level ``facilities:`` and
``workflows:``, beside ``archives:``), validated like the archives: every problem names the
file, the entry and the problem.

Secrets never appear in the file: a facility names the environment variable that holds its
token (``api_token_env``, ``jwt_env``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from esap_graphql.config.catalogue import CatalogueError, _describe_location
from esap_graphql.domain.analysis import (
    BATCH_KINDS,
    NOTEBOOK_KINDS,
    AnalysisCatalogue,
    BinderHubSettings,
    CommandSource,
    Facility,
    FacilityKind,
    GitSource,
    JupyterHubSettings,
    SlurmSettings,
    Workflow,
    WorkflowSource,
    ZenodoSource,
)

_ID = r"^[a-z0-9][a-z0-9_.-]*$"
_HTTP_URL = r"^https?://"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Never starting with '-': a ref or a path reaches git's command line.
_GIT_REF = r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$"
_ZENODO_DOI = re.compile(r"^(?:https?://doi\.org/)?10\.5281/zenodo\.(\d+)$")
# A hub user or server name: what JupyterHub accepts in a URL path segment.
_HUB_NAME = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _JupyterHubConfig(_Strict):
    api_token_env: Annotated[str, Field(pattern=_ENV_NAME)]
    single_user_name: Annotated[str, Field(pattern=_HUB_NAME)] = "esap"
    server_name: Annotated[str, Field(pattern=_HUB_NAME)] = "esap"
    default_url: Literal["lab", "tree"] = "lab"
    nbgitpuller: bool = False
    start_timeout: Annotated[float, Field(gt=0)] = 120.0


class _BinderHubConfig(_Strict):
    base_url: Annotated[str, Field(pattern=_HTTP_URL)] | None = None


class _SlurmConfig(_Strict):
    rest_url: Annotated[str, Field(pattern=_HTTP_URL)]
    api_version: Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+$")] = "v0.0.40"
    jwt_env: Annotated[str, Field(pattern=_ENV_NAME)]
    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_.-]*$")]
    partition: str | None = None
    staging_dir: Annotated[str, Field(pattern=r"^/")]


class _FacilityConfig(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    name: str
    kind: FacilityKind
    url: Annotated[str, Field(pattern=_HTTP_URL)]
    description: str = ""
    gateway_url: Annotated[str, Field(pattern=_HTTP_URL)] | None = None
    jupyterhub: _JupyterHubConfig | None = None
    binderhub: _BinderHubConfig | None = None
    slurm: _SlurmConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> _FacilityConfig:
        sections = {
            FacilityKind.JUPYTERHUB: self.jupyterhub,
            FacilityKind.BINDERHUB: self.binderhub,
            FacilityKind.SLURM: self.slurm,
        }
        for kind, section in sections.items():
            if kind is not self.kind and section is not None:
                raise ValueError(
                    f"'{kind.value}' settings apply to {kind.value} facilities only, "
                    f"not {self.kind.value}"
                )
        if self.kind is not FacilityKind.BINDERHUB and sections[self.kind] is None:
            raise ValueError(f"a {self.kind.value} facility needs its '{self.kind.value}' settings")
        return self


def _relative_path(value: str | None) -> str | None:
    if value is None:
        return None
    parts = value.split("/")
    if value.startswith(("/", "-")) or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{value!r} is not a plain relative path (no '..', no leading '/')")
    return value


class _GitSourceConfig(_Strict):
    type: Literal["git"]
    repository: Annotated[str, Field(pattern=r"^(https?|file|git)://")]
    ref: Annotated[str, Field(pattern=_GIT_REF)] = "HEAD"
    path: str | None = None

    _path = field_validator("path")(_relative_path)


class _ZenodoSourceConfig(_Strict):
    type: Literal["zenodo"]
    record: str
    file: str | None = None
    base_url: Annotated[str, Field(pattern=_HTTP_URL)] = "https://zenodo.org"

    _file = field_validator("file")(_relative_path)

    @field_validator("record", mode="before")
    @classmethod
    def _record_id(cls, value: object) -> object:
        """A record id, or a Zenodo DOI (``10.5281/zenodo.<id>``, plain or as a doi.org URL)."""
        text = str(value).strip() if isinstance(value, int | str) else value
        if isinstance(text, str):
            doi = _ZENODO_DOI.match(text)
            if doi:
                return doi.group(1)
            if not text.isdigit():
                raise ValueError("expected a Zenodo record id (digits) or DOI 10.5281/zenodo.<id>")
        return text


class _CommandSourceConfig(_Strict):
    type: Literal["command"]
    script: str | None = None
    container: str | None = None
    command: list[str] = []

    @model_validator(mode="after")
    def _check(self) -> _CommandSourceConfig:
        if (self.script is None) == (self.container is None):
            raise ValueError("a command workflow needs exactly one of 'script' and 'container'")
        if self.script is not None and not self.script.startswith("#!"):
            raise ValueError("'script' must start with an interpreter line (#!/bin/bash)")
        return self


_SourceConfig = Annotated[
    _GitSourceConfig | _ZenodoSourceConfig | _CommandSourceConfig, Field(discriminator="type")
]


class _WorkflowConfig(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    name: str
    description: str = ""
    keywords: list[str] = []
    source: _SourceConfig
    facility_kinds: Annotated[list[FacilityKind], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> _WorkflowConfig:
        batch = isinstance(self.source, _CommandSourceConfig)
        suited = BATCH_KINDS if batch else NOTEBOOK_KINDS
        for kind in self.facility_kinds:
            if kind not in suited:
                what = "a command" if batch else f"a {self.source.type} notebook"
                raise ValueError(f"{what} workflow cannot run on {kind.value} facilities")
        return self


class _AnalysisConfig(BaseModel):
    # The archives are parse_catalogue's business; this reads the rest of the same file.
    model_config = ConfigDict(extra="ignore")

    facilities: list[_FacilityConfig] = []
    workflows: list[_WorkflowConfig] = []


def _to_facility(cfg: _FacilityConfig) -> Facility:
    return Facility(
        id=cfg.id,
        name=cfg.name,
        kind=cfg.kind,
        url=cfg.url,
        description=cfg.description,
        gateway_url=cfg.gateway_url,
        jupyterhub=JupyterHubSettings(**cfg.jupyterhub.model_dump()) if cfg.jupyterhub else None,
        binderhub=(
            BinderHubSettings(base_url=(cfg.binderhub and cfg.binderhub.base_url) or cfg.url)
            if cfg.kind is FacilityKind.BINDERHUB
            else None
        ),
        slurm=SlurmSettings(**cfg.slurm.model_dump()) if cfg.slurm else None,
    )


def _to_source(
    cfg: _GitSourceConfig | _ZenodoSourceConfig | _CommandSourceConfig,
) -> WorkflowSource:
    match cfg:
        case _GitSourceConfig():
            return GitSource(repository=cfg.repository, ref=cfg.ref, path=cfg.path)
        case _ZenodoSourceConfig():
            return ZenodoSource(record=cfg.record, file=cfg.file, base_url=cfg.base_url)
    return CommandSource(script=cfg.script, container=cfg.container, command=tuple(cfg.command))


def _to_workflow(cfg: _WorkflowConfig) -> Workflow:
    return Workflow(
        id=cfg.id,
        name=cfg.name,
        description=cfg.description,
        keywords=tuple(cfg.keywords),
        source=_to_source(cfg.source),
        facility_kinds=tuple(dict.fromkeys(cfg.facility_kinds)),
    )


def parse_analysis_catalogue(text: str, *, source: str) -> AnalysisCatalogue:
    """Validate the facilities and workflows of catalogue YAML; raise ``CatalogueError``."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{source}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    try:
        cfg = _AnalysisConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{source}: {_describe_location(raw, tuple(err['loc']))}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CatalogueError("\n".join(problems)) from exc
    for what, entries in (("facility", cfg.facilities), ("workflow", cfg.workflows)):
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise CatalogueError(f"{source}: {what} id {entry.id!r} is used twice")
            seen.add(entry.id)
    return AnalysisCatalogue(
        facilities=tuple(_to_facility(f) for f in cfg.facilities),
        workflows=tuple(_to_workflow(w) for w in cfg.workflows),
    )


def load_analysis_catalogue(path: Path) -> AnalysisCatalogue:
    """Read and validate the facilities and workflows of a catalogue file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_analysis_catalogue(text, source=str(path))
