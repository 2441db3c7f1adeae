"""The layout's own rules, for the Lambda's package and the tooling: modules of about 300 lines at most, functions
of about 50 at most (so a reader sees a whole thing at once), and every package a real package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLER = Path(__file__).resolve().parents[2] / "handler"
SOURCES = sorted([HANDLER / "app.py", *HANDLER.glob("ecs_teardown/**/*.py"), *HANDLER.glob("ecs_teardown_tools/*.py")])
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def test_the_sources_are_found() -> None:
    names = {str(path.relative_to(HANDLER)) for path in SOURCES}
    assert {
        "app.py",
        "ecs_teardown/core/engine.py",
        "ecs_teardown/cfn/protocol.py",
        "ecs_teardown_tools/cli.py",
    } <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(HANDLER)))
def test_module_and_function_sizes(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} has {len(text.splitlines())} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: {', '.join(long)}"


@pytest.mark.parametrize(
    "package", ["ecs_teardown", "ecs_teardown/core", "ecs_teardown/aws", "ecs_teardown/cfn", "ecs_teardown_tools"]
)
def test_every_package_has_an_init_that_says_what_it_holds(package: str) -> None:
    init = HANDLER / package / "__init__.py"
    assert init.exists() and ast.get_docstring(ast.parse(init.read_text()))
