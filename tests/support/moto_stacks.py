"""A stack in moto's CloudFormation whose status a test sets as CloudFormation would show it during a request
(moto never sends a custom resource Update or Delete, so it never shows those statuses by itself)."""

from __future__ import annotations

import boto3

ACCOUNT = "123456789012"


def stack_in_moto(moto_url: str, status: str, name: str = "demo-app", region: str = "us-east-1") -> str:
    """Create a one-resource stack through moto's API; show it with `status`. Returns its StackId."""
    client = boto3.client("cloudformation", endpoint_url=moto_url, region_name=region)
    template = '{"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}}}'
    stack_id = str(client.create_stack(StackName=name, TemplateBody=template)["StackId"])
    stack_in_moto_shows(stack_id, status, region)
    return stack_id


def stack_in_moto_shows(stack_id: str, status: str, region: str = "us-east-1") -> None:
    from moto.cloudformation.models import cloudformation_backends

    cloudformation_backends[ACCOUNT][region].get_stack(stack_id).status = status
