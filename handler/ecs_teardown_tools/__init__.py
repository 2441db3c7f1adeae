"""Tooling around the Lambda, never in its artifact: the `ecs-teardown` command line (teardown, local invoke), the
demo, the embedded AWS emulator and the Lambda-like parts for local runs."""
