"""The parameters of a batch job, checked before anything is staged or submitted."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from esap_graphql.domain.basket import DEFAULT_BASKET

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_RESERVED_ENV = ("ESAP_", "SLURM_")


class BatchParameters(BaseModel):
    """Parameters of a batch job: where, what (one of workflow, script, command), with which
    basket."""

    model_config = ConfigDict(extra="forbid")

    facility: str = Field(min_length=1, max_length=64, description="Facility id (catalogue).")
    workflow: str | None = Field(
        default=None, min_length=1, max_length=64, description="Workflow id (catalogue)."
    )
    script: str | None = Field(
        default=None,
        min_length=3,
        max_length=100_000,
        description="A batch script of your own, starting with an interpreter line (#!).",
    )
    command: list[str] | None = Field(
        default=None, min_length=1, max_length=256, description="A command and its arguments."
    )
    basket: str = Field(
        default=DEFAULT_BASKET,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="The basket staged as input (VOTable, $ESAP_BASKET).",
    )
    environment: dict[str, str] = Field(
        default_factory=dict, max_length=64, description="More environment variables."
    )

    @field_validator("command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        # UWS REST parameters are strings: a command line is split as the shell would
        if isinstance(value, str):
            try:
                return shlex.split(value)
            except ValueError as exc:
                raise ValueError(f"not a command line: {exc}") from exc
        return value

    @field_validator("environment", mode="before")
    @classmethod
    def _parse_environment(cls, value: Any) -> Any:
        if isinstance(value, str):  # UWS REST: a JSON object
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValueError("expected a JSON object of names and values") from exc
        return value

    @field_validator("environment")
    @classmethod
    def _check_environment(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _ENV_NAME.match(name) or name.startswith(_RESERVED_ENV) or name == "PATH":
                raise ValueError(
                    f"{name!r} is not an environment variable you may set (letters, digits "
                    "and _; not PATH and nothing starting with ESAP_ or SLURM_)"
                )
            if len(text) > 4096 or "\x00" in text:
                raise ValueError(f"the value of {name} is too long or holds a NUL character")
        return value

    @field_validator("script")
    @classmethod
    def _check_script(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("#!"):
            raise ValueError("must start with an interpreter line, such as #!/bin/bash")
        return value

    @model_validator(mode="after")
    def _one_thing_to_run(self) -> BatchParameters:
        given = [n for n in ("workflow", "script", "command") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of workflow, script and command")
        return self
