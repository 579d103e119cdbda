"""The adapters that talk to other services: archives (under the egress policy and the answer
budget), the identity provider, name resolvers, registries, analysis and batch facilities."""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
from collections.abc import Mapping
from functools import cached_property

import httpx

from esap_graphql.config.analysis import load_analysis_catalogue
from esap_graphql.connectors.answer_budget import AnswerBudget
from esap_graphql.connectors.base import Connector
from esap_graphql.connectors.egress import EgressPolicy, guarded_transport, origin
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.http_json import HttpJsonConnector
from esap_graphql.connectors.jupyterhub import HttpJupyterHub, HubRefused, JupyterHubClient
from esap_graphql.connectors.regtap import RegTapClient
from esap_graphql.connectors.rucio import RucioConnector
from esap_graphql.connectors.scs import ScsConnector
from esap_graphql.connectors.sesame import SesameNameSource
from esap_graphql.connectors.sia import SiaConnector
from esap_graphql.connectors.slurm import SlurmRestClient, token_from_env
from esap_graphql.connectors.tap import TapConnector
from esap_graphql.connectors.tap_jobs import TapJobClient
from esap_graphql.connectors.untrusted_urls import check_url
from esap_graphql.connectors.workflow_sources import Limits as SourceLimits
from esap_graphql.connectors.workflow_sources import SourceFetcher
from esap_graphql.domain.analysis import Facility
from esap_graphql.domain.archives import Protocol
from esap_graphql.factory.base import USER_AGENT, FactoryBase
from esap_graphql.identity.authenticators import Authenticator, LocalAuthenticator
from esap_graphql.identity.oidc import OidcAuthenticator
from esap_graphql.identity.scoped_tokens import ScopedTokenAuthenticator, ScopedTokens, signing_key
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.batch_slurm import SlurmBackend
from esap_graphql.services.name_resolution import NameResolutionService
from esap_graphql.services.registry import RegistrySearcher, UrlCheck
from esap_graphql.telemetry import tracing
from esap_graphql.telemetry.archive_calls import observing


def protocol_connectors(clients: ServiceClients) -> dict[Protocol, Connector]:
    """One connector per protocol, over these HTTP clients."""
    return {
        Protocol.TAP: TapConnector(http=clients),
        Protocol.SCS: ScsConnector(http=clients),
        Protocol.SIA: SiaConnector(http=clients),
        Protocol.HTTP: HttpJsonConnector(http=clients),
        Protocol.RUCIO: RucioConnector(),
    }


class OutboundFactory(FactoryBase):
    """Builds the clients of other services, each once."""

    @cached_property
    def service_clients(self) -> ServiceClients:
        """One small connection pool per archive service, shared by every connector, behind
        the egress policy and the process's budget for answers in flight."""
        settings = self.settings
        clients = ServiceClients(
            timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
            per_service=settings.per_service_concurrency,
            headers={"User-Agent": USER_AGENT},
            ssl_context=self.ssl_context,
            policy=self.egress,
            budget=AnswerBudget(
                settings.answer_budget_bytes,
                observe=self.metrics.answer_bytes if self.prometheus else None,
            ),
            max_answer_bytes=settings.max_answer_bytes,
            observe=observing(self.metrics) if self.prometheus or tracing.enabled() else None,
        )
        self._exit.push_async_callback(clients.aclose)
        return clients

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """One TLS context for every outbound client (building one loads the CA bundle)."""
        return httpx.create_ssl_context()

    @cached_property
    def egress(self) -> EgressPolicy:
        """Where outbound requests may go: each dataset's service, and the hosts the catalogue
        lets it send us to."""
        follow: dict[str, set[str]] = {}
        for dataset in self.catalogue.datasets:
            follow.setdefault(origin(dataset.access_url)[1], set()).update(dataset.follow_hosts)
        return EgressPolicy(follow=follow)

    @cached_property
    def http(self) -> httpx.AsyncClient:
        """The client for calls that are not archive queries (the identity provider), behind
        the egress policy; it follows no redirects."""
        settings = self.settings
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=4)
        client = httpx.AsyncClient(
            transport=guarded_transport(self.egress, ssl_context=self.ssl_context, limits=limits),
            timeout=httpx.Timeout(settings.query_timeout, connect=settings.connect_timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self._exit.push_async_callback(client.aclose)
        return client

    @cached_property
    def connectors(self) -> Mapping[Protocol, Connector]:
        """One connector per protocol."""
        if self._connectors:
            return self._connectors
        built = protocol_connectors(self.service_clients)
        rucio = built[Protocol.RUCIO]
        assert isinstance(rucio, RucioConnector)
        self._exit.push_async_callback(rucio.aclose)  # its threads and tokens
        return built

    @cached_property
    def tap_jobs(self) -> TapJobClient:
        """Asynchronous jobs on archives' TAP services."""
        return TapJobClient(clients=self.service_clients, timeout=self.settings.job_remote_timeout)

    @cached_property
    def names(self) -> NameResolutionService:
        """Target names resolved through the Sesame mirrors (or the given source), cached."""
        settings = self.settings
        source = self._name_source or SesameNameSource(
            http=self.http,
            mirrors=settings.sesame_mirrors(),
            databases=settings.sesame_databases,
            timeout=settings.sesame_timeout,
        )
        return NameResolutionService(
            source=source,
            ttl=settings.name_cache_ttl,
            not_found_ttl=settings.name_not_found_ttl,
            size=settings.name_cache_size,
        )

    @cached_property
    def authenticator(self) -> Authenticator:
        """OIDC bearer tokens when an issuer is configured, otherwise the single local user;
        and in either mode the scoped tokens this gateway signed for analysis services."""
        settings = self.settings
        sign_in: Authenticator
        if not settings.oidc_issuer:
            sign_in = LocalAuthenticator()
        else:
            sign_in = OidcAuthenticator(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                jwks_url=settings.oidc_jwks_url,
                http=self.http,
                timeout=settings.oidc_timeout,
                cache_ttl=settings.oidc_jwks_cache_ttl,
            )
        return ScopedTokenAuthenticator(sign_in, self.scoped_tokens)

    @cached_property
    def scoped_tokens(self) -> ScopedTokens:
        """Issues and checks the tokens handed to analysis services."""
        settings = self.settings
        configured = settings.scoped_token_key
        key = signing_key(
            configured.get_secret_value() if configured is not None else None, settings.data_dir
        )
        return ScopedTokens(key=key, lifetime=settings.scoped_token_lifetime)

    @cached_property
    def analysis(self) -> AnalysisRuntime:
        """Analysis facilities and workflows, and what launches use."""
        catalogue = self._analysis_catalogue or load_analysis_catalogue(
            self.settings.catalogue_path()
        )
        return AnalysisRuntime(
            catalogue=catalogue,
            tokens=self.scoped_tokens,
            jupyterhub=self.jupyterhub,
            fetcher=SourceFetcher(
                http=self.http, limits=SourceLimits(timeout=self.settings.job_remote_timeout)
            ),
        )

    def jupyterhub(self, facility: Facility) -> JupyterHubClient:
        """The client of a jupyterhub facility, with the service token from the environment."""
        settings = facility.jupyterhub
        assert settings is not None  # the catalogue requires them for a jupyterhub facility
        token = os.environ.get(settings.api_token_env)
        if not token:
            raise HubRefused(
                f"facility {facility.id!r}: the environment variable {settings.api_token_env} "
                "(its service API token) is not set"
            )
        return HttpJupyterHub(
            base_url=facility.url,
            token=token,
            http=self.http,
            timeout=self.settings.job_remote_timeout,
        )

    def batch_backend(self, facility: Facility) -> BatchBackend:
        """The back-end of a batch facility, built once per facility: for Slurm, slurmrestd
        over this process's HTTP client, with the JWT of the facility's ``jwt_env``."""
        backend = self._batch_backends.get(facility.id)
        if backend is None:
            if facility.slurm is None:
                raise ValueError(f"facility {facility.id!r} has no batch back-end")
            client = SlurmRestClient(
                http=self.http,
                base_url=facility.slurm.rest_url,
                user=facility.slurm.user,
                token=token_from_env(facility.slurm.jwt_env),
                timeout=self.settings.job_remote_timeout,
                version=facility.slurm.api_version,
            )
            backend = SlurmBackend(api=client, where=f"Slurm at {client.base_url}")
            self._batch_backends[facility.id] = backend
        return backend

    @cached_property
    def regtap(self) -> RegistrySearcher | None:
        """The RegTAP service searched (none when ``regtap_url`` is empty)."""
        if self._regtap is not None or not self.settings.regtap_url:
            return self._regtap
        client = RegTapClient(
            url=self.settings.regtap_url,
            timeout=self.settings.registry_timeout,
            user_agent=USER_AGENT,
        )
        self._exit.push_async_callback(asyncio.to_thread, client.close)
        return client

    @cached_property
    def url_check(self) -> UrlCheck:
        """The check every URL from a registry record or a DataLink answer passes first."""
        return functools.partial(check_url, allow_private=self.settings.registry_allow_private_urls)
