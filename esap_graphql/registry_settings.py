"""Settings of the VO registry and DataLink (environment, prefix ``ESAP_``), read once.

Kept apart from ``config.Settings`` while that module is being reorganised;
the fields carry the same prefix, so merging them later changes no variable.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from esap_graphql.connectors.regtap import DEFAULT_REGTAP_URL


class RegistrySettings(BaseSettings):
    """Where the registry is searched and harvested, and how DataLink is fetched."""

    model_config = SettingsConfigDict(env_prefix="ESAP_", extra="ignore")

    regtap_url: str | None = Field(
        default=DEFAULT_REGTAP_URL,
        description="TAP URL of the RegTAP service searched by `registry` (default: the "
        "Euro-VO registry at GAVO). Empty: search only the harvested records.",
    )
    registry_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one RegTAP search or OAI-PMH page may take."
    )
    registry_max_results: int = Field(
        default=1000, ge=1, description="Most services one registry search returns."
    )
    registry_harvest: str = Field(
        default="",
        description="OAI-PMH base URLs of publishing registries to harvest, comma-separated "
        "(e.g. http://dc.g-vo.org/rr/q/pmh/pubreg.xml).",
    )
    registry_harvest_interval: float = Field(
        default=0.0,
        ge=0,
        description="Seconds between harvests run by the gateway itself (incremental, from "
        "the last harvest); 0: only `esap-graphql harvest` harvests.",
    )
    registry_allow_private_urls: bool = Field(
        default=False,
        description="Call loopback, private and link-local hosts named by registry records "
        "and DataLink answers (a local test archive, an intranet). Off by default.",
    )
    datalink_timeout: float = Field(
        default=30.0, gt=0, description="Seconds one DataLink request may take."
    )
    datalink_batch_size: int = Field(
        default=50, ge=1, description="Most IDs sent to a DataLink service in one request."
    )

    def harvest_urls(self) -> list[str]:
        """The registries to harvest, in the order given."""
        urls = (u.strip() for u in self.registry_harvest.split(","))
        return list(dict.fromkeys(u for u in urls if u))
