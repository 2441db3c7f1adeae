"""ecs-teardown: the Lambda behind Custom::EcsServiceTeardown, in three layers with imports in one direction.

- `core`: pure decisions (the model, every transition, polling, the time budget, the loop, the ports). It imports
  no boto3, botocore or crhelper; an import-linter contract keeps it so.
- `aws`: the boto3 edges that implement the ports: ECS, CloudFormation's stack records, the self-invoke.
- `cfn`: CloudFormation's side: properties, physical ids, the answer, Create/Update/Delete, the protocol (event
  checks, crhelper, the timer).
`config` reads every environment variable, once. The command line, local invoke, demo and emulator live in the
separate package `ecs_teardown_tools`, which never enters the Lambda artifact.
"""
