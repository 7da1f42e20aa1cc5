"""CloudFormation templates (YAML and JSON): resources become roles and policies whose nodes point into the
template, intrinsic functions are resolved where their inputs are known, the rest stays symbolic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xacct_lint.cli import main
from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import place_of, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, ConfigError, load_config
from xacct_lint.model.inventory import Location, Model, Policy, PolicyKind
from xacct_lint.parse.symbols import symbols_at

CONFIG = """
[accounts.prod]
id = "222222222222"

[[templates]]
glob = "stacks/**"
account = "prod"
region = "eu-west-1"
parameters = { ConfiguredId = "cfg-7Hq2Lk9Wm4" }
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ExternalId:
    Type: String
    NoEcho: true
  ConfiguredId:
    Type: String
  TrustedAccount:
    Type: String
    Default: "111111111111"
  Env:
    Type: String
    Default: prod
  Teams:
    Type: CommaDelimitedList
    Default: red,blue
Mappings:
  Sizes:
    prod:
      Hours: "1"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  ProdRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "ops-${Env}"
      Path: /team/
      MaxSessionDuration: 3600
      Tags:
        - Key: Team
          Value: !Select [1, !Ref Teams]
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub "arn:${AWS::Partition}:iam::${TrustedAccount}:root"
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: !Ref ExternalId
                aws:RequestedRegion: !Ref AWS::Region
              Bool:
                aws:MultiFactorAuthPresent: !If [IsProd, "true", "false"]
          - !If
            - IsDev
            - Effect: Allow
              Principal: {AWS: "arn:aws:iam::333333333333:root"}
              Action: sts:AssumeRole
            - !Ref AWS::NoValue
      Policies:
        - PolicyName: read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Join ["", [!GetAtt Bucket.Arn, "/*"]]
      ManagedPolicyArns:
        - !Ref SharedPolicy
        - arn:aws:iam::aws:policy/ReadOnlyAccess
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "data-${AWS::AccountId}-${AWS::Region}"
  SharedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: shared
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
            Resource: !Sub "arn:aws:iam::${AWS::AccountId}:role/x-${ConfiguredId}"
  ExtraPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref ProdRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt ProdRole.Arn}
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
"""


def write(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def load(tmp_path: Path, files: dict[str, str], *, config: str | None = CONFIG) -> Model:
    write(tmp_path, files)
    cfg = Config()
    if config is not None:
        (tmp_path / "xacct-lint.toml").write_text(config, encoding="utf-8")
        cfg = load_config(tmp_path / "xacct-lint.toml")
    return load_paths([tmp_path], cfg, root=tmp_path)


def policy_at(model: Model, prefix: str) -> Policy:
    return next(p for p in model.policies if p.prefix == prefix)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """Return the 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def start(location: Location) -> tuple[int, int]:
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


ROLE = "/Resources/ProdRole/Properties"


def test_role_with_arn_path_session_tags_and_resolved_trust(tmp_path: Path) -> None:
    model = load(tmp_path, {"stacks/app.yaml": TEMPLATE})
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::222222222222:role/team/ops-prod"
    assert (role.name, role.account_id, role.path) == ("ops-prod", "222222222222", "/team/")
    assert role.max_session_duration == 3600
    assert role.tags == {"Team": "blue"}
    assert start(role.max_session_location) == (line_of(TEMPLATE, "MaxSessionDuration"), 7)  # type: ignore[arg-type]
    trust = role.trust_policy
    assert trust is not None and trust.kind is PolicyKind.TRUST and not trust.kind_inferred
    assert trust.prefix == f"{ROLE}/AssumeRolePolicyDocument"
    assert trust.account_id == "222222222222" and trust.role_arn == role.arn
    # !If IsDev -> AWS::NoValue removed the second statement; IsProd chose "true".
    assert trust.document.root.to_python() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": "${ExternalId}", "aws:RequestedRegion": "eu-west-1"},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                },
            }
        ],
    }


def test_positions_point_at_the_template_lines(tmp_path: Path) -> None:
    model = load(tmp_path, {"stacks/app.yaml": TEMPLATE})
    trust = policy_at(model, f"{ROLE}/AssumeRolePolicyDocument")
    principal = "/Statement/0/Principal/AWS"
    line = line_of(TEMPLATE, 'AWS: !Sub "arn:${AWS::Partition}')
    assert start(trust.at(principal)) == (line, 15)
    assert place_of(trust.at(principal)).logical_path == f"{ROLE}/AssumeRolePolicyDocument{principal}"
    mfa = "/Statement/0/Condition/Bool/aws:MultiFactorAuthPresent"
    assert start(trust.at(mfa)) == (line_of(TEMPLATE, "aws:MultiFactorAuthPresent"), 17)
    # The value chosen by !If keeps the span of the branch it came from.
    node_region = place_of(trust.at(mfa)).region
    assert node_region is not None
    chosen = trust.document.root.get("Statement").items[0].get("Condition").get("Bool").members[0].value  # type: ignore[union-attr]
    assert TEMPLATE[chosen.span.start : chosen.span.end] == '"true"'


def test_inline_managed_standalone_and_resource_policies(tmp_path: Path) -> None:
    model = load(tmp_path, {"stacks/app.yaml": TEMPLATE})
    (role,) = model.roles
    kinds = {p.prefix: p.kind for p in model.policies}
    assert kinds == {
        f"{ROLE}/AssumeRolePolicyDocument": PolicyKind.TRUST,
        f"{ROLE}/Policies/0/PolicyDocument": PolicyKind.IDENTITY,
        "/Resources/SharedPolicy/Properties/PolicyDocument": PolicyKind.IDENTITY,
        "/Resources/ExtraPolicy/Properties/PolicyDocument": PolicyKind.IDENTITY,
        "/Resources/QueuePolicy/Properties/PolicyDocument": PolicyKind.RESOURCE,
        "/Resources/Key/Properties/KeyPolicy": PolicyKind.RESOURCE,
    }
    attached = {p.prefix for p in role.permission_policies}
    assert attached == {
        f"{ROLE}/Policies/0/PolicyDocument",
        "/Resources/SharedPolicy/Properties/PolicyDocument",
        "/Resources/ExtraPolicy/Properties/PolicyDocument",
    }
    assert role.managed_policy_arns == [
        "arn:aws:iam::222222222222:policy/shared",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    inline = policy_at(model, f"{ROLE}/Policies/0/PolicyDocument")
    assert inline.name == "read"
    statement = inline.document.statements[0]
    assert statement.resource is not None
    assert [v.text for v in statement.resource.values] == ["arn:aws:s3:::data-222222222222-eu-west-1/*"]
    queue = policy_at(model, "/Resources/QueuePolicy/Properties/PolicyDocument").document.statements[0]
    assert queue.principal is not None and queue.resource is not None
    assert [e.normalized for e in queue.principal.entries] == ["arn:aws:iam::222222222222:role/team/ops-prod"]
    # A queue without QueueName: CloudFormation generates the name, so its ARN holds a symbol.
    assert [v.text for v in queue.resource.values] == ["arn:aws:sqs:eu-west-1:222222222222:${Queue}"]
    shared = policy_at(model, "/Resources/SharedPolicy/Properties/PolicyDocument").document.statements[0]
    assert shared.resource is not None
    assert [v.text for v in shared.resource.values] == ["arn:aws:iam::222222222222:role/x-cfg-7Hq2Lk9Wm4"]


def test_symbols_name_their_expression_and_reason(tmp_path: Path) -> None:
    model = load(tmp_path, {"stacks/app.yaml": TEMPLATE})
    trust = policy_at(model, f"{ROLE}/AssumeRolePolicyDocument")
    pointer = "/Statement/0/Condition/StringEquals/sts:ExternalId"
    (symbol,) = symbols_at(trust.document.root, pointer)
    assert symbol.placeholder == "${ExternalId}"
    assert symbol.expression == "!Ref ExternalId"
    assert "has no Default" in symbol.reason
    queue = policy_at(model, "/Resources/QueuePolicy/Properties/PolicyDocument")
    (generated,) = symbols_at(queue.document.root, "/Statement/0/Resource")
    assert generated.placeholder == "${Queue}" and "generates its name" in generated.reason
    assert symbols_at(trust.document.root, "/Statement/0/Principal/AWS") == ()


def test_xa006_reports_symbols_as_warnings_at_their_line(tmp_path: Path) -> None:
    write(tmp_path, {"stacks/app.yaml": TEMPLATE, "xacct-lint.toml": CONFIG})
    config = load_config(tmp_path / "xacct-lint.toml")
    model = load_paths([tmp_path], config, root=tmp_path)
    results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, config)), {})
    xa006 = sorted(
        (r.place.logical_path, r.place.region.start.line if r.place.region else 0, r.severity.value)
        for r in results
        if r.rule.id == "XA006"
    )
    assert xa006 == [
        (
            "/Resources/ExtraPolicy/Properties/PolicyDocument/Statement/0/Resource",
            line_of(TEMPLATE, "Resource: !GetAtt Queue.Arn", 1),
            "warning",
        ),
        (
            f"{ROLE}/AssumeRolePolicyDocument/Statement/0/Condition/StringEquals/sts:ExternalId",
            line_of(TEMPLATE, "sts:ExternalId: !Ref ExternalId"),
            "warning",
        ),
        (
            "/Resources/QueuePolicy/Properties/PolicyDocument/Statement/0/Resource",
            line_of(TEMPLATE, "Resource: !GetAtt Queue.Arn", 2),
            "warning",
        ),
    ]
    message = next(
        r.message for r in results if r.rule.id == "XA006" and "ExternalId" in r.place.logical_path
    )
    assert "!Ref ExternalId" in message and "${ExternalId}" in message and "--var" in message


def test_without_an_account_roles_are_not_modelled_and_that_is_reported(tmp_path: Path) -> None:
    model = load(tmp_path, {"stacks/app.yaml": TEMPLATE}, config=None)
    assert model.roles == []
    trust = policy_at(model, f"{ROLE}/AssumeRolePolicyDocument")
    assert trust.account_id is None and trust.role_arn is None
    (unknown,) = [p for p in model.problems if p.code == "unresolved-template"]
    assert "account this template deploys to is unknown" in unknown.message
    assert start(unknown.location) == (line_of(TEMPLATE, "Resources:"), 1)
    queue_policy = policy_at(model, "/Resources/QueuePolicy/Properties/PolicyDocument")
    queue = queue_policy.document.statements[0]
    assert queue.principal is not None
    assert [e.raw for e in queue.principal.entries] == ["arn:aws:iam::${AWS::AccountId}:role/team/ops-prod"]
    symbols = symbols_at(queue_policy.document.root, "/Statement/0/Principal/AWS")
    assert [s.placeholder for s in symbols] == ["${AWS::AccountId}"]


def test_variables_and_configured_parameters_override_defaults(tmp_path: Path) -> None:
    write(tmp_path, {"stacks/app.yaml": TEMPLATE, "xacct-lint.toml": CONFIG})
    config = load_config(tmp_path / "xacct-lint.toml")
    model = load_paths(
        [tmp_path], config, root=tmp_path, variables={"ExternalId": "v4r-x9Qp2Lm7", "Env": "dev"}
    )
    (role,) = model.roles
    assert role.name == "ops-dev"
    trust = role.trust_policy
    assert trust is not None
    statements = trust.document.root.to_python()["Statement"]  # type: ignore[index]
    assert statements[0]["Condition"]["StringEquals"]["sts:ExternalId"] == "v4r-x9Qp2Lm7"
    assert statements[0]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "false"}
    assert statements[1]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}  # IsDev now holds


def test_undecidable_condition_takes_the_first_branch_and_says_so(tmp_path: Path) -> None:
    template = TEMPLATE.replace("    Default: prod\n", "")  # Env has no default any more
    model = load(tmp_path, {"stacks/app.yaml": template})
    trust = policy_at(model, f"{ROLE}/AssumeRolePolicyDocument")
    statements = trust.document.root.to_python()["Statement"]  # type: ignore[index]
    assert statements[0]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert len(statements) == 2  # IsDev = !Not IsProd, read as true too
    messages = sorted(p.message for p in model.problems if p.code == "unresolved-template")
    assert len(messages) == 2
    assert all("cannot be decided" in m and "!Ref Env" in m for m in messages)


def test_json_template_is_read_through_the_json_loader(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Fn::Join": ["-", ["svc", {"Ref": "AWS::Region"}]]},
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": {"Fn::Sub": "ec2.${AWS::URLSuffix}"}},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "as-string",
                            "PolicyDocument": '{"Version": "2012-10-17", "Statement": '
                            '[{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}',
                        }
                    ],
                },
            }
        }
    }
    text = json.dumps(template, indent=2)
    model = load(tmp_path, {"stacks/role.json": text})
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::222222222222:role/svc-eu-west-1"
    trust = role.trust_policy
    assert trust is not None
    service_line = line_of(text, '"Service"')
    column = text.splitlines()[service_line - 1].index('"Service"') + 1
    assert start(trust.at("/Statement/0/Principal/Service")) == (service_line, column)
    (inline,) = role.permission_policies
    assert inline.embedded_as_string and inline.name == "as-string"
    action = inline.document.statements[0].action
    assert action is not None
    # Inside a JSON string the offsets are exact: the finding lands on the action's own characters.
    region = place_of(inline.at(action.pointer)).region
    assert region is not None
    assert text.splitlines()[region.start.line - 1][region.start.column - 1 :].startswith('\\"Action')


def test_yaml_string_policy_document_is_parsed(tmp_path: Path) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}],
    }
    template = (
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n  TopicPolicy:\n    Type: AWS::SNS::TopicPolicy\n"
        f"    Properties:\n      Topics: [!Ref Topic]\n      PolicyDocument: '{json.dumps(document)}'\n"
    )
    model = load(tmp_path, {"stacks/topic.yaml": template})
    (policy,) = model.policies
    assert policy.kind is PolicyKind.RESOURCE and policy.embedded_as_string
    line = template.splitlines()[7]
    assert start(policy.at("/Statement/0/Principal")) == (8, line.index('"Principal"') + 1)


def test_non_template_yaml_is_not_input(tmp_path: Path) -> None:
    files = {
        "ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
        "k8s.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 'AWS::IAM::Role'}\n",
        "helm.yaml": "{{- if .Values.x }}\nkey: {{ .Values.y }}\n",
        "stacks/no-iam.yaml": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n",
    }
    model = load(tmp_path, files)
    assert model.policies == [] and model.problems == [] and model.sources == []


def test_configuration_validates_templates(tmp_path: Path) -> None:
    bad_account = '[[templates]]\nglob = "x/*.yaml"\naccount = "nope"\n'
    (tmp_path / "xacct-lint.toml").write_text(bad_account, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown account 'nope'"):
        load_config(tmp_path / "xacct-lint.toml")
    unknown_key = '[[templates]]\nglob = "x/*.yaml"\naccounts = "prod"\n'
    (tmp_path / "xacct-lint.toml").write_text(unknown_key, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(tmp_path / "xacct-lint.toml")
    (tmp_path / "xacct-lint.toml").write_text('[[templates]]\naccount = "prod"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="glob"):
        load_config(tmp_path / "xacct-lint.toml")


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("stacks/prod-*.yaml", "stacks/prod-app.yaml", True),
        ("stacks/prod-*.yaml", "stacks/sub/prod-app.yaml", False),
        ("stacks/**", "stacks/a/b/c.yaml", True),
        ("**/prod.yaml", "prod.yaml", True),
        ("**/prod.yaml", "x/y/prod.yaml", True),
        ("stack?.json", "stack1.json", True),
        ("stack?.json", "stack10.json", False),
    ],
)
def test_template_globs(glob: str, path: str, matches: bool) -> None:
    from xacct_lint.model.config import path_glob as glob_regex

    assert (glob_regex(glob).fullmatch(path) is not None) is matches


def _sarif_results(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> list[dict[str, Any]]:
    code = main(["check", "--output-format", "sarif", "--fail-on", "never", target])
    assert code == 0
    results: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    return results


def test_sarif_region_is_the_template_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"stacks/app.yaml": TEMPLATE, "xacct-lint.toml": CONFIG})
    monkeypatch.chdir(tmp_path)
    results = _sarif_results(tmp_path, capsys, "stacks")
    assert results
    lines = TEMPLATE.splitlines()
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "stacks/app.yaml"
        region = location["region"]
        line = lines[region["startLine"] - 1]
        logical = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        # The region starts at the key its logical path ends with (or at a list item of it).
        last = logical.rsplit("/", 1)[-1]
        text = line[region["startColumn"] - 1 :]
        assert text.startswith((last, "- ", "!", '"', "arn:", "*")) or last.isdigit(), (logical, line)
    external = next(r for r in results if r["ruleId"] == "XA006" and "ExternalId" in json.dumps(r))
    region = external["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == line_of(TEMPLATE, "sts:ExternalId: !Ref ExternalId")
    assert lines[region["startLine"] - 1][region["startColumn"] - 1 :] == "sts:ExternalId: !Ref ExternalId"
