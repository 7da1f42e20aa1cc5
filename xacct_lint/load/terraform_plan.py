"""Read ``terraform show -json`` output (a plan, or the state): IAM roles and policies with resolved values.

Recognised by shape (:func:`looks_like_terraform_json`): ``format_version`` plus ``planned_values`` (a plan) or
``values`` (the state), each holding ``root_module`` with ``resources`` and ``child_modules``. Values there are
fully resolved by Terraform, so nothing is symbolic except what Terraform itself only knows after apply (then
the attribute is missing and the resource is read without it). Policy documents are JSON strings
(``assume_role_policy``, ``policy``, ``inline_policy[].policy``); they are parsed with an offset map, so
findings point at the characters inside the string in the plan file.

The account of a role comes from its ``arn`` (known in the state), else from the ``assume_role`` role ARN of
its provider in the plan's ``configuration.provider_config`` (a constant only); without either there is no role,
only its policies (a role ARN is never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xacct_lint.load.base import FileLoad
from xacct_lint.load.embedded import parse_embedded_json, policy_of
from xacct_lint.model.inventory import LoadProblem, Location, Policy, PolicyKind, Role, arn_account
from xacct_lint.parse.json_tree import JNode, escape_pointer_token
from xacct_lint.parse.source import SourceFile


def looks_like_terraform_json(root: JNode) -> bool:
    """Return True for the output of ``terraform show -json`` (plan or state)."""
    if root.kind != "object" or root.get("format_version") is None:
        return False
    for key in ("planned_values", "values"):
        node = root.get(key)
        if node is not None and node.kind == "object" and node.get("root_module") is not None:
            return True
    return False


def _text(node: JNode | None, key: str) -> str | None:
    value = node.get(key) if node is not None and node.kind == "object" else None
    return value.value if value is not None and isinstance(value.value, str) and value.value else None


@dataclass
class _PlanReader:
    source: SourceFile
    root: JNode
    policies: list[Policy] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    provider_accounts: dict[str, str] = field(default_factory=dict)  # provider config key -> account
    resource_providers: dict[str, str] = field(default_factory=dict)  # resource address -> provider key
    pending: list[tuple[JNode, str, str | None, str | None, str]] = field(default_factory=list)

    def document(
        self,
        node: JNode | None,
        pointer: str,
        kind: PolicyKind,
        *,
        name: str | None,
        account_id: str | None,
        role_arn: str | None,
    ) -> Policy | None:
        from xacct_lint.load.json_file import decode_json_string

        if node is None or node.kind != "string" or not str(node.value).strip():
            return None
        text, offsets = decode_json_string(self.source.text, node.span)
        if text != node.value:  # never map positions wrongly
            text, offsets = str(node.value), [node.span.start] * len(str(node.value))
        line = self.source.position(node.span.start).line
        parsed = parse_embedded_json(self.source, text, offsets, f"{pointer} (line {line})", self.problems)
        if parsed is None:
            return None
        policy = policy_of(
            self.source, parsed, pointer, kind, name=name, account_id=account_id, role_arn=role_arn
        )
        self.policies.append(policy)
        return policy

    def providers(self) -> None:
        configuration = self.root.get("configuration")
        config = configuration.get("provider_config") if configuration is not None else None
        if config is None or config.kind != "object":
            return
        for member in config.members:
            expressions = member.value.get("expressions") if member.value.kind == "object" else None
            assume = expressions.get("assume_role") if expressions is not None else None
            blocks = assume.items if assume is not None and assume.kind == "array" else []
            for block in blocks:
                role_arn = block.get("role_arn") if block.kind == "object" else None
                account = arn_account(_text(role_arn, "constant_value") or "")
                if account is not None:
                    self.provider_accounts[member.key] = account
        module = configuration.get("root_module") if configuration is not None else None
        resources = module.get("resources") if module is not None and module.kind == "object" else None
        for item in resources.items if resources is not None and resources.kind == "array" else []:
            address, key = _text(item, "address"), _text(item, "provider_config_key")
            if address is not None and key is not None:
                self.resource_providers[address] = key

    def module(self, node: JNode, pointer: str) -> None:
        resources = node.get("resources")
        for index, resource in enumerate(resources.items if resources is not None else []):
            if resource.kind == "object" and resource.get("mode") is not None:
                self.resource(resource, f"{pointer}/resources/{index}")
        children = node.get("child_modules")
        for index, child in enumerate(children.items if children is not None else []):
            if child.kind == "object":
                self.module(child, f"{pointer}/child_modules/{index}")

    def resource(self, node: JNode, pointer: str) -> None:
        kind = _text(node, "type")
        values = node.get("values")
        if values is None or values.kind != "object" or _text(node, "mode") != "managed":
            return
        base = f"{pointer}/values"
        provider_key = self.resource_providers.get(_text(node, "address") or "", "aws")
        if kind == "aws_iam_role":
            name = _text(values, "name")
            arn = _text(values, "arn")
            account = arn_account(arn) if arn else self.provider_accounts.get(provider_key)
            path = _text(values, "path") or "/"
            if arn is None and account is not None and name is not None:
                arn = f"arn:aws:iam::{account}:role{path}{name}"
            role = Role(arn, name, account, path) if arn and name and account else None
            trust = self.document(
                values.get("assume_role_policy"),
                f"{base}/assume_role_policy",
                PolicyKind.TRUST,
                name=name,
                account_id=account,
                role_arn=arn if role else None,
            )
            if role is None:
                return
            role.location = Location(self.source, self.root, pointer)
            role.trust_policy = trust
            duration = values.get("max_session_duration")
            if (
                duration is not None
                and isinstance(duration.value, int)
                and not isinstance(duration.value, bool)
            ):
                role.max_session_duration = duration.value
                role.max_session_location = Location(self.source, self.root, f"{base}/max_session_duration")
            tags = values.get("tags")
            if tags is not None and tags.kind == "object":
                role.tags = {m.key: m.value.value for m in tags.members if isinstance(m.value.value, str)}
            inline = values.get("inline_policy")
            for index, item in enumerate(
                inline.items if inline is not None and inline.kind == "array" else []
            ):
                policy = self.document(
                    item.get("policy") if item.kind == "object" else None,
                    f"{base}/inline_policy/{index}/policy",
                    PolicyKind.IDENTITY,
                    name=_text(item, "name"),
                    account_id=account,
                    role_arn=arn,
                )
                if policy is not None:
                    role.permission_policies.append(policy)
            managed = values.get("managed_policy_arns")
            for item in managed.items if managed is not None and managed.kind == "array" else []:
                if isinstance(item.value, str):
                    role.managed_policy_arns.append(item.value)
            self.roles.append(role)
        elif kind in ("aws_iam_role_policy", "aws_iam_policy"):
            role_name = _text(values, "role")
            self.pending.append((values, base, role_name, _text(values, "name"), provider_key))

    def attach_pending(self) -> None:
        by_name = {role.name: role for role in self.roles}
        for values, base, role_name, name, provider_key in self.pending:
            role = by_name.get(role_name) if role_name else None
            account = role.account_id if role else self.provider_accounts.get(provider_key)
            policy = self.document(
                values.get("policy"),
                f"{base}/policy",
                PolicyKind.IDENTITY,
                name=name,
                account_id=account,
                role_arn=role.arn if role else None,
            )
            if role is not None and policy is not None:
                role.permission_policies.append(policy)


def load_terraform_json(source: SourceFile, root: JNode) -> FileLoad:
    """Return the roles and policies of a ``terraform show -json`` document (plan or state)."""
    reader = _PlanReader(source, root)
    reader.providers()
    for key in ("planned_values", "values"):
        section = root.get(key)
        module = section.get("root_module") if section is not None and section.kind == "object" else None
        if module is not None and module.kind == "object":
            reader.module(module, f"/{escape_pointer_token(key)}/root_module")
            break
    reader.attach_pending()
    return FileLoad(tuple(reader.policies), tuple(reader.roles), (), tuple(reader.problems))
