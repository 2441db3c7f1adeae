"""The Lambda entry of Custom::EcsServiceTeardown: build the parts from the environment and hand each event to the
protocol. The work is in ecs_teardown/ (its __init__ says which layer holds what)."""

from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import Config

function = CustomResource(Edges(config=Config.from_environment()))
lambda_handler = function.handle
