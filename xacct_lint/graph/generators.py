"""Tiny models for examples and tests: roles and users written as authorization-details exports, then loaded.

:func:`roles_model` renders a compact description as one ``aws iam get-account-authorization-details`` export
per account and reads it with the real JSON loader, so the model it returns has the same policies, pointers
and positions a user's export would have. The docstrings of :mod:`xacct_lint.graph` use it for their examples.

>>> model = roles_model({"arn:aws:iam::111111111111:role/Hub": {"trust": {"Service": "ec2.amazonaws.com"}}})
>>> [role.name for role in model.roles], model.sources[0].display_path
(['Hub'], '111111111111.json')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xacct_lint.model.inventory import Identity, Model, Policy, Role, arn_account
from xacct_lint.parse.source import SourceFile


def _default_action(principal: Mapping[str, Any]) -> str:
    federated = principal.get("Federated")
    if federated is None:
        return "sts:AssumeRole"
    first = federated if isinstance(federated, str) else federated[0]
    return "sts:AssumeRoleWithSAML" if ":saml-provider/" in first else "sts:AssumeRoleWithWebIdentity"


def _statement(raw: Mapping[str, Any]) -> dict[str, Any]:
    statement = {"Effect": "Allow", **raw}
    if "Resource" not in statement and "NotResource" not in statement and "Principal" not in statement:
        statement["Resource"] = "*"
    return statement


def trust_document(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return the trust policy a role spec describes: ``statements`` as written, or one statement built from
    ``trust`` (its Principal), ``action`` (default: the API the principal uses) and ``conditions``."""
    if "statements" in spec:
        return {"Version": "2012-10-17", "Statement": [_statement(s) for s in spec["statements"]]}
    principal = spec["trust"]
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": dict(principal),
        "Action": spec.get("action", _default_action(principal)),
    }
    if spec.get("conditions"):
        statement["Condition"] = spec["conditions"]
    return {"Version": "2012-10-17", "Statement": [statement]}


def _permissions(statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not statements:
        return []
    document = {"Version": "2012-10-17", "Statement": [_statement(s) for s in statements]}
    return [{"PolicyName": "permissions", "PolicyDocument": document}]


def roles_model(
    roles: Mapping[str, Mapping[str, Any]],
    *,
    users: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    partial_accounts: Iterable[str] = (),
    order: Sequence[str] | None = None,
) -> Model:
    """Return the model of roles (and users) described compactly, one authorization-details export per account.

    ``roles`` maps a role ARN to ``{"trust": Principal, "action": ..., "conditions": Condition}`` or
    ``{"statements": [...]}``, plus optional ``"permissions"`` (identity statements; ``Effect`` defaults to
    Allow and ``Resource`` to ``*``), ``"max_session_duration"`` and ``"managed"`` (attached managed policy
    ARNs). ``users`` maps a user ARN to its identity statements. Every account is treated as completely
    exported except those in ``partial_accounts`` (as if only some of its roles were in the data).
    """
    from xacct_lint.load.json_file import load_json_source

    by_account: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for arn in order if order is not None else sorted(roles):
        spec = roles[arn]
        account = arn_account(arn) or "000000000000"
        detail: dict[str, Any] = {
            "Path": "/",
            "RoleName": arn.rsplit("/", 1)[-1],
            "Arn": arn,
            "AssumeRolePolicyDocument": trust_document(spec),
            "RolePolicyList": _permissions(spec.get("permissions", ())),
            "AttachedManagedPolicies": [{"PolicyArn": m} for m in spec.get("managed", ())],
        }
        if spec.get("max_session_duration") is not None:
            detail["MaxSessionDuration"] = spec["max_session_duration"]
        by_account.setdefault(account, {"RoleDetailList": [], "UserDetailList": []})["RoleDetailList"].append(
            detail
        )
    for arn in sorted(users or {}):
        account = arn_account(arn) or "000000000000"
        user = {
            "UserName": arn.rsplit("/", 1)[-1],
            "Arn": arn,
            "UserPolicyList": _permissions((users or {})[arn]),
        }
        by_account.setdefault(account, {"RoleDetailList": [], "UserDetailList": []})["UserDetailList"].append(
            user
        )
    partial = frozenset(partial_accounts)
    sources: list[SourceFile] = []
    policies: list[Policy] = []
    model_roles: list[Role] = []
    identities: list[Identity] = []
    for account in sorted(by_account):
        source = SourceFile(f"{account}.json", json.dumps(by_account[account], indent=2) + "\n")
        loaded = load_json_source(source)
        sources.append(source)
        policies.extend(loaded.policies)
        for role in loaded.roles:
            if account in partial:
                role.location = None  # not from a whole-account export: the account is not completely known
            model_roles.append(role)
        for identity in loaded.identities:
            if account in partial:
                identity.location = None
            identities.append(identity)
    return Model(
        sources=sources,
        policies=policies,
        roles=sorted(model_roles, key=lambda r: r.arn),
        identities=sorted(identities, key=lambda i: i.arn),
    )
