"""Slurm as a batch back-end: slurmrestd for submit, state and cancel; outputs on the staging
filesystem shared with the cluster, where Slurm itself writes standard output and error."""

from __future__ import annotations

from esap_graphql.connectors.slurm import SlurmApi
from esap_graphql.domain.batch import BatchStatus, BatchSubmission
from esap_graphql.services.batch_backend import BatchOutputs
from esap_graphql.services.batch_workspace import Workspace


class SlurmBackend:
    """``BatchBackend`` for a Slurm cluster (the factory builds its slurmrestd client from the
    facility's settings)."""

    def __init__(self, *, api: SlurmApi, where: str) -> None:
        self._api = api
        self._where = where

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
