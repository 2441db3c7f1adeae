"""The SAM application as a deployer gets it: the templates lint, `sam validate --lint` and `sam build` pass, the
layer holds only what the runtime lacks, and the built function (on python3.13 with nothing but the runtime's
boto3 and the built layer) imports and answers a Delete."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
CFN_LINT = ROOT / ".venv-sam" / "bin" / "cfn-lint"
RUNTIME_PYTHON = ROOT / ".venv-lambda" / "bin" / "python"  # python3.13 + boto3: what the Lambda runtime has
TEMPLATES = [ROOT / "template.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]


def _tools_env() -> dict[str, str]:
    assert SAM.exists() and RUNTIME_PYTHON.exists(), "`make test` installs .venv-sam and .venv-lambda first"
    runtime_bin = str(Path(os.path.realpath(RUNTIME_PYTHON)).parent)  # sam build looks for python3.13 on PATH
    return {**os.environ, "PATH": f"{runtime_bin}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}


def _run(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=ROOT, capture_output=True, text=True, timeout=300, **kwargs
    )  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sam-build")
    done = _run([SAM, "build", "--build-dir", out, "--template-file", ROOT / "template.yaml"], env=_tools_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_cfn_lint_passes(template: Path) -> None:
    done = _run([CFN_LINT, template], env=_tools_env())
    assert done.returncode == 0, done.stdout + done.stderr


def test_sam_validate_lint_passes() -> None:
    done = _run([SAM, "validate", "--lint", "--template-file", ROOT / "template.yaml"], env=_tools_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr


def test_layer_holds_only_what_the_runtime_lacks(build_dir: Path) -> None:
    packages = {p.name for p in (build_dir / "DependenciesLayer" / "python").iterdir() if not p.name.endswith("-info")}
    assert {"crhelper", "aws_lambda_powertools"} <= packages
    assert not packages & {"boto3", "botocore", "moto", "cryptography", "aws_xray_sdk", "rich"}, packages


def test_function_package_is_the_handler_only(build_dir: Path) -> None:
    """Exactly app.py and the ecs_teardown package's modules: no tooling, no tests, no caches, no dependencies."""
    function = build_dir / "TeardownFunction"
    built = {str(path.relative_to(function)) for path in function.rglob("*") if path.is_file()}
    handler = ROOT / "handler"
    shipped = {"app.py"} | {str(p.relative_to(handler)) for p in (handler / "ecs_teardown").rglob("*.py")}
    # ...each with its python3.13 .pyc, compiled at build time (Lambda's code directory is read-only)
    compiled = {str(Path(name).parent / "__pycache__" / f"{Path(name).stem}.cpython-313.pyc") for name in shipped}
    assert built == shipped | {name.removeprefix("./") for name in compiled}
    assert "ecs_teardown/core/engine.py" in built and not [name for name in built if "tools" in name]


DRIVER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app

class Context:  # what Lambda passes (the tooling's LocalContext is not in the artifact)
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown-teardown"
    function_name, function_version, memory_limit_in_mb = "ecs-teardown-teardown", "$LATEST", "256"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    def get_remaining_time_in_millis(self):
        return 900_000

app.lambda_handler(json.loads(sys.argv[3]), Context())
import aws_lambda_powertools, crhelper
print("LOADED-FROM", aws_lambda_powertools.__file__, crhelper.__file__)
"""


def test_built_function_answers_a_delete_on_python313(build_dir, moto_url, answers, event_for) -> None:
    event = event_for("delete.json")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_ECS": moto_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": "",
        "PYTHONNOUSERSITE": "1",
    }
    done = _run(
        [
            RUNTIME_PYTHON,
            "-c",
            DRIVER,
            build_dir / "TeardownFunction",
            build_dir / "DependenciesLayer" / "python",
            json.dumps(event),
        ],
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(build_dir) in done.stdout.split("LOADED-FROM", 1)[1], "crhelper and Powertools came from the layer"
    answer = answers.wait_for(1)[-1].body
    assert answer["Status"] == "SUCCESS", answer["Reason"]  # the cluster does not exist: nothing to tear down
    assert answer["RequestId"] == event["RequestId"]


def test_the_serverless_application_repository_metadata_is_complete_and_current() -> None:
    import tomllib

    from cfn_template import load_template

    metadata = load_template(ROOT / "template.yaml")["Metadata"]["AWS::ServerlessRepo::Application"]
    required = {"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "SemanticVersion"}
    assert required <= set(metadata) and metadata["SourceCodeUrl"].startswith("https://")
    assert (ROOT / metadata["LicenseUrl"]).read_text().lstrip().startswith("Apache License")
    assert (ROOT / metadata["ReadmeUrl"]).exists() and metadata["SpdxLicenseId"] == "Apache-2.0"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert metadata["SemanticVersion"] == version, "one version for the application and the command"
