"""What the batch job type needs from a batch system, as one small interface.

A back-end submits a ``BatchSubmission``, reports a remote job's state as a ``BatchStatus``
(with the UWS phase it maps to), cancels it, and says where its outputs are. Slurm
(``batch_slurm.SlurmBackend``) is the first; another batch system is one more class with
these four methods and one ``BatchJob`` subclass naming it (see ``job_types/batch.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from esap_graphql.domain.batch import BatchStatus, BatchSubmission
from esap_graphql.services.batch_workspace import OutputFile, Workspace


@dataclass(frozen=True, slots=True)
class BatchOutputs:
    """Where a finished job's standard output, standard error and output files are."""

    stdout: Path
    stderr: Path
    files: tuple[OutputFile, ...]


class BatchBackend(Protocol):
    """One batch system: submit, state, cancel, outputs. Failures are ``BatchError``s."""

    @property
    def where(self) -> str:
        """The batch system, for messages (``Slurm at http://...``)."""
        ...

    async def submit(self, submission: BatchSubmission) -> str:
        """Submit; return the batch system's id of the job."""
        ...

    async def state(self, remote_id: str) -> BatchStatus:
        """The job's state now."""
        ...

    async def cancel(self, remote_id: str) -> None:
        """Stop the job (nothing happens to one that has ended)."""
        ...

    async def outputs(self, remote_id: str, workspace: Workspace) -> BatchOutputs:
        """Where the ended job's outputs are (fetching them into the workspace if the
        batch system does not write there itself)."""
        ...
