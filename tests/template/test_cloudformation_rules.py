"""The template CloudFormation receives (after the SAM transform) puts every intrinsic function where CloudFormation
takes it. cfn-lint 1.58 and `sam validate --lint` let a function in a Join delimiter through; CloudFormation rejects
the template at deploy ("every Fn::Join object requires two parameters, (1) a string delimiter ...")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cfn_template import ROOT, load_template, load_yaml, placement_errors, sam_transform

# What the function's ECS statement and its condition were before (commit fdf330c): the delimiter of the Fn::Join is
# an Fn::Sub, which CloudFormation refuses ("For the Fn::Join delimiter, you can't use any functions").
OLD_ANY_CLUSTER = load_yaml('!Equals [!Join [",", !Ref AllowedClusters], "*"]')
OLD_ECS_RESOURCE = load_yaml("""
!If
  - AnyCluster
  - !Sub "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*"
  - !Split
    - ","
    - !Sub
      - "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${Clusters}/*"
      - Clusters: !Join
          - !Sub "/*,arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/"
          - !Ref AllowedClusters
""")


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def ecs_statement(template: dict[str, Any]) -> dict[str, Any]:
    policies = template["Resources"]["TeardownFunction"]["Properties"]["Policies"]
    statements = [s for p in policies for s in p["Statement"] if "Action" in s]  # not the Fn::If of one
    found: list[dict[str, Any]] = [s for s in statements if "ecs:DeleteService" in s["Action"]]
    (statement,) = found
    return statement


def test_the_transformed_template_puts_every_function_where_cloudformation_takes_it(source: dict[str, Any]) -> None:
    transformed = sam_transform((ROOT / "template.yaml").read_text())
    assert "TeardownFunctionRole" in transformed["Resources"], "the SAM transform ran"
    assert placement_errors(transformed) == []
    assert placement_errors(source) == []


def test_the_walker_catches_the_old_policy_in_the_transformed_template(source: dict[str, Any]) -> None:
    old = copy.deepcopy(source)
    old["Conditions"] = {"AnyCluster": OLD_ANY_CLUSTER}
    old.pop("Rules")
    ecs = ecs_statement(old)
    ecs["Resource"] = OLD_ECS_RESOURCE
    # Only the ECS statement (the later ones use the slots' conditions, which that version did not have).
    old["Resources"]["TeardownFunction"]["Properties"]["Policies"][0]["Statement"] = [ecs]
    errors = placement_errors(sam_transform(old))
    assert len(errors) == 1, errors
    assert "TeardownFunctionRole" in errors[0]
    assert errors[0].endswith("Fn::Join[0]: the Fn::Join delimiter must be a literal string, not Fn::Sub")


def template_with(conditions: dict[str, str] | None = None, value: str = '""', rules: str | None = None) -> Any:
    """A minimal template: a parameter, the given conditions, one resource property holding `value`."""
    text = f"""
Parameters:
  Names: {{Type: CommaDelimitedList}}
  Flag: {{Type: String}}
Conditions: {{{", ".join(f"{name}: {body}" for name, body in (conditions or {"IsOn": '!Equals [!Ref Flag, "on"]'}).items())}}}
Rules: {rules or "{}"}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: {value}
"""
    return load_yaml(text)


ACCEPTED = {
    "Join with a literal delimiter": '!Join ["-", [!Ref Flag, !Select [0, !Ref Names]]]',
    "Split of a Join": '!Select [1, !Split [",", !Join [",", !Ref Names]]]',
    "Select index from Ref": "!Select [!Ref Flag, !Ref Names]",
    "Sub with functions in its variable map": '!Sub ["a-${X}", {X: !Select [0, !Ref Names]}]',
    "If naming a condition": "!If [IsOn, !Ref Flag, !Ref AWS::NoValue]",
}
REFUSED = {
    "Join delimiter from Sub": (
        '!Join [!Sub "${Flag}", !Ref Names]',
        "the Fn::Join delimiter must be a literal string",
    ),
    "Split delimiter from Ref": ('!Select [0, !Split [!Ref Flag, "a,b"]]', "the Fn::Split delimiter must be a literal"),
    "Sub string from Join": ('!Sub [!Join ["", ["${X}"]], {X: a}]', "the Fn::Sub string must be a literal string"),
    "Select index from Sub": ('!Select [!Sub "${Flag}", !Ref Names]', "Fn::Sub is not allowed in the Fn::Select index"),
    "Select of a Join": ('!Select [0, !Join [",", !Ref Names]]', "Fn::Join is not allowed in the Fn::Select list"),
    "If of an unknown condition": ("!If [IsOff, a, b]", "no condition IsOff"),
    "condition function in a property": ('!Equals [!Ref Flag, "on"]', "belongs in the Conditions section"),
    "unknown function": ('{"Fn::Replace": [a, b]}', "unknown or unsupported function Fn::Replace"),
}


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_walker_accepts_documented_placements(value: str) -> None:
    assert placement_errors(template_with(value=value)) == []


@pytest.mark.parametrize(("value", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_the_walker_refuses_undocumented_placements(value: str, message: str) -> None:
    errors = placement_errors(template_with(value=value))
    assert len(errors) == 1 and message in errors[0], errors


CONDITIONS = {
    "Equals over a Select of a list": ({"IsOn": '!Equals [!Select [0, !Ref Names], "*"]'}, None),
    "Not of a Condition": ({"IsOn": '!Equals [!Ref Flag, "on"]', "IsOff": "!Not [!Condition IsOn]"}, None),
    "If in a condition": ({"IsOn": '!Equals [!If [IsOn, a, b], "a"]'}, "Fn::If is not allowed in Fn::Equals"),
    "a bare Ref as a condition": ({"IsOn": "!Ref Flag"}, "a condition must be Fn::Equals"),
    "a condition on a resource": ({"IsOn": '!Equals [!Ref Topic, "x"]'}, "a condition can reference parameters only"),
    "Not of two conditions": ({"IsOn": "!Not [!Equals [a, a], !Equals [b, b]]"}, "takes one condition"),
}


@pytest.mark.parametrize(("conditions", "message"), CONDITIONS.values(), ids=CONDITIONS.keys())
def test_the_walker_checks_the_conditions_section(conditions: dict[str, str], message: str | None) -> None:
    errors = placement_errors(template_with(conditions=conditions))
    assert errors == [] if message is None else len(errors) == 1 and message in errors[0], errors


def test_the_walker_allows_only_rule_functions_in_rules() -> None:
    good = "{R: {Assertions: [{Assert: {Fn::EachMemberEquals: [!Ref Names, x]}}]}}"
    bad = '{R: {Assertions: [{Assert: {Fn::Equals: [!Join [",", !Ref Names], x]}}]}}'
    assert placement_errors(template_with(rules=good)) == []
    assert placement_errors(template_with(rules=bad)) == [
        "Rules.R.Assertions[0].Fn::Equals[0]: Fn::Join is not a rule function"
    ]
