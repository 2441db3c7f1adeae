"""The Lambda entry of Custom::EcsServiceTeardown: build the parts from the environment and hand each event to the
protocol. The work is in ecs_teardown/ (its __init__ says which layer holds what)."""

import gc

# The import builds objects that live as long as the process, and next to no garbage: collecting during it is wasted
# work (about 10 ms of a cold start, bench/coldstart.py). Collection resumes below, past all that is frozen.
gc.disable()

from ecs_teardown.cfn.edges import Edges  # noqa: E402
from ecs_teardown.cfn.protocol import CustomResource  # noqa: E402
from ecs_teardown.config import Config  # noqa: E402

function = CustomResource(Edges(config=Config.from_environment()))
lambda_handler = function.handle
# Everything built so far lives as long as the process: keep the garbage collector from scanning it again and again
# (bench/coldstart.py: about 8 ms of a cold start).
gc.freeze()
gc.enable()
