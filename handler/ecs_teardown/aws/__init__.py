"""The boto3 edges: ECS (the teardown's gateway), CloudFormation (a stack's record), Lambda (the hand-over)."""
