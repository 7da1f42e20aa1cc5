"""A policy is longer than the IAM character quota for its kind, so IAM will refuse to store it.

## What it does
Counts a policy's characters the way the IAM quotas are stated -- without white space -- and compares the
count with the quota for where the policy lives (IAM User Guide, "IAM and AWS STS quotas", section "IAM and
STS character limits", and its "Default quotas for IAM entities" table):

| policy | quota |
| --- | --- |
| role trust policy | 2,048 characters (the default; an adjustable quota, see below) |
| managed policy | 6,144 characters each |
| inline policies of a role | 10,240 characters, all of the role's inline policies together |
| inline policies of a group | 5,120 characters together |
| inline policies of a user | 2,048 characters together |

Inline policies are summed per owner: the `RolePolicyList`/`UserPolicyList`/`GroupPolicyList` of an AWS CLI
export, the `Policies` of a CloudFormation `AWS::IAM::Role`, `User` or `Group` together with the
`AWS::IAM::RolePolicy`/`UserPolicy`/`GroupPolicy` resources that name it alone, and a Terraform role's
`inline_policy` blocks together with the `aws_iam_role_policy` resources that name it. A CloudFormation
`AWS::IAM::Policy` (which may name several owners) is not summed yet: it is checked alone, as below.

An identity-based policy whose attachment is unknown (a plain policy file) is checked against the
managed-policy quota of 6,144, and the finding says so: as a user's inline policy it would have to be shorter,
as a role's inline policy it could be longer. Resource-based policies of other services (S3, KMS, SQS ...)
have service-specific limits and are not checked, nor are the AWS managed policies of an export
(`arn:aws:iam::aws:policy/...`): AWS writes those, and several are far longer than the customer quota.

The role trust policy length is an adjustable quota: the 2023 User Guide lists a maximum of 4,096
characters through Service Quotas, and later third-party write-ups report 8,192 (UNCONFIRMED). If your
account's quota was raised, set it in the configuration:
```toml
[rules.XA007]
trust-policy-length = 4096
```

How characters are counted: AWS says "IAM does not count white space when calculating the size of a policy"
and Access Analyzer speaks of "the characters in the role trust policy, excluding whitespace". AWS does not
say whether white space *inside* string values is exempt; this rule does not count it either, so the count
is never above what IAM counts and a finding is never a false alarm on that account. Everything else is
counted as the minified JSON text: quotes, colons, commas, brackets, and escape sequences as written
(`\\"` is two characters). Duplicate keys count too, because IAM receives them.

## Why is this bad
IAM rejects the change with `LimitExceeded` ("Cannot exceed quota for PolicySize" / "ACLSizePerRole"), so the
deployment fails -- often in the middle of an apply, leaving the previous policy version in force while the
repository says something else.

## Example
A trust policy that lists every CI account by ARN and grows past 2,048 characters as accounts are added:
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam::111111111111:role/ci", "arn:aws:iam::222222222222:role/ci", "..."]},
    "Action": "sts:AssumeRole"
  }]
}
```

## Use instead
Trust the organisation (or an OU path) once and narrow by principal ARN pattern:
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": "sts:AssumeRole",
    "Condition": {
      "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
      "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}
    }
  }]
}
```
For permission policies, split one large policy into several managed policies.

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entities
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.inventory import Location, Policy, PolicyKind
from xacct_lint.parse.json_tree import JNode

META = RuleMeta(id="XA007", name="policy-size-exceeded", severity=Severity.ERROR, tags=("document", "quota"))

TRUST_POLICY_LENGTH = 2048  # default of the adjustable "Role trust policy length" quota
MANAGED_POLICY_SIZE = 6144
INLINE_LIMITS = {"role": 10240, "group": 5120, "user": 2048}

_encode_string = json.encoder.encode_basestring  # what json.dumps(str, ensure_ascii=False) calls
# Where the loaders put a document inside an AWS CLI export; the list name says whose inline policy it is.
_INLINE = re.compile(
    r"^(?P<owner>.*)/(?P<list>RolePolicyList|UserPolicyList|GroupPolicyList)/\d+/PolicyDocument$"
)
# Terraform: an aws_iam_role's inline_policy blocks, and aws_iam_role_policy resources.
_TF_INLINE = re.compile(
    r"^/resource/(?:aws_iam_role/[^/]+/inline_policy/\d+|aws_iam_role_policy/[^/]+)/policy$"
)
# Cheap test before the owners are looked up: most policies (plain files) are none of the above.
_MAY_BE_INLINE = re.compile(r"PolicyList/|/inline_policy/|^/resource/aws_iam_role_policy/")
_MANAGED = re.compile(r"^(?:/Policies/\d+/PolicyVersionList/\d+/Document|/PolicyVersion/Document)$")
_OWNER_BY_LIST = {"RolePolicyList": "role", "UserPolicyList": "user", "GroupPolicyList": "group"}


def policy_length(root: JNode) -> int:
    """Return the characters of a document as minified JSON, not counting any white space (see the docs)."""
    total = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind == "object":
            # Braces, one colon per member, commas between members.
            total += 2 + len(node.members) + max(len(node.members) - 1, 0)
            for member in node.members:
                total += _string_length(member.key)
                stack.append(member.value)
        elif node.kind == "array":
            total += 2 + max(len(node.items) - 1, 0)
            stack.extend(node.items)
        elif node.kind == "string":
            total += _string_length(str(node.value))
        elif node.kind == "bool":
            total += 4 if node.value else 5
        elif node.kind == "null":
            total += 4
        else:
            total += len(json.dumps(node.value))
    return total


@functools.lru_cache(maxsize=65_536)
def _string_length(text: str) -> int:
    # = len(json.dumps(text, ensure_ascii=False)) minus the white space in text, at C speed: this runs once per
    # string of every policy (145,000 times on the AWS managed policies; a per-character loop took 0.3 s).
    # Cached: member names and actions recur ("Effect", "s3:GetObject": 145,124 strings, 25,657 distinct, in the
    # AWS managed policies), and a hit is one C-level lookup where a miss is five string scans. Bounded, so an
    # input of distinct strings cannot grow it without limit.
    encoded = _encode_string(text)
    return len(encoded) - (text.count(" ") + text.count("\t") + text.count("\n") + text.count("\r"))


@dataclass(frozen=True, slots=True)
class _Inline:
    policy: Policy
    owner_kind: str  # "role", "user" or "group"
    length: int
    group: tuple[str, ...]  # the policies of one owner share it
    at_list: Location | None  # where a finding about all of them together points


@dataclass(frozen=True, slots=True)
class _Owner:
    kind: str
    location: Location


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield a finding per policy (or per entity's inline policies) over its IAM character quota."""
    trust_limit = int(ctx.option(META.id, "trust-policy-length", TRUST_POLICY_LENGTH))
    inline_groups: dict[tuple[str, ...], list[_Inline]] = {}
    owners: _Owners | None = None
    for policy in ctx.model.policies:
        if policy.kind is PolicyKind.RESOURCE:
            continue
        length = policy_length(policy.document.root)
        if policy.kind is PolicyKind.TRUST:
            if length > trust_limit:
                yield Finding(META.id, _trust_message(length, trust_limit), policy.at(""))
            continue
        if policy.inline_of is not None or _MAY_BE_INLINE.search(policy.prefix):
            owners = owners if owners is not None else _Owners(ctx)
            inline = owners.inline(policy, length)
            if inline is not None:
                inline_groups.setdefault(inline.group, []).append(inline)
                continue
        known_managed = _MANAGED.match(policy.prefix) is not None
        if known_managed and policy.prefix.startswith("/Policies/") and policy.account_id is None:
            # An export's AWS managed policy (arn:aws:iam::aws:policy/..., no account in its ARN): AWS writes
            # those, and several are far above the customer quota.
            continue
        if length > MANAGED_POLICY_SIZE:
            yield Finding(META.id, _managed_message(length, known_managed), policy.at(""))
    for entries in inline_groups.values():
        yield from _inline_findings(entries)


class _Owners:
    """The roles, users and groups of the model, by where they are (file, pointer) and by ARN."""

    def __init__(self, ctx: RuleContext) -> None:
        self.by_place: dict[tuple[str, str], _Owner] = {}
        self.roles_by_arn: dict[str, _Owner] = {}
        entities = [("role", r.location, r.arn) for r in ctx.model.roles]
        entities += [(i.kind, i.location, i.arn) for i in ctx.model.identities]
        for kind, location, arn in entities:
            if location is None:
                continue
            owner = _Owner(kind, location)
            if location.root is not None:
                self.by_place.setdefault((location.source.display_path, location.pointer), owner)
            if kind == "role":
                self.roles_by_arn.setdefault(arn, owner)

    def inline(self, policy: Policy, length: int) -> _Inline | None:
        """Return the policy as an inline policy of its owner; None when it is not one, or its owner is not
        in the data (then it is checked as a policy of unknown attachment)."""
        path = policy.source.display_path
        match = _INLINE.match(policy.prefix)
        if match is not None:  # an AWS CLI export: the list's name says the owner's kind
            owner_pointer, list_name = match.group("owner"), match.group("list")
            found = self.by_place.get((path, owner_pointer))
            at_list = found.location.at(f"{owner_pointer}/{list_name}") if found is not None else None
            kind = _OWNER_BY_LIST[list_name]
            return _Inline(policy, kind, length, ("export", path, owner_pointer, list_name), at_list)
        if policy.inline_of is not None and policy.inline_owner is not None:
            # The loader says whose inline policy this is (CloudFormation: a role's, user's or group's Policies,
            # and AWS::IAM::RolePolicy/UserPolicy/GroupPolicy resources naming one of them).
            owner_pointer = policy.inline_owner
            found = self.by_place.get((path, owner_pointer))
            at_owner = found.location.at(owner_pointer) if found is not None else None
            return _Inline(policy, policy.inline_of, length, ("template", path, owner_pointer), at_owner)
        if _TF_INLINE.match(policy.prefix) and policy.role_arn is not None:
            # Terraform: an aws_iam_role's inline_policy blocks and the aws_iam_role_policy resources naming the
            # role are the same role's inline policies, wherever in the module they are written.
            role = self.roles_by_arn.get(policy.role_arn)
            return _Inline(policy, "role", length, ("role", policy.role_arn), role.location if role else None)
        return None


def _inline_findings(unordered: Sequence[_Inline]) -> Iterator[Finding]:
    # In the order they are written (an owner's policies may come from several resources or files).
    entries = sorted(
        unordered, key=lambda e: (e.policy.source.display_path, e.policy.document.root.span.start)
    )
    first = entries[0]
    limit = INLINE_LIMITS[first.owner_kind]
    total = sum(e.length for e in entries)
    if total <= limit:
        return
    alone = [e for e in entries if e.length > limit]
    if alone:
        for entry in alone:
            yield Finding(
                META.id,
                f"this inline {entry.owner_kind} policy has {entry.length:,} characters (white space not "
                f"counted): IAM allows at most {limit:,} for all inline policies of a {entry.owner_kind} "
                "together; split it into managed policies (6,144 characters each)",
                entry.policy.at(""),
            )
        return
    parts = ", ".join(f"{e.policy.name or e.policy.prefix} ({e.length:,})" for e in entries)
    # Point at the list the policies sit in (or the role that has them) when the owner is known.
    location = first.at_list if first.at_list is not None else first.policy.at("")
    yield Finding(
        META.id,
        f"the inline policies of this {first.owner_kind} have {total:,} characters together (white space not "
        f"counted): IAM allows at most {limit:,} for all inline policies of a {first.owner_kind}; {parts}. "
        "Move some of them into managed policies (6,144 characters each)",
        location,
    )


def _trust_message(length: int, limit: int) -> str:
    quota = "the default role trust policy quota" if limit == TRUST_POLICY_LENGTH else "the configured quota"
    return (
        f"this role trust policy has {length:,} characters (white space not counted), over {quota} of "
        f"{limit:,}: IAM rejects it with LimitExceeded. The quota is adjustable through Service Quotas; if "
        "yours was raised, set [rules.XA007] trust-policy-length. Otherwise trust an organisation or OU with "
        "conditions instead of listing principals one by one"
    )


def _managed_message(length: int, known_managed: bool) -> str:
    text = (
        f"this policy has {length:,} characters (white space not counted), over IAM's quota of "
        f"{MANAGED_POLICY_SIZE:,} for a managed policy"
    )
    if not known_managed:
        text += (
            " (where it is attached is unknown, so it is checked as a managed policy; as an inline policy "
            "the quota counts all inline policies of the entity together: 2,048 for a user, 5,120 for a "
            "group, 10,240 for a role)"
        )
    return text + "; split it into several policies"
