"""Load CloudFormation templates (YAML and JSON): IAM roles, policies and resource policies, resolved.

A template is recognised by shape, never by file name: an object with ``AWSTemplateFormatVersion``, or with
``Resources`` holding a resource whose ``Type`` is ``AWS::...``. YAML is read by
:func:`xacct_lint.parse.yaml_tree.parse_yaml` (a safe parser; short-form tags such as ``!Sub`` become their long
form ``{"Fn::Sub": ...}`` with the tag's span), JSON by the JSON parser; both give the same span-carrying tree.

What becomes part of the model:

* ``AWS::IAM::Role``: a :class:`Role` (ARN from ``RoleName``, ``Path`` and the template's account; its
  ``MaxSessionDuration`` and ``Tags``), its ``AssumeRolePolicyDocument`` (TRUST), its ``Policies`` (IDENTITY)
  and its ``ManagedPolicyArns`` (linked to the managed policy when the template defines it);
* ``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``, ``AWS::IAM::RolePolicy``/``UserPolicy``/``GroupPolicy``
  (IDENTITY, attached to the template's roles they name), ``AWS::IAM::User``/``Group`` with their inline
  policies;
* resource policies (RESOURCE): ``AWS::S3::BucketPolicy``, ``AWS::SQS::QueuePolicy``, ``AWS::SNS::TopicPolicy``,
  ``AWS::KMS::Key``/``ReplicaKey`` (``KeyPolicy``) and the others in :data:`RESOURCE_POLICY_PROPERTIES`.

Every policy's ``prefix`` is its pointer in the template (``/Resources/ProdRole/Properties/
AssumeRolePolicyDocument``) and its nodes keep their template spans, so findings land on the template's lines.

Resolution. Intrinsic functions are evaluated where their inputs are known: ``Ref``, ``Fn::Sub``,
``Fn::GetAtt``, ``Fn::Join``, ``Fn::If`` (with ``Conditions``: ``Fn::Equals``/``And``/``Or``/``Not``),
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::Length``, ``Fn::ToJsonString`` and
``AWS::NoValue``. Values come from, in order: the ``parameters`` of the configuration's ``[[templates]]`` entry
that matches the file, the run's variables (``[variables]``, ``--var``), the parameter's ``Default``. Pseudo
parameters: ``AWS::AccountId`` is the account of the matching ``[[templates]]`` entry, ``AWS::Region`` its
``region``, ``AWS::Partition`` its ``partition`` (else derived from the region, else ``aws``),
``AWS::URLSuffix`` follows the partition, ``AWS::StackName`` its ``stack-name``.

What cannot be known before deployment stays a *symbol* (:mod:`xacct_lint.parse.symbols`): a string spelled
as ``Fn::Sub`` would spell it -- ``${ExternalIdParam}``, ``${ProdRole.Arn}``, ``${AWS::AccountId}`` -- that
remembers its expression and why it is unknown; XA006 reports each one. A condition that cannot be decided
makes ``Fn::If`` take its first branch (the value when the condition holds), and XA006 says so. Without an
account for the template, roles, users and groups are not modelled (a role needs its ARN): their policies are
still checked, without an account, and XA006 says that too.

CloudFormation reads YAML 1.1 without the binary, omap, pairs, set and timestamp tags, aliases and hash merges
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html): those are reported,
and read as a YAML 1.1 tool would read them, so the rest of the template is still checked.

Problems: YAML that does not parse (``invalid-yaml``) and documents over a safety limit -- nesting, alias
expansion (``yaml-limit``) -- leave the file unread (XA001); tags CloudFormation does not know, YAML aliases
and merge keys, and malformed intrinsic functions are ``invalid-template`` (XA001, the template is still
read as far as it can be); undecidable conditions and unknown accounts are ``unresolved-template`` (XA006).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from xacct_lint.load.base import FileLoad
from xacct_lint.model.config import Config, TemplateMapping, path_glob
from xacct_lint.model.inventory import Identity, LoadProblem, Location, Policy, PolicyKind, Role
from xacct_lint.parse.json_tree import (
    DuplicateKey,
    JMember,
    JNode,
    JsonSyntaxError,
    escape_pointer_token,
    parse_json,
)
from xacct_lint.parse.placeholders import PlaceholderPattern
from xacct_lint.parse.policy import build_policy
from xacct_lint.parse.source import SourceFile, Span
from xacct_lint.parse.symbols import Symbol, symbol_node, symbols_of

if TYPE_CHECKING:
    from xacct_lint.load.base import LoadContext

# CloudFormation's YAML short forms (intrinsic function reference). Rule functions are accepted too, as
# cfn-lint does: they only appear in the Rules section, which is never resolved here.
SHORT_TAGS: Mapping[str, str] = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split",
            "Sub", "Transform", "And", "Equals", "If", "Not", "Or",
            "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
        )
    },
}  # fmt: skip

# Resource type -> the property that holds its resource-based policy document.
RESOURCE_POLICY_PROPERTIES: Mapping[str, str] = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::KMS::ReplicaKey": "KeyPolicy",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::ECR::Repository": "RepositoryPolicyText",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::S3::AccessPoint": "Policy",
    "AWS::OpenSearchService::Domain": "AccessPolicies",
    "AWS::Elasticsearch::Domain": "AccessPolicies",
    "AWS::Backup::BackupVault": "AccessPolicy",
    "AWS::EFS::FileSystem": "FileSystemPolicy",
    "AWS::ApiGateway::RestApi": "Policy",
    "AWS::CodeArtifact::Domain": "PermissionsPolicyDocument",
    "AWS::CodeArtifact::Repository": "PermissionsPolicyDocument",
}

# Resource type -> the property naming it (absent: CloudFormation generates a name).
_NAME_PROPERTIES: Mapping[str, str] = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
}
_INLINE_POLICY_RESOURCES: Mapping[str, str] = {
    "AWS::IAM::RolePolicy": "RoleName",
    "AWS::IAM::UserPolicy": "UserName",
    "AWS::IAM::GroupPolicy": "GroupName",
}
_FUNCTIONS = frozenset(
    {"Ref", *(v for k, v in SHORT_TAGS.items() if v.startswith("Fn::")), "Fn::Length", "Fn::ToJsonString"}
)
_CONDITION_FUNCTIONS = frozenset({"Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"})
_SUB_VARIABLE = PlaceholderPattern(r"\$\{([^}]*)\}", [("${", "}")])
# Templates nest a few dozen levels; resolution recurses, so deeper documents are refused up front.
MAX_TEMPLATE_DEPTH = 100
# Whether text that does not parse was meant as a template (then it is an XA001 finding, not skipped): a
# top-level ``Resources:`` in YAML, or a quoted ``"Resources":`` key at any indentation or after ``{`` -- JSON
# templates, pretty-printed or on one line, and YAML flow mappings.
_MAYBE_TEMPLATE = re.compile(
    r"AWSTemplateFormatVersion|^[\"']?Resources[\"']?[ \t]*:"
    r"|[\"']Resources[\"'][ \t\r\n]*:|\{[ \t\r\n]*Resources[ \t]*:",
    re.MULTILINE,
)


@dataclass(frozen=True)
class TemplateSettings:
    """What the configuration says about one template: its account, Region, partition, stack name and
    parameter values (``[[templates]]``), and the run's variables (``[variables]``, ``--var``)."""

    account_id: str | None = None
    account_name: str | None = None
    region: str | None = None
    partition: str | None = None
    stack_name: str | None = None
    parameters: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    glob: str | None = None  # the [[templates]] glob that matched, if any

    @property
    def effective_partition(self) -> str:
        """Return the partition: configured, else derived from the configured Region, else ``aws``."""
        if self.partition:
            return self.partition
        region = self.region or ""
        if region.startswith("cn-"):
            return "aws-cn"
        if region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"


def template_mapping_for(config: Config, path: Path | None) -> TemplateMapping | None:
    """Return the first ``[[templates]]`` entry whose glob matches a file (relative to the configuration
    file's directory, symbolic links resolved), or None."""
    if not config.templates or path is None or config.path is None:
        return None
    try:
        relative = Path(os.path.realpath(path)).relative_to(os.path.realpath(config.path.parent)).as_posix()
    except ValueError:
        return None
    return next((m for m in config.templates if path_glob(m.glob).fullmatch(relative) is not None), None)


def settings_for(context: LoadContext | None) -> TemplateSettings:
    """Return the settings of the file a load context is about (see :func:`template_mapping_for`)."""
    if context is None:
        return TemplateSettings()
    config = context.config
    variables = dict(context.variables)
    mapping = template_mapping_for(config, context.path)
    if mapping is None:
        return TemplateSettings(variables=variables)
    account = config.account_by_name(mapping.account) if mapping.account else None
    return TemplateSettings(
        account_id=account.id if account is not None else None,
        account_name=account.name if account is not None else None,
        region=mapping.region,
        partition=mapping.partition,
        stack_name=mapping.stack_name,
        parameters=dict(mapping.parameters),
        variables=variables,
        glob=mapping.glob,
    )


def looks_like_template(root: JNode | None) -> bool:
    """Return True for a CloudFormation template: ``AWSTemplateFormatVersion``, or ``Resources`` holding a
    resource of an ``AWS::`` type."""
    if root is None or root.kind != "object":
        return False
    if root.get("AWSTemplateFormatVersion") is not None:
        return True
    resources = root.get("Resources")
    if resources is None or resources.kind != "object":
        return False
    for member in resources.members:
        type_node = member.value.get("Type") if member.value.kind == "object" else None
        if type_node is not None and isinstance(type_node.value, str) and type_node.value.startswith("AWS::"):
            return True
    return False


# -- entry points ---------------------------------------------------------------------------------------------


def load_cloudformation_source(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return what a ``.yaml``/``.yml``/``.template`` file contributes (nothing unless it is a template)."""
    text = source.text
    if "AWS::" not in text and "AWSTemplateFormatVersion" not in text:
        return FileLoad()  # no template without these: skip parsing Kubernetes, CI and compose files
    json_error: JsonSyntaxError | None = None
    if text.lstrip().startswith("{"):
        try:
            parsed_json = parse_json(text)
        except JsonSyntaxError as exc:
            json_error = exc  # YAML flow syntax is wider than JSON: let the YAML parser read it
        else:
            if not looks_like_template(parsed_json.root):
                return FileLoad()
            return load_template_tree(
                source, parsed_json.root, parsed_json.duplicates, context, json_text=True
            )
    from xacct_lint.parse.yaml_tree import YamlLimitError, YamlSyntaxError, parse_yaml

    may_be_template = _MAYBE_TEMPLATE.search(text) is not None
    try:
        parsed = parse_yaml(text, short_tags=SHORT_TAGS, max_depth=context.config.limits.max_depth)
    except YamlSyntaxError as exc:
        if not may_be_template:
            return FileLoad()
        if json_error is not None:  # written as JSON: the JSON parser's message is the one that helps
            location = Location(source, None, "", span=Span(json_error.offset, json_error.offset + 1))
            message = f"invalid JSON: {json_error.message}"
            return FileLoad(problems=(LoadProblem("invalid-json", message, location),))
        location = Location(source, None, "", span=Span(exc.offset, exc.offset + 1))
        return FileLoad(problems=(LoadProblem("invalid-yaml", f"invalid YAML: {exc.message}", location),))
    except YamlLimitError as exc:
        if not may_be_template:
            return FileLoad()
        location = Location(source, None, "", span=Span(exc.offset, exc.offset + 1))
        return FileLoad(problems=(LoadProblem("yaml-limit", f"YAML not read: {exc.message}", location),))
    if not looks_like_template(parsed.root):
        return FileLoad()
    assert parsed.root is not None
    problems = [
        LoadProblem(
            "invalid-template",
            issue.message,
            Location(source, parsed.root, _pointer_at(parsed.root, issue.span), span=issue.span),
        )
        for issue in parsed.issues
    ]
    loaded = load_template_tree(source, parsed.root, parsed.duplicates, context, json_text=False)
    return FileLoad(loaded.policies, loaded.roles, loaded.identities, (*problems, *loaded.problems))


def load_template_tree(
    source: SourceFile,
    root: JNode,
    duplicates: Sequence[DuplicateKey],
    context: LoadContext | None,
    *,
    json_text: bool,
) -> FileLoad:
    """Return what a parsed template contributes: its roles, policies, identities and problems."""
    deep = _too_deep(root, MAX_TEMPLATE_DEPTH)
    if deep is not None:
        location = Location(source, None, "", span=Span(deep.span.start, deep.span.start + 1))
        message = (
            f"template not read: nesting deeper than {MAX_TEMPLATE_DEPTH} levels (CloudFormation templates nest a "
            "few dozen at most)"
        )
        return FileLoad(problems=(LoadProblem("yaml-limit", message, location),))
    template = _Template(source, root, settings_for(context), json_text=json_text)
    for dup in duplicates:
        first_line = source.position(dup.first.start).line
        template.problems.append(
            LoadProblem(
                "duplicate-key",
                f"duplicate key {dup.key!r} (first on line {first_line}): CloudFormation keeps only one of "
                "them, so the other value silently disappears",
                Location(source, root, dup.pointer, span=dup.duplicate),
            )
        )
    template.read()
    return template.result()


def _too_deep(root: JNode, limit: int) -> JNode | None:
    stack: list[tuple[JNode, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        if node.kind == "object":
            stack.extend((m.value, depth + 1) for m in node.members)
        elif node.kind == "array":
            stack.extend((item, depth + 1) for item in node.items)
    return None


def _pointer_at(root: JNode, span: Span) -> str:
    """Return the pointer of the deepest node whose span holds ``span`` (for problems found by the parser)."""
    pointer = ""
    node = root
    while True:
        if node.kind == "object":
            nxt = next(
                (
                    m
                    for m in node.members
                    if m.key_span.start <= span.start < max(m.value.span.end, m.key_span.end)
                ),
                None,
            )
            if nxt is None:
                return pointer
            pointer, node = f"{pointer}/{escape_pointer_token(nxt.key)}", nxt.value
        elif node.kind == "array":
            found = next(
                (i for i, item in enumerate(node.items) if item.span.start <= span.start < item.span.end),
                None,
            )
            if found is None:
                return pointer
            pointer, node = f"{pointer}/{found}", node.items[found]
        else:
            return pointer


# -- values ------------------------------------------------------------------------------------------------


def _scalar_text(node: JNode) -> str | None:
    if node.kind == "string":
        return str(node.value)
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind == "number":
        return str(node.value)
    return None


def _string(text: str, span: Span, symbols: Sequence[Symbol] = ()) -> JNode:
    if symbols:
        return symbol_node(text, span, tuple(dict.fromkeys(symbols)))
    return JNode("string", span, text)


def _symbol(placeholder: str, expression: str, reason: str, span: Span) -> JNode:
    return symbol_node(placeholder, span, (Symbol(placeholder, expression, reason),))


class _TemplateError(Exception):
    """An intrinsic function is malformed: the message is a problem; the value becomes a symbol."""


@dataclass
class _Resource:
    logical_id: str
    type: str
    node: JNode
    pointer: str
    properties: JNode | None = None  # resolved, filled when read


class _Template:
    """Reads one template: resolves values, builds policies and roles, collects problems."""

    def __init__(
        self, source: SourceFile, root: JNode, settings: TemplateSettings, *, json_text: bool
    ) -> None:
        self.source = source
        self.root = root
        self.settings = settings
        self.json_text = json_text
        self.partition = settings.effective_partition
        self.problems: list[LoadProblem] = []
        self.policies: list[Policy] = []
        self.roles: list[Role] = []
        self.identities: list[Identity] = []
        self.parameters = _section(root, "Parameters")
        self.mappings = root.get("Mappings")
        self.conditions = _section(root, "Conditions")
        self.resources: dict[str, _Resource] = {}
        resources = root.get("Resources")
        if resources is not None and resources.kind == "object":
            for member in resources.unique_members():
                node = member.value
                type_node = node.get("Type") if node.kind == "object" else None
                if type_node is not None and isinstance(type_node.value, str):
                    pointer = f"/Resources/{escape_pointer_token(member.key)}"
                    self.resources[member.key] = _Resource(member.key, type_node.value, node, pointer)
        self.condition_memo: dict[str, tuple[bool | None, tuple[Symbol, ...]]] = {}
        self.conditions_in_progress: set[str] = set()
        self.names_in_progress: set[str] = set()
        self.reported_conditions: set[tuple[str, int]] = set()

    def result(self) -> FileLoad:
        return FileLoad(tuple(self.policies), tuple(self.roles), tuple(self.identities), tuple(self.problems))

    def location(self, pointer: str, span: Span | None = None) -> Location:
        return Location(self.source, self.root, pointer, span=span)

    def problem(self, code: str, message: str, pointer: str, span: Span | None = None) -> None:
        self.problems.append(LoadProblem(code, message, self.location(pointer, span)))

    # -- resolution ----------------------------------------------------------------------------------------

    def resolve(self, node: JNode, pointer: str) -> JNode | None:
        """Return the value of a template node with intrinsic functions evaluated (None: AWS::NoValue)."""
        if node.kind == "object":
            if len(node.members) == 1 and node.members[0].key in _FUNCTIONS:
                member = node.members[0]
                inner = f"{pointer}/{escape_pointer_token(member.key)}"
                try:
                    return self.call(member.key, member.value, node.span, inner)
                except _TemplateError as exc:
                    self.problem("invalid-template", str(exc), inner)
                    return _symbol(
                        f"${{{_short(member.key)}}}",
                        _expression(member.key, member.value),
                        f"CloudFormation rejects it: {exc}",
                        node.span,
                    )
            if len(node.members) == 1 and node.members[0].key.startswith("Fn::"):
                member = node.members[0]
                self.problem(
                    "invalid-template",
                    f"{member.key} is not a CloudFormation intrinsic function; the value stays unknown",
                    f"{pointer}/{escape_pointer_token(member.key)}",
                )
                return _symbol(
                    f"${{{_short(member.key)}}}",
                    member.key,
                    "not an intrinsic function CloudFormation knows",
                    node.span,
                )
            members: list[JMember] = []
            for member in node.members:
                value = self.resolve(member.value, f"{pointer}/{escape_pointer_token(member.key)}")
                if value is not None:
                    members.append(JMember(member.key, member.key_span, value))
            return JNode("object", node.span, members=members)
        if node.kind == "array":
            items = []
            for index, item in enumerate(node.items):
                value = self.resolve(item, f"{pointer}/{index}")
                if value is not None:
                    items.append(value)
            return JNode("array", node.span, items=items)
        return node

    def text_of(self, node: JNode, pointer: str, what: str) -> tuple[str, tuple[Symbol, ...]]:
        """Return the resolved string value of a node and its symbols; raise :class:`_TemplateError` if it is
        not a string."""
        value = self.resolve(node, pointer)
        text = _scalar_text(value) if value is not None else None
        if value is None or text is None:
            raise _TemplateError(f"{what} must be a string")
        return text, symbols_of(value)

    def call(self, name: str, arg: JNode, span: Span, pointer: str) -> JNode | None:
        if name == "Ref":
            if arg.kind != "string":
                raise _TemplateError("Ref takes the name of a parameter, resource or pseudo parameter")
            return self.ref(str(arg.value), span, pointer)
        if name == "Fn::Sub":
            return self.sub(arg, span, pointer)
        if name == "Fn::GetAtt":
            return self.get_att(arg, span)
        if name == "Fn::Join":
            return self.join(arg, span, pointer)
        if name == "Fn::If":
            return self.if_(arg, span, pointer)
        if name == "Fn::Select":
            return self.select(arg, span, pointer)
        if name == "Fn::Split":
            return self.split(arg, span, pointer)
        if name == "Fn::FindInMap":
            return self.find_in_map(arg, span, pointer)
        if name == "Fn::Base64":
            text, symbols = self.text_of(arg, pointer, "Fn::Base64's argument")
            if symbols:
                return _symbol("${Base64}", "!Base64", "its input is not known before deployment", span)
            return _string(base64.b64encode(text.encode()).decode(), span)
        if name == "Fn::Length":
            value = self.resolve(arg, pointer)
            if value is None or value.kind != "array":
                return _symbol("${Length}", "Fn::Length", "its list is not known before deployment", span)
            return JNode("number", span, len(value.items))
        if name == "Fn::ToJsonString":
            value = self.resolve(arg, pointer)
            if value is None:
                raise _TemplateError("Fn::ToJsonString needs a value")
            symbols = tuple(s for node in value.walk() for s in symbols_of(node))
            return _string(json.dumps(value.to_python(), separators=(",", ":")), span, symbols)
        if name in _CONDITION_FUNCTIONS:
            raise _TemplateError(f"{name} is a condition function: it belongs in Conditions or Fn::If")
        expression = _expression(name, arg)
        short = _short(name)
        reasons = {
            "Fn::ImportValue": "an export of another stack, known only when this stack is deployed",
            "Fn::GetAZs": "the Availability Zones of a Region, known only when the stack is deployed",
            "Fn::Cidr": "address blocks computed by CloudFormation",
            "Fn::Transform": "the output of a macro, known only when CloudFormation processes the template",
        }
        reason = reasons.get(name, f"{name} is evaluated only by CloudFormation")
        argument = _scalar_text(arg) if arg.kind == "string" else None
        placeholder = f"${{{short}({argument})}}" if argument else f"${{{short}}}"
        return _symbol(placeholder, expression, reason, span)

    # Ref and names ---------------------------------------------------------------------------------------

    def ref(self, name: str, span: Span, pointer: str) -> JNode | None:
        if name.startswith("AWS::"):
            return self.pseudo(name, span, pointer)
        if name in self.parameters:
            return self.parameter(name, span)
        resource = self.resources.get(name)
        if resource is not None:
            return self.physical_id(resource, span)
        raise _TemplateError(
            f"Ref {name}: no parameter, resource or pseudo parameter of this template has that name"
        )

    def pseudo(self, name: str, span: Span, pointer: str) -> JNode | None:
        settings = self.settings
        placeholder = f"${{{name}}}"
        if name == "AWS::NoValue":
            return None
        if name == "AWS::AccountId":
            if settings.account_id:
                return _string(settings.account_id, span)
            return _symbol(placeholder, f"!Ref {name}", self.no_account_reason(), span)
        if name == "AWS::Region":
            if settings.region:
                return _string(settings.region, span)
            return _symbol(
                placeholder, f"!Ref {name}", "no [[templates]] entry of the configuration gives this template's "
                "region (region = ...)", span,
            )  # fmt: skip
        if name == "AWS::Partition":
            return _string(self.partition, span)
        if name == "AWS::URLSuffix":
            return _string("amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com", span)
        if name == "AWS::StackName" and settings.stack_name:
            return _string(settings.stack_name, span)
        if name in ("AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
            return _symbol(placeholder, f"!Ref {name}", "known only when the stack is created", span)
        raise _TemplateError(f"Ref {name}: not a CloudFormation pseudo parameter")

    def no_account_reason(self) -> str:
        if self.settings.glob is not None:
            return f"the [[templates]] entry {self.settings.glob!r} names no account"
        return "no [[templates]] entry of the configuration maps this template to an account (glob, account)"

    def parameter(self, name: str, span: Span) -> JNode:
        definition = self.parameters[name]
        type_node = definition.get("Type") if definition.kind == "object" else None
        type_name = str(type_node.value) if type_node is not None and type_node.kind == "string" else "String"
        is_list = type_name.startswith("List<") or type_name == "CommaDelimitedList"
        placeholder = f"${{{name}}}"
        if type_name.startswith("AWS::SSM::Parameter::Value<"):
            return _symbol(
                placeholder, f"!Ref {name}",
                f"parameter {name} is read from Systems Manager Parameter Store when the stack is deployed",
                span,
            )  # fmt: skip
        configured: str | tuple[str, ...] | None = self.settings.parameters.get(name)
        if configured is None:
            configured = self.settings.variables.get(name)
        if configured is not None:
            return _parameter_value(configured, is_list, span)
        default = definition.get("Default") if definition.kind == "object" else None
        if default is not None:
            if default.kind == "array":
                values = tuple(t for t in (_scalar_text(i) for i in default.items) if t is not None)
                return _parameter_value(values, is_list, span)
            text = _scalar_text(default)
            if text is not None:
                return _parameter_value(text, is_list, span)
        return _symbol(
            placeholder, f"!Ref {name}",
            f"parameter {name} has no Default and the configuration gives it no value; set it in the "
            f"[[templates]] entry's parameters or with --var {name}=VALUE to check it",
            span,
        )  # fmt: skip

    def name_of(self, resource: _Resource, span: Span) -> JNode:
        """Return the resource's name property, resolved, or a symbol when CloudFormation generates it."""
        prop = _NAME_PROPERTIES.get(resource.type)
        placeholder = f"${{{resource.logical_id}}}"
        node = _property(resource.node, prop) if prop else None
        if prop is None or node is None:
            reason = (
                f"{resource.type} {resource.logical_id} has no {prop}: CloudFormation generates its name; "
                f"give it a {prop} to check what depends on it"
                if prop
                else f"the physical ID of {resource.type} {resource.logical_id} is known only after it is created"
            )
            return _symbol(placeholder, f"!Ref {resource.logical_id}", reason, span)
        if resource.logical_id in self.names_in_progress:
            raise _TemplateError(f"the name of {resource.logical_id} refers to itself")
        self.names_in_progress.add(resource.logical_id)
        try:
            value = self.resolve(node, f"{resource.pointer}/Properties/{prop}")
        finally:
            self.names_in_progress.discard(resource.logical_id)
        text = _scalar_text(value) if value is not None else None
        if value is None or text is None:
            return _symbol(placeholder, f"!Ref {resource.logical_id}", f"its {prop} is not a string", span)
        return _string(text, span, symbols_of(value))

    def physical_id(self, resource: _Resource, span: Span) -> JNode:
        """Return what ``Ref`` gives for a resource: its name, or its ARN or URL for some types."""
        kind = resource.type
        if kind == "AWS::IAM::ManagedPolicy":
            return self.arn_of(resource, span)
        if kind == "AWS::SNS::Topic":
            return self.arn_of(resource, span)
        if kind == "AWS::SQS::Queue":
            name = self.name_of(resource, span)
            region, account = self.region_node(span), self.account_node(span)
            return _concat(span, "https://sqs.", region, f".{self.url_suffix}/", account, "/", name)
        if kind in _NAME_PROPERTIES:
            return self.name_of(resource, span)
        return _symbol(
            f"${{{resource.logical_id}}}", f"!Ref {resource.logical_id}",
            f"the physical ID of {kind} {resource.logical_id} is known only after CloudFormation creates it",
            span,
        )  # fmt: skip

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def account_node(self, span: Span) -> JNode:
        node = self.pseudo("AWS::AccountId", span, "")
        assert node is not None
        return node

    def region_node(self, span: Span) -> JNode:
        node = self.pseudo("AWS::Region", span, "")
        assert node is not None
        return node

    def arn_of(self, resource: _Resource, span: Span) -> JNode:
        """Return the ARN of a resource whose ARN CloudFormation builds from its name (else a symbol)."""
        kind = resource.type
        partition = self.partition
        if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::ManagedPolicy"):
            noun = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}.get(
                kind, "policy"
            )
            path = self.path_of(resource, span)
            return _concat(
                span, f"arn:{partition}:iam::", self.account_node(span), f":{noun}", path,
                self.name_of(resource, span),
            )  # fmt: skip
        if kind == "AWS::S3::Bucket":
            return _concat(span, f"arn:{partition}:s3:::", self.name_of(resource, span))
        if kind in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
            service = "sqs" if kind == "AWS::SQS::Queue" else "sns"
            return _concat(
                span, f"arn:{partition}:{service}:", self.region_node(span), ":", self.account_node(span), ":",
                self.name_of(resource, span),
            )  # fmt: skip
        if kind == "AWS::Lambda::Function":
            return _concat(
                span, f"arn:{partition}:lambda:", self.region_node(span), ":", self.account_node(span),
                ":function:", self.name_of(resource, span),
            )  # fmt: skip
        return _symbol(
            f"${{{resource.logical_id}.Arn}}", f"!GetAtt {resource.logical_id}.Arn",
            f"the ARN of {kind} {resource.logical_id} is known only after CloudFormation creates it",
            span,
        )  # fmt: skip

    def path_of(self, resource: _Resource, span: Span) -> JNode:
        node = _property(resource.node, "Path")
        if node is None:
            return _string("/", span)
        value = self.resolve(node, f"{resource.pointer}/Properties/Path")
        text = _scalar_text(value) if value is not None else None
        if value is None or text is None:
            return _string("/", span)
        return _string(text, span, symbols_of(value))

    def get_att(self, arg: JNode, span: Span) -> JNode:
        if arg.kind == "string":
            logical, dot, attribute = str(arg.value).partition(".")
            if not dot:
                raise _TemplateError(
                    "Fn::GetAtt takes [LogicalName, AttributeName] or 'LogicalName.AttributeName'"
                )
        elif arg.kind == "array" and len(arg.items) == 2 and all(i.kind == "string" for i in arg.items):
            logical, attribute = str(arg.items[0].value), str(arg.items[1].value)
        else:
            raise _TemplateError(
                "Fn::GetAtt takes [LogicalName, AttributeName] or 'LogicalName.AttributeName'"
            )
        resource = self.resources.get(logical)
        if resource is None:
            raise _TemplateError(f"Fn::GetAtt {logical}.{attribute}: this template has no resource {logical}")
        return self.attribute(resource, attribute, span)

    def attribute(self, resource: _Resource, attribute: str, span: Span) -> JNode:
        kind = resource.type
        if attribute == "Arn" and kind != "AWS::KMS::Key":
            return self.arn_of(resource, span)
        if (kind, attribute) in (("AWS::SNS::Topic", "TopicArn"), ("AWS::IAM::ManagedPolicy", "PolicyArn")):
            return self.arn_of(resource, span)
        if (kind, attribute) in (("AWS::SNS::Topic", "TopicName"), ("AWS::SQS::Queue", "QueueName")):
            return self.name_of(resource, span)
        if (kind, attribute) == ("AWS::SQS::Queue", "QueueUrl"):
            return self.physical_id(resource, span)
        return _symbol(
            f"${{{resource.logical_id}.{attribute}}}", f"!GetAtt {resource.logical_id}.{attribute}",
            f"attribute {attribute} of {kind} {resource.logical_id} is known only after CloudFormation creates it",
            span,
        )  # fmt: skip

    # Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap ------------------------------------------

    def sub(self, arg: JNode, span: Span, pointer: str) -> JNode:
        variables: dict[str, JNode] = {}
        if arg.kind == "array":
            if len(arg.items) != 2 or arg.items[0].kind != "string" or arg.items[1].kind != "object":
                raise _TemplateError("Fn::Sub takes a string, or [string, {name: value, ...}]")
            template_node = arg.items[0]
            for member in arg.items[1].members:
                value = self.resolve(member.value, f"{pointer}/1/{escape_pointer_token(member.key)}")
                if value is not None:
                    variables[member.key] = value
        elif arg.kind == "string":
            template_node = arg
        else:
            raise _TemplateError("Fn::Sub takes a string, or [string, {name: value, ...}]")
        template_text = str(template_node.value)
        pieces: list[str | JNode] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(template_text):
            pieces.append(template_text[position : match.start()])
            position = match.end()
            body = match.group(1)
            if body.startswith("!"):
                pieces.append("${" + body[1:] + "}")  # ${!Literal} writes ${Literal}
                continue
            name = body.strip()
            if name in variables:
                pieces.append(variables[name])
            elif "." in name and not name.startswith("AWS::") and name.split(".", 1)[0] in self.resources:
                logical, attribute = name.split(".", 1)
                pieces.append(self.attribute(self.resources[logical], attribute, span))
            else:
                value = self.ref(name, span, pointer)
                pieces.append(value if value is not None else "")
        pieces.append(template_text[position:])
        return _concat(span, *pieces)

    def join(self, arg: JNode, span: Span, pointer: str) -> JNode:
        if arg.kind != "array" or len(arg.items) != 2:
            raise _TemplateError("Fn::Join takes [delimiter, [values]]")
        delimiter, delimiter_symbols = self.text_of(arg.items[0], f"{pointer}/0", "Fn::Join's delimiter")
        values = self.resolve(arg.items[1], f"{pointer}/1")
        if values is None or values.kind != "array":
            if values is not None and symbols_of(values):
                return _symbol("${Join}", "!Join", "its list of values is not known before deployment", span)
            raise _TemplateError("Fn::Join takes [delimiter, [values]]")
        pieces: list[str | JNode] = []
        for index, item in enumerate(values.items):
            if index:
                pieces.append(_string(delimiter, span, delimiter_symbols))
            if _scalar_text(item) is None:
                raise _TemplateError("Fn::Join joins strings; an element is a list or an object")
            pieces.append(item)
        return _concat(span, *pieces)

    def select(self, arg: JNode, span: Span, pointer: str) -> JNode:
        if arg.kind != "array" or len(arg.items) != 2:
            raise _TemplateError("Fn::Select takes [index, [values]]")
        index_text, index_symbols = self.text_of(arg.items[0], f"{pointer}/0", "Fn::Select's index")
        values = self.resolve(arg.items[1], f"{pointer}/1")
        if index_symbols or values is None or values.kind != "array":
            if index_symbols or (values is not None and symbols_of(values)):
                return _symbol(
                    "${Select}", "!Select", "its index or list is not known before deployment", span
                )
            raise _TemplateError("Fn::Select takes [index, [values]]")
        if not index_text.isdigit() or int(index_text) >= len(values.items):
            raise _TemplateError(
                f"Fn::Select index {index_text} is not an index of a list of {len(values.items)}"
            )
        chosen = values.items[int(index_text)]
        return _retarget(chosen, span)

    def split(self, arg: JNode, span: Span, pointer: str) -> JNode:
        if arg.kind != "array" or len(arg.items) != 2:
            raise _TemplateError("Fn::Split takes [delimiter, string]")
        delimiter, delimiter_symbols = self.text_of(arg.items[0], f"{pointer}/0", "Fn::Split's delimiter")
        text, symbols = self.text_of(arg.items[1], f"{pointer}/1", "Fn::Split's source string")
        if delimiter_symbols or not delimiter:
            return _symbol("${Split}", "!Split", "its delimiter is not known before deployment", span)
        items = [
            _string(part, span, [s for s in symbols if s.placeholder in part])
            for part in text.split(delimiter)
        ]
        return JNode("array", span, items=items)

    def find_in_map(self, arg: JNode, span: Span, pointer: str) -> JNode | None:
        if arg.kind != "array" or len(arg.items) not in (3, 4):
            raise _TemplateError("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        keys: list[str] = []
        for index in range(3):
            text, symbols = self.text_of(arg.items[index], f"{pointer}/{index}", "a Fn::FindInMap key")
            if symbols:
                return _symbol(
                    "${FindInMap}", "!FindInMap", "one of its keys is not known before deployment", span
                )
            keys.append(text)
        node = self.mappings
        for key in keys:
            found = node.get(key) if node is not None and node.kind == "object" else None
            if found is None:
                if len(arg.items) == 4:
                    default = arg.items[3]
                    value = default.get("DefaultValue") if default.kind == "object" else None
                    if value is not None:
                        return self.resolve(value, f"{pointer}/3/DefaultValue")
                raise _TemplateError(f"Fn::FindInMap: Mappings has no {'/'.join(keys)}")
            node = found
        assert node is not None
        resolved = self.resolve(node, "/Mappings/" + "/".join(escape_pointer_token(k) for k in keys))
        return _retarget(resolved, span) if resolved is not None else None

    # conditions ----------------------------------------------------------------------------------------

    def if_(self, arg: JNode, span: Span, pointer: str) -> JNode | None:
        if arg.kind != "array" or len(arg.items) != 3 or arg.items[0].kind != "string":
            raise _TemplateError("Fn::If takes [ConditionName, value if true, value if false]")
        name = str(arg.items[0].value)
        value, symbols = self.condition(name, f"{pointer}/0")
        if value is None:
            key = (name, span.start)
            if key not in self.reported_conditions:
                self.reported_conditions.add(key)
                self.problem(
                    "unresolved-template",
                    f"condition {name} cannot be decided before deployment ({_because(symbols)}): the value "
                    f"is read as if {name} were true (the first branch of Fn::If); give the configuration a "
                    "value for it ([[templates]] parameters, or --var NAME=VALUE) to check the other branch",
                    f"{pointer}/0",
                )
            value = True
        index = 1 if value else 2
        return self.resolve(arg.items[index], f"{pointer}/{index}")

    def condition(self, name: str, pointer: str) -> tuple[bool | None, tuple[Symbol, ...]]:
        """Return the value of a named condition (None when it depends on unknown values) and those values."""
        if name in self.condition_memo:
            return self.condition_memo[name]
        definition = self.conditions.get(name)
        if definition is None:
            raise _TemplateError(f"condition {name} is not defined in Conditions")
        if name in self.conditions_in_progress:
            raise _TemplateError(f"condition {name} depends on itself")
        self.conditions_in_progress.add(name)
        try:
            result = self.condition_value(definition, f"/Conditions/{escape_pointer_token(name)}")
        finally:
            self.conditions_in_progress.discard(name)
        self.condition_memo[name] = result
        return result

    def condition_value(self, node: JNode, pointer: str) -> tuple[bool | None, tuple[Symbol, ...]]:
        if node.kind == "bool":
            return bool(node.value), ()
        if node.kind != "object" or len(node.members) != 1:
            raise _TemplateError("a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or {Condition: name}")
        member = node.members[0]
        inner = f"{pointer}/{escape_pointer_token(member.key)}"
        arg = member.value
        if member.key == "Condition":
            if arg.kind != "string":
                raise _TemplateError("{Condition: name} takes a condition name")
            return self.condition(str(arg.value), inner)
        if member.key == "Fn::Equals":
            if arg.kind != "array" or len(arg.items) != 2:
                raise _TemplateError("Fn::Equals takes [value, value]")
            left = self.resolve(arg.items[0], f"{inner}/0")
            right = self.resolve(arg.items[1], f"{inner}/1")
            symbols = tuple(
                s for side in (left, right) if side is not None for n in side.walk() for s in symbols_of(n)
            )
            if symbols:
                return None, symbols
            return _plain(left) == _plain(right), ()
        if member.key in ("Fn::And", "Fn::Or", "Fn::Not"):
            if arg.kind != "array" or not arg.items or (member.key == "Fn::Not" and len(arg.items) != 1):
                raise _TemplateError(f"{member.key} takes a list of conditions")
            results = [self.condition_value(item, f"{inner}/{i}") for i, item in enumerate(arg.items)]
            unknown = tuple(s for value, symbols in results if value is None for s in symbols)
            values = [value for value, _ in results]
            if member.key == "Fn::Not":
                return (None, unknown) if values[0] is None else (not values[0], ())
            decisive = member.key == "Fn::Or"  # True decides an Or, False decides an And
            if decisive in values:
                return decisive, ()
            return (None, unknown) if None in values else (not decisive, ())
        raise _TemplateError(f"{member.key} cannot be used in a condition")

    def resource_exists(self, resource: _Resource) -> bool:
        condition = resource.node.get("Condition")
        if condition is None or condition.kind != "string":
            return True
        try:
            value, symbols = self.condition(str(condition.value), f"{resource.pointer}/Condition")
        except _TemplateError as exc:
            self.problem("invalid-template", str(exc), f"{resource.pointer}/Condition")
            return True
        if value is None:
            self.problem(
                "unresolved-template",
                f"resource {resource.logical_id} exists only when condition {condition.value} holds, which cannot "
                f"be decided before deployment ({_because(symbols)}); it is checked as if it existed",
                f"{resource.pointer}/Condition",
            )
            return True
        return value

    # -- resources ---------------------------------------------------------------------------------------

    def read(self) -> None:
        live = [r for r in self.resources.values() if self.resource_exists(r)]
        iam = [r for r in live if r.type.startswith("AWS::IAM::") or r.type in RESOURCE_POLICY_PROPERTIES]
        if not iam:
            return
        if self.settings.account_id is None and any(
            r.type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group") for r in iam
        ):
            self.problem(
                "unresolved-template",
                f"the account this template deploys to is unknown ({self.no_account_reason()}): its roles, users "
                "and groups are not modelled -- only their policies are checked, without the account -- and "
                "${AWS::AccountId} stays unknown; add a [[templates]] entry with glob and account",
                "/Resources" if self.root.get("Resources") is not None else "",
            )
        for resource in iam:
            props = _property_node(resource.node)
            if props is None:
                continue
            resolved = self.resolve(props, f"{resource.pointer}/Properties")
            resource.properties = resolved if resolved is not None and resolved.kind == "object" else None
        self.managed: dict[str, Policy] = {}
        self.role_by_logical: dict[str, Role] = {}
        self.identity_by_logical: dict[str, Identity] = {}
        for resource in iam:
            if resource.type == "AWS::IAM::ManagedPolicy":
                self.managed_policy(resource)
        for resource in iam:
            if resource.type == "AWS::IAM::Role":
                self.role(resource)
            elif resource.type in ("AWS::IAM::User", "AWS::IAM::Group"):
                self.identity(resource)
        for resource in iam:
            if resource.type == "AWS::IAM::Policy":
                self.standalone_policy(resource)
            elif resource.type in _INLINE_POLICY_RESOURCES:
                self.inline_policy_resource(resource)
            elif resource.type in RESOURCE_POLICY_PROPERTIES:
                prop = RESOURCE_POLICY_PROPERTIES[resource.type]
                self.policy(resource, prop, PolicyKind.RESOURCE, name=resource.logical_id)
        for resource in iam:
            if resource.type == "AWS::IAM::ManagedPolicy":
                self.attach(resource, self.managed.get(resource.logical_id))

    def props(self, resource: _Resource) -> JNode:
        return resource.properties if resource.properties is not None else JNode("object", resource.node.span)

    def policy(
        self,
        resource: _Resource,
        path: str,
        kind: PolicyKind,
        *,
        name: str | None,
        role_arn: str | None = None,
        document: JNode | None = None,
    ) -> Policy | None:
        """Create the policy whose document is at ``path`` (relative to the resource's properties)."""
        props = self.props(resource)
        if document is None:
            document = props.get(path)
        if document is None:
            return None
        prefix = f"{resource.pointer}/Properties/{path}"
        embedded = False
        if document.kind == "string" and not symbols_of(document):
            parsed = self.embedded_document(document, prefix)
            if parsed is None:
                return None
            document, embedded = parsed, True
        if document.kind != "object":
            return None
        policy = Policy(
            document=build_policy(document),
            kind=kind,
            kind_inferred=False,
            source=self.source,
            prefix=prefix,
            name=name,
            account_id=self.settings.account_id,
            role_arn=role_arn,
            embedded_as_string=embedded,
        )
        self.policies.append(policy)
        return policy

    def embedded_document(self, node: JNode, prefix: str) -> JNode | None:
        """Return the policy document held in a string (``PolicyDocument: '{"Version": ...}'``)."""
        text = str(node.value)
        if not text.lstrip().startswith("{"):
            return None
        raw = self.source.text[node.span.start : node.span.end]
        offsets: list[int]
        if self.json_text and raw.startswith('"'):
            from xacct_lint.load.json_file import decode_json_string

            decoded, offsets = decode_json_string(self.source.text, node.span)
            if decoded != text:
                offsets = [node.span.start] * len(text)
        elif raw == text:
            offsets = list(range(node.span.start, node.span.end))
        elif len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" and raw[1:-1] == text:
            offsets = list(range(node.span.start + 1, node.span.end - 1))  # quoted, nothing escaped or folded
        else:
            # A quoted or block YAML scalar: positions inside are not tracked; point at the scalar itself.
            offsets = [node.span.start] * len(text)
        try:
            parsed = parse_json(text, offset_map=offsets or [node.span.start])
        except JsonSyntaxError as exc:
            self.problems.append(
                LoadProblem(
                    "invalid-json",
                    f"the policy document embedded as a string at {prefix} is not valid JSON: {exc.message}",
                    Location(self.source, self.root, prefix, span=Span(exc.offset, exc.offset + 1)),
                )
            )
            return None
        return parsed.root

    def managed_policy(self, resource: _Resource) -> None:
        arn = self.arn_of(resource, resource.node.span)
        props = self.props(resource)
        name = _text(props.get("ManagedPolicyName")) or resource.logical_id
        policy = self.policy(resource, "PolicyDocument", PolicyKind.IDENTITY, name=name)
        if policy is not None:
            self.managed[resource.logical_id] = policy
            self.managed[str(arn.value)] = policy

    def role(self, resource: _Resource) -> None:
        props = self.props(resource)
        span = resource.node.span
        name_node = self.name_of(resource, span)
        name = str(name_node.value)
        arn = str(self.arn_of(resource, span).value)
        account = self.settings.account_id
        role: Role | None = None
        if account is not None:
            path = str(self.path_of(resource, span).value)
            role = Role(
                arn=arn, name=name, account_id=account, path=path, location=self.location(resource.pointer)
            )
            duration = props.get("MaxSessionDuration")
            seconds = _integer(duration)
            if seconds is not None:
                role.max_session_duration = seconds
                role.max_session_location = self.location(f"{resource.pointer}/Properties/MaxSessionDuration")
            role.tags = _tags(props.get("Tags"))
            self.roles.append(role)
            self.role_by_logical[resource.logical_id] = role
        role_arn = role.arn if role is not None else None
        trust = self.policy(
            resource, "AssumeRolePolicyDocument", PolicyKind.TRUST, name=name, role_arn=role_arn
        )
        if role is not None:
            role.trust_policy = trust
        for inline in self.inline_policies(resource, role_arn):
            if role is not None:
                role.permission_policies.append(inline)
        for arn_text, managed in self.managed_arns(resource):
            if role is not None:
                role.managed_policy_arns.append(arn_text)
                if managed is not None and managed not in role.permission_policies:
                    role.permission_policies.append(managed)

    def inline_policies(self, resource: _Resource, role_arn: str | None) -> list[Policy]:
        out: list[Policy] = []
        policies = self.props(resource).get("Policies")
        if policies is None or policies.kind != "array":
            return out
        for index, item in enumerate(policies.items):
            if item.kind != "object":
                continue
            name = _text(item.get("PolicyName"))
            policy = self.policy(
                resource, f"Policies/{index}/PolicyDocument", PolicyKind.IDENTITY, name=name, role_arn=role_arn,
                document=item.get("PolicyDocument"),
            )  # fmt: skip
            if policy is not None:
                policy.inline_of = _INLINE_OWNER_KINDS.get(resource.type)
                policy.inline_owner = resource.pointer if policy.inline_of is not None else None
                out.append(policy)
        return out

    def managed_arns(self, resource: _Resource) -> list[tuple[str, Policy | None]]:
        """Return the resource's ManagedPolicyArns with the template's own policy for each, when it has it."""
        out: list[tuple[str, Policy | None]] = []
        resolved = self.props(resource).get("ManagedPolicyArns")
        raw_props = _property_node(resource.node)
        raw = raw_props.get("ManagedPolicyArns") if raw_props is not None else None
        if resolved is None or resolved.kind != "array":
            return out
        raw_refs = (
            [_ref_target(item) for item in raw.items] if raw is not None and raw.kind == "array" else []
        )
        for item in resolved.items:
            text = _scalar_text(item)
            if text is None:
                continue
            managed = self.managed.get(text)
            if managed is None:
                # A Ref to a managed policy whose ARN is symbolic: match the use by its span.
                for target, raw_item in zip(raw_refs, raw.items if raw is not None else [], strict=False):
                    if target is not None and raw_item.span == item.span:
                        managed = self.managed.get(target)
            out.append((text, managed))
        return out

    def identity(self, resource: _Resource) -> None:
        kind = "user" if resource.type == "AWS::IAM::User" else "group"
        span = resource.node.span
        name = str(self.name_of(resource, span).value)
        arn = str(self.arn_of(resource, span).value)
        policies = self.inline_policies(resource, None)
        for _arn, managed in self.managed_arns(resource):
            if managed is not None:
                policies.append(managed)
        account = self.settings.account_id
        if account is None:
            return
        identity = Identity(kind, arn, name, account, policies, self.location(resource.pointer))
        self.identities.append(identity)
        self.identity_by_logical[resource.logical_id] = identity

    def targets(self, resource: _Resource, prop: str) -> list[str]:
        """Return the logical IDs of the template's roles/users/groups a resource's ``prop`` names."""
        raw_props = _property_node(resource.node)
        raw = raw_props.get(prop) if raw_props is not None else None
        resolved = self.props(resource).get(prop)
        items: list[tuple[JNode, JNode | None]] = []
        if raw is not None and raw.kind == "array":
            resolved_items = resolved.items if resolved is not None and resolved.kind == "array" else []
            for item in raw.items:
                match = next((r for r in resolved_items if r.span == item.span), None)
                items.append((item, match))
        elif raw is not None:
            items.append((raw, resolved))
        out: list[str] = []
        for raw_item, value in items:
            target = _ref_target(raw_item)
            if target is not None and target in self.resources:
                out.append(target)
                continue
            text = _scalar_text(value) if value is not None else None
            for logical, candidate in self.resources.items():
                prop_name = _NAME_PROPERTIES.get(candidate.type)
                if text and prop_name and _text(self.props(candidate).get(prop_name)) == text:
                    out.append(logical)
        return out

    def attach(self, resource: _Resource, policy: Policy | None) -> None:
        if policy is None:
            return
        roles = [
            self.role_by_logical[t] for t in self.targets(resource, "Roles") if t in self.role_by_logical
        ]
        for role in roles:
            if policy not in role.permission_policies:
                role.permission_policies.append(policy)
        if len(roles) == 1 and policy.role_arn is None:
            policy.role_arn = roles[0].arn
        for prop in ("Users", "Groups"):
            for target in self.targets(resource, prop):
                identity = self.identity_by_logical.get(target)
                if identity is not None and policy not in identity.policies:
                    identity.policies.append(policy)

    def standalone_policy(self, resource: _Resource) -> None:
        name = _text(self.props(resource).get("PolicyName")) or resource.logical_id
        self.attach(resource, self.policy(resource, "PolicyDocument", PolicyKind.IDENTITY, name=name))

    def inline_policy_resource(self, resource: _Resource) -> None:
        owner_prop = _INLINE_POLICY_RESOURCES[resource.type]
        name = _text(self.props(resource).get("PolicyName")) or resource.logical_id
        policy = self.policy(resource, "PolicyDocument", PolicyKind.IDENTITY, name=name)
        if policy is None:
            return
        targets = self.targets(resource, owner_prop)
        owner = self.resources.get(targets[0]) if len(targets) == 1 else None
        if owner is not None and owner.type in _INLINE_OWNER_KINDS:
            # An inline policy of one role, user or group of this template: it counts against that entity's
            # inline quota together with the entity's own Policies (XA007).
            policy.inline_of, policy.inline_owner = _INLINE_OWNER_KINDS[owner.type], owner.pointer
        for target in targets:
            role = self.role_by_logical.get(target)
            if role is not None:
                if policy not in role.permission_policies:
                    role.permission_policies.append(policy)
                policy.role_arn = policy.role_arn or role.arn
            identity = self.identity_by_logical.get(target)
            if identity is not None and policy not in identity.policies:
                identity.policies.append(policy)


# -- helpers ----------------------------------------------------------------------------------------------


def _section(root: JNode, name: str) -> dict[str, JNode]:
    node = root.get(name)
    if node is None or node.kind != "object":
        return {}
    return {m.key: m.value for m in node.unique_members()}


# The entities whose ``Policies`` property holds inline policies (XA007 sums them against the entity's quota).
_INLINE_OWNER_KINDS = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}


def _property_node(resource: JNode) -> JNode | None:
    props = resource.get("Properties") if resource.kind == "object" else None
    return props if props is not None and props.kind == "object" else None


def _property(resource: JNode, name: str) -> JNode | None:
    props = _property_node(resource)
    return props.get(name) if props is not None else None


def _ref_target(node: JNode) -> str | None:
    if node.kind == "object" and len(node.members) == 1 and node.members[0].key == "Ref":
        value = node.members[0].value
        return str(value.value) if value.kind == "string" else None
    return None


def _text(node: JNode | None) -> str | None:
    return _scalar_text(node) if node is not None else None


def _integer(node: JNode | None) -> int | None:
    if node is None or symbols_of(node):
        return None
    if node.kind == "number" and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if node.kind == "string" and str(node.value).strip().isdigit():
        return int(str(node.value))
    return None


def _tags(node: JNode | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    if node is None or node.kind != "array":
        return tags
    for item in node.items:
        if item.kind == "object":
            key, value = _text(item.get("Key")), _text(item.get("Value"))
            if key is not None and value is not None:
                tags[key] = value
    return tags


def _plain(node: JNode | None) -> object:
    if node is None:
        return None
    if node.kind in ("string", "number", "bool"):
        return _scalar_text(node)
    return node.to_python()


def _parameter_value(value: str | tuple[str, ...], is_list: bool, span: Span) -> JNode:
    if is_list:
        parts = list(value) if isinstance(value, tuple) else [p.strip() for p in value.split(",")]
        return JNode("array", span, items=[JNode("string", span, p) for p in parts])
    # A Number parameter "becomes a string" when you use it with Ref (CloudFormation User Guide, Parameters,
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html);
    # properties that want an integer accept the digits.
    text = ",".join(value) if isinstance(value, tuple) else value
    return JNode("string", span, text)


def _concat(span: Span, *pieces: str | JNode) -> JNode:
    """Return the string made of ``pieces`` (text and resolved scalar nodes), keeping their symbols."""
    parts: list[str] = []
    symbols: list[Symbol] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        text = _scalar_text(piece)
        if text is None:
            raise _TemplateError("a list or an object cannot be part of a string")
        parts.append(text)
        symbols.extend(symbols_of(piece))
    return _string("".join(parts), span, symbols)


def _retarget(node: JNode, span: Span) -> JNode:
    """Return a scalar with the span of the expression that selected it (lists and objects keep theirs)."""
    if node.kind in ("object", "array"):
        return node
    text = _scalar_text(node)
    if node.kind == "string" and text is not None:
        return _string(text, span, symbols_of(node))
    return JNode(node.kind, span, node.value)


def _short(name: str) -> str:
    return name.removeprefix("Fn::")


def _expression(name: str, arg: JNode) -> str:
    shown = _scalar_text(arg) if arg.kind in ("string", "number", "bool") else None
    return f"!{_short(name)} {shown}" if shown is not None else f"!{_short(name)}"


def _because(symbols: Sequence[Symbol]) -> str:
    unique = list(dict.fromkeys(symbols))
    if not unique:
        return "it depends on values known only at deployment"
    first = unique[0]
    more = f" and {len(unique) - 1} more" if len(unique) > 1 else ""
    return f"{first.expression}: {first.reason}{more}"
