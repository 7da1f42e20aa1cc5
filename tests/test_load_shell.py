"""Shell scripts: here-documents, the AWS CLI commands that use them, variables, assume-role facts, bad input."""

from __future__ import annotations

from pathlib import Path

from recipe_equivalence import REPO, finding_keys, json_form, lint, misplaced, role_signature
from xacct_lint.rules.xa006_unresolved_placeholder import META as XA006

from xacct_lint.engine.runner import place_of
from xacct_lint.load import load_paths
from xacct_lint.load.shell import scan_script
from xacct_lint.model.config import AccountConfig, Config, RoleMapping, load_config
from xacct_lint.model.inventory import Location, Model, PolicyKind

SHELL = REPO / "fixtures" / "shell"

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::${SECURITY}:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "${EXTERNAL_ID}"}}
  }]
}"""
END = "EOF"  # written apart, so that no line of this file ends a here-document of a shell that reads it


def load(
    tmp_path: Path, script: str, variables: dict[str, str] | None = None, config: Config | None = None
) -> Model:
    (tmp_path / "setup.sh").write_text(script, encoding="utf-8")
    return load_paths([tmp_path / "setup.sh"], config or Config(), root=tmp_path, variables=variables)


def start(location: Location) -> tuple[int, int]:
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


def role_config(name: str, account: str) -> Config:
    return Config(
        accounts=(AccountConfig("target", account, frozenset()),),
        roles=(RoleMapping(name, "target", None, ()),),
    )


def test_the_recipe_script_matches_the_json_form() -> None:
    result = lint([SHELL / "recipe.sh"], load_config(SHELL / "xacct-lint.toml"))
    assert role_signature(result.model) == role_signature(json_form().model)
    assert finding_keys(result) == finding_keys(json_form())
    assert not misplaced(result)


def test_heredoc_forms_and_file_references(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "SECURITY=111111111111",
            "cat > trust.json << EOF",
            TRUST,
            END,
            "cat <<-'EOF' > literal.json",
            '\t{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            '"Resource": "$HOME"}]}',
            "\t" + END,
            "aws iam create-role --role-name Ops --assume-role-policy-document file://trust.json "
            "--max-session-duration=7200",
            "aws iam put-role-policy --role-name Ops --policy-name Read --policy-document file://./literal.json",
            "",
        ]
    )
    model = load(tmp_path, script, config=role_config("Ops", "222222222222"))
    assert not model.problems
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::222222222222:role/Ops"
    assert role.max_session_duration == 7200
    assert role.max_session_location is not None
    assert start(role.max_session_location) == (16, 108)  # the value after "="
    assert role.trust_policy is not None and role.trust_policy.kind is PolicyKind.TRUST
    statement = role.trust_policy.document.statements[0]
    assert statement.principal is not None
    assert statement.principal.entries[0].normalized == "arn:aws:iam::111111111111:root"
    # An unresolved variable stays symbolic, at its place in the here-document.
    (condition,) = statement.conditions
    assert condition.values[0].text == "${EXTERNAL_ID}"
    assert start(role.trust_policy.at(condition.values[0].pointer)) == (9, 36)
    (permission,) = role.permission_policies
    assert permission.name == "Read"
    resource = permission.document.statements[0].resource
    assert (
        resource is not None and resource.values[0].text == "$HOME"
    )  # <<-'EOF': tabs stripped, no expansion


def test_variables_from_the_user_win_over_the_scripts_assignments(tmp_path: Path) -> None:
    script = "\n".join(
        [
            'export SECURITY="999999999999"',
            "EXTERNAL_ID=$(aws secretsmanager get-random-password --output text)",
            "cat > trust.json << EOF",
            TRUST,
            END,
            "aws iam create-role --role-name Ops --assume-role-policy-document file://trust.json",
            "",
        ]
    )
    model = load(tmp_path, script, {"SECURITY": "111111111111", "EXTERNAL_ID": "f3a9c1d27b4e8a60"})
    (policy,) = model.policies
    statement = policy.document.statements[0]
    assert statement.principal is not None
    assert statement.principal.entries[0].normalized == "arn:aws:iam::111111111111:root"
    assert statement.conditions[0].values[0].text == "f3a9c1d27b4e8a60"


def test_assume_role_calls_are_facts_with_locations(tmp_path: Path) -> None:
    script = (
        "ROLE=arn:aws:iam::222222222222:role/Ops\n"
        'CREDS=$(aws sts assume-role --role-arn "$ROLE" --role-session-name s1 \\\n'
        '    --external-id "${EXTERNAL_ID}" --duration-seconds 7200 \\\n'
        "    --tags Key=Team,Value=ops Key=Project,Value=x --transitive-tag-keys Team Project)\n"
        "aws sts assume-role --role-arn=$ROLE --role-session-name s2 2>&1 | grep -q AccessDenied\n"
    )
    model = load(tmp_path, script)
    first, second = model.assume_role_calls
    assert first.role_arn == "arn:aws:iam::222222222222:role/Ops"
    assert first.external_id == "${EXTERNAL_ID}"
    assert first.symbolic == ("EXTERNAL_ID",)
    assert first.duration_seconds == 7200
    assert first.tags == (("Project", "x"), ("Team", "ops"))
    assert first.transitive_tag_keys == ("Team", "Project")
    assert start(first.location) == (2, 9)  # inside $(...)
    assert start(first.options["--external-id"]) == (3, 19)
    assert start(first.options["--duration-seconds"]) == (3, 55)
    assert second.role_arn == "arn:aws:iam::222222222222:role/Ops"
    assert second.external_id is None
    assert second.duration_seconds is None


def test_role_account_from_an_arn_in_the_script(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "cat > t.json <<EOF",
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",',
            ' "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
            END,
            "aws iam create-role --role-name App --assume-role-policy-document file://t.json",
            "aws sts assume-role --role-arn arn:aws:iam::444455556666:role/App --role-session-name t1",
            "",
        ]
    )
    model = load(tmp_path, script)
    (role,) = model.roles
    assert role.arn == "arn:aws:iam::444455556666:role/App"
    assert role.max_session_duration == 3600  # AWS's default when create-role leaves it out


def test_a_role_without_a_known_account_keeps_its_policies(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "cat > t.json <<EOF",
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},',
            ' "Action": "sts:AssumeRole"}]}',
            END,
            "aws iam create-role --role-name App --assume-role-policy-document file://t.json",
            "",
        ]
    )
    model = load(tmp_path, script)
    assert model.roles == []
    (policy,) = model.policies
    assert (policy.kind, policy.name, policy.account_id) == (PolicyKind.TRUST, "App", None)


def test_inline_json_argument(tmp_path: Path) -> None:
    script = (
        'aws iam create-role --role-name Ops --assume-role-policy-document \'{"Version": "2012-10-17",\n'
        '  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}\'\n'
    )
    model = load(tmp_path, script)
    (policy,) = model.policies
    assert policy.kind is PolicyKind.TRUST
    assert policy.prefix == "/line-1/assume-role-policy-document"
    principal = policy.document.statements[0].principal
    assert principal is not None
    assert principal.entries[0].normalized == "*"
    assert start(policy.at(principal.entries[0].pointer)) == (2, 51)  # "AWS": "*" in the argument


def test_a_heredoc_that_never_ends_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    script = 'echo start\ncat > trust.json << EOF\n{\n  "Version": "2012-10-17"\n'
    model = load(tmp_path, script)
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert "never ends" in problem.message
    assert "'<<EOF'" in problem.message
    assert start(problem.location) == (2, 18)
    assert problem.location.root is not None  # the rest of the file was read: not "file not analysed"


def test_unclosed_quotes_are_findings(tmp_path: Path) -> None:
    model = load(tmp_path, "aws iam create-role --role-name 'Ops\necho done\n")
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert "single quote" in problem.message
    assert start(problem.location) == (1, 33)


def test_invalid_json_in_a_heredoc_points_into_the_script(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "cat > t.json << EOF",
            '{"Version": "2012-10-17", "Statement": [,]}',
            END,
            "aws iam create-role --role-name X --assume-role-policy-document file://t.json",
            "",
        ]
    )
    model = load(tmp_path, script)
    (problem,) = model.problems
    assert problem.code == "invalid-json"
    assert start(problem.location) == (2, 41)


def test_scanner_splits_pipes_substitutions_and_continuations() -> None:
    commands, problems = scan_script(
        'X=$(aws sts get-caller-identity --query Account) && echo "$X" | tee f\n'
    )
    assert not problems
    assert [[w.literal() for w in c.words] for c in commands] == [
        ["aws", "sts", "get-caller-identity", "--query", "Account"],
        ["X=$(aws sts get-caller-identity --query Account)"],
        ["echo", "${X}"],
        ["tee", "f"],
    ]


def test_hostile_scripts_do_not_crash(tmp_path: Path) -> None:
    for text in ["$(" * 5000, "${" * 5000, "<<" * 3000, "cat <<\n", "'" * 10001, "\\" * 9999, "a=(\n" * 100]:
        model = load(tmp_path, text)
        assert isinstance(model.problems, list)


def test_an_unknown_variable_the_shell_expands_is_a_symbol_a_quoted_one_is_literal_text(
    tmp_path: Path,
) -> None:
    # Unquoted delimiter: bash substitutes ${EXTERNAL_ID} when the script runs, so the deployed policy holds a
    # value this run cannot know -- a symbol (XA006 warning with the --var hint), not text IAM would see.
    # Quoted delimiter: bash writes ${EXTERNAL_ID} as it is, and IAM receives that text (XA006 error).
    trust = TRUST.replace("${SECURITY}", "111111111111")
    script = "\n".join(
        [
            "cat > expanded.json << EOF",
            trust,
            END,
            "aws iam create-role --role-name A --assume-role-policy-document file://expanded.json",
            f"cat > literal.json << '{END}'",
            trust,
            END,
            "aws iam create-role --role-name B --assume-role-policy-document file://literal.json",
            "",
        ]
    )
    (tmp_path / "setup.sh").write_text(script, encoding="utf-8")
    result = lint([tmp_path / "setup.sh"], Config())
    xa006 = sorted(
        (start(f.location)[0], str(f.severity or XA006.severity), f.message)
        for f in result.findings
        if f.rule_id == "XA006"
    )
    condition_line = 1 + next(i for i, line in enumerate(trust.splitlines()) if "sts:ExternalId" in line)
    second = condition_line + len(trust.splitlines()) + 3  # the same line of the second here-document
    assert [(line, severity) for line, severity, _ in xa006] == [
        (condition_line + 1, "warning"),
        (second + 1, "error"),
    ]
    assert "lint with --var EXTERNAL_ID=VALUE" in xa006[0][2]
    assert "${EXTERNAL_ID} in its place" in xa006[0][2]
    assert "IAM takes it as literal text" in xa006[1][2]


def test_a_backquoted_command_substitution_is_a_symbol_xa006_reports(tmp_path: Path) -> None:
    trust = TRUST.replace("${SECURITY}", "111111111111").replace("${EXTERNAL_ID}", "`openssl rand -hex 16`")
    script = "\n".join(
        [
            "cat > trust.json << EOF",
            trust,
            END,
            "aws iam create-role --role-name A --assume-role-policy-document file://trust.json",
            "",
        ]
    )
    (tmp_path / "setup.sh").write_text(script, encoding="utf-8")
    result = lint([tmp_path / "setup.sh"], Config())
    [xa006] = [f for f in result.findings if f.rule_id == "XA006"]
    assert str(xa006.severity) == "warning"
    assert xa006.message.startswith(
        "not known before deployment: `openssl rand -hex 16` (a command substitution"
    )
