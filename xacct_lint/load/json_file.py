"""Load a ``.json`` file: a plain IAM policy document, or an AWS CLI export of roles, users, groups and
policies.

Recognised by shape, never by file name:

* a policy document (an object with ``Statement``): its kind is inferred (:func:`infer_kind`);
* ``aws iam get-account-authorization-details`` (``RoleDetailList`` / ``UserDetailList`` / ``GroupDetailList``
  / ``Policies``), ``aws iam list-roles`` (``Roles``), ``aws iam get-role`` (``Role``),
  ``aws iam get-role-policy`` / ``get-user-policy`` / ``get-group-policy`` (``PolicyDocument`` +
  ``PolicyName``) and ``aws iam get-policy-version`` (``PolicyVersion.Document``).

Anything else (``package.json``, a CloudFormation template in JSON, ...) is not IAM input and yields nothing
-- but JSON that does not parse is an ``invalid-json`` problem wherever it is, since a policy file that does
not parse must never read as "clean".

Policy documents inside exports may be JSON objects or strings. The IAM API returns them URL-encoded and the
AWS CLI / boto3 decode them (botocore's ``json_decode_policies``: ``json.loads(unquote(value))``); exports
written by other tools keep the encoded string, and some tools store plain JSON in a string. Both are decoded
here with an offset map, so every span of the inner document points at the characters of the *original file*
that produced it (a ``%22`` or a ``\\"`` escape maps to its first character). Findings in an embedded document
therefore land on the right line and column of the export.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from xacct_lint.load.base import FileLoad, LoadContext
from xacct_lint.model.inventory import (
    Identity,
    LoadProblem,
    Location,
    Policy,
    PolicyKind,
    Role,
    arn_account,
    parse_role_arn,
)
from xacct_lint.parse.json_tree import DEFAULT_MAX_DEPTH, JNode, JsonSyntaxError, ParsedJson, parse_json
from xacct_lint.parse.policy import PolicyDocument, build_policy, looks_like_policy
from xacct_lint.parse.source import SourceFile, Span

# Actions that only ever appear in a role's trust policy (iam-facts §4.1: TagSession and SetSourceIdentity are
# granted in the trust policy next to the AssumeRole* action).
_TRUST_ACTIONS = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_AUTHZ_KEYS = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")


def _wildcard_matches(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def infer_kind(document: PolicyDocument) -> PolicyKind:
    """Return the kind a policy document's shape suggests.

    TRUST: a statement names a principal and grants an ``sts:AssumeRole*``/``sts:TagSession``/
    ``sts:SetSourceIdentity`` action (wildcards included), or grants ``*`` without any ``Resource`` (only
    trust policies have no resource). RESOURCE: a statement names a principal. IDENTITY: otherwise.
    """
    has_principal = False
    for statement in document.statements:
        if statement.principal is None and statement.not_principal is None:
            continue
        has_principal = True
        if statement.action is None:
            continue
        no_resource = statement.resource is None and statement.not_resource is None
        for value in statement.action.values:
            action = value.text.casefold()
            if action == "*" and no_resource:
                return PolicyKind.TRUST
            if action.startswith("sts:") and any(_wildcard_matches(action, a) for a in _TRUST_ACTIONS):
                return PolicyKind.TRUST
    return PolicyKind.RESOURCE if has_principal else PolicyKind.IDENTITY


def decode_json_string(text: str, span: Span) -> tuple[str, list[int]]:
    """Return the value of the JSON string literal at ``span`` of ``text`` and its offset map.

    The map gives, for each character of the value, the offset in ``text`` of the character or escape sequence
    that produced it.
    """
    chars: list[str] = []
    offsets: list[int] = []
    pos = span.start + 1
    end = span.end - 1
    while pos < end:
        ch = text[pos]
        if ch != "\\":
            chars.append(ch)
            offsets.append(pos)
            pos += 1
            continue
        escape = text[pos + 1]
        if escape != "u":
            chars.append(_SIMPLE_ESCAPES[escape])
            offsets.append(pos)
            pos += 2
            continue
        code = int(text[pos + 2 : pos + 6], 16)
        nxt = pos + 6
        # A surrogate pair is one character, as json.loads builds it.
        if 0xD800 <= code < 0xDC00 and text.startswith("\\u", nxt) and nxt + 6 <= end:
            low = int(text[nxt + 2 : nxt + 6], 16)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                nxt += 6
        chars.append(chr(code))
        offsets.append(pos)
        pos = nxt
    return "".join(chars), offsets


def url_decode(text: str, offsets: Sequence[int]) -> tuple[str, list[int]]:
    """Return ``urllib.parse.unquote(text)`` and the offset map carried through the decoding.

    Each decoded character maps to the offset of the first ``%XX`` escape of its UTF-8 sequence; ``+`` stays a
    plus sign, as in botocore (IAM encodes spaces as ``%20``).
    """
    chars: list[str] = []
    mapped: list[int] = []
    pos = 0
    length = len(text)
    while pos < length:
        if not _is_escape(text, pos):
            chars.append(text[pos])
            mapped.append(offsets[pos])
            pos += 1
            continue
        # A run of escapes is one byte string, decoded as UTF-8 with replacement like unquote does.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        sequence_start: int | None = None
        while _is_escape(text, pos):
            if sequence_start is None:
                sequence_start = offsets[pos]
            produced = decoder.decode(bytes([int(text[pos + 1 : pos + 3], 16)]))
            for ch in produced:
                chars.append(ch)
                mapped.append(sequence_start)
            if produced:
                sequence_start = None
            pos += 3
        for ch in decoder.decode(b"", final=True):
            chars.append(ch)
            mapped.append(sequence_start if sequence_start is not None else offsets[pos - 3])
    return "".join(chars), mapped


def _is_escape(text: str, pos: int) -> bool:
    return (
        pos + 2 < len(text)
        and text[pos] == "%"
        and text[pos + 1] in _HEX_DIGITS
        and text[pos + 2] in _HEX_DIGITS
    )


def _line_of(source: SourceFile, offset: int) -> int:
    return source.position(offset).line


@dataclass
class _Reader:
    """Builds the contribution of one JSON file; collects instead of raising."""

    source: SourceFile
    root: JNode
    policies: list[Policy] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    managed: dict[str, Policy] = field(default_factory=dict)
    max_depth: int = DEFAULT_MAX_DEPTH  # [limits] max-depth, for embedded documents too

    def result(self) -> FileLoad:
        return FileLoad(tuple(self.policies), tuple(self.roles), tuple(self.identities), tuple(self.problems))

    def location(self, pointer: str) -> Location:
        return Location(self.source, self.root, pointer)

    def problem(self, code: str, message: str, location: Location) -> None:
        self.problems.append(LoadProblem(code, message, location))

    def duplicates(self, parsed: ParsedJson, root: JNode, prefix: str) -> None:
        for dup in parsed.duplicates:
            first_line = _line_of(self.source, dup.first.start)
            self.problem(
                "duplicate-key",
                f"duplicate key {dup.key!r} (first on line {first_line}): JSON parsers keep only the last "
                "one, so the earlier value silently disappears; IAM's grammar forbids repeated keys",
                Location(self.source, root, dup.pointer, prefix, span=dup.duplicate),
            )

    # -- documents -------------------------------------------------------------------------------------------

    def document(self, node: JNode | None, pointer: str) -> tuple[JNode, bool] | None:
        """Return the policy document held at ``pointer`` (an object, or a string holding one) and whether it
        was a string; None when there is none or it cannot be parsed (a problem is recorded)."""
        if node is None:
            return None
        if node.kind == "object":
            return node, False
        if node.kind != "string":
            return None
        raw, offsets = decode_json_string(self.source.text, node.span)
        if raw != node.value:  # cannot happen for text the parser accepted; never map positions wrongly
            raw, offsets = str(node.value), [node.span.start] * len(str(node.value))
        stripped = raw.lstrip()
        if not stripped:
            return None
        if not stripped.startswith("{"):
            raw, offsets = url_decode(raw, offsets)
        try:
            parsed = parse_json(raw, offset_map=offsets or [node.span.start], max_depth=self.max_depth)
        except JsonSyntaxError as exc:
            self.problem(
                "invalid-json",
                f"the policy document embedded as a string at {pointer} is not valid JSON: {exc.message}",
                # The export itself parsed: the problem sits at the string, in a tree (so reporters do not
                # call the whole file "not analysed"), at the exact character the inner parser stopped on.
                Location(self.source, self.root, pointer, span=Span(exc.offset, exc.offset + 1)),
            )
            return None
        self.duplicates(parsed, parsed.root, pointer)
        return parsed.root, True

    def policy(
        self,
        node: JNode | None,
        pointer: str,
        kind: PolicyKind,
        *,
        name: str | None,
        account_id: str | None,
        role_arn: str | None = None,
    ) -> Policy | None:
        found = self.document(node, pointer)
        if found is None:
            return None
        doc_root, embedded = found
        policy = Policy(
            document=build_policy(doc_root),
            kind=kind,
            kind_inferred=False,
            source=self.source,
            prefix=pointer,
            name=name,
            account_id=account_id,
            role_arn=role_arn,
            embedded_as_string=embedded,
        )
        self.policies.append(policy)
        return policy

    def inline_policies(
        self, owner: JNode, owner_pointer: str, list_key: str, *, account_id: str | None, role_arn: str | None
    ) -> list[Policy]:
        out: list[Policy] = []
        items = owner.get(list_key)
        if items is None or items.kind != "array":
            return out
        for index, item in enumerate(items.items):
            if item.kind != "object":
                continue
            base = f"{owner_pointer}/{list_key}/{index}"
            policy = self.policy(
                item.get("PolicyDocument"),
                f"{base}/PolicyDocument",
                PolicyKind.IDENTITY,
                name=_string(item, "PolicyName"),
                account_id=account_id,
                role_arn=role_arn,
            )
            if policy is not None:
                out.append(policy)
        return out

    def attached_arns(self, owner: JNode) -> list[str]:
        attached = owner.get("AttachedManagedPolicies")
        if attached is None or attached.kind != "array":
            return []
        return [
            arn for item in attached.items if item.kind == "object" and (arn := _string(item, "PolicyArn"))
        ]

    # -- shapes ----------------------------------------------------------------------------------------------

    def role(self, node: JNode, pointer: str) -> Role | None:
        """Read one role object (list-roles, get-role or RoleDetailList entry) with its policies."""
        arn = _string(node, "Arn")
        parsed_arn = parse_role_arn(arn) if arn else None
        role: Role | None = None
        if parsed_arn is None or arn is None:
            self.problem(
                "invalid-export",
                f"the role at {pointer or '/'} has no valid role ARN ('Arn'); its policies are checked "
                "without their role",
                self.location(pointer),
            )
            account_id: str | None = None
            name = _string(node, "RoleName")
        else:
            account_id, arn_path, arn_name = parsed_arn
            name = _string(node, "RoleName") or arn_name
            role = Role(
                arn=arn,
                name=name,
                account_id=account_id,
                path=_string(node, "Path") or arn_path,
                location=self.location(pointer),
            )
            duration = node.get("MaxSessionDuration")
            if duration is not None and duration.kind == "number" and isinstance(duration.value, int):
                role.max_session_duration = duration.value
                role.max_session_location = self.location(f"{pointer}/MaxSessionDuration")
            role.tags = _tags(node.get("Tags"))
        trust = self.policy(
            node.get("AssumeRolePolicyDocument"),
            f"{pointer}/AssumeRolePolicyDocument",
            PolicyKind.TRUST,
            name=name,
            account_id=account_id,
            role_arn=arn if role is not None else None,
        )
        inline = self.inline_policies(
            node, pointer, "RolePolicyList", account_id=account_id, role_arn=role.arn if role else None
        )
        if role is not None:
            role.trust_policy = trust
            role.permission_policies.extend(inline)
            for managed_arn in self.attached_arns(node):
                role.managed_policy_arns.append(managed_arn)
                if managed_arn in self.managed:
                    role.permission_policies.append(self.managed[managed_arn])
            self.roles.append(role)
        return role

    def managed_policies(self, node: JNode) -> None:
        """Read ``Policies`` (managed policies): the default version of each is the one in force."""
        if node.kind != "array":
            return
        for index, item in enumerate(node.items):
            if item.kind != "object":
                continue
            versions = item.get("PolicyVersionList")
            if versions is None or versions.kind != "array":
                continue
            default_id = _string(item, "DefaultVersionId")
            chosen: int | None = None
            for v_index, version in enumerate(versions.items):
                if version.kind != "object":
                    continue
                flag = version.get("IsDefaultVersion")
                if (flag is not None and flag.value is True) or (
                    chosen is None and default_id is not None and _string(version, "VersionId") == default_id
                ):
                    chosen = v_index
            if chosen is None:
                continue
            arn = _string(item, "Arn")
            policy = self.policy(
                versions.items[chosen].get("Document"),
                f"/Policies/{index}/PolicyVersionList/{chosen}/Document",
                PolicyKind.IDENTITY,
                name=_string(item, "PolicyName") or arn,
                account_id=arn_account(arn) if arn else None,
            )
            if policy is not None and arn is not None:
                self.managed.setdefault(arn, policy)

    def principal_identity(self, node: JNode, pointer: str, kind: str) -> Identity | None:
        """Read one user or group of an authorization-details export (without group inheritance)."""
        arn = _string(node, "Arn")
        account_id = arn_account(arn) if arn else None
        name = _string(node, "UserName" if kind == "user" else "GroupName")
        list_key = "UserPolicyList" if kind == "user" else "GroupPolicyList"
        policies = self.inline_policies(node, pointer, list_key, account_id=account_id, role_arn=None)
        policies.extend(self.managed[a] for a in self.attached_arns(node) if a in self.managed)
        if arn is None or account_id is None or name is None:
            self.problem(
                "invalid-export",
                f"the {kind} at {pointer} has no valid ARN or name; its policies are checked without it",
                self.location(pointer),
            )
            return None
        return Identity(kind, arn, name, account_id, policies, self.location(pointer))

    def authorization_details(self) -> None:
        root = self.root
        policies_node = root.get("Policies")
        if policies_node is not None:
            self.managed_policies(policies_node)
        groups: dict[str, Identity] = {}
        group_list = root.get("GroupDetailList")
        if group_list is not None and group_list.kind == "array":
            for index, item in enumerate(group_list.items):
                if item.kind == "object":
                    group = self.principal_identity(item, f"/GroupDetailList/{index}", "group")
                    if group is not None:
                        groups.setdefault(group.name, group)
                        self.identities.append(group)
        user_list = root.get("UserDetailList")
        if user_list is not None and user_list.kind == "array":
            for index, item in enumerate(user_list.items):
                if item.kind != "object":
                    continue
                user = self.principal_identity(item, f"/UserDetailList/{index}", "user")
                if user is None:
                    continue
                # A user's effective identity policies include those of its groups (the same Policy objects).
                member_of = item.get("GroupList")
                if member_of is not None and member_of.kind == "array":
                    for group_name in member_of.items:
                        group = groups.get(str(group_name.value)) if group_name.kind == "string" else None
                        if group is not None:
                            user.policies.extend(p for p in group.policies if p not in user.policies)
                self.identities.append(user)
        role_list = root.get("RoleDetailList")
        if role_list is not None and role_list.kind == "array":
            for index, item in enumerate(role_list.items):
                if item.kind == "object":
                    self.role(item, f"/RoleDetailList/{index}")

    def read(self) -> bool:
        """Recognise the file's shape and read it; return False when it is not IAM input."""
        root = self.root
        if looks_like_policy(root):
            document = build_policy(root)
            self.policies.append(
                Policy(
                    document=document,
                    kind=infer_kind(document),
                    kind_inferred=True,
                    source=self.source,
                    prefix="",
                )
            )
            return True
        if root.kind != "object":
            return False
        if any(_is_array(root.get(key)) for key in _AUTHZ_KEYS) and (
            root.get("Policies") is None or _has_policy_versions(root.get("Policies"))
        ):
            self.authorization_details()
            return True
        roles = root.get("Roles")
        if roles is not None and roles.kind == "array" and all(_is_role(item) for item in roles.items):
            for index, item in enumerate(roles.items):
                self.role(item, f"/Roles/{index}")
            return True
        role = root.get("Role")
        if role is not None and _is_role(role):
            self.role(role, "/Role")
            return True
        if root.get("PolicyDocument") is not None and _string(root, "PolicyName") is not None:
            self.policy(
                root.get("PolicyDocument"),
                "/PolicyDocument",
                PolicyKind.IDENTITY,
                name=_string(root, "PolicyName"),
                account_id=None,
            )
            return True
        version = root.get("PolicyVersion")
        if version is not None and version.kind == "object" and version.get("Document") is not None:
            self.policy(
                version.get("Document"),
                "/PolicyVersion/Document",
                PolicyKind.IDENTITY,
                name=None,
                account_id=None,
            )
            return True
        return False


def _string(node: JNode, key: str) -> str | None:
    value = node.get(key)
    if value is not None and value.kind == "string" and isinstance(value.value, str) and value.value:
        return value.value
    return None


def _is_array(node: JNode | None) -> bool:
    return node is not None and node.kind == "array"


def _has_policy_versions(node: JNode | None) -> bool:
    # ``aws iam list-policies`` also has ``Policies`` but no documents: nothing to read there.
    if node is None or node.kind != "array":
        return False
    return not node.items or any(
        item.kind == "object" and item.get("PolicyVersionList") is not None for item in node.items
    )


def _is_role(node: JNode) -> bool:
    return node.kind == "object" and (node.get("RoleName") is not None or node.get("Arn") is not None)


def _tags(node: JNode | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    if node is None or node.kind != "array":
        return tags
    for item in node.items:
        if item.kind == "object":
            key, value = _string(item, "Key"), item.get("Value")
            if key is not None and value is not None and isinstance(value.value, str):
                tags[key] = value.value
    return tags


def load_json_in_context(source: SourceFile, context: LoadContext) -> FileLoad:
    """Return what a ``.json`` file contributes, within the run's ``[limits]`` (nesting depth)."""
    return load_json_source(source, max_depth=context.config.limits.max_depth, context=context)


def load_json_source(
    source: SourceFile, *, max_depth: int = DEFAULT_MAX_DEPTH, context: LoadContext | None = None
) -> FileLoad:
    """Return what a ``.json`` file contributes: its policies, roles, identities and problems."""
    try:
        parsed = parse_json(source.text, max_depth=max_depth)
    except JsonSyntaxError as exc:
        location = Location(source, None, "", span=Span(exc.offset, exc.offset + 1))
        return FileLoad(problems=(LoadProblem("invalid-json", f"invalid JSON: {exc.message}", location),))
    from xacct_lint.load.terraform_plan import load_terraform_json, looks_like_terraform_json

    if looks_like_terraform_json(parsed.root):  # `terraform show -json`: a plan or the state
        return load_terraform_json(source, parsed.root)
    from xacct_lint.load.cloudformation import load_template_tree, looks_like_template

    if looks_like_template(parsed.root):  # a CloudFormation template in JSON (its account comes from context)
        return load_template_tree(source, parsed.root, parsed.duplicates, context, json_text=True)
    reader = _Reader(source, parsed.root, max_depth=max_depth)
    if not reader.read():
        # Not IAM input: even its duplicate keys are someone else's business.
        return FileLoad()
    reader.duplicates(parsed, parsed.root, "")
    return reader.result()
