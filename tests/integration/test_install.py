"""`pip install` of the project, as a user outside a checkout gets it: the `ecs-teardown` command works from any
directory, `invoke` included, with nothing read from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed (not editable) into a directory of its own; its dependencies come from this venv."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def run(installed: Path, where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    drop = ("SSL_CERT_FILE", "ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(installed)  # the installed copy comes first; the checkout is not on the path
    return subprocess.run(
        [str(installed / "bin" / "ecs-teardown"), *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = "import ecs_teardown_tools, ecs_teardown; print(ecs_teardown_tools.__file__, ecs_teardown.__file__)"
    env = {**os.environ, "PYTHONPATH": str(installed)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(str(installed)) == 2 and str(ROOT / "handler") not in done.stdout
    assert not (installed / "app.py").exists(), "the Lambda entry is not installed as a top-level module"


def test_the_command_runs_from_any_directory(installed: Path, tmp_path: Path) -> None:
    done = run(installed, tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "services" in done.stdout and "invoke" in done.stdout


def test_invoke_works_outside_a_checkout(installed: Path, tmp_path: Path, moto_url: str) -> None:
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=1)
    shutil.copy(ROOT / "events" / "delete.json", tmp_path / "delete.json")
    done = run(
        installed, tmp_path, "invoke", "delete.json", "--endpoint-url", moto_url, "--stack-status", "DELETE_IN_PROGRESS"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Status"] == "SUCCESS"
    assert ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"] == "INACTIVE"
