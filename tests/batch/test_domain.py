"""Pure batch code: Slurm states as UWS phases, wait statuses, sanitising, job scripts."""

from __future__ import annotations

import subprocess

import pytest

from esap_graphql.domain.batch import (
    SLURM_PHASES,
    command_script,
    container_script,
    decode_wait_status,
    sanitise,
    slurm_phase,
    tail,
)
from esap_graphql.domain.uws import ExecutionPhase

P = ExecutionPhase


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        ("PENDING", P.QUEUED),
        ("REQUEUED", P.QUEUED),
        ("CONFIGURING", P.EXECUTING),
        ("RUNNING", P.EXECUTING),
        ("COMPLETING", P.EXECUTING),
        ("SUSPENDED", P.SUSPENDED),
        ("COMPLETED", P.COMPLETED),
        ("CANCELLED", P.ABORTED),
        ("FAILED", P.ERROR),
        ("TIMEOUT", P.ERROR),
        ("NODE_FAIL", P.ERROR),
        ("OUT_OF_MEMORY", P.ERROR),
        ("BOOT_FAIL", P.ERROR),
        ("DEADLINE", P.ERROR),
        ("PREEMPTED", P.ERROR),
    ],
)
def test_slurm_states_map_to_uws_phases(state: str, phase: ExecutionPhase) -> None:
    assert slurm_phase(state) is phase
    assert slurm_phase([state]) is phase  # the v0.0.40 list form


def test_every_mapped_phase_is_a_uws_phase_a_job_can_take() -> None:
    assert set(SLURM_PHASES.values()) <= {
        P.QUEUED,
        P.EXECUTING,
        P.SUSPENDED,
        P.COMPLETED,
        P.ERROR,
        P.ABORTED,
    }


def test_a_job_still_holding_its_nodes_is_executing_whatever_its_base_state() -> None:
    assert slurm_phase(["COMPLETED", "COMPLETING"]) is P.EXECUTING
    assert slurm_phase(["CANCELLED", "COMPLETING"]) is P.EXECUTING
    assert slurm_phase(["PENDING", "CONFIGURING"]) is P.EXECUTING


def test_state_names_are_read_leniently_and_unknown_ones_are_unknown() -> None:
    assert slurm_phase(" running ") is P.EXECUTING
    assert slurm_phase("SOMETHING_NEW") is P.UNKNOWN
    assert slurm_phase([]) is P.UNKNOWN
    assert slurm_phase("") is P.UNKNOWN


@pytest.mark.parametrize(
    ("script", "expected"),
    [("exit 0", (0, None)), ("exit 3", (3, None)), ("kill -TERM $$", (None, 15))],
)
def test_wait_statuses_decode_as_the_shell_reports_them(
    script: str, expected: tuple[int | None, int | None]
) -> None:
    # Slurm's exit_code is the raw wait status of the batch script: rebuild one from bash
    code = subprocess.run(["bash", "-c", script], check=False).returncode
    status = code << 8 if code >= 0 else -code
    assert decode_wait_status(status) == expected


def test_the_wait_status_slurmrestd_reports_for_exit_3() -> None:
    assert decode_wait_status(768) == (3, None)


def test_sanitise_hides_tokens_and_secrets_and_strips_control_characters() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJlc2FwIn0.c2lnbmF0dXJl"
    text = sanitise(f"\x1b[31mfailed\x1b[0m\x07 with token {jwt} password=hunter2\tnow")
    assert text == "failed with token [hidden] password=[hidden] now"
    assert jwt not in sanitise(f"X-SLURM-USER-TOKEN: {jwt}")
    assert "[token]" in sanitise(f"header {jwt}")


def test_sanitise_keeps_the_end_of_long_text() -> None:
    text = sanitise("x" * 1000 + " the real error", limit=50)
    assert len(text) == 50
    assert text.endswith("the real error")
    assert text.startswith("…")


def test_tail_keeps_the_last_lines_of_output() -> None:
    data = "".join(f"line {i}\n" for i in range(100)).encode() + b"\xff bad byte\n"
    text = tail(data, lines=3)
    assert text.splitlines() == ["line 98", "line 99", "\ufffd bad byte"]


def test_scripts_quote_every_argument() -> None:
    script = command_script(["python3", "-c", "print('a b'); import os", "$HOME"])
    assert script.startswith("#!/bin/bash\n")
    out = subprocess.run(
        ["bash", "-c", script.split("\n", 1)[1].replace("exec ", "echo ")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == "python3 -c print('a b'); import os $HOME\n"
    assert container_script("docker://python:3.11", ["python3", "x.py"]) == (
        "#!/bin/bash\nexec apptainer exec docker://python:3.11 python3 x.py\n"
    )


def test_the_moves_of_a_job_whose_start_is_decided_remotely() -> None:
    from esap_graphql.domain.uws import TAKE_QUEUED, finish_remote, remote

    assert (TAKE_QUEUED.to, TAKE_QUEUED.sources) == (P.QUEUED, frozenset({P.QUEUED}))
    assert remote(P.EXECUTING).sources == {P.QUEUED, P.SUSPENDED}
    assert remote(P.SUSPENDED).sources == {P.EXECUTING}
    assert remote(P.QUEUED).sources == {P.EXECUTING}  # requeued by the batch system
    assert finish_remote(P.ERROR).sources == {P.QUEUED, P.EXECUTING, P.SUSPENDED}
    assert finish_remote(P.COMPLETED).sources == {P.EXECUTING}  # it must have run
    with pytest.raises(ValueError, match="not a phase a remote system reports"):
        remote(P.COMPLETED)
