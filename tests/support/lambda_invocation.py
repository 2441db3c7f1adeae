"""One Lambda invocation as Lambda runs it, for the timing suite: a process of its own with a real clock and a
context whose deadline is real; the process ends the moment the handler returns (Lambda freezes the environment
then: a thread still sending an answer is cut off), and the parent kills it at the deadline (Lambda's timeout).

    python lambda_invocation.py CONFIG_JSON

CONFIG: {"event": ..., "deadline_at": EPOCH_S, "scale": {...}}. The invocation's planned worst cases (ECS and Lambda client
timeouts and attempts, the answer's attempts, the reserve and the timer's margin) are scaled down by `scale` so a
scenario of seconds has the shape of one of minutes. Endpoints come from the environment (AWS_ENDPOINT_URL_*).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "handler"))


def scaled(scale: dict[str, float]) -> None:
    """The same arithmetic as the shipped constants, on a smaller clock."""
    from ecs_teardown.aws import ecs, lambda_invoke
    from ecs_teardown.cfn import answer, delete, protocol
    from ecs_teardown.core import budget

    ecs.CONNECT_TIMEOUT_S, ecs.READ_TIMEOUT_S = scale["ecs_connect_s"], scale["ecs_read_s"]
    ecs.ATTEMPTS = int(scale.get("ecs_attempts", 2))
    lambda_invoke.CONNECT_TIMEOUT_S, lambda_invoke.READ_TIMEOUT_S = scale["invoke_connect_s"], scale["invoke_read_s"]
    # A planned worst case below the real one plays an endpoint that hangs longer than its client allows.
    call_worst = scale.get("planned_call_worst_s", 2 * (scale["ecs_connect_s"] + scale["ecs_read_s"]) + 1)
    handover_worst = 2 * (scale["invoke_connect_s"] + scale["invoke_read_s"]) + 1
    answer_worst = 2 * scale["answer_timeout_s"] + 0.1
    delete.CALL_WORST_S, delete.HANDOVER_WORST_S, delete.ANSWER_WORST_S = call_worst, handover_worst, answer_worst
    delete.TIMER_MARGIN_S = protocol.TIMER_MARGIN_S = scale["timer_margin_s"]
    protocol.ANSWER_WORST_S = answer_worst
    budget.LAMBDA_RESERVE_S = handover_worst + answer_worst + scale["timer_margin_s"] + 0.5
    send = functools.partial(answer.send_response, attempts=2, timeout_s=scale["answer_timeout_s"], backoff_s=0.1)
    protocol.send_response = send  # type: ignore[assignment]


def main() -> None:
    config = json.loads(sys.argv[1])
    scaled(config["scale"])
    # Lambda's deadline is fixed when the invocation starts, whatever this process spent importing.
    timeout_s = float(config["deadline_at"]) - time.time()
    if "ecs_read_ends_before_deadline_s" in config["scale"]:  # an ECS call that gives up at a chosen moment
        from ecs_teardown.aws import ecs

        ecs.READ_TIMEOUT_S = timeout_s - config["scale"]["ecs_read_ends_before_deadline_s"]
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown.core.polling import PollPolicy
    from ecs_teardown_tools.local import LocalContext

    quick = PollPolicy(fast_s=0.2, settle_s=0.3, imminent_cap_s=0.3, slow_cap_s=0.5, growth=2.0)
    function = CustomResource(Edges(poll_policy=quick))
    context = LocalContext(timeout_s=timeout_s, function_name="ecs-teardown-teardown")
    function.handle(config["event"], context)
    print(json.dumps({"returned_after_s": round(time.time() - context.started_at, 3)}), flush=True)
    os._exit(0)  # the environment freezes when the handler returns: no thread outlives it


if __name__ == "__main__":
    main()
