"""The IAM policy documents of a :class:`~xacct_lint.generate.plan.Plan`, as JSON-ready dictionaries.

Each document is built so that the rules of ``xacct-lint check`` have nothing to say about it, for reasons
that are facts about IAM rather than about the rules:

- the master role's trust policy admits ``sts:AssumeRoleWithSAML`` from the one SAML provider, with
  ``SAML:aud`` pinned (iam-facts §8.3) and attribute conditions that are false when the attribute is missing:
  ``aws:RequestTag/<tag>`` with a plain operator for attributes sent as session tags (custom SAML attribute
  names are no condition keys, §8.1), ``ForAnyValue:`` for documented multivalued ``saml:`` keys (§6.3);
- ``sts:TagSession`` is allowed exactly when tags may flow, and every grant limits ``aws:TagKeys`` and
  ``sts:TransitiveTagKeys`` with ``ForAllValues:StringEquals`` to the configured keys (an allowlist of what the
  request passes: true when it passes none, which is what an allowlist means, §6.3); no transitive keys
  allowed is ``Null sts:TransitiveTagKeys true``;
- the master role's permission policy grants ``sts:AssumeRole`` per target with that target's ExternalId, and
  ``sts:TagSession`` on the targets only with values the master session itself carries;
- a target's trust policy names the master role's ARN, requires its ExternalId with ``StringEquals`` and, where
  its account requires it, ``IpAddress aws:SourceIp`` on the allowlist (no ``...IfExists``, which would pass
  requests through a VPC endpoint without the key, §9).
"""

from __future__ import annotations

import re
from typing import Any

from xacct_lint.generate.plan import Plan, TargetRole

VERSION = "2012-10-17"
Document = dict[str, Any]


def sid(*parts: str) -> str:
    """Return a statement id from name parts: letters and digits only (iam-facts §13)."""
    return "".join(re.sub(r"[^A-Za-z0-9]", "", part[:1].upper() + part[1:]) for part in parts)[:100]


def _one_or_many(values: tuple[str, ...] | list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def _tag_limits(plan: Plan) -> dict[str, Any]:
    """Return the condition operators that keep passed tags within the configured keys."""
    limits: dict[str, Any] = {"ForAllValues:StringEquals": {"aws:TagKeys": list(plan.tag_keys)}}
    if plan.transitive_keys:
        limits["ForAllValues:StringEquals"]["sts:TransitiveTagKeys"] = list(plan.transitive_keys)
    else:
        limits["Null"] = {"sts:TransitiveTagKeys": "true"}
    return limits


def master_trust_policy(plan: Plan) -> Document:
    """Return the master role's trust policy: SAML federation only."""
    federation = plan.federation
    audiences = list(federation.audiences)
    condition: dict[str, dict[str, Any]] = {"StringEquals": {"SAML:aud": _one_or_many(audiences)}}
    for attribute in federation.attribute_conditions:
        base = "StringLike" if attribute.match == "like" else "StringEquals"
        multivalued = attribute.key.casefold().startswith("saml:") and _multivalued(attribute.key)
        operator = f"ForAnyValue:{base}" if multivalued else base
        condition.setdefault(operator, {})[attribute.key] = _one_or_many(attribute.values)
    if plan.tags_flow:
        condition.update(_tag_limits(plan))
    statement: Document = {
        "Sid": "SamlFederation",
        "Effect": "Allow",
        "Principal": {"Federated": federation.saml_provider},
        "Action": _actions("sts:AssumeRoleWithSAML", plan.tags_flow),
        "Condition": condition,
    }
    return {"Version": VERSION, "Statement": [statement]}


def _actions(action: str, tags_flow: bool) -> str | list[str]:
    """Return the statement's actions: ``sts:TagSession`` rides along exactly when tags may flow.

    One statement for both: they are authorised for the same request, with one request context, so the
    conditions (an ExternalId, a provider's keys) hold for both alike -- as in the trust policy GitHub and AWS
    document for OIDC, which tests provider keys in a statement granting sts:TagSession.
    """
    return [action, "sts:TagSession"] if tags_flow else action


def _multivalued(key: str) -> bool:
    from xacct_lint.condition_keys import lookup_global_key

    info = lookup_global_key(key)
    return info is not None and info.multivalued


def master_permission_policy(plan: Plan) -> Document:
    """Return the master role's permission policy: assume each target with its own ExternalId.

    ``sts:ExternalId`` is documented for ``sts:AssumeRole`` only (the Service Authorization Reference lists
    ``aws:TagKeys``, ``aws:RequestTag/*``, ``sts:TransitiveTagKeys`` and ``saml:aud`` for ``sts:TagSession``),
    so each target's ExternalId is tested in an AssumeRole statement of its own, and ``sts:TagSession`` on the
    targets is one more statement, with the tag limits.
    """
    statements: list[Document] = []
    for target in plan.targets:
        statements.append(
            {
                "Sid": sid("Assume", target.account.name, target.name),
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": target.arn,
                "Condition": {"StringEquals": {"sts:ExternalId": target.external_id.value}},
            }
        )
    if plan.tags_flow:
        condition = _tag_limits(plan)
        # Only forward what the identity provider asserted: a passed tag must equal the session's own.
        condition["StringEqualsIfExists"] = {
            f"aws:RequestTag/{key}": f"${{aws:PrincipalTag/{key}}}" for key in plan.tag_keys
        }
        statements.append(
            {
                "Sid": "TagTargetSessions",
                "Effect": "Allow",
                "Action": "sts:TagSession",
                "Resource": _one_or_many([t.arn for t in plan.targets]),
                "Condition": condition,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def target_trust_policy(plan: Plan, target: TargetRole) -> Document:
    """Return a target role's trust policy: the master role, with the target's ExternalId and requirements."""
    condition: dict[str, Any] = {"StringEquals": {"sts:ExternalId": target.external_id.value}}
    if target.source_ips:
        condition["IpAddress"] = {"aws:SourceIp": _one_or_many(target.source_ips)}
    if plan.tags_flow:
        condition.update(_tag_limits(plan))
    statement: Document = {
        "Sid": sid("AssumeFrom", plan.master.name),
        "Effect": "Allow",
        "Principal": {"AWS": plan.master.arn},
        "Action": _actions("sts:AssumeRole", plan.tags_flow),
        "Condition": condition,
    }
    return {"Version": VERSION, "Statement": [statement]}


def target_permission_policy(target: TargetRole) -> Document | None:
    """Return a target role's permission policy from its access levels (policy-sentry), or None if empty."""
    if not target.access:
        return None
    from xacct_lint.generate.permissions import crud_policy

    return crud_policy(target.name, target.access)
