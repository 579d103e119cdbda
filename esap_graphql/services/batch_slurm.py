"""Slurm as a batch back-end: slurmrestd for submit, state and cancel; outputs on the staging
filesystem shared with the cluster, where Slurm itself writes standard output and error."""

from __future__ import annotations

import httpx

from esap_graphql.connectors.slurm import SlurmApi, SlurmRestClient, token_from_env
from esap_graphql.domain.analysis import SlurmSettings
from esap_graphql.domain.batch import BatchStatus, BatchSubmission
from esap_graphql.services.batch_backend import BatchOutputs
from esap_graphql.services.batch_workspace import Workspace


class SlurmBackend:
    """``BatchBackend`` for a Slurm cluster."""

    def __init__(self, *, api: SlurmApi, where: str) -> None:
        self._api = api
        self._where = where

    @classmethod
    def for_facility(
        cls, settings: SlurmSettings, *, http: httpx.AsyncClient, timeout: float
    ) -> SlurmBackend:
        """The back-end of a catalogue facility: slurmrestd at ``rest_url``, as ``user``, with
        the JWT from the environment variable ``jwt_env``, speaking ``api_version``."""
        client = SlurmRestClient(
            http=http,
            base_url=settings.rest_url,
            user=settings.user,
            token=token_from_env(settings.jwt_env),
            timeout=timeout,
            version=settings.api_version,
        )
        return cls(api=client, where=f"Slurm at {client.base_url}")

    @property
    def where(self) -> str:
        return self._where

    async def submit(self, submission: BatchSubmission) -> str:
        return await self._api.submit(submission)

    async def state(self, remote_id: str) -> BatchStatus:
        return await self._api.status(remote_id)

    async def cancel(self, remote_id: str) -> None:
        await self._api.cancel(remote_id)

    async def outputs(self, remote_id: str, workspace: Workspace) -> BatchOutputs:
        # the submission pointed Slurm's stdout and stderr into the workspace
        files = await workspace.outputs()
        return BatchOutputs(stdout=workspace.stdout, stderr=workspace.stderr, files=tuple(files))
