"""Cold start, measured in fresh processes: the handler's first Delete against the least a program can do for the
same answer, both on the same interpreter, against the same local servers (moto's ECS and an HTTPS answer
endpoint, both on 127.0.0.1, both run by this process). Also the dependency layer's zipped size.

The handler runs from a copy of what `sam build` puts in the function (handler/Makefile: app.py and ecs_teardown,
no .pyc), never from handler/ itself, where any test run leaves .pyc that Lambda never has. The handler and the
minimal program take turns, run by run, so a machine whose load changes meanwhile weighs on both alike; each run
reports its CPU time too, which that load hardly moves.
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
BUILT_FUNCTION = ROOT / ".aws-sam" / "build" / "TeardownFunction"  # what Lambda runs: handler/Makefile's .pyc included
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
started, started_cpu = time.perf_counter(), time.process_time()
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
import app
imported, imported_cpu = time.perf_counter(), time.process_time()

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
answered, answered_cpu = time.perf_counter(), time.process_time()
print("BENCH-TIMES", imported - started, answered - started, imported_cpu - started_cpu, answered_cpu - started_cpu)
"""

# The least a program can do for the same answer: boto3, an ECS client, one DescribeServices, one HTTPS PUT.
MINIMAL_CHILD = """
import time
started, started_cpu = time.perf_counter(), time.process_time()
import http.client, json, ssl, sys
from urllib.parse import urlsplit
import boto3
imported, imported_cpu = time.perf_counter(), time.process_time()
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
answered, answered_cpu = time.perf_counter(), time.process_time()
print("BENCH-TIMES", imported - started, answered - started, imported_cpu - started_cpu, answered_cpu - started_cpu)
"""


@dataclass
class ColdStart:
    """Medians over the repeats, in seconds: import only, and import through the delivered answer (wall clock; the
    process's CPU time for the latter too)."""

    label: str
    python: str
    imports: list[float] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    cpu_totals: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def median_import(self) -> float:
        return statistics.median(self.imports) if self.imports else float("nan")

    @property
    def median_total(self) -> float:
        return statistics.median(self.totals) if self.totals else float("nan")

    @property
    def median_cpu_total(self) -> float:
        return statistics.median(self.cpu_totals) if self.cpu_totals else float("nan")


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
        # What template.yaml's Globals set for the function.
        "POWERTOOLS_SERVICE_NAME": "ecs-teardown",
        "POWERTOOLS_METRICS_NAMESPACE": "EcsTeardown",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # Lambda cannot write .pyc files either (its code is read-only): a layer without them compiles each time.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }


@dataclass(frozen=True)
class Program:
    """One kind of fresh process: which interpreter runs which script, with which paths before its own."""

    label: str
    python: Path
    script: str
    paths: tuple[Path, ...] = ()


def measure(programs: list[Program], repeats: int, moto_url: str, answers: Any) -> list[ColdStart]:
    """Run each program in `repeats` fresh processes, taking turns (after one unmeasured round, the warm-up for the
    OS's file cache). A program that fails stops being run; its ColdStart says why."""
    results = [ColdStart(program.label, program.python.name) for program in programs]
    for program, result in zip(programs, results, strict=True):
        if not program.python.exists():
            result.error = f"{program.python} not found"
    env = child_env(moto_url, answers.cert_path)
    for attempt in range(repeats + 1):
        for program, result in zip(programs, results, strict=True):
            if not result.error:
                run_once(program, result, attempt, env, answers)
    return results


def run_once(program: Program, result: ColdStart, attempt: int, env: dict[str, str], answers: Any) -> None:
    before = len(answers.answers)
    event = delete_event(answers, f"bench-{program.label.replace(' ', '-')}-{attempt}")
    paths = json.dumps([str(path) for path in program.paths])
    argv = [str(program.python), "-c", program.script, paths, json.dumps(event)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
    times = [line for line in done.stdout.splitlines() if line.startswith("BENCH-TIMES ")]
    delivered = answers.wait_for(before + 1, timeout_s=5.0)
    if done.returncode != 0 or not times or len(delivered) <= before:
        result.error = (done.stderr.strip().splitlines() or ["no answer delivered"])[-1][:160]
        return
    if delivered[-1].body.get("Status") != "SUCCESS":
        result.error = f"answer was {delivered[-1].body.get('Status')}: {delivered[-1].body.get('Reason')}"[:160]
        return
    if attempt == 0:
        return  # the warm-up: page cache and DNS-free localhost paths, for every program alike
    imported, total, _, cpu_total = (float(value) for value in times[-1].split()[1:5])
    result.imports.append(imported)
    result.totals.append(total)
    result.cpu_totals.append(cpu_total)


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

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU time: what a loaded machine's wall clock blurs (other processes' turns)."""
        return self.handler.median_cpu_total / self.minimal.median_cpu_total


def function_code(scratch: Path) -> Path:
    """What handler/Makefile puts in the function: app.py and the ecs_teardown package, without .pyc (Lambda's code
    is read-only, so each cold start compiles them)."""
    import shutil

    code = scratch / "function"
    code.mkdir()
    shutil.copy2(HANDLER_DIR / "app.py", code / "app.py")
    shutil.copytree(
        HANDLER_DIR / "ecs_teardown", code / "ecs_teardown", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return code


def same_sources(built: Path, code: Path) -> bool:
    """Whether a `sam build` left in .aws-sam holds today's sources: a stale one would time other code (then the
    bench compiles a copy of today's the way handler/Makefile does)."""
    sources = sorted(path.relative_to(code) for path in code.rglob("*.py"))
    shipped = sorted(path.relative_to(built) for path in built.rglob("*.py")) if built.is_dir() else []
    return sources == shipped and all((code / p).read_bytes() == (built / p).read_bytes() for p in sources)


def precompiled(code: Path, scratch: Path) -> Path | None:
    """A copy of the function's code with .pyc (unchecked-hash: valid whatever mtimes the zip keeps), to show what
    compiling it at every cold start costs; None when compileall fails. (The built layer has its .pyc already.)"""
    import shutil

    copy = scratch / "function-pyc"
    shutil.copytree(code, copy)
    done = subprocess.run(
        [str(LAMBDA_PYTHON), "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(copy)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return copy if done.returncode == 0 else None


def run_cold_starts(repeats: int) -> list[Comparison]:
    """On .venv's python; then as in Lambda: python3.13 with only boto3 (the runtime's) plus the built layer (crhelper
    and Powertools, with .pyc for what the cold start imports) and the function's code without .pyc; and, for
    comparison, that code precompiled."""
    rows: list[Comparison] = []
    with local_servers() as (moto_url, answers), tempfile.TemporaryDirectory(prefix="ecs-teardown-bench-") as scratch:
        code = function_code(Path(scratch))
        version = python_version(VENV_PYTHON)
        programs = [
            Program("handler", VENV_PYTHON, HANDLER_CHILD, (code,)),
            Program("minimal", VENV_PYTHON, MINIMAL_CHILD),
        ]
        handler, minimal = measure(programs, repeats, moto_url, answers)
        rows.append(Comparison(f"python {version} (.venv)", handler, minimal))
        if not (LAMBDA_PYTHON.exists() and LAYER_DIR.exists()):
            return rows
        version = python_version(LAMBDA_PYTHON)
        programs = [
            Program("handler-313", LAMBDA_PYTHON, HANDLER_CHILD, (code, LAYER_DIR)),
            Program("minimal-313", LAMBDA_PYTHON, MINIMAL_CHILD),
        ]
        built = BUILT_FUNCTION if same_sources(BUILT_FUNCTION, code) else precompiled(code, Path(scratch))
        if built is not None:
            programs.append(Program("handler-313-pyc", LAMBDA_PYTHON, HANDLER_CHILD, (built, LAYER_DIR)))
        handler, minimal, *more = measure(programs, repeats, moto_url, answers)
        if more:  # the artifact as built (its .pyc compiled by handler/Makefile): the row the target judges
            rows.append(Comparison(f"python {version} + built layer + built function", more[0], minimal))
        rows.append(Comparison(f"python {version} + built layer, function without .pyc", handler, minimal))
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
