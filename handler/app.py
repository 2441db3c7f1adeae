"""The Lambda entry of Custom::EcsServiceTeardown: build the parts from the environment and hand each event to the
protocol. The work is in ecs_teardown/ (its __init__ says which layer holds what)."""

import gc

from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import Config

function = CustomResource(Edges(config=Config.from_environment()))
lambda_handler = function.handle
# Everything built so far lives as long as the process: keep the garbage collector from scanning it again and again
# (bench/coldstart.py: about 8 ms of a cold start).
gc.freeze()
