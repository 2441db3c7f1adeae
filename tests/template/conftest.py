"""The template as CloudFormation receives it (after the SAM transform), and the function's policy resolved from it
for given parameters (resolved_policy): shared by the policy tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cfn_template import ROOT, sam_transform
from resolved_policy import Statements, statements_for


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    return sam_transform((ROOT / "template.yaml").read_text())


@pytest.fixture(scope="session")
def policy(transformed: dict[str, Any]) -> Callable[..., Statements]:
    """statements_for(transformed, ...): the role's statements for the given AllowedClusters (and AllowFastDrain)."""

    def make(
        clusters: str, partition: str = "aws", region: str | None = None, fast_drain: str | None = None
    ) -> Statements:
        return statements_for(transformed, clusters, partition, region, fast_drain)

    return make
