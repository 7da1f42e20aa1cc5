"""Several accounts at once: a directory of AWS CLI exports, one per account, merged into one model.

fixtures/multi-account holds the recipe's roles as exports: security/ (authorization details), prod/ (the same
role in list-roles and in authorization details, its inline policy as get-role-policy prints it, without an
ARN), dev/ (list-roles, and an older snapshot whose trust policy and session duration differ)."""

from __future__ import annotations

import json
from pathlib import Path

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import Result, place_of, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config
from xacct_lint.model.inventory import Model, PolicyKind

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "fixtures" / "multi-account"
PROD_ROLE = "arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess-a1b2c3"
DEV_ROLE = "arn:aws:iam::333333333333:role/CrossAccount-DevelopmentAccess-a1b2c3"
LAMBDA_ROLE = "arn:aws:iam::111111111111:role/RoleValidatorLambdaRole-a1b2c3"


def load(directory: Path) -> Model:
    config_path = directory / "xacct-lint.toml"
    config = load_config(config_path if config_path.is_file() else None)
    return load_paths([directory], config, root=directory)


def lint(directory: Path) -> tuple[Model, list[Result]]:
    config = load_config(directory / "xacct-lint.toml")
    model = load_paths([directory], config, root=directory)
    results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, config)), {})
    return model, results


def test_one_role_per_arn_across_accounts_and_files() -> None:
    model = load(FIXTURE)
    assert [(r.arn, r.account_id) for r in model.roles] == [
        ("arn:aws:iam::111111111111:role/MasterCrossAccountRole-a1b2c3", "111111111111"),
        (LAMBDA_ROLE, "111111111111"),
        (PROD_ROLE, "222222222222"),
        (DEV_ROLE, "333333333333"),
    ]


def test_the_same_document_in_two_exports_is_checked_once() -> None:
    model = load(FIXTURE)
    prod_trusts = [p for p in model.policies if p.kind is PolicyKind.TRUST and p.role_arn == PROD_ROLE]
    assert [(p.source.display_path, p.prefix) for p in prod_trusts] == [
        ("prod/authorization-details.json", "/RoleDetailList/0/AssumeRolePolicyDocument")
    ]
    # The AWS managed policy is in two accounts' authorization details: kept once, shared by both roles.
    managed = [p for p in model.policies if p.name == "AWSLambdaBasicExecutionRole"]
    assert len(managed) == 1
    roles = {r.arn: r for r in model.roles}
    assert managed[0] in roles[LAMBDA_ROLE].permission_policies
    assert managed[0] in roles[PROD_ROLE].permission_policies


def test_get_role_policy_export_takes_account_and_role_from_configuration() -> None:
    model = load(FIXTURE)
    (inline,) = [p for p in model.policies if p.source.display_path == "prod/get-role-policy.json"]
    assert (inline.account_id, inline.role_arn, inline.kind) == (
        "222222222222",
        PROD_ROLE,
        PolicyKind.IDENTITY,
    )
    prod = next(r for r in model.roles if r.arn == PROD_ROLE)
    assert inline in prod.permission_policies


def test_differing_snapshots_are_both_checked_and_reported() -> None:
    model, results = lint(FIXTURE)
    dev_trusts = sorted(
        p.source.display_path for p in model.policies if p.kind is PolicyKind.TRUST and p.role_arn == DEV_ROLE
    )
    assert dev_trusts == ["dev/list-roles.json", "dev/snapshots/2024-01-list-roles.json"]
    dev = next(r for r in model.roles if r.arn == DEV_ROLE)
    assert dev.max_session_duration == 7200  # the first file by path
    conflicts = sorted(
        (place_of(p.location).path, place_of(p.location).logical_path)
        for p in model.problems
        if p.code == "conflicting-sources"
    )
    assert conflicts == [
        ("dev/snapshots/2024-01-list-roles.json", "/Roles/0/AssumeRolePolicyDocument"),
        ("dev/snapshots/2024-01-list-roles.json", "/Roles/0/MaxSessionDuration"),
    ]
    xa001 = [r for r in results if r.rule.id == "XA001"]
    assert len(xa001) == 2 and all("dev/list-roles.json" in r.message for r in xa001)
    # The dead aws:userid statement is in both snapshots: one finding in each file, none twice.
    xa208 = sorted((r.place.path, r.place.logical_path) for r in results if r.rule.id == "XA208")
    assert xa208 == [
        (
            "dev/list-roles.json",
            "/Roles/0/AssumeRolePolicyDocument/Statement/0/Condition/StringLike/aws:userid",
        ),
        (
            "dev/snapshots/2024-01-list-roles.json",
            "/Roles/0/AssumeRolePolicyDocument/Statement/0/Condition/StringLike/aws:userid",
        ),
        (
            "prod/authorization-details.json",
            "/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0/Condition/StringLike/aws:userid",
        ),
    ]


def _export(account: str, name: str, trust: dict[str, object]) -> str:
    role = {"RoleName": name, "Arn": f"arn:aws:iam::{account}:role/{name}", "AssumeRolePolicyDocument": trust}
    return json.dumps({"Roles": [role]}, indent=2)


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_a_file_mapped_to_the_wrong_account_is_reported(tmp_path: Path) -> None:
    (tmp_path / "xacct-lint.toml").write_text(
        '[accounts.a]\nid = "111111111111"\n[accounts.b]\nid = "222222222222"\n\n'
        '[[templates]]\nglob = "a/*.json"\naccount = "a"\n',
        encoding="utf-8",
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "roles.json").write_text(_export("222222222222", "r", TRUST), encoding="utf-8")
    model = load(tmp_path)
    (problem,) = model.problems
    assert problem.code == "conflicting-sources"
    assert "maps a/roles.json to account 111111111111" in problem.message
    assert "222222222222" in problem.message
    assert [r.account_id for r in model.roles] == ["222222222222"]  # the ARN says what it names


def test_template_and_deployed_role_that_differ_are_drift(tmp_path: Path) -> None:
    (tmp_path / "xacct-lint.toml").write_text(
        '[accounts.a]\nid = "111111111111"\n\n[[templates]]\nglob = "**"\naccount = "a"\n', encoding="utf-8"
    )
    template = (
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: r\n"
        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
        "          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}\n"
    )
    (tmp_path / "a-template.yaml").write_text(template, encoding="utf-8")
    (tmp_path / "b-deployed.json").write_text(_export("111111111111", "r", TRUST), encoding="utf-8")
    model = load(tmp_path)
    (role,) = model.roles
    assert role.trust_policy is not None and role.trust_policy.source.display_path == "a-template.yaml"
    (problem,) = [p for p in model.problems if p.code == "conflicting-sources"]
    assert "a-template.yaml and b-deployed.json" in problem.message
    assert len([p for p in model.policies if p.kind is PolicyKind.TRUST]) == 2


def test_generated_role_names_in_two_templates_stay_two_roles(tmp_path: Path) -> None:
    (tmp_path / "xacct-lint.toml").write_text(
        '[accounts.a]\nid = "111111111111"\n\n[[templates]]\nglob = "*.yaml"\naccount = "a"\n',
        encoding="utf-8",
    )
    template = (
        "Resources:\n  Worker:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n"
        "          - {Effect: Allow, Principal: {Service: SERVICE}, Action: sts:AssumeRole}\n"
    )
    (tmp_path / "one.yaml").write_text(template.replace("SERVICE", "ec2.amazonaws.com"), encoding="utf-8")
    (tmp_path / "two.yaml").write_text(
        template.replace("SERVICE", "ecs-tasks.amazonaws.com"), encoding="utf-8"
    )
    model = load(tmp_path)
    assert [r.arn for r in model.roles] == ["arn:aws:iam::111111111111:role/${Worker}"] * 2
    assert [p.code for p in model.problems] == []
    assert sorted(r.trust_policy.source.display_path for r in model.roles if r.trust_policy) == [
        "one.yaml",
        "two.yaml",
    ]


def test_loading_is_deterministic() -> None:
    first, second = load(FIXTURE), load(FIXTURE)

    def view(model: Model) -> list[tuple[str, str, str | None]]:
        return [(p.source.display_path, p.prefix, p.role_arn) for p in model.policies]

    assert view(first) == view(second)
    assert [p.message for p in first.problems] == [p.message for p in second.problems]
