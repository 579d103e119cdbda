"""Where the deployment tools are (scripts/setup-deploy-tools.sh installs them), how to run them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "esap-graphql"
HELM = ROOT / ".tools" / "bin" / "helm"
HADOLINT = Path(sys.executable).parent / "hadolint"
SETUP = "scripts/setup-deploy-tools.sh"


def tool(path_or_name: Path | str) -> str:
    """The executable, or a failure (never a skip) that names the setup script."""
    found = (
        str(path_or_name)
        if isinstance(path_or_name, Path) and path_or_name.exists()
        else shutil.which(str(path_or_name))
    )
    if found is None:
        pytest.fail(f"{path_or_name} is not installed: run {SETUP} (scripts/test.sh does)")
    return found


def run(
    *args: str | Path, check: bool = True, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a tool with a timeout, capturing its output as text."""
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        cwd=ROOT,
        **kwargs,  # type: ignore[arg-type]
    )
