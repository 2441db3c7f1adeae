"""Cold start, measured in fresh processes: the handler's first Delete against the least a program can do for the
same answer, both on the same interpreter, against the same local servers (moto's ECS and an HTTPS answer
endpoint, both on 127.0.0.1, both run by this process). Also the dependency layer's zipped size.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HANDLER_DIR = ROOT / "handler"
LAYER_DIR = ROOT / ".aws-sam" / "build" / "DependenciesLayer" / "python"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
LAMBDA_PYTHON = ROOT / ".venv-lambda" / "bin" / "python"  # python3.13 with boto3 only, like the Lambda runtime
CHILD_TIMEOUT_S = 60.0
CLUSTER, SERVICE = "bench", "already-gone"
SERVICE_ARN = f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{SERVICE}"

# The handler's cold start: import app.py (crhelper, Powertools, the engine), then answer a Delete of a service
# that is not there (one DescribeServices, one answer PUT). The clock starts before the first import; the context
# is a plain object, since ecs_teardown_tools.local is never imported in Lambda.
HANDLER_CHILD = """
import time
started = time.perf_counter()
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
import app
imported = time.perf_counter()

class Context:
    function_name = "ecs-teardown-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown-bench"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 900_000

app.lambda_handler(json.loads(sys.argv[2]), Context())
answered = time.perf_counter()
print("BENCH-TIMES", imported - started, answered - started)
"""

# The least a program can do for the same answer: boto3, an ECS client, one DescribeServices, one HTTPS PUT.
MINIMAL_CHILD = """
import time
started = time.perf_counter()
import http.client, json, ssl, sys
from urllib.parse import urlsplit
import boto3
imported = time.perf_counter()
event = json.loads(sys.argv[2])
properties = event["ResourceProperties"]
boto3.client("ecs").describe_services(cluster=properties["Cluster"], services=[properties["Service"]])
body = json.dumps({
    "Status": "SUCCESS", "PhysicalResourceId": event["PhysicalResourceId"], "StackId": event["StackId"],
    "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"], "Reason": "", "Data": {},
}).encode()
url = urlsplit(event["ResponseURL"])
connection = http.client.HTTPSConnection(url.hostname, url.port, context=ssl.create_default_context(), timeout=10)
connection.request("PUT", f"{url.path}?{url.query}", body=body, headers={"Content-Type": ""})
assert connection.getresponse().status == 200
answered = time.perf_counter()
print("BENCH-TIMES", imported - started, answered - started)
"""


@dataclass
class ColdStart:
    """Medians over the repeats, in seconds: import only, and import through the delivered answer."""

    label: str
    python: str
    imports: list[float] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median_import(self) -> float:
        return statistics.median(self.imports) if self.imports else float("nan")

    @property
    def median_total(self) -> float:
        return statistics.median(self.totals) if self.totals else float("nan")


@contextmanager
def local_servers() -> Iterator[tuple[str, Any]]:
    """moto's ECS (with the cluster, not the service) and the answer endpoint, both on 127.0.0.1."""
    import boto3
    from moto.server import ThreadedMotoServer

    from ecs_teardown_tools.local import AnswerEndpoint

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        client = boto3.client(
            "ecs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
        )
        client.create_cluster(clusterName=CLUSTER)
        with AnswerEndpoint() as answers:
            yield url, answers
    finally:
        server.stop()


def delete_event(answers: Any, request_id: str) -> dict[str, Any]:
    return {
        "RequestType": "Delete",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown-bench",
        "ResponseURL": answers.url(request_id),
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/00000000-0000-0000-0000-000000000000",
        "RequestId": request_id,
        "LogicalResourceId": "Teardown",
        "ResourceType": "Custom::EcsServiceTeardown",
        "PhysicalResourceId": SERVICE_ARN,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown-bench",
            "Cluster": CLUSTER,
            "Service": SERVICE,
        },
    }


def child_env(moto_url: str, cert_path: str) -> dict[str, str]:
    """A clean environment: no credentials or endpoints of the caller, nothing written into the repo's caches."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_ECS": moto_url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SSL_CERT_FILE": cert_path,
        "ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL": "true",
        # Lambda cannot write .pyc files either (its code is read-only): a layer without them compiles each time.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }


def measure(
    label: str, python: Path, script: str, paths: list[Path], repeats: int, moto_url: str, answers: Any
) -> ColdStart:
    """Run `script` in `repeats` fresh processes (after one unmeasured warm-up for the OS's file cache)."""
    result = ColdStart(label, python.name)
    if not python.exists():
        result.error = f"{python} not found"
        return result
    env = child_env(moto_url, answers.cert_path)
    for attempt in range(repeats + 1):
        before = len(answers.answers)
        event = delete_event(answers, f"bench-{label.replace(' ', '-')}-{attempt}")
        argv = [str(python), "-c", script, json.dumps([str(p) for p in paths]), json.dumps(event)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
        times = [line for line in done.stdout.splitlines() if line.startswith("BENCH-TIMES ")]
        delivered = answers.wait_for(before + 1, timeout_s=5.0)
        if done.returncode != 0 or not times or len(delivered) <= before:
            result.error = (done.stderr.strip().splitlines() or ["no answer delivered"])[-1][:160]
            return result
        if delivered[-1].body.get("Status") != "SUCCESS":
            result.error = f"answer was {delivered[-1].body.get('Status')}: {delivered[-1].body.get('Reason')}"[:160]
            return result
        if attempt == 0:
            continue  # the warm-up: page cache and DNS-free localhost paths, for both kinds alike
        imported, total = (float(value) for value in times[-1].split()[1:3])
        result.imports.append(imported)
        result.totals.append(total)
    return result


@dataclass(frozen=True)
class Comparison:
    """One interpreter's pair of measurements: the handler against the minimal program."""

    interpreter: str
    handler: ColdStart
    minimal: ColdStart

    @property
    def error(self) -> str:
        return self.handler.error or self.minimal.error

    @property
    def ratio(self) -> float:
        return self.handler.median_total / self.minimal.median_total


def precompiled_layer(scratch: Path) -> Path | None:
    """A copy of the built layer with .pyc files (unchecked-hash: valid whatever mtimes the zip keeps), to show
    what compiling the layer's sources at every cold start costs; None when compileall fails."""
    import shutil

    copy = scratch / "python"
    shutil.copytree(LAYER_DIR, copy)
    done = subprocess.run(
        [str(LAMBDA_PYTHON), "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(copy)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return copy if done.returncode == 0 else None


def run_cold_starts(repeats: int) -> list[Comparison]:
    """On .venv's python; then on python3.13 with only boto3 plus the built layer (as in Lambda: crhelper and
    Powertools come from the layer, which holds no .pyc), and with a precompiled copy of that layer."""
    rows: list[Comparison] = []
    with local_servers() as (moto_url, answers), tempfile.TemporaryDirectory(prefix="ecs-teardown-bench-") as scratch:
        version = python_version(VENV_PYTHON)
        handler = measure("handler", VENV_PYTHON, HANDLER_CHILD, [HANDLER_DIR], repeats, moto_url, answers)
        minimal = measure("minimal", VENV_PYTHON, MINIMAL_CHILD, [], repeats, moto_url, answers)
        rows.append(Comparison(f"python {version} (.venv)", handler, minimal))
        if not (LAMBDA_PYTHON.exists() and LAYER_DIR.exists()):
            return rows
        version = python_version(LAMBDA_PYTHON)
        paths = [HANDLER_DIR, LAYER_DIR]
        handler = measure("handler-313", LAMBDA_PYTHON, HANDLER_CHILD, paths, repeats, moto_url, answers)
        minimal = measure("minimal-313", LAMBDA_PYTHON, MINIMAL_CHILD, [], repeats, moto_url, answers)
        rows.append(Comparison(f"python {version} + built layer", handler, minimal))
        compiled = precompiled_layer(Path(scratch))
        if compiled is not None:
            paths = [HANDLER_DIR, compiled]
            handler = measure("handler-313-pyc", LAMBDA_PYTHON, HANDLER_CHILD, paths, repeats, moto_url, answers)
            rows.append(Comparison(f"python {version} + layer with .pyc", handler, minimal))
    return rows


def python_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    return done.stdout.strip() or "?"


@dataclass(frozen=True)
class LayerSize:
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    source: str


def layer_size(build_timeout_s: float = 600.0) -> LayerSize | str:
    """Zip the built layer's python/ tree (deflate, as Lambda stores it). Builds it with `make layer-size` first
    when .aws-sam/build is missing; returns why not when that is impossible."""
    source = "reused .aws-sam/build"
    if not LAYER_DIR.exists():
        done = subprocess.run(
            ["make", "-C", str(ROOT), "layer-size"],
            capture_output=True,
            text=True,
            timeout=build_timeout_s,
            check=False,
        )
        if done.returncode != 0 or not LAYER_DIR.exists():
            return f"no built layer and `make layer-size` failed: {(done.stderr or done.stdout).strip()[-160:]}"
        source = "built now by `make layer-size`"
    files = sorted(path for path in LAYER_DIR.rglob("*") if path.is_file())
    with tempfile.TemporaryDirectory(prefix="ecs-teardown-bench-") as scratch:
        target = Path(scratch) / "layer.zip"
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, Path("python") / path.relative_to(LAYER_DIR))
        zipped = target.stat().st_size
    return LayerSize(zipped, sum(path.stat().st_size for path in files), len(files), source)
