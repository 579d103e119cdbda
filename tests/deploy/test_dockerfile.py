"""The Dockerfile passes hadolint and builds only from what .dockerignore lets through."""

from __future__ import annotations

import dockerfile

from tests.deploy.tools import HADOLINT, ROOT, run, tool


def test_hadolint_finds_nothing() -> None:
    result = run(tool(HADOLINT), "--no-color", ROOT / "Dockerfile", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_non_root_with_a_health_check() -> None:
    instructions = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    stages = [i for i in instructions if i.cmd == "FROM"]
    assert len(stages) == 2
    assert stages[-1].value[-1] == "runtime"
    runtime = instructions[instructions.index(stages[-1]) :]
    (user,) = [i for i in runtime if i.cmd == "USER"]
    assert not user.value[0].startswith(("0", "root"))
    (check,) = [i for i in runtime if i.cmd == "HEALTHCHECK"]
    assert "/health" in " ".join(check.value)
    # the runtime stage copies only the built virtual environment
    copies = [i for i in runtime if i.cmd == "COPY"]
    assert [(c.flags, c.value) for c in copies] == [(("--from=build",), ("/opt/esap", "/opt/esap"))]


def test_dockerignore_lets_through_exactly_what_the_build_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything else (.venv, data, tests, node_modules) stays out
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    instructions = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    copied = {
        source.removeprefix("./").rstrip("/")
        for i in instructions
        if i.cmd == "COPY" and not i.flags
        for source in i.value[:-1]
    }
    assert copied == allowed
    assert all((ROOT / name).exists() for name in copied)
