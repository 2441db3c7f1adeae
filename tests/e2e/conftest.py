"""The e2e tests' execution environment: the built function under awslambdaric, fed by a local Runtime API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_teardown_tools.local import AnswerEndpoint
from support.built_function import (
    ENVIRONMENT,
    FUNCTION_ARN,
    FUNCTION_NAME,
    MEMORY_MB,
    REGION,
    RUNTIME_PYTHON,
    TIMEOUT_S,
    WAIT_S,
    sam_build,
)
from support.runtime_api import LambdaFunction, RuntimeApi, RuntimeProcess
from support.secrets import SECRET_KEY, SESSION_TOKEN


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` for every e2e test, into a fresh directory."""
    out = tmp_path_factory.mktemp("sam-build-e2e")
    sam_build(out)
    return out


@pytest.fixture
def runtime(built: Path, moto_url: str, answers: AnswerEndpoint, tmp_path: Path) -> Iterator[RuntimeProcess]:
    """A fresh execution environment: the Runtime API, and the runtime process (killed at the end, whatever)."""
    function = LambdaFunction(
        task_root=built / "TeardownFunction",
        layer_paths=[built / "DependenciesLayer" / "python"],
        name=FUNCTION_NAME,
        memory_mb=MEMORY_MB,
        region=REGION,
        environment=ENVIRONMENT,
    )
    credentials = {  # a role's temporary credentials, distinctive so that the secret scan can find a leak
        "AWS_ACCESS_KEY_ID": "ASIAE2ETESTKEY000001",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
    }
    local = {
        "AWS_ENDPOINT_URL": moto_url,
        "ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL": "true",
        "SSL_CERT_FILE": answers.cert_path,
    }

    def answered_request_ids() -> list[str]:
        with answers.arrived:
            return [str(answer.body.get("RequestId")) for answer in answers.answers]

    with (
        RuntimeApi(FUNCTION_ARN, timeout_s=TIMEOUT_S, idle_limit_s=WAIT_S, probe=answered_request_ids) as api,
        RuntimeProcess(api, RUNTIME_PYTHON, function, tmp_path, credentials, local) as process,
    ):
        yield process
