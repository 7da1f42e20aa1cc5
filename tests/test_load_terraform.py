"""Terraform: resources, data documents, variables, providers, symbolic values, plans, and HCL we cannot parse."""

from __future__ import annotations

import json
from pathlib import Path

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import Result, place_of, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Location, Model, PolicyKind

PROVIDERS = """
provider "aws" {
  alias = "prod"
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/Deploy"
  }
}
"""

ROLE = """
variable "external_id" {
  type = string
}

variable "trusted" {
  default = "111111111111"
}

resource "aws_iam_role" "ops" {
  provider = aws.prod
  name     = "Ops"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.trusted}:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  })
}

resource "aws_iam_policy" "read" {
  provider = aws.prod
  name     = "Read"
  policy   = data.aws_iam_policy_document.read.json
}

data "aws_iam_policy_document" "read" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy_attachment" "ops_read" {
  provider   = aws.prod
  role       = aws_iam_role.ops.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "ops_managed" {
  role       = "Ops"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
"""


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")


def load(directory: Path, variables: dict[str, str] | None = None) -> Model:
    return load_paths([directory], Config(), root=directory, variables=variables)


def start(location: Location) -> tuple[int, int]:
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


def line_col(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_role_from_jsonencode_with_provider_account_and_attachments(tmp_path: Path) -> None:
    write(tmp_path, {"providers.tf": PROVIDERS, "main.tf": ROLE})
    model = load(tmp_path)
    assert not model.problems
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::222222222222:role/Ops"
    assert role.trust_policy is not None and role.trust_policy.kind is PolicyKind.TRUST
    assert role.trust_policy.source.display_path == "main.tf"
    assert role.trust_policy.prefix == "/resource/aws_iam_role/ops/assume_role_policy"
    statement = role.trust_policy.document.statements[0]
    assert statement.principal is not None
    entry = statement.principal.entries[0]
    assert entry.normalized == "arn:aws:iam::111111111111:root"  # var.trusted's default
    assert start(role.trust_policy.at(entry.pointer)) == line_col(ROLE, "AWS = ")
    # The managed policy (a data document) is attached through aws_iam_policy.read.arn.
    (read,) = role.permission_policies
    assert read.name == "Read" and read.kind is PolicyKind.IDENTITY
    assert role.managed_policy_arns == [
        "arn:aws:iam::222222222222:policy/Read",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    assert role.max_session_duration == 3600
    assert role.location is not None and start(role.location) == line_col(ROLE, 'resource "aws_iam_role"')


def test_a_variable_without_value_stays_symbolic_and_xa006_reports_it(tmp_path: Path) -> None:
    write(tmp_path, {"providers.tf": PROVIDERS, "main.tf": ROLE})
    model = load(tmp_path)
    trust = model.roles[0].trust_policy
    assert trust is not None
    (condition,) = trust.document.statements[0].conditions
    assert condition.values[0].text == "${var.external_id}"
    config = Config()
    results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, config)), {})
    xa006 = [r for r in results if r.rule.id == "XA006"]
    assert [(r.place.path, r.place.region.start.line if r.place.region else 0) for r in xa006] == [
        ("main.tf", line_col(ROLE, '"sts:ExternalId" = var.external_id')[0])
    ]
    # Terraform substitutes it at plan time: a symbol (warning, with the way to give it a value), not template
    # syntax that reaches IAM (error).
    assert xa006[0].severity.value == "warning"
    assert "var.external_id (a Terraform variable with no default" in xa006[0].message
    assert "--var external_id=VALUE" in xa006[0].message
    # No rule reads the symbol as "no ExternalId required": the condition still demands one.
    assert not [r for r in results if r.rule.id == "XA201"]


def test_variable_precedence_default_tfvars_auto_tfvars_then_var(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "providers.tf": PROVIDERS,
            "main.tf": ROLE,
            "terraform.tfvars": 'external_id = "from-tfvars-0001"\ntrusted = "333333333333"\n',
            "b.auto.tfvars": 'external_id = "from-auto-00002"\n',
        },
    )
    model = load(tmp_path)
    statement = model.roles[0].trust_policy.document.statements[0]  # type: ignore[union-attr]
    assert statement.conditions[0].values[0].text == "from-auto-00002"
    assert statement.principal.entries[0].normalized == "arn:aws:iam::333333333333:root"  # type: ignore[union-attr]
    model = load(tmp_path, {"external_id": "from-the-cli-003"})
    statement = model.roles[0].trust_policy.document.statements[0]  # type: ignore[union-attr]
    assert statement.conditions[0].values[0].text == "from-the-cli-003"


def test_policy_document_blocks_map_to_their_attributes(tmp_path: Path) -> None:
    text = """data "aws_iam_policy_document" "trust" {
  statement {
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root", "arn:aws:iam::444455556666:root"]
    }
    actions = ["sts:AssumeRole"]
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["k3v9q2m7x4p8w1z6"]
    }
  }
  statement {
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions = ["sts:AssumeRole"]
  }
}

resource "aws_iam_role" "x" {
  name               = "X"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"""
    write(tmp_path, {"main.tf": text})
    model = load(tmp_path)
    (policy,) = model.policies
    assert policy.kind is PolicyKind.TRUST and policy.name == "X"
    assert policy.document.root.to_python() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::444455556666:root"]},
                "Condition": {"StringEquals": {"sts:ExternalId": "k3v9q2m7x4p8w1z6"}},
            },
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": "*"},
        ],
    }
    first = policy.document.statements[0]
    assert start(policy.at(first.conditions[0].key_pointer)) == line_col(text, 'variable = "sts:ExternalId"')
    value = first.conditions[0].values[0]  # one value is rendered as a scalar: its span is the list item's
    position = policy.source.position(value.span.start)
    assert (position.line, position.column) == line_col(text, '"k3v9q2m7x4p8w1z6"')
    assert first.principal is not None
    assert start(policy.at(first.principal.entries[1].pointer)) == line_col(text, '"arn:aws:iam::4444')
    assert start(policy.at("/Statement/0/Effect")) == line_col(text, "statement {")  # the default Allow
    # The account is unknown (no provider says it): the policy is read, no role is made up.
    assert model.roles == []


def test_heredoc_policy_keeps_positions_and_resolves_interpolations(tmp_path: Path) -> None:
    text = """locals {
  account = "111111111111"
}

resource "aws_iam_role_policy" "p" {
  role   = "Ops"
  name   = "inline"
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${local.account}-*"}]
    }
  EOT
}
"""
    write(tmp_path, {"main.tf": text})
    model = load(tmp_path)
    (policy,) = model.policies
    statement = policy.document.statements[0]
    assert statement.resource is not None
    assert statement.resource.values[0].text == "arn:aws:s3:::111111111111-*"
    assert start(policy.at(statement.resource.values[0].pointer)) == line_col(text, '"Resource"')
    assert start(policy.at("/Statement/0/Action")) == line_col(text, '"Action"')


def test_hcl_we_cannot_parse_is_a_finding_with_its_position(tmp_path: Path) -> None:
    text = 'resource "aws_iam_role" "x" {\n  name = "X"\n  assume_role_policy = jsonencode({\n}\n'
    write(tmp_path, {"broken.tf": text})
    model = load(tmp_path)
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert problem.message.startswith("not valid Terraform (HCL2) syntax")
    assert problem.location.source.display_path == "broken.tf"
    assert place_of(problem.location).region is not None
    results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, Config())), {})
    assert [r.rule.id for r in results] == ["XA001"]


def test_invalid_json_in_a_heredoc_is_a_finding_in_the_tf_file(tmp_path: Path) -> None:
    text = 'resource "aws_iam_policy" "p" {\n  name = "P"\n  policy = <<EOT\n{"Statement": [,]}\nEOT\n}\n'
    write(tmp_path, {"main.tf": text})
    model = load(tmp_path)
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert start(problem.location) == (4, 16)


def test_hostile_terraform_does_not_crash(tmp_path: Path) -> None:
    deep = "x = " + "[" * 3000 + "]" * 3000 + "\n"
    nested = (
        'resource "aws_iam_policy" "p" {\n  policy = jsonencode(' + "{a = " * 300 + "1" + "}" * 300 + ")\n}\n"
    )
    for index, text in enumerate([deep, nested, "\x00\x01", "resource {", "${" * 1000, "<<EOT\n" * 50]):
        directory = tmp_path / str(index)
        directory.mkdir()
        write(directory, {"main.tf": text})
        model = load(directory)
        assert isinstance(model.problems, list)


def test_terraform_show_json_plan(tmp_path: Path) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "*"}
        ],
    }
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_iam_role.ops",
                        "mode": "managed",
                        "type": "aws_iam_role",
                        "name": "ops",
                        "values": {
                            "name": "Ops",
                            "path": "/",
                            "assume_role_policy": json.dumps(trust),
                            "max_session_duration": 7200,
                            "inline_policy": [],
                        },
                    },
                    {
                        "address": "aws_iam_role_policy.p",
                        "mode": "managed",
                        "type": "aws_iam_role_policy",
                        "name": "p",
                        "values": {
                            "name": "p",
                            "role": "Ops",
                            "policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
                        },
                    },
                ]
            }
        },
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "expressions": {
                        "assume_role": [{"role_arn": {"constant_value": "arn:aws:iam::222222222222:role/D"}}]
                    },
                }
            },
            "root_module": {"resources": [{"address": "aws_iam_role.ops", "provider_config_key": "aws"}]},
        },
    }
    text = json.dumps(plan, indent=2)
    (tmp_path / "plan.json").write_text(text, encoding="utf-8")
    model = load(tmp_path)
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::222222222222:role/Ops"
    assert role.max_session_duration == 7200
    assert role.trust_policy is not None
    assert role.trust_policy.prefix == "/planned_values/root_module/resources/0/values/assume_role_policy"
    assert [p.name for p in role.permission_policies] == ["p"]
    # Positions point inside the JSON string of the plan file.
    action = role.trust_policy.document.statements[0].action
    assert action is not None
    assert start(role.trust_policy.at(action.values[0].pointer)) == line_col(text, '\\"Action\\"')


def test_policy_variables_are_not_symbols_interpolations_are() -> None:
    from xacct_lint.load.terraform import terraform_symbols
    from xacct_lint.parse.json_tree import parse_json

    root = parse_json(
        '{"Resource": ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::${var.bucket}/${*}",'
        ' "${aws_iam_role.x.arn}", "${data.aws_caller_identity.me.account_id}", "${upper(var.n)}"]}'
    ).root
    assert [(s.placeholder, s.reason.split(";")[0]) for s in terraform_symbols(root)] == [
        (
            "${var.bucket}",
            "a Terraform variable with no default and no value in terraform.tfvars or *.auto.tfvars",
        ),
        ("${aws_iam_role.x.arn}", "a resource attribute known only after apply"),
        (
            "${data.aws_caller_identity.me.account_id}",
            "a data source's attribute, read from AWS at plan time",
        ),
        ("${upper(var.n)}", "a Terraform function call xacct-lint does not evaluate"),
    ]


def test_inline_policies_of_one_role_count_together_against_its_quota(tmp_path: Path) -> None:
    # An inline_policy block and an aws_iam_role_policy naming the same role: each is over the managed-policy
    # quota (6,144) but under the role's (10,240), which is no finding; together they are over it (XA007).
    def policy(bucket_prefix: str) -> str:
        resources = ", ".join(f'"arn:aws:s3:::{bucket_prefix}-{i:04d}/*"' for i in range(170))
        statement = f'{{Effect = "Allow", Action = "s3:GetObject", Resource = [{resources}]}}'
        return f'jsonencode({{Version = "2012-10-17", Statement = [{statement}]}})'

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}},
                }
            ],
        }
    )
    role = f"""
resource "aws_iam_role" "reader" {{
  provider           = aws.prod
  name               = "Reader"
  assume_role_policy = {json.dumps(trust)}
  inline_policy {{
    name   = "a"
    policy = {policy("bucket-a")}
  }}
}}
"""
    attached = f"""
resource "aws_iam_role_policy" "b" {{
  role   = aws_iam_role.reader.name
  policy = {policy("bucket-b")}
}}
"""

    def xa007(files: dict[str, str]) -> list[Result]:
        directory = tmp_path / str(len(files))
        directory.mkdir()
        write(directory, files)
        model = load(directory)
        results, _ = to_results(run_rules(builtin_pack().rules, RuleContext(model, Config())), {})
        return [r for r in results if r.rule.id == "XA007"]

    assert xa007({"providers.tf": PROVIDERS, "main.tf": role}) == []
    (finding,) = xa007({"providers.tf": PROVIDERS, "main.tf": role, "attached.tf": attached})
    assert "the inline policies of this role have" in finding.message
    assert "IAM allows at most 10,240" in finding.message
