"""slurmrestd, Slurm's REST API: submit a batch job, read its state, cancel it.

``SlurmApi`` is the interface; ``SlurmRestClient`` speaks to a real slurmrestd over httpx and
``InMemorySlurm`` keeps jobs in a dict for unit tests.

The REST client authenticates every request with a JWT (``X-SLURM-USER-NAME`` and
``X-SLURM-USER-TOKEN``; slurmrestd runs with ``rest_auth/jwt``), bounds every request by a
timeout, and speaks one OpenAPI version of the plugin: the configured one, or the newest of
``SUPPORTED_VERSIONS`` the server lists in ``/openapi/v3``. What changed between versions and
matters here: from v0.0.39 the environment is a list of ``NAME=value`` strings (a mapping
before), the script travels inside the job description and the time limit is a
``{set, number}`` object; from v0.0.40 the job state is a list (base state and flags) and the
exit code an object. Only v0.0.38 (Debian bookworm's Slurm 22.05) is exercised against a live
server in the tests; the later shapes are tested on answers built as their OpenAPI
descriptions document them.

Failures come as ``esap_graphql.domain.batch`` errors: ``BatchUnreachable`` (network,
timeout, an unreadable answer, a version the server does not serve),
``BatchAuthenticationFailed`` (HTTP 401/403), ``BatchRejected`` (Slurm's own reason,
sanitised) and ``UnknownBatchJob``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from esap_graphql.domain.batch import (
    BatchAuthenticationFailed,
    BatchRejected,
    BatchStatus,
    BatchSubmission,
    BatchUnreachable,
    UnknownBatchJob,
    decode_wait_status,
    sanitise,
    slurm_phase,
)

#: OpenAPI plugin versions this client speaks, newest first.
SUPPORTED_VERSIONS: tuple[str, ...] = ("v0.0.40", "v0.0.39", "v0.0.38", "v0.0.37")

#: Slurm's error number for "Invalid job id specified" (ESLURM_INVALID_JOB_ID).
_INVALID_JOB_ID = 2017
#: "Zero Bytes were transmitted or received": slurmctld hung up on the request, which is
#: what it does to a token it does not accept (expired, or signed with another key).
_HUNG_UP = 5005
_VERSION = re.compile(r"^/slurm/(v\d+\.\d+\.\d+)/ping/?$")
_JOB_ID = re.compile(r"^[0-9]+(_[0-9]+)?$")
_MAX_ANSWER_BYTES = 8 * 1024 * 1024


class SlurmApi(Protocol):
    """Submits batch jobs to one Slurm cluster, reads their state, cancels them."""

    async def submit(self, job: BatchSubmission) -> str:
        """Submit the job; return Slurm's job id."""
        ...

    async def status(self, job_id: str) -> BatchStatus:
        """The job's state now; raise ``UnknownBatchJob`` if Slurm does not know it."""
        ...

    async def cancel(self, job_id: str) -> None:
        """Cancel the job (nothing happens to a job that has already ended)."""
        ...


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.lstrip("v").split("."))


def newest_supported(paths: Sequence[str]) -> str | None:
    """The newest of ``SUPPORTED_VERSIONS`` among OpenAPI paths, or None."""
    served = {m.group(1) for p in paths if (m := _VERSION.match(p))}
    usable = [v for v in SUPPORTED_VERSIONS if v in served]
    return max(usable, key=_version_key) if usable else None


def submission_body(job: BatchSubmission, version: str) -> dict[str, Any]:
    """The ``POST /job/submit`` document for this API version."""
    new = _version_key(version) >= (0, 0, 39)
    desc: dict[str, Any] = {
        "name": job.name,
        "current_working_directory": job.working_directory,
        "standard_output": job.stdout_path,
        "standard_error": job.stderr_path,
        # slurmrestd insists on an environment; it does not inherit the daemon's own
        "environment": (
            [f"{k}={v}" for k, v in job.environment.items()] if new else dict(job.environment)
        ),
    }
    # no "argv": slurmrestd 22.05 dies on it (the job type puts arguments into the script)
    if job.partition:
        desc["partition"] = job.partition
    if job.time_limit_minutes is not None:
        desc["time_limit"] = (
            {"set": True, "infinite": False, "number": job.time_limit_minutes}
            if new
            else job.time_limit_minutes
        )
    if new:
        desc["script"] = job.script
        return {"job": desc}
    return {"job": desc, "script": job.script}


def _number(value: Any) -> int | None:
    """An integer, or the ``number`` of a ``{set, infinite, number}`` object when set."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping) and value.get("set", True) and not value.get("infinite"):
        number = value.get("number")
        return number if isinstance(number, int) and not isinstance(number, bool) else None
    return None


def _exit(value: Any) -> tuple[int | None, int | None]:
    """(exit code, signal) from ``exit_code``: a wait status, or the v0.0.40 object."""
    if isinstance(value, Mapping) and ("return_code" in value or "signal" in value):
        signal = value.get("signal")
        signal_id = _number(signal.get("id", signal.get("signal_id"))) if signal else None
        if signal_id:
            return None, signal_id
        return _number(value.get("return_code")), None
    status = _number(value)
    return decode_wait_status(status) if status is not None else (None, None)


def status_of(job_id: str, info: Mapping[str, Any]) -> BatchStatus:
    """A job record of ``GET /job/{id}`` as a ``BatchStatus``."""
    raw_state = info.get("job_state")
    if isinstance(raw_state, str):
        states: list[str] = [raw_state]
    elif isinstance(raw_state, list):
        states = [str(s) for s in raw_state]
    else:
        states = []
    exit_code, signal = _exit(info.get("exit_code"))
    reason = info.get("state_reason")
    description = info.get("state_description")
    text = " ".join(str(x) for x in (reason, description) if x and x != "None")
    return BatchStatus(
        remote_id=job_id,
        state=",".join(states) or "UNKNOWN",
        phase=slurm_phase(states),
        exit_code=exit_code,
        signal=signal,
        reason=sanitise(text, limit=300) or None,
    )


class SlurmToken(Protocol):
    """Where the JWT for slurmrestd comes from; read on every request, so it can rotate."""

    def __call__(self) -> str: ...


def token_from_env(name: str) -> SlurmToken:
    """The token held by an environment variable (as the catalogue's ``jwt_env`` names)."""

    def read() -> str:
        value = os.environ.get(name, "").strip()
        if value.startswith("SLURM_JWT="):  # `scontrol token` prints it so
            value = value.removeprefix("SLURM_JWT=")
        if not value:
            raise BatchAuthenticationFailed(
                "slurmrestd", f"the environment variable {name} holding the token is not set"
            )
        return value

    return read


class SlurmRestClient:
    """``SlurmApi`` over slurmrestd's REST API (httpx, async, a timeout on every call)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        user: str,
        token: SlurmToken,
        timeout: float,
        version: str | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._user = user
        self._token = token
        self._timeout = timeout
        self._version = version
        self._version_lock = asyncio.Lock()

    @property
    def base_url(self) -> str:
        """The slurmrestd base URL."""
        return self._base

    async def version(self) -> str:
        """The API version in use: configured, or detected once from ``/openapi/v3``."""
        if self._version is None:
            async with self._version_lock:
                if self._version is None:
                    self._version = await self._detect_version()
        return self._version

    async def served_versions(self) -> list[str]:
        """Every ``v0.0.x`` the server lists (slurmrestd answers ``/openapi/v3`` only to an
        authenticated caller)."""
        document = await self._call("GET", "/openapi/v3")
        paths = document.get("paths")
        if not isinstance(paths, Mapping):
            raise BatchUnreachable(self._base, "its /openapi/v3 document lists no paths")
        served = {m.group(1) for p in paths if (m := _VERSION.match(p))}
        return sorted(served, key=_version_key)

    async def _detect_version(self) -> str:
        served = await self.served_versions()
        found = newest_supported([f"/slurm/{v}/ping" for v in served])
        if found is None:
            raise BatchUnreachable(
                self._base,
                f"it serves API versions {', '.join(served) or 'none'}; this gateway speaks "
                f"{', '.join(SUPPORTED_VERSIONS)}",
            )
        return found

    def _headers(self) -> dict[str, str]:
        return {
            "X-SLURM-USER-NAME": self._user,
            "X-SLURM-USER-TOKEN": self._token(),
            "Accept": "application/json",
        }

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> dict[str, Any]:
        url = self._base + path
        timeout = httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0))
        try:
            async with asyncio.timeout(self._timeout * 2):
                response = await self._http.request(
                    method, url, json=body, headers=self._headers(), timeout=timeout
                )
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise BatchUnreachable(self._base, f"no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise BatchUnreachable(self._base, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise BatchAuthenticationFailed(
                self._base, f"HTTP {response.status_code} for user {self._user!r}"
            )
        if len(response.content) > _MAX_ANSWER_BYTES:
            raise BatchUnreachable(self._base, f"an answer of {len(response.content)} bytes")
        try:
            document = json.loads(response.content)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            if response.status_code == 404:
                raise BatchUnreachable(self._base, f"it does not serve {path}")
            raise BatchUnreachable(
                self._base, f"HTTP {response.status_code} with an answer that is not JSON"
            )
        errors = [e for e in document.get("errors") or () if isinstance(e, Mapping)]
        if errors:
            numbers = {_number(e.get("error_number", e.get("error_code"))) for e in errors}
            if job_id is not None and _INVALID_JOB_ID in numbers:
                raise UnknownBatchJob(job_id)
            if _HUNG_UP in numbers:
                raise BatchAuthenticationFailed(
                    self._base,
                    f"slurmctld hung up on a request of user {self._user!r} (Slurm error "
                    f"{_HUNG_UP}), as it does when the token has expired or is not its own",
                )
            texts = [
                str(e.get("description") or e.get("error") or "no reason given") for e in errors
            ]
            raise BatchRejected(sanitise("; ".join(dict.fromkeys(texts))))
        if response.status_code >= 400:
            raise BatchUnreachable(self._base, f"HTTP {response.status_code} without a reason")
        return document

    async def submit(self, job: BatchSubmission) -> str:
        version = await self.version()
        document = await self._call(
            "POST", f"/slurm/{version}/job/submit", body=submission_body(job, version)
        )
        job_id = _number(document.get("job_id"))
        if job_id is None:
            raise BatchUnreachable(self._base, "the submission answer carries no job id")
        return str(job_id)

    async def status(self, job_id: str) -> BatchStatus:
        _check_id(job_id)
        version = await self.version()
        document = await self._call("GET", f"/slurm/{version}/job/{job_id}", job_id=job_id)
        jobs = [j for j in document.get("jobs") or () if isinstance(j, Mapping)]
        wanted = [j for j in jobs if str(_number(j.get("job_id"))) == job_id.split("_")[0]]
        if not wanted:
            raise UnknownBatchJob(job_id)
        return status_of(job_id, wanted[0])

    async def cancel(self, job_id: str) -> None:
        _check_id(job_id)
        version = await self.version()
        await self._call("DELETE", f"/slurm/{version}/job/{job_id}", job_id=job_id)


def _check_id(job_id: str) -> None:
    # the id goes into a URL path: it must be a Slurm job id and nothing else
    if not _JOB_ID.match(job_id):
        raise UnknownBatchJob(job_id)


# ---------------------------------------------------------------- in memory


@dataclass
class _MemoryJob:
    submission: BatchSubmission
    states: list[str] = field(default_factory=lambda: ["PENDING"])
    exit_status: int = 0
    reason: str | None = None


class InMemorySlurm:
    """``SlurmApi`` without a cluster: jobs in a dict, moved on by the test.

    ``finish`` writes the stdout, stderr and output files a real job would leave in its
    working directory, so code that collects outputs runs unchanged. Set ``unreachable``
    or ``reject_with`` to make every call fail as a dead or refusing slurmrestd would.
    """

    def __init__(self) -> None:
        self.jobs: dict[str, _MemoryJob] = {}
        self.cancelled: list[str] = []
        self.unreachable = False
        self.reject_with: str | None = None
        self.calls = 0
        self._ids = itertools.count(1000)
        self.on_status: Callable[[str], None] | None = None
        """Called on every ``status`` (a test moves the job on from here)."""

    def _check(self) -> None:
        self.calls += 1
        if self.unreachable:
            raise BatchUnreachable("in-memory slurm", "switched off by the test")

    async def submit(self, job: BatchSubmission) -> str:
        self._check()
        if self.reject_with is not None:
            raise BatchRejected(sanitise(self.reject_with))
        job_id = str(next(self._ids))
        self.jobs[job_id] = _MemoryJob(submission=job)
        return job_id

    async def status(self, job_id: str) -> BatchStatus:
        self._check()
        if self.on_status is not None:
            self.on_status(job_id)
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownBatchJob(job_id)
        code, signal = decode_wait_status(job.exit_status)
        return BatchStatus(
            remote_id=job_id,
            state=",".join(job.states),
            phase=slurm_phase(job.states),
            exit_code=code,
            signal=signal,
            reason=job.reason,
        )

    async def cancel(self, job_id: str) -> None:
        self._check()
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownBatchJob(job_id)
        self.cancelled.append(job_id)
        if not slurm_phase(job.states).is_final:
            job.states = ["CANCELLED"]
            job.exit_status = 15  # SIGTERM, as Slurm reports a cancelled job

    def set_state(self, job_id: str, *states: str, reason: str | None = None) -> None:
        """Move the job to a state (a base state and flags)."""
        self.jobs[job_id].states = list(states)
        self.jobs[job_id].reason = reason

    def finish(
        self,
        job_id: str,
        *,
        state: str = "COMPLETED",
        exit_code: int = 0,
        stdout: bytes = b"",
        stderr: bytes = b"",
        files: Mapping[str, bytes] | None = None,
        output_dir: str | None = None,
    ) -> None:
        """End the job as a real one would: its output files written, then its final state."""
        job = self.jobs[job_id]
        Path(job.submission.stdout_path).write_bytes(stdout)
        Path(job.submission.stderr_path).write_bytes(stderr)
        if files:
            base = Path(output_dir or job.submission.working_directory)
            for name, data in files.items():
                path = base / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        job.states = [state]
        job.exit_status = (exit_code & 0xFF) << 8
