"""The deployer's allow-list: '*' alone means any cluster; names and cluster ARNs count by name; nothing else
widens it (a wildcard inside an entry, a service ARN, a typo can only narrow it)."""

from __future__ import annotations

import pytest

from ecs_teardown.cfn.allow_list import allowed_cluster_names, check_allowed
from ecs_teardown.cfn.properties import PropertyError
from ecs_teardown.core.model import ServiceRef, TeardownRequest

ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("*", None),
        (" prod , * ", None),
        ("prod,staging", {"prod", "staging"}),
        (f"{ARN}prod, staging", {"prod", "staging"}),
        (f"{ARN}*", set()),
        ("prod*", set()),
        ("*prod", set()),
        (f"{ARN.replace('cluster/', 'service/')}prod/web", set()),
        ("", set()),
        (",,", set()),
    ],
)
def test_allowed_cluster_names(text, names):
    assert allowed_cluster_names(text) == names


def request(cluster: str) -> TeardownRequest:
    return TeardownRequest(cluster=cluster, services=(ServiceRef(cluster, "web"),))


@pytest.mark.parametrize("text", [f"{ARN}*", "pro*", "", "staging"])
def test_clusters_outside_the_list_are_refused_naming_cluster_and_services(text):
    with pytest.raises(PropertyError, match=r"cluster 'prod' is not in .*services web were not touched"):
        check_allowed(request("prod"), text)


@pytest.mark.parametrize("text", ["*", "prod", f"{ARN}prod", "staging,prod"])
def test_listed_clusters_pass(text):
    check_allowed(request("prod"), text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [("staging, dev", "dev, staging"), ("", "none"), (f"{ARN}*", "none"), (f"{ARN}qa,{ARN}dev", "dev, qa")],
)
def test_the_refusal_names_the_cluster_the_services_and_the_list_word_for_word(text: str, shown: str) -> None:
    request = TeardownRequest(cluster="prod", services=(ServiceRef("prod", "web"), ServiceRef("prod", "api")))
    with pytest.raises(PropertyError) as caught:
        check_allowed(request, text)
    assert str(caught.value) == (
        f"Property Cluster: cluster 'prod' is not in this function's allowed clusters ({shown}); "
        "services web, api were not touched. The deployer sets the list (ECS_TEARDOWN_ALLOWED_CLUSTERS)"
    )


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (f"{ARN}prod:cluster/x", set()),  # only the first ':cluster/' splits: 'prod:cluster/x' is no name
        ("arn:aws:ecs:us-east-1:123456789012:cluster/a/b", set()),
        ("cluster/prod", set()),  # not an ARN
        (f"x{ARN}prod", set()),
        (" * ", None),
        ("prod, prod", {"prod"}),
    ],
)
def test_allowed_cluster_names_more(text: str, names: set[str] | None) -> None:
    assert allowed_cluster_names(text) == names
