"""CloudFormation, offline: the SAM transform (aws-sam-translator, run in the SAM CLI's virtualenv), the documented
placement rules of the intrinsic functions, and a small resolver that evaluates a template for given parameters.

The placement rules come from each function's "Supported functions" section in the CloudFormation Template Reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html). They are
checked on the SAM-transformed template because that is what CloudFormation receives; cfn-lint 1.58 and
`sam validate --lint` do not report a function in a Join delimiter, and CloudFormation rejects the template at deploy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the dev dependencies

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"

# --- reading a template ---------------------------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML with CloudFormation's short tags (!Sub, !If, ...), each read as its long form {"Fn::Sub": ...}."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=CloudFormationLoader)


def load_template(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = load_yaml(path.read_text())
    return template


# --- the SAM transform ----------------------------------------------------------------------------------------------

_TRANSFORM = """
import json, sys
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

class NoManagedPolicies:  # the template names no managed policy: nothing to look up in IAM
    def load(self):
        return {}

template = yaml_parse(sys.stdin.read())
for resource in template.get("Resources", {}).values():
    properties = resource.get("Properties") or {}
    for key in ("CodeUri", "ContentUri"):  # what `sam package` would put there
        if isinstance(properties.get(key), str):
            properties[key] = "s3://ecs-teardown-artifacts/" + key
print(json.dumps(transform(template, json.loads(sys.argv[1]), NoManagedPolicies())))
"""


def sam_transform(template: str | Mapping[str, Any], parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What CloudFormation's AWS::Serverless-2016-10-31 transform makes of `template` (YAML text or a dict)."""
    assert SAM_PYTHON.exists(), "`make test` installs .venv-sam (the SAM CLI and aws-sam-translator) first"
    text = template if isinstance(template, str) else json.dumps(template)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0", "PYTHONPATH": ""}
    done = subprocess.run(
        [str(SAM_PYTHON), "-c", _TRANSFORM, json.dumps(dict(parameters or {}))],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    transformed: dict[str, Any] = json.loads(done.stdout)
    return transformed


# --- where each intrinsic function may stand ------------------------------------------------------------------------

DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
CONDITION_FUNCTIONS = {"Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Condition"}
# Rule functions: intrinsic-function-reference-rules.html ("work only in the Rules section").
RULE_FUNCTIONS = {
    "Fn::And",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::Equals",
    "Fn::Not",
    "Fn::Or",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
    "Ref",
}
# intrinsic-function-reference-join.html: "For the Fn::Join delimiter, you can't use any functions. You must specify
# a string value. For the Fn::Join list of values, you can use the following functions: ..."
JOIN_VALUES = {
    "Fn::Base64",
    "Fn::FindInMap",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Split",
    "Fn::Select",
    "Fn::Sub",
    "Ref",
}
# intrinsic-function-reference-split.html: no function in the delimiter; the source string may hold these.
SPLIT_SOURCE = JOIN_VALUES - {"Fn::Split"}
# intrinsic-function-reference-select.html: "For the Fn::Select index value, you can use the Ref and Fn::FindInMap
# functions. For the Fn::Select list of objects, you can use: Fn::FindInMap, Fn::GetAtt, Fn::GetAZs, Fn::If,
# Fn::Split, Ref".
SELECT_INDEX = {"Ref", "Fn::FindInMap"}
SELECT_LIST = {"Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::If", "Fn::Split", "Ref"}
# intrinsic-function-reference-sub.html: "For the String parameter, you can't use any functions. You must specify a
# string value. For the VarName and VarValue parameters, you can use: ..."
SUB_VALUES = JOIN_VALUES - {"Fn::Split"}
# intrinsic-function-reference-conditions.html, "Supported functions": in Fn::If Fn::Base64, Fn::FindInMap,
# Fn::GetAtt, Fn::GetAZs, Fn::If, Fn::Join, Fn::Select, Fn::Sub, Ref; plus Fn::ImportValue and Fn::Split, which
# CloudFormation accepts there and cfn-lint's schema for Fn::If does not restrict.
IF_VALUES = {*JOIN_VALUES}
# Same page: in Fn::Equals (and the other condition functions) the docs list Fn::FindInMap, Ref and other condition
# functions; CloudFormation also accepts Fn::Join, Fn::Select, Fn::Split and Fn::Sub there (cfn-lint encodes that
# in cfnlint/data/schemas/other/functions/equals.json), which a CommaDelimitedList needs to be looked into.
EQUALS_VALUES = {"Fn::FindInMap", "Ref", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub"}
# Functions this walker knows and checks only for their arguments' own functions.
OTHER_FUNCTIONS = {"Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAZs", "Fn::ImportValue", "Fn::Transform"}
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


def function_of(node: Any) -> tuple[str, Any] | None:
    """(name, arguments) when `node` is an intrinsic function call ({"Fn::X": args}, {"Ref": ...}, {"Condition": ...})."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        if key in ("Ref", "Condition") or key.startswith("Fn::"):
            return key, value
    return None


class PlacementWalker:
    """Every place in a template where an intrinsic function stands where CloudFormation does not take it."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self.template = template
        self.conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self.parameters: Mapping[str, Any] = template.get("Parameters") or {}
        self.errors: list[str] = []

    def run(self) -> list[str]:
        for name, body in self.conditions.items():
            self._condition(body, f"Conditions.{name}")
        for name, rule in (self.template.get("Rules") or {}).items():
            for key in ("RuleCondition",):
                if key in rule:
                    self._rule(rule[key], f"Rules.{name}.{key}")
            for i, assertion in enumerate(rule.get("Assertions") or []):
                self._rule(assertion.get("Assert"), f"Rules.{name}.Assertions[{i}]")
        for section in ("Resources", "Outputs"):
            for name, value in (self.template.get(section) or {}).items():
                self._value(value, f"{section}.{name}", in_conditions=False)
        return self.errors

    # Anywhere a value may be: a literal, or a function checked by its own rules.
    def _value(self, node: Any, path: str, *, in_conditions: bool) -> None:
        call = function_of(node)
        if call is not None:
            self._function(call[0], call[1], path, in_conditions=in_conditions)
        elif isinstance(node, dict):
            for key, value in node.items():
                self._value(value, f"{path}.{key}", in_conditions=in_conditions)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self._value(value, f"{path}[{i}]", in_conditions=in_conditions)

    def _argument(self, node: Any, allowed: set[str], path: str, what: str, *, in_conditions: bool) -> None:
        call = function_of(node)
        if call is not None and call[0] not in allowed:
            self.errors.append(f"{path}: {call[0]} is not allowed in {what}")
            return
        self._value(node, path, in_conditions=in_conditions)

    def _literal(self, node: Any, path: str, what: str) -> None:
        if not isinstance(node, str):
            call = function_of(node)
            shown = call[0] if call else type(node).__name__
            self.errors.append(f"{path}: {what} must be a literal string, not {shown}")

    def _arity(self, args: Any, n: int, path: str, name: str) -> bool:
        if isinstance(args, list) and len(args) == n:
            return True
        self.errors.append(f"{path}: {name} takes a list of {n} arguments")
        return False

    def _function(self, name: str, args: Any, path: str, *, in_conditions: bool) -> None:
        at = f"{path}.{name}"
        if name == "Ref":
            self._literal(args, at, "the Ref target")
            if (
                in_conditions
                and isinstance(args, str)
                and args not in self.parameters
                and args not in PSEUDO_PARAMETERS
            ):
                self.errors.append(f"{at}: a condition can reference parameters only, not {args}")
        elif name == "Condition":
            self._literal(args, at, "a condition name")
            if isinstance(args, str) and args not in self.conditions:
                self.errors.append(f"{at}: no condition {args}")
        elif name == "Fn::GetAtt":
            if in_conditions:
                self.errors.append(f"{at}: a condition cannot read a resource attribute")
            if isinstance(args, list) and len(args) == 2:
                self._literal(args[0], at, "the Fn::GetAtt logical id")
                self._argument(args[1], {"Ref"}, at, "the Fn::GetAtt attribute name", in_conditions=in_conditions)
            else:
                self._literal(args, at, "Fn::GetAtt")
        elif name == "Fn::Join":
            if self._arity(args, 2, at, name):
                self._literal(args[0], f"{at}[0]", "the Fn::Join delimiter")
                self._list_of(args[1], JOIN_VALUES, f"{at}[1]", "an Fn::Join value", in_conditions=in_conditions)
        elif name == "Fn::Split":
            if self._arity(args, 2, at, name):
                self._literal(args[0], f"{at}[0]", "the Fn::Split delimiter")
                self._argument(args[1], SPLIT_SOURCE, f"{at}[1]", "the Fn::Split source", in_conditions=in_conditions)
        elif name == "Fn::Select":
            if self._arity(args, 2, at, name):
                index = args[0]
                if function_of(index) is None and not (isinstance(index, int) or str(index).isdigit()):
                    self.errors.append(f"{at}[0]: the Fn::Select index must be a whole number, not {index!r}")
                self._argument(index, SELECT_INDEX, f"{at}[0]", "the Fn::Select index", in_conditions=in_conditions)
                self._list_of(args[1], SELECT_LIST, f"{at}[1]", "the Fn::Select list", in_conditions=in_conditions)
        elif name == "Fn::Sub":
            if isinstance(args, list):
                if self._arity(args, 2, at, name):
                    self._literal(args[0], f"{at}[0]", "the Fn::Sub string")
                    if not isinstance(args[1], dict):
                        self.errors.append(f"{at}[1]: the Fn::Sub variables must be a map")
                    else:
                        for var, value in args[1].items():
                            self._argument(
                                value, SUB_VALUES, f"{at}[1].{var}", "an Fn::Sub value", in_conditions=in_conditions
                            )
            else:
                self._literal(args, at, "the Fn::Sub string")
        elif name == "Fn::If":
            if in_conditions:
                self.errors.append(f"{at}: Fn::If is not a condition function; the Conditions section cannot use it")
            if self._arity(args, 3, at, name):
                self._literal(args[0], f"{at}[0]", "the Fn::If condition name")
                if isinstance(args[0], str) and args[0] not in self.conditions:
                    self.errors.append(f"{at}[0]: no condition {args[0]}")
                for i in (1, 2):
                    self._argument(args[i], IF_VALUES, f"{at}[{i}]", "an Fn::If value", in_conditions=in_conditions)
        elif name in CONDITION_FUNCTIONS:
            if not in_conditions:
                self.errors.append(f"{at}: {name} belongs in the Conditions section (use Fn::If with a condition name)")
            self._condition({name: args}, path)
        elif name in OTHER_FUNCTIONS:
            self._value(args, at, in_conditions=in_conditions)
        else:
            self.errors.append(f"{at}: unknown or unsupported function {name}")

    def _list_of(self, node: Any, allowed: set[str], path: str, what: str, *, in_conditions: bool) -> None:
        """A list argument: a literal list whose items may hold `allowed`, or a function (in `allowed`) returning one."""
        if isinstance(node, list):
            for i, item in enumerate(node):
                self._argument(item, allowed, f"{path}[{i}]", what, in_conditions=in_conditions)
        else:
            self._argument(node, allowed, path, what.replace("value", "list"), in_conditions=in_conditions)

    def _condition(self, node: Any, path: str) -> None:
        call = function_of(node)
        if call is None or call[0] not in CONDITION_FUNCTIONS:
            self.errors.append(f"{path}: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition")
            return
        name, args = call
        at = f"{path}.{name}"
        if name == "Condition":
            self._function(name, args, path, in_conditions=True)
        elif name == "Fn::Equals":
            if self._arity(args, 2, at, name):
                for i in (0, 1):
                    self._argument(args[i], EQUALS_VALUES, f"{at}[{i}]", "Fn::Equals", in_conditions=True)
        else:
            low, high = (1, 1) if name == "Fn::Not" else (2, 10)
            if not isinstance(args, list) or not low <= len(args) <= high:
                self.errors.append(f"{at}: takes {'one condition' if high == 1 else f'{low} to {high} conditions'}")
                return
            for i, inner in enumerate(args):
                self._condition(inner, f"{at}[{i}]")

    def _rule(self, node: Any, path: str) -> None:
        call = function_of(node)
        if call is not None:
            if call[0] not in RULE_FUNCTIONS:
                self.errors.append(f"{path}: {call[0]} is not a rule function")
                return
            self._rule(call[1], f"{path}.{call[0]}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                self._rule(item, f"{path}[{i}]")


def placement_errors(template: Mapping[str, Any]) -> list[str]:
    return PlacementWalker(template).run()


# --- evaluating a template for given parameters ---------------------------------------------------------------------


class NoValue:
    """AWS::NoValue: removes the list item or property it stands for."""


NO_VALUE = NoValue()


class RejectedError(Exception):
    """CloudFormation would refuse the stack operation (a parameter, a rule, an Fn::Select out of range)."""


PARTITIONS = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}


class Resolver:
    """Evaluates Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If and the condition functions, as CloudFormation
    does for one set of parameter values. References to resources become markers ("<Ref X>", "<GetAtt X.Y>")."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        partition: str,
        region: str,
        account: str,
        stack_name: str = "ecs-teardown",
    ) -> None:
        self.template = template
        self.pseudo: dict[str, Any] = {
            "AWS::Partition": partition,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account}:stack/{stack_name}/0000",
            "AWS::URLSuffix": PARTITIONS[partition],
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = {
            name: self._parameter(name, decl, parameters) for name, decl in template["Parameters"].items()
        }
        self._conditions: dict[str, bool] = {}

    @staticmethod
    def _parameter(name: str, decl: Mapping[str, Any], given: Mapping[str, str]) -> Any:
        text = given.get(name, decl.get("Default"))
        if text is None:
            raise RejectedError(f"parameter {name} has no value")
        # CommaDelimitedList: "each member string is space trimmed"; AllowedPattern applies to each value of the list.
        values = [part.strip() for part in str(text).split(",")] if decl["Type"] == "CommaDelimitedList" else [text]
        for value in values:
            if "AllowedPattern" in decl and not re.fullmatch(decl["AllowedPattern"], value):
                raise RejectedError(f"parameter {name}: {value!r} does not match {decl['AllowedPattern']}")
            if "AllowedValues" in decl and value not in decl["AllowedValues"]:
                raise RejectedError(f"parameter {name}: {value!r} is not allowed")
        return values if decl["Type"] == "CommaDelimitedList" else values[0]

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            value = self.resolve(self.template["Conditions"][name])
            assert isinstance(value, bool), f"condition {name} is {value!r}"
            self._conditions[name] = value
        return self._conditions[name]

    def failed_rules(self) -> list[str]:
        """The Rules whose RuleCondition holds and one of whose assertions does not: CloudFormation stops there."""
        failed = []
        for name, rule in (self.template.get("Rules") or {}).items():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            if not all(self.resolve(assertion["Assert"]) for assertion in rule["Assertions"]):
                failed.append(name)
        return failed

    def resolve(self, node: Any) -> Any:
        call = function_of(node)
        if call is not None:
            return self._call(*call)
        if isinstance(node, dict):
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        if isinstance(node, list):
            items = [self.resolve(value) for value in node]
            return [item for item in items if item is not NO_VALUE]
        return node

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        assert name in self.template["Resources"], f"Ref to unknown {name}"
        return f"<Ref {name}>"

    def _call(self, name: str, args: Any) -> Any:
        if name == "Ref":
            return self._ref(args)
        if name == "Condition":
            return self.condition(args)
        if name == "Fn::GetAtt":
            return f"<GetAtt {args[0]}.{args[1]}>"
        if name == "Fn::If":
            return self.resolve(args[1] if self.condition(args[0]) else args[2])
        if name == "Fn::Join":
            values = self.resolve(args[1])
            assert isinstance(args[0], str) and all(isinstance(v, str) for v in values), (args, values)
            return args[0].join(values)
        if name == "Fn::Split":
            source = self.resolve(args[1])
            assert isinstance(args[0], str) and isinstance(source, str), args
            return source.split(args[0])
        if name == "Fn::Select":
            index, items = int(self.resolve(args[0])), self.resolve(args[1])
            # "Fn::Select doesn't check ... if the index is out of bounds of the array": the stack fails.
            if not 0 <= index < len(items):
                raise RejectedError(f"Fn::Select index {index} out of bounds of {items}")
            return items[index]
        if name == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
            values = {var: self.resolve(value) for var, value in variables.items()}
            return re.sub(r"\$\{([^}]*)\}", lambda m: self._substitute(m.group(1), values), text)
        if name == "Fn::Equals":
            left, right = (self.resolve(arg) for arg in args)
            return bool(left == right)
        if name == "Fn::Not":
            return not self.resolve(args[0])
        if name == "Fn::And":
            return all(self.resolve(arg) for arg in args)
        if name == "Fn::Or":
            return any(self.resolve(arg) for arg in args)
        if name == "Fn::Contains":  # rule function: [list_of_strings, string]
            return self.resolve(args[1]) in self.resolve(args[0])
        if name == "Fn::EachMemberEquals":  # rule function: [list_of_strings, string]
            value = self.resolve(args[1])
            return all(member == value for member in self.resolve(args[0]))
        raise AssertionError(f"the resolver does not know {name}")

    def _substitute(self, name: str, values: Mapping[str, Any]) -> str:
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        value = (
            values[name]
            if name in values
            else self._call("Fn::GetAtt", name.split(".", 1))
            if "." in name
            else self._ref(name)
        )
        assert isinstance(value, str), f"${{{name}}} is {value!r}, not a string"
        return value
