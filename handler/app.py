"""The Lambda entry of Custom::EcsServiceTeardown: wiring only (Logger, Metrics, crhelper, three small functions).

The work is in ecs_teardown/: properties (validation), machine (decisions), engine (the loop), ecs (boto3),
response (the answer's PUT), cfn (crhelper, guarded), custom_resource (Create/Update/Delete).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from ecs_teardown import custom_resource, identity
from ecs_teardown.cfn import GuardedCfnResource, RedactingFilter
from ecs_teardown.custom_resource import DeleteReport, Runtime, TeardownError
from ecs_teardown.response import ResponseUrlError, check_response_url, send_response

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "ecs-teardown"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "EcsTeardown"))
helper = GuardedCfnResource()
copy_config_to_registered_loggers(source_logger=logger, include={"crhelper", "ecs_teardown"})
for _handler in logger.handlers:
    _handler.addFilter(RedactingFilter())

# Create, Update and hand-overs publish no metrics by design; Powertools would warn about each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish")

runtime = Runtime()  # tests and the local invoke replace this with their own parts

REQUIRED_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")
REQUEST_TYPES = ("Create", "Update", "Delete")


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    physical_id, helper.Data = custom_resource.create_or_update(event, context, runtime)
    return physical_id


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    physical_id, helper.Data = custom_resource.create_or_update(event, context, runtime)
    return physical_id


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    try:
        report = custom_resource.delete(event, context, runtime, answered=helper.has_answered)
    except TeardownError as failure:
        _record_metrics(DeleteReport(continued=False, result=failure.result), succeeded=False)
        raise
    if report.continued:
        helper.defer_answer()
    _record_metrics(report, succeeded=True)


def _record_metrics(report: DeleteReport, succeeded: bool) -> None:
    result = report.result
    if report.throttles:
        metrics.add_metric(name="Throttles", unit=MetricUnit.Count, value=report.throttles)
    if report.continued or result is None:
        return
    metrics.add_metric(name="TeardownDuration", unit=MetricUnit.Seconds, value=round(result.elapsed_s, 3))
    metrics.add_metric(name="ForcedDeletes", unit=MetricUnit.Count, value=result.forced_deletes)
    metrics.add_metric(name="TeardownSucceeded" if succeeded else "TeardownFailed", unit=MetricUnit.Count, value=1)


def _malformed(event: Any) -> str:
    """Why the event cannot go to crhelper (which would fail on a missing key), or ''."""
    if not isinstance(event, dict):
        return f"the event is a {type(event).__name__}, not a CloudFormation request"
    missing = [key for key in REQUIRED_FIELDS if not isinstance(event.get(key), str) or not event.get(key)]
    if missing:
        return f"the event lacks {', '.join(missing)}"
    if event["RequestType"] not in REQUEST_TYPES:
        return f"RequestType {str(event['RequestType'])[:40]!r} is not Create, Update or Delete"
    if event["RequestType"] != "Create" and not isinstance(event.get("PhysicalResourceId"), str):
        return f"a {event['RequestType']} request needs a PhysicalResourceId"
    return ""


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: Any) -> None:
    fields = event if isinstance(event, dict) else {}
    logger.append_keys(
        request_type=str(fields.get("RequestType"))[:40],
        cfn_request_id=str(fields.get("RequestId"))[:100],
        stack_id=str(fields.get("StackId"))[:300],
        logical_resource_id=str(fields.get("LogicalResourceId"))[:300],
    )
    try:
        scope = custom_resource.scope_of(context, fields)
        check_response_url(fields.get("ResponseURL"), partition=scope.partition if scope else None)
    except ResponseUrlError as error:
        logger.error(f"cannot answer this request: {error}")
        return
    problem = _malformed(event)
    if problem:
        logger.error(f"malformed request, answering FAILED: {problem}")
        physical_id = fields.get("PhysicalResourceId")
        send_response(
            fields["ResponseURL"],
            {
                "Status": "FAILED",
                "Reason": f"ecs-teardown: {problem}",
                "PhysicalResourceId": physical_id
                if isinstance(physical_id, str) and physical_id
                else identity.failed_create_id(str(fields.get("RequestId", ""))),
                "StackId": str(fields.get("StackId", "")),
                "RequestId": str(fields.get("RequestId", "")),
                "LogicalResourceId": str(fields.get("LogicalResourceId", "")),
                "Data": {},
            },
        )
        return
    logger.info("request received", extra={"physical_id": str(fields.get("PhysicalResourceId", ""))[:300]})
    helper(event, context)


if os.environ.get("ECS_TEARDOWN_TRACER", "").strip().lower() == "true":
    # Opt-in X-Ray tracing: needs aws-xray-sdk in the function or a layer. Off by default, and then nothing of
    # Powertools' Tracer or the X-Ray SDK is imported, so the cold start does not pay for it.
    from aws_lambda_powertools import Tracer

    tracer = Tracer()
    lambda_handler = tracer.capture_lambda_handler(lambda_handler)
