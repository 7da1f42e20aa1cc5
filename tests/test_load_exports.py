"""The JSON loader on AWS CLI exports: each shape, embedded (URL-encoded or string) documents, positions."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from xacct_lint.engine.runner import place_of
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Location, Model, PolicyKind

TRUST_TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}}
    }
  ]
}"""
TRUST_DOC = json.loads(TRUST_TEXT)
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
ASSUME_ANY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"}],
}
MANAGED_ARN = "arn:aws:iam::222222222222:policy/CrossAccountAssume"
ROLE_ARN = "arn:aws:iam::222222222222:role/ops/CrossAccount-Prod"


def write_json(tmp_path: Path, name: str, data: object) -> str:
    text = json.dumps(data, indent=2) + "\n"
    (tmp_path / name).write_text(text, encoding="utf-8")
    return text


def load(tmp_path: Path) -> Model:
    return load_paths([tmp_path], Config(), root=tmp_path)


def start(location: Location) -> tuple[int, int]:
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def authorization_details() -> dict[str, object]:
    return {
        "UserDetailList": [
            {
                "Path": "/",
                "UserName": "alice",
                "UserId": "AIDAEXAMPLE",
                "Arn": "arn:aws:iam::222222222222:user/alice",
                "UserPolicyList": [{"PolicyName": "read", "PolicyDocument": S3_READ}],
                "GroupList": ["admins"],
                "AttachedManagedPolicies": [],
            }
        ],
        "GroupDetailList": [
            {
                "Path": "/",
                "GroupName": "admins",
                "GroupId": "AGPAEXAMPLE",
                "Arn": "arn:aws:iam::222222222222:group/admins",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": "CrossAccountAssume", "PolicyArn": MANAGED_ARN}],
            }
        ],
        "RoleDetailList": [
            {
                "Path": "/ops/",
                "RoleName": "CrossAccount-Prod",
                "RoleId": "AROAEXAMPLE",
                "Arn": ROLE_ARN,
                # As the IAM API returns it (and exports not post-processed by the AWS CLI keep it).
                "AssumeRolePolicyDocument": quote(TRUST_TEXT, safe=""),
                "RolePolicyList": [{"PolicyName": "inline-read", "PolicyDocument": json.dumps(S3_READ)}],
                "AttachedManagedPolicies": [
                    {"PolicyName": "CrossAccountAssume", "PolicyArn": MANAGED_ARN},
                    {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                ],
                "Tags": [{"Key": "Environment", "Value": "Production"}],
            }
        ],
        "Policies": [
            {
                "PolicyName": "CrossAccountAssume",
                "Arn": MANAGED_ARN,
                "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {"Document": S3_READ, "VersionId": "v1", "IsDefaultVersion": False},
                    {"Document": ASSUME_ANY, "VersionId": "v2", "IsDefaultVersion": True},
                ],
            }
        ],
    }


def test_authorization_details_roles_users_groups_and_managed_policies(tmp_path: Path) -> None:
    write_json(tmp_path, "authz.json", authorization_details())
    model = load(tmp_path)
    assert model.problems == []
    # Sorted by pointer, array indices numerically: the model's order does not depend on the loader's.
    assert [(p.prefix, p.kind, p.kind_inferred, p.name) for p in model.policies] == [
        ("/Policies/0/PolicyVersionList/1/Document", PolicyKind.IDENTITY, False, "CrossAccountAssume"),
        ("/RoleDetailList/0/AssumeRolePolicyDocument", PolicyKind.TRUST, False, "CrossAccount-Prod"),
        ("/RoleDetailList/0/RolePolicyList/0/PolicyDocument", PolicyKind.IDENTITY, False, "inline-read"),
        ("/UserDetailList/0/UserPolicyList/0/PolicyDocument", PolicyKind.IDENTITY, False, "read"),
    ]
    managed, trust, role_inline, user_inline = model.policies
    assert [p.embedded_as_string for p in model.policies] == [False, True, True, False]

    (role,) = model.roles
    assert (role.arn, role.name, role.account_id, role.path) == (
        ROLE_ARN,
        "CrossAccount-Prod",
        "222222222222",
        "/ops/",
    )
    assert role.trust_policy is trust
    assert trust.role_arn == ROLE_ARN and trust.account_id == "222222222222"
    assert role.permission_policies == [role_inline, managed]
    assert role.managed_policy_arns == [MANAGED_ARN, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert role.tags == {"Environment": "Production"}
    assert role.location is not None and role.location.pointer == "/RoleDetailList/0"
    assert model.role_for(trust) is role
    assert managed.role_arn is None and managed.account_id == "222222222222"

    group, user = sorted(model.identities, key=lambda i: i.kind)
    assert (group.kind, group.name, group.arn) == (
        "group",
        "admins",
        "arn:aws:iam::222222222222:group/admins",
    )
    assert group.policies == [managed]
    assert (user.kind, user.name, user.account_id) == ("user", "alice", "222222222222")
    # A user's identity policies include its groups' (the same objects, not copies).
    assert user.policies == [user_inline, managed]


def test_url_encoded_trust_policy_maps_positions_into_the_outer_file(tmp_path: Path) -> None:
    text = write_json(tmp_path, "authz.json", authorization_details())
    model = load(tmp_path)
    trust = next(p for p in model.policies if p.kind is PolicyKind.TRUST)
    statement = trust.document.statements[0]
    (condition,) = statement.conditions
    assert condition.key == "sts:ExternalId"
    location = trust.at(condition.key_pointer)
    assert location.logical_path == (
        "/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0/Condition/StringEquals/sts:ExternalId"
    )
    expected = line_col(text, text.index("%22sts%3AExternalId%22"))
    assert start(location) == expected
    # The principal value and the statement land on their escapes too.
    principal = statement.principal
    assert principal is not None
    # A member's region starts at its key (the engine's convention), here the %22 before AWS.
    assert principal.entries[0].pointer == "/Statement/0/Principal/AWS"
    assert start(trust.at(principal.entries[0].pointer)) == line_col(text, text.index("%22AWS%22"))
    value_span = principal.entries[0].span
    assert line_col(text, value_span.start) == line_col(text, text.index("%22arn%3Aaws%3Aiam%3A%3A1111"))
    assert trust.document.statements[0].principal is not None
    assert principal.entries[0].normalized == "arn:aws:iam::111111111111:root"


def test_plain_json_in_a_string_maps_to_the_escapes(tmp_path: Path) -> None:
    text = write_json(tmp_path, "authz.json", authorization_details())
    model = load(tmp_path)
    inline = next(p for p in model.policies if p.name == "inline-read")
    value = inline.document.statements[0].action
    assert value is not None
    assert value.values[0].text == "s3:GetObject"
    assert start(inline.at(value.pointer)) == line_col(text, text.index('\\"Action\\"'))
    assert value.values[0].span.start == text.index('\\"s3:GetObject\\"')


def test_aws_cli_decoded_get_role_with_session_duration_and_tags(tmp_path: Path) -> None:
    data = {
        "Role": {
            "Path": "/",
            "RoleName": "CrossAccount-Prod",
            "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::222222222222:role/CrossAccount-Prod",
            "CreateDate": "2025-07-12T10:00:00+00:00",
            "AssumeRolePolicyDocument": TRUST_DOC,
            "MaxSessionDuration": 3600,
            "Tags": [{"Key": "Purpose", "Value": "CrossAccount"}],
            "RoleLastUsed": {},
        }
    }
    text = write_json(tmp_path, "get-role.json", data)
    model = load(tmp_path)
    assert model.problems == []
    (role,) = model.roles
    assert role.max_session_duration == 3600
    assert role.max_session_location is not None
    assert role.max_session_location.logical_path == "/Role/MaxSessionDuration"
    assert start(role.max_session_location) == line_col(text, text.index('"MaxSessionDuration"'))
    assert role.tags == {"Purpose": "CrossAccount"}
    (trust,) = model.policies
    assert (trust.prefix, trust.kind, trust.embedded_as_string) == (
        "/Role/AssumeRolePolicyDocument",
        PolicyKind.TRUST,
        False,
    )
    key = trust.document.statements[0].conditions[0].key_pointer
    assert start(trust.at(key)) == line_col(text, text.index('"sts:ExternalId"'))


def test_list_roles(tmp_path: Path) -> None:
    roles = [
        {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{account}:role/{name}",
            "AssumeRolePolicyDocument": TRUST_DOC,
            "MaxSessionDuration": duration,
        }
        for name, account, duration in (("b-role", "333333333333", 7200), ("a-role", "222222222222", 3600))
    ]
    write_json(tmp_path, "roles.json", {"Roles": roles})
    model = load(tmp_path)
    assert [r.arn for r in model.roles] == [
        "arn:aws:iam::222222222222:role/a-role",
        "arn:aws:iam::333333333333:role/b-role",
    ]
    assert [r.max_session_duration for r in model.roles] == [3600, 7200]
    assert [p.prefix for p in model.policies] == [
        "/Roles/0/AssumeRolePolicyDocument",
        "/Roles/1/AssumeRolePolicyDocument",
    ]
    assert [p.account_id for p in model.policies] == ["333333333333", "222222222222"]


def test_policies_sort_by_numeric_pointer(tmp_path: Path) -> None:
    roles = [
        {
            "RoleName": f"r{i}",
            "Arn": f"arn:aws:iam::222222222222:role/r{i}",
            "AssumeRolePolicyDocument": TRUST_DOC,
        }
        for i in range(12)
    ]
    write_json(tmp_path, "roles.json", {"Roles": roles})
    model = load(tmp_path)
    assert [p.prefix.split("/")[2] for p in model.policies] == [str(i) for i in range(12)]


def test_get_role_policy_and_get_policy_version(tmp_path: Path) -> None:
    write_json(
        tmp_path, "a-role-policy.json", {"RoleName": "r", "PolicyName": "inline", "PolicyDocument": S3_READ}
    )
    write_json(
        tmp_path,
        "b-policy-version.json",
        {
            "PolicyVersion": {
                "Document": quote(json.dumps(ASSUME_ANY)),
                "VersionId": "v3",
                "IsDefaultVersion": True,
            }
        },
    )
    model = load(tmp_path)
    assert model.problems == []
    assert [
        (p.source.display_path, p.prefix, p.kind, p.name, p.embedded_as_string) for p in model.policies
    ] == [
        ("a-role-policy.json", "/PolicyDocument", PolicyKind.IDENTITY, "inline", False),
        ("b-policy-version.json", "/PolicyVersion/Document", PolicyKind.IDENTITY, None, True),
    ]
    assert model.roles == []


def test_list_policies_without_documents_is_not_iam_input(tmp_path: Path) -> None:
    write_json(tmp_path, "list-policies.json", {"Policies": [{"PolicyName": "x", "Arn": MANAGED_ARN}]})
    model = load(tmp_path)
    assert (model.policies, model.problems, model.sources) == ([], [], [])


def test_role_without_arn_is_an_export_problem_but_its_trust_is_still_checked(tmp_path: Path) -> None:
    write_json(
        tmp_path, "roles.json", {"Roles": [{"RoleName": "orphan", "AssumeRolePolicyDocument": TRUST_DOC}]}
    )
    model = load(tmp_path)
    assert model.roles == []
    (problem,) = model.problems
    assert (problem.code, problem.location.logical_path) == ("invalid-export", "/Roles/0")
    (trust,) = model.policies
    assert (trust.kind, trust.role_arn, trust.name) == (PolicyKind.TRUST, None, "orphan")


def test_embedded_document_that_is_not_json_is_located_in_the_outer_file(tmp_path: Path) -> None:
    broken = quote('{"Version": "2012-10-17", "Statement": [}', safe="")
    data = {
        "Role": {
            "RoleName": "r",
            "Arn": "arn:aws:iam::222222222222:role/r",
            "AssumeRolePolicyDocument": broken,
        }
    }
    text = write_json(tmp_path, "get-role.json", data)
    model = load(tmp_path)
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert problem.location.logical_path == "/Role/AssumeRolePolicyDocument"
    assert "/Role/AssumeRolePolicyDocument" in problem.message
    # The inner parser stopped at "}" -- written as %7D in the file.
    assert start(problem.location) == line_col(text, text.index("%5B%7D") + 3)
    (role,) = model.roles
    assert role.trust_policy is None


def test_duplicate_key_inside_an_embedded_document(tmp_path: Path) -> None:
    inner = '{"Version": "2012-10-17", "Version": "2008-10-17", "Statement": []}'
    data = {
        "Role": {
            "RoleName": "r",
            "Arn": "arn:aws:iam::222222222222:role/r",
            "AssumeRolePolicyDocument": inner,
        }
    }
    text = write_json(tmp_path, "get-role.json", data)
    model = load(tmp_path)
    (problem,) = model.problems
    assert problem.code == "duplicate-key"
    assert problem.location.logical_path == "/Role/AssumeRolePolicyDocument/Version"
    second = text.index('\\"Version\\"', text.index('\\"Version\\"') + 1)
    assert start(problem.location) == line_col(text, second)


def test_same_role_in_two_exports_is_merged(tmp_path: Path) -> None:
    arn = "arn:aws:iam::222222222222:role/r"
    write_json(
        tmp_path, "a.json", {"Role": {"RoleName": "r", "Arn": arn, "AssumeRolePolicyDocument": TRUST_DOC}}
    )
    write_json(
        tmp_path,
        "b.json",
        {
            "RoleDetailList": [
                {
                    "RoleName": "r",
                    "Arn": arn,
                    "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": S3_READ}],
                }
            ]
        },
    )
    model = load(tmp_path)
    (role,) = model.roles
    assert role.trust_policy is not None and role.trust_policy.source.display_path == "a.json"
    assert [p.name for p in role.permission_policies] == ["p"]
