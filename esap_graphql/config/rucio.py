"""The ``rucio:`` block of a catalogue dataset with ``protocol: rucio``.

Credentials never appear in the catalogue: the block names the environment
variables that hold them (``password_env: ESAP_RUCIO_PASSWORD``), and the
connector reads them there. A secret written into the YAML is refused with a
message that says what to write instead.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from esap_graphql.domain.data_lake import SCOPE_PATTERN, AuthType, DidType, RucioSettings

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_SECRET_KEYS = {"username", "password", "token", "client_cert", "client_key", "secret"}

EnvName = Annotated[str, Field(pattern=_ENV_NAME)]


class RucioConfig(BaseModel):
    """How the gateway reaches one Rucio server (the dataset's access_url is its REST API)."""

    model_config = ConfigDict(extra="forbid")

    auth_host: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        default=None, description="Rucio authentication server. Default: the dataset's access_url."
    )
    account: str = Field(description="Rucio account the gateway acts as.")
    auth_type: Literal["userpass", "x509"] = Field(
        default="userpass", description="How the gateway authenticates."
    )
    username_env: EnvName | None = Field(
        default=None, description="Environment variable holding the userpass identity."
    )
    password_env: EnvName | None = Field(
        default=None, description="Environment variable holding the userpass password."
    )
    client_cert_env: EnvName | None = Field(
        default=None, description="Environment variable holding the path of the X.509 certificate."
    )
    client_key_env: EnvName | None = Field(
        default=None, description="Environment variable holding the path of the X.509 key."
    )
    default_scope: Annotated[str, Field(pattern=SCOPE_PATTERN.pattern)] | None = Field(
        default=None, description="Scope searched when a query names none."
    )
    did_type: Literal["all", "file", "dataset", "container", "collection"] = Field(
        default="all", description="Which data identifiers a search returns."
    )
    schemes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9+.-]{0,15}$")]] = Field(
        default=[], description="Replica protocols to list, in order of preference; [] = all."
    )
    ca_cert: str | None = Field(
        default=None, description="CA bundle to verify the servers' certificates."
    )
    vo: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,3}$")] | None = Field(
        default=None, description="Rucio VO, on multi-VO servers."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            secrets = sorted(_SECRET_KEYS & set(raw))
            if secrets:
                raise ValueError(
                    f"{', '.join(secrets)}: never put credentials in the catalogue; name the "
                    f"environment variable that holds them ({secrets[0]}_env: MY_VARIABLE)"
                )
        return raw

    @model_validator(mode="after")
    def _credentials(self) -> RucioConfig:
        needed = {
            "userpass": ("username_env", "password_env"),
            "x509": ("client_cert_env", "client_key_env"),
        }[self.auth_type]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth_type {self.auth_type} needs {' and '.join(missing)}")
        return self

    def to_settings(self, access_url: str) -> RucioSettings:
        """The domain settings of a dataset served at ``access_url``."""
        return RucioSettings(
            auth_host=self.auth_host or access_url,
            account=self.account,
            auth_type=AuthType(self.auth_type),
            username_env=self.username_env,
            password_env=self.password_env,
            client_cert_env=self.client_cert_env,
            client_key_env=self.client_key_env,
            default_scope=self.default_scope,
            did_type=DidType(self.did_type),
            schemes=tuple(self.schemes),
            ca_cert=self.ca_cert,
            vo=self.vo,
        )
