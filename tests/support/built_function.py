"""The function as `sam build` makes it, and how the e2e tests run it under awslambdaric (tests/e2e)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from ecs_teardown_tools.local import AnswerEndpoint

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
RUNTIME_PYTHON = ROOT / ".venv-lambda" / "bin" / "python"  # python3.13 + boto3 + awslambdaric: the runtime's own
ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION_NAME = "ecs-teardown"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"  # the events' ServiceToken
MEMORY_MB = 256  # template.yaml Globals.Function.MemorySize
TIMEOUT_S = 900.0  # template.yaml Globals.Function.Timeout
WAIT_S = 60.0
STACK_TEMPLATE = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})  # any stack moto can create
ENVIRONMENT = {  # template.yaml's, with AllowedClusters=demo
    "POWERTOOLS_SERVICE_NAME": "ecs-teardown",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsTeardown",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "ECS_TEARDOWN_ALLOWED_CLUSTERS": "demo",
}


def sam_build(out: Path) -> None:
    """`sam build` into `out`, with python3.13 on PATH, as tests/template does."""
    assert SAM.exists() and RUNTIME_PYTHON.exists(), "`make test` installs .venv-sam and .venv-lambda first"
    runtime_bin = str(Path(os.path.realpath(RUNTIME_PYTHON)).parent)
    env = {**os.environ, "PATH": f"{runtime_bin}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
    command = [str(SAM), "build", "--build-dir", str(out), "--template-file", str(ROOT / "template.yaml")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def answer_to(answers: AnswerEndpoint, event: dict[str, Any]) -> dict[str, Any]:
    """The one answer CloudFormation's endpoint received for this request."""
    received = [a.body for a in answers.wait_for(1, timeout_s=5.0) if a.body.get("RequestId") == event["RequestId"]]
    assert len(received) == 1, f"expected one answer to {event['RequestId']}, got {len(received)}"
    return received[0]


def set_stack_status(cloudformation: Any, stack_id: str, status: str) -> None:
    """CloudFormation's record of the stack, as DescribeStacks will show it to the function (moto runs in this
    process: its backend is the one the server answers from)."""
    from moto.cloudformation.models import cloudformation_backends

    cloudformation_backends[ACCOUNT][REGION].stacks[stack_id].status = status
    shown = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    assert shown == status
