"""A synthetic AWS organisation for the graph benchmark: N accounts x 20 roles, fixed seed, one export per account.

Run on demand::

    python benchmarks/synthetic_org.py 1000 /tmp/org-1000     # writes 1000 exports and an xacct-lint.toml

Shape (hub and spoke, plus some mesh), deterministic for a given seed and size:

- account 0 is the security hub: ``MasterCrossAccountRole`` (entered by SAML, may assume and tag
  ``CrossAccount-*`` in every account), ``BreakGlass`` (entered by the hub's IAM users with MFA), an audit role,
  and IAM users;
- every other account is a spoke of tier 1 (dev) or 3 (prod): ``CrossAccount-ReadOnly``/``-Deploy``/``-Admin``
  trust the hub's master role with a per-account ExternalId (prod: MFA too), local roles trust the account root
  and each other (some local chains), service roles trust Lambda/EC2/ECS, and about one spoke in ten trusts a
  role of another random spoke (the mesh), whose permissions allow it;
- the configuration names every account with its tier, the depth limit, and two invariants (no path from dev
  into prod; every federated path passes through the master role).

Each account is one ``aws iam get-account-authorization-details`` export (``<account id>.json``), the format
the loaders read for a whole account, so the benchmark measures the real pipeline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

HUB = "100000000000"
ROLES_PER_ACCOUNT = 20
DEFAULT_SEED = 20260101
SERVICES = ("lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com")


def account_id(index: int) -> str:
    """Return the 12-digit ID of the index-th account (0 is the hub)."""
    return f"{100000000000 + index:012d}"


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _role(
    account: str, name: str, trust: dict[str, Any], permissions: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    role: dict[str, Any] = {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + hashlib.sha1(f"{account}/{name}".encode()).hexdigest()[:16].upper(),
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [
            {"PolicyName": f"{name}-policy-{i}", "PolicyDocument": _document(*p)}
            for i, p in enumerate(permissions)
        ],
        "AttachedManagedPolicies": [],
        "MaxSessionDuration": extra.pop("max_session", 3600),
        "Tags": [],
    }
    role.update(extra)
    return role


def _trust(
    principal: dict[str, Any], action: str = "sts:AssumeRole", condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return _document(statement)


def hub_export(accounts: int) -> dict[str, Any]:
    """Return the hub account's export."""
    saml = f"arn:aws:iam::{HUB}:saml-provider/CorporateIdP"
    roles = [
        _role(
            HUB,
            "MasterCrossAccountRole",
            _trust(
                {"Federated": saml},
                "sts:AssumeRoleWithSAML",
                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            ),
            [
                [
                    {
                        "Effect": "Allow",
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                        "Resource": "arn:aws:iam::*:role/CrossAccount-*",
                    },
                ]
            ],
            max_session=7200,
        ),
        _role(
            HUB,
            "BreakGlass",
            _trust(
                {"AWS": f"arn:aws:iam::{HUB}:root"},
                condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
            [[{"Effect": "Allow", "Action": "*", "Resource": "*"}]],
        ),
        _role(
            HUB,
            "SecurityAudit",
            _trust({"AWS": f"arn:aws:iam::{HUB}:role/MasterCrossAccountRole"}),
            [[{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]],
        ),
    ]
    users = [
        {
            "UserName": f"admin{i}",
            "Arn": f"arn:aws:iam::{HUB}:user/admin{i}",
            "UserPolicyList": [
                {
                    "PolicyName": "assume",
                    "PolicyDocument": _document(
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Resource": f"arn:aws:iam::{HUB}:role/BreakGlass",
                        }
                    ),
                }
            ],
            "GroupList": [],
            "AttachedManagedPolicies": [],
        }
        for i in range(3)
    ]
    return {"RoleDetailList": roles, "UserDetailList": users, "GroupDetailList": [], "Policies": []}


def spoke_export(index: int, accounts: int, rng: random.Random) -> dict[str, Any]:
    """Return the export of spoke ``index`` (20 roles)."""
    account = account_id(index)
    prod = index % 3 == 0
    master = f"arn:aws:iam::{HUB}:role/MasterCrossAccountRole"
    external_id = f"x{rng.getrandbits(64):016x}"
    cross_condition: dict[str, Any] = {"StringEquals": {"sts:ExternalId": external_id}}
    if prod:
        cross_condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    local = f"arn:aws:iam::{account}:role/Local-*"
    roles = [
        _role(
            account,
            "CrossAccount-ReadOnly",
            _trust({"AWS": master}, condition=cross_condition),
            [[{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*"], "Resource": "*"}]],
        ),
        _role(
            account,
            "CrossAccount-Deploy",
            _document(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": master},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": cross_condition,
                }
            ),
            [
                [
                    {"Effect": "Allow", "Action": ["cloudformation:*", "s3:*"], "Resource": "*"},
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": local},
                ]
            ],
            max_session=7200 if not prod else 3600,
        ),
        _role(
            account,
            "CrossAccount-Admin",
            _trust({"AWS": master}, condition=cross_condition),
            [[{"Effect": "Allow", "Action": "*", "Resource": "*"}]],
        ),
    ]
    for number in range(8):  # local roles: the account root, or the previous local role (a chain)
        name = f"Local-{number:02d}"
        principal = (
            {"AWS": f"arn:aws:iam::{account}:root"}
            if number % 3 == 0
            else {"AWS": f"arn:aws:iam::{account}:role/Local-{number - 1:02d}"}
        )
        roles.append(
            _role(
                account,
                name,
                _trust(principal),
                [
                    [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetItem", "sqs:SendMessage"],
                            "Resource": "*",
                        },
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": local},
                    ]
                ],
            )
        )
    for number in range(6):  # service roles
        service = SERVICES[number % len(SERVICES)]
        roles.append(
            _role(
                account,
                f"Service-{number:02d}",
                _trust({"Service": service}, condition={"StringEquals": {"aws:SourceAccount": account}}),
                [
                    [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": "*",
                        }
                    ]
                ],
            )
        )
    # The mesh: two more roles, trusting a role of another random spoke (which may assume it) or a partner.
    for number in range(2):
        peer = account_id(rng.randrange(1, accounts)) if accounts > 1 else account
        principal = (
            {"AWS": f"arn:aws:iam::{peer}:role/Mesh-Caller"}
            if rng.random() < 0.1
            else {"AWS": "999988887777"}
        )
        roles.append(
            _role(
                account,
                f"Mesh-{number:02d}",
                _trust(principal, condition={"StringEquals": {"sts:ExternalId": external_id}}),
                [[{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}]],
            )
        )
    roles.append(
        _role(
            account,
            "Mesh-Caller",
            _trust({"AWS": f"arn:aws:iam::{account}:root"}),
            [[{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/Mesh-*"}]],
        )
    )
    assert len(roles) == ROLES_PER_ACCOUNT
    return {"RoleDetailList": roles, "UserDetailList": [], "GroupDetailList": [], "Policies": []}


def config_text(accounts: int) -> str:
    """Return the organisation's xacct-lint.toml: every account with its tier, the depth, two invariants."""
    lines = ["[accounts.hub]", f'id = "{HUB}"', "tier = 3", "require = []", ""]
    for index in range(1, accounts):
        lines += [
            f"[accounts.a{index:05d}]",
            f'id = "{account_id(index)}"',
            f"tier = {3 if index % 3 == 0 else 1}",
            "",
        ]
    lines += [
        "[graph]",
        "max-depth = 4",
        "",
        "[[graph.invariants]]",
        'name = "dev-never-prod"',
        'kind = "no-path"',
        "from-tiers = [1]",
        "to-tiers = [3]",
        "",
        "[[graph.invariants]]",
        'name = "federation-through-master"',
        'kind = "must-pass-through"',
        f'from = "arn:aws:iam::{HUB}:saml-provider/*"',
        f'through = "arn:aws:iam::{HUB}:role/MasterCrossAccountRole"',
        "",
    ]
    return "\n".join(lines)


def generate(directory: Path, accounts: int, *, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the organisation's exports and configuration into ``directory``; return the export paths."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(accounts):
        export = hub_export(accounts) if index == 0 else spoke_export(index, accounts, rng)
        path = directory / f"{account_id(index)}.json"
        path.write_text(json.dumps(export, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    (directory / "xacct-lint.toml").write_text(config_text(accounts), encoding="utf-8")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("accounts", type=int)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    paths = generate(args.directory, args.accounts, seed=args.seed)
    print(f"wrote {len(paths)} exports ({args.accounts * ROLES_PER_ACCOUNT} roles) to {args.directory}")


if __name__ == "__main__":
    main()
