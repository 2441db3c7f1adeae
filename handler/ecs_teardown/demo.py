"""`make demo`: the main job end to end on an embedded AWS (moto's server on 127.0.0.1), no account needed.

A cluster with a service is created; CloudFormation's Create and Delete events go through the real Lambda
handler; a local HTTPS endpoint stands in for CloudFormation and prints the answers it receives.
Exit status 0 only when every outcome is right.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

HANDLER_DIR = Path(__file__).resolve().parents[1]  # where app.py, the Lambda entry, lives
EVENTS = HANDLER_DIR.parent / "events"


def _say(text: str) -> None:
    print(text, flush=True)


def _quiet_environment(endpoint_url: str) -> None:
    os.environ.update(
        AWS_ENDPOINT_URL_ECS=endpoint_url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        POWERTOOLS_METRICS_DISABLED="true",
    )
    os.environ.pop("AWS_PROFILE", None)


def _event(name: str, response_url: str) -> dict[str, Any]:
    with open(EVENTS / name) as handle:
        event: dict[str, Any] = json.load(handle)
    event["ResponseURL"] = response_url
    return event


def main() -> int:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _quiet_environment(f"http://{host}:{port}")
    _say(f"embedded AWS (moto) on http://{host}:{port}")

    import boto3

    from ecs_teardown.engine import Step
    from ecs_teardown.local import AnswerEndpoint, LocalContext

    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=3)
    _say("created cluster 'demo' with service 'web' (desired 3)")

    sys.path.insert(0, str(HANDLER_DIR))
    import app

    started = time.monotonic()

    def show(step: Step) -> None:
        counts = step.snapshot.counts() if step.snapshot else "no reading"
        result = f" -> {step.result}" if step.result else ""
        _say(
            f"  {step.elapsed_s:6.1f}s  {step.service.name:<8} {step.phase.value:<15} {step.kind.value}{result}  ({counts})"
        )

    app.runtime.on_step = show
    ok = True
    with AnswerEndpoint() as answers:
        answers.trust()
        for name in ("create.json", "delete.json"):
            event = _event(name, answers.url(name.removesuffix(".json")))
            _say(f"\nCloudFormation sends {event['RequestType']} ({name}) to lambda_handler")
            app.lambda_handler(event, LocalContext())
            received = answers.wait_for(1 if name == "create.json" else 2)
            answer = received[-1].body
            _say(f"CloudFormation receives: {json.dumps(answer)}")
            ok = ok and answer["Status"] == "SUCCESS"
    status = ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"]
    ok = ok and status == "INACTIVE"
    _say(f"\nservice 'web' is now {status}; {time.monotonic() - started:.1f} s in all")
    _say("demo: OK" if ok else "demo: FAILED (see above)")
    server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
