"""Run the Lambda function once in a process of its own, as a separate Lambda execution environment would.

    python invoke_process.py EVENT_JSON START_AT

ECS and the answer endpoint come from the environment (AWS_ENDPOINT_URL_ECS, SSL_CERT_FILE and the local-answer
opt-in); the engine's waits between polls are shortened; the first call waits for START_AT (time.time()), so that
several processes begin together.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "handler"))

from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown_tools.local import LocalContext


def main() -> None:
    event = json.loads(sys.argv[1])
    function = CustomResource(Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.05))))
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    function.handle(event, LocalContext())


if __name__ == "__main__":
    main()
