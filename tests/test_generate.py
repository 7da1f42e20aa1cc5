"""`xacct-lint generate` on the recipe's configuration: what it writes, that it lints clean, how it is applied.

The recipe (fixtures/generate/recipe.toml) has a SAML-federated master role in the security account and two
targets: production (ExternalId, MFA) and development (ExternalId, source IP, a 7200 s maximum that chaining
caps). The tests read the generated documents back and assert the conditions by path, run the lint pipeline
on the directory, run `bash -n` and the script itself against a stand-in `aws`, and `cfn-lint` on the
templates.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from generate_support import RECIPE_CONFIG, REPO_ROOT, describe, generate_from, lint_dir

from xacct_lint.cli import main
from xacct_lint.generate import Generated, GenerateError
from xacct_lint.generate.plan import EXTERNAL_ID_PATTERN

MASTER = "arn:aws:iam::111111111111:role/MasterCrossAccountRole"
PROVIDER = "arn:aws:iam::111111111111:saml-provider/CorporateIdP"
PROD = "arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess"
DEV = "arn:aws:iam::333333333333:role/CrossAccount-DevelopmentAccess"
MASTER_TRUST = "policies/security/MasterCrossAccountRole.trust.json"
MASTER_PERMISSIONS = "policies/security/MasterCrossAccountRole.permissions.json"
PROD_TRUST = "policies/prod/CrossAccount-ProductionAccess.trust.json"
DEV_TRUST = "policies/dev/CrossAccount-DevelopmentAccess.trust.json"
DEV_PERMISSIONS = "policies/dev/CrossAccount-DevelopmentAccess.permissions.json"


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("recipe") / "out"
    generate_from(RECIPE_CONFIG, out)
    return out


@pytest.fixture(scope="module")
def recipe_env_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Generated]:
    out = tmp_path_factory.mktemp("recipe-env") / "out"
    return out, generate_from(RECIPE_CONFIG, out, from_env=True)


@pytest.fixture(scope="module")
def recipe_env(recipe_env_generated: tuple[Path, Generated]) -> Path:
    return recipe_env_generated[0]


def load(out: Path, path: str) -> Any:
    return json.loads((out / path).read_text(encoding="utf-8"))


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in document["Statement"] if s["Sid"] == sid]
    assert len(found) == 1, f"{sid} in {[s['Sid'] for s in document['Statement']]}"
    return found[0]


def all_condition_keys(document: dict[str, Any]) -> set[str]:
    return {
        key.casefold()
        for s in document["Statement"]
        for block in s.get("Condition", {}).values()
        for key in block
    }


# --- lint clean ----------------------------------------------------------------------------------------------


def test_recipe_lints_clean_with_the_built_in_rules(recipe: Path) -> None:
    results = lint_dir(recipe)
    assert results == [], describe(results)


def test_recipe_from_env_lints_clean_given_the_values(recipe_env_generated: tuple[Path, Generated]) -> None:
    out, generated = recipe_env_generated
    results = lint_dir(out, generated)
    assert results == [], describe(results)


def test_recipe_cli_generate_check_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--config", str(RECIPE_CONFIG), "--out", str(tmp_path / "out"), "--check"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "no findings" in captured.out
    assert "wrote 13 files for 3 roles" in captured.err


def test_parliament_pack_reports_only_its_database_disagreements(recipe: Path) -> None:
    """parliament 1.6.4's IAM data predates policy-sentry's: it does not know some actions (XP025, notes) and
    marks both resource types of s3:GetObjectAttributes as required (XP020). Nothing else, and no error."""
    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.registry import named_pack
    from xacct_lint.engine.runner import run_rules, to_results
    from xacct_lint.load import load_paths
    from xacct_lint.model.config import load_config

    config = load_config(recipe / "xacct-lint.toml")
    model = load_paths([recipe], config, root=recipe)
    results, _ = to_results(run_rules(named_pack("parliament").rules, RuleContext(model, config)), {})
    assert {r.rule.id for r in results} <= {"XP020", "XP025"}, describe(results)
    assert all("s3:GetObjectAttributes" in r.message for r in results if r.rule.id == "XP020")
    assert not [r for r in results if r.severity.value == "error"]


# --- the documents -----------------------------------------------------------------------------------------------


TAG_LIMITS = {
    "ForAllValues:StringEquals": {
        "aws:TagKeys": ["Department", "Project", "Environment"],
        "sts:TransitiveTagKeys": ["Department", "Project", "Environment"],
    }
}


def test_master_trust_is_saml_only_with_audience_and_department(recipe: Path) -> None:
    trust = load(recipe, MASTER_TRUST)
    (sign_in,) = trust["Statement"]
    assert sign_in["Principal"] == {"Federated": PROVIDER}
    assert sign_in["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    # The recipe's vacuous ForAllValues:StringLike on SAML:department, done right: a session tag, tested with a
    # plain operator that is false when the tag is missing.
    assert sign_in["Condition"] == {
        "StringEquals": {
            "SAML:aud": "https://signin.aws.amazon.com/saml",
            "aws:RequestTag/Department": ["Engineering", "Security", "DevOps"],
        },
        **TAG_LIMITS,
    }


def test_master_permissions_pair_each_target_with_its_external_id(recipe: Path) -> None:
    permissions = load(recipe, MASTER_PERMISSIONS)
    assert [s["Sid"] for s in permissions["Statement"]] == [
        "AssumeDevCrossAccountDevelopmentAccess",
        "AssumeProdCrossAccountProductionAccess",
        "TagTargetSessions",
    ]
    for sid, target, trust_path in (
        ("AssumeDevCrossAccountDevelopmentAccess", DEV, DEV_TRUST),
        ("AssumeProdCrossAccountProductionAccess", PROD, PROD_TRUST),
    ):
        granted = statement(permissions, sid)
        trusted = load(recipe, trust_path)["Statement"][0]["Condition"]["StringEquals"]
        assert (granted["Action"], granted["Resource"]) == ("sts:AssumeRole", target)
        assert granted["Condition"] == {"StringEquals": trusted}
    ids = {s["Condition"]["StringEquals"]["sts:ExternalId"] for s in permissions["Statement"][:2]}
    assert len(ids) == 2
    tagging = statement(permissions, "TagTargetSessions")
    assert (tagging["Action"], sorted(tagging["Resource"])) == ("sts:TagSession", sorted([DEV, PROD]))
    assert tagging["Condition"]["ForAllValues:StringEquals"] == TAG_LIMITS["ForAllValues:StringEquals"]
    # A passed tag must carry the value the identity provider gave the master session.
    assert tagging["Condition"]["StringEqualsIfExists"] == {
        f"aws:RequestTag/{k}": f"${{aws:PrincipalTag/{k}}}" for k in ("Department", "Project", "Environment")
    }


def test_targets_trust_the_master_role_arn_with_external_id_and_source_ip(recipe: Path) -> None:
    prod = load(recipe, PROD_TRUST)
    dev = load(recipe, DEV_TRUST)
    for document in (prod, dev):
        (assume,) = document["Statement"]
        assert assume["Principal"] == {"AWS": MASTER}
        assert assume["Action"] == ["sts:AssumeRole", "sts:TagSession"]
        assert EXTERNAL_ID_PATTERN.fullmatch(assume["Condition"]["StringEquals"]["sts:ExternalId"])
        assert assume["Condition"]["ForAllValues:StringEquals"] == TAG_LIMITS["ForAllValues:StringEquals"]
    assert dev["Statement"][0]["Condition"]["IpAddress"] == {
        "aws:SourceIp": ["94.130.10.0/24", "94.130.11.0/24"]
    }
    assert "IpAddress" not in prod["Statement"][0]["Condition"]


def test_no_mfa_condition_anywhere_and_the_choice_is_recorded(recipe: Path) -> None:
    for path in (MASTER_TRUST, PROD_TRUST, DEV_TRUST):
        keys = all_condition_keys(load(recipe, path))
        assert not keys & {"aws:multifactorauthpresent", "aws:multifactorauthage"}, path
    manifest = load(recipe, "manifest.json")
    mfa = [d for d in manifest["decisions"] if d["topic"] == "mfa"]
    assert mfa and "identity provider" in mfa[0]["text"]
    prod = next(r for r in manifest["roles"] if r["arn"] == PROD)
    assert prod["requires"] == ["external-id", "mfa (at the IdP)"]
    config = (recipe / "xacct-lint.toml").read_text(encoding="utf-8")
    assert "mfa-enforced-by-idp" in config


def test_sessions_of_chained_targets_are_capped_at_one_hour(recipe: Path) -> None:
    manifest = load(recipe, "manifest.json")
    durations = {r["arn"]: r["max-session-duration"] for r in manifest["roles"]}
    assert durations == {MASTER: 7200, PROD: 3600, DEV: 3600}
    dev = next(r for r in manifest["roles"] if r["arn"] == DEV)
    assert dev["configured-max-session-duration"] == 7200
    import tomllib

    written = tomllib.loads((recipe / "xacct-lint.toml").read_text(encoding="utf-8"))
    assert {(r["name"], r["max-session-duration"]) for r in written["roles"]} == {
        ("MasterCrossAccountRole", 7200),
        ("CrossAccount-ProductionAccess", 3600),
        ("CrossAccount-DevelopmentAccess", 3600),
    }


def test_target_permissions_come_from_policy_sentry(recipe: Path) -> None:
    from policy_sentry.command.write_policy import write_policy_with_template

    template = {
        "mode": "crud",
        "name": "CrossAccount-DevelopmentAccess",
        "read": ["arn:aws:s3:::dev-shared-data/*", "arn:aws:lambda:us-east-1:333333333333:function:dev-*"],
        "write": ["arn:aws:s3:::dev-shared-data/*"],
        "list": ["arn:aws:s3:::dev-shared-data"],
        "tagging": [],
        "permissions-management": [],
    }
    assert load(recipe, DEV_PERMISSIONS)["Statement"] == write_policy_with_template(template)["Statement"]


def test_manifest_lists_every_file_with_its_mode(recipe: Path) -> None:
    manifest = load(recipe, "manifest.json")
    on_disk = sorted(p.relative_to(recipe).as_posix() for p in recipe.rglob("*") if p.is_file())
    assert [f["path"] for f in manifest["files"]] == on_disk
    for entry in manifest["files"]:
        mode = stat.S_IMODE((recipe / entry["path"]).stat().st_mode)
        assert f"{mode:04o}" == entry["mode"], entry["path"]
    assert [h["to"] for h in manifest["hops"]] == [MASTER, DEV, PROD]
    assert manifest["apply"]["order"] == ["security", "dev", "prod"]


def test_external_ids_are_in_0600_files_only(recipe: Path) -> None:
    ids = [
        load(recipe, p)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
        for p in (PROD_TRUST, DEV_TRUST)
    ]
    for path in sorted(p for p in recipe.rglob("*") if p.is_file()):
        holds = any(value in path.read_text(encoding="utf-8") for value in ids)
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if holds else 0o644), (path, oct(mode))
    assert (recipe / "apply/aws-cli.sh").stat().st_mode & 0o077 == 0


def test_from_env_keeps_external_ids_out_of_the_apply_files(recipe_env: Path) -> None:
    ids = [
        load(recipe_env, p)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
        for p in (PROD_TRUST, DEV_TRUST)
    ]
    for path in [
        recipe_env / "apply/aws-cli.sh",
        *sorted((recipe_env / "apply/cloudformation").glob("*.json")),
    ]:
        text = path.read_text(encoding="utf-8")
        assert not any(value in text for value in ids), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    security = load(recipe_env, "apply/cloudformation/security.json")
    assert sorted(security["Parameters"]) == [
        "ExternalIdDevCrossAccountDevelopmentAccess",
        "ExternalIdProdCrossAccountProductionAccess",
    ]
    assert all(p["NoEcho"] is True for p in security["Parameters"].values())


def test_stderr_warns_where_external_ids_are(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["generate", "--config", str(RECIPE_CONFIG), "--out", str(tmp_path / "a"), "--seed", "3"]) == 0
    )
    err = capsys.readouterr().err
    assert "ExternalIds are written in apply/aws-cli.sh" in err and "--external-id-from-env" in err
    assert "--seed makes ExternalIds predictable" in err
    argv = [
        "generate",
        "--config",
        str(RECIPE_CONFIG),
        "--out",
        str(tmp_path / "b"),
        "--external-id-from-env",
    ]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "apply/aws-cli.sh" not in err and f"{PROD_TRUST}" in err


# --- ExternalIds ---------------------------------------------------------------------------------------------------


def external_ids(out: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (out / "external-ids.env").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )


def test_generated_ids_are_random_unique_and_valid(tmp_path: Path) -> None:
    generate_from(RECIPE_CONFIG, tmp_path / "a", seed=None)
    generate_from(RECIPE_CONFIG, tmp_path / "b", seed=None)
    first, second = external_ids(tmp_path / "a"), external_ids(tmp_path / "b")
    assert sorted(first) == [
        "DEV_CROSSACCOUNT_DEVELOPMENTACCESS_EXTERNAL_ID",
        "PROD_CROSSACCOUNT_PRODUCTIONACCESS_EXTERNAL_ID",
    ]
    for ids in (first, second):
        assert len(set(ids.values())) == 2
        assert all(EXTERNAL_ID_PATTERN.fullmatch(v) and len(v) == 32 for v in ids.values())
    assert not set(first.values()) & set(second.values())


def test_same_config_and_seed_give_identical_output(tmp_path: Path) -> None:
    generate_from(RECIPE_CONFIG, tmp_path / "a", seed=11)
    generate_from(RECIPE_CONFIG, tmp_path / "b", seed=11)
    generate_from(RECIPE_CONFIG, tmp_path / "c", seed=12)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    for path in files:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes(), path
    assert external_ids(tmp_path / "a") != external_ids(tmp_path / "c")


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def recipe_with(replace: dict[str, str] | None = None, append: str = "") -> str:
    text = RECIPE_CONFIG.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text + append


PROD_ROLE = 'name = "CrossAccount-ProductionAccess"\n'
TRANSITIVE_LINE = 'allowed-transitive-keys = ["Department", "Project", "Environment"]'
PROVIDER_LINE = 'saml-provider = { name = "CorporateIdP" }'
ATTRIBUTE_LINE = 'values = ["Engineering", "Security", "DevOps"]'


def test_external_id_from_config_and_from_the_environment(tmp_path: Path) -> None:
    literal = "Zq8-c1Rr/Jt5@pM.wX2=eN7:kL4+gH0_"
    text = recipe_with(
        {
            PROD_ROLE: PROD_ROLE + f'external-id = "{literal}"\n',
            'name = "CrossAccount-DevelopmentAccess"\n': 'name = "CrossAccount-DevelopmentAccess"\n'
            'external-id = "env:DEV_XID"\n',
        }
    )
    config = write_config(tmp_path, text)
    from_env = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    generated = generate_from(config, tmp_path / "out", environ={"DEV_XID": from_env}, seed=None)
    ids = external_ids(tmp_path / "out")
    assert ids == {"DEV_XID": from_env, "PROD_CROSSACCOUNT_PRODUCTIONACCESS_EXTERNAL_ID": literal}
    sources = {t.name: t.external_id.source for t in generated.plan.targets}
    assert sources == {"CrossAccount-ProductionAccess": "config", "CrossAccount-DevelopmentAccess": "env"}
    assert lint_dir(tmp_path / "out") == []
    manifest = load(tmp_path / "out", "manifest.json")
    assert literal not in json.dumps(manifest) and from_env not in json.dumps(manifest)


def test_unset_environment_variable_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path, recipe_with({PROD_ROLE: PROD_ROLE + 'external-id = "env:XACCT_TEST_UNSET_VAR"\n'})
    )
    os.environ.pop("XACCT_TEST_UNSET_VAR", None)
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "$XACCT_TEST_UNSET_VAR is not set" in err
    assert not (tmp_path / "out").exists()


def test_weak_literal_external_id_fails_generate_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, recipe_with({PROD_ROLE: PROD_ROLE + 'external-id = "12345"\n'}))
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out"), "--check"]) == 1
    out = capsys.readouterr().out
    assert "XA202 [warning] weak ExternalId '12345'" in out, out


# --- configurations the generator refuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "append", "message"),
    [
        (
            {"mfa-enforced-by-idp = true": "mfa-enforced-by-idp = false"},
            "",
            "prod require mfa, but every generated role",
        ),
        (
            {TRANSITIVE_LINE: 'allowed-transitive-keys = ["Team"]'},
            "",
            "allowed-transitive-keys ['Team'] are not in allowed-keys",
        ),
        ({'session-tag = "Department"': 'session-tag = "CostCenter"'}, "", "session tag 'CostCenter'"),
        (
            {'session-tag = "Department"': 'saml-key = "saml:department"'},
            "",
            "not a SAML condition key AWS documents",
        ),
        (
            {PROVIDER_LINE: 'saml-provider = { name = "CorporateIdP", account = "prod" }'},
            "",
            "is not in the master role's account",
        ),
        (
            {'source-ip-allowlist = ["94.130.10.0/24", "94.130.11.0/24"]': ""},
            "",
            "lists no source-ip-allowlist",
        ),
        (
            {"max-session-duration = 7200                # step 1": "max-session-duration = 43200 # step 1"},
            "",
            "exceeds",
        ),
        ({}, '\n[[roles]]\nname = "crossaccount-productionaccess"\naccount = "prod"\n', "clashes with role"),
        (
            {"tier = 3\n\n[accounts.prod]": "tier = 2\n\n[accounts.prod]"},
            "",
            "would reach roles in prod, of a higher",
        ),
        (
            {
                ATTRIBUTE_LINE: ATTRIBUTE_LINE
                + '\n\n[[federation.attribute-conditions]]\nsession-tag = "department"\nvalues = ["x"]'
            },
            "",
            "two attribute conditions on aws:RequestTag/department",
        ),
        (
            {},
            '\n[[roles]]\nname = "X"\naccount = "prod"\naccess.read = ["arn:aws:nosuchservice:::thing"]\n',
            "no read actions",
        ),
    ],
)
def test_configurations_that_cannot_be_generated_correctly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replace: dict[str, str], append: str, message: str
) -> None:
    config = write_config(tmp_path, recipe_with(replace, append))
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xacct-lint: error: ") and err.count("\n") == 1, err
    assert message in err


def test_config_without_federation_is_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[accounts.a]\nid = "111111111111"\n')
    with pytest.raises(GenerateError, match=r"no \[federation\] table"):
        generate_from(config, tmp_path / "out")


def test_schema_rejects_unknown_and_malformed_federation_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for bad in (
        recipe_with({"mfa-enforced-by-idp = true": "mfa-enforced-by-idp = true\nmfa = true"}),
        recipe_with({PROD_ROLE: PROD_ROLE + 'external-id = "has space"\n'}),
        recipe_with({'access.list = ["arn:aws:s3:::prod-shared-data"]': 'access.admin = ["arn:aws:s3:::x"]'}),
    ):
        config = write_config(tmp_path, bad)
        assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
        assert "invalid configuration" in capsys.readouterr().err


# --- the output directory -------------------------------------------------------------------------------------


def test_regenerating_removes_files_of_dropped_roles(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_from(RECIPE_CONFIG, out)
    assert (out / DEV_TRUST).exists()
    without_dev = RECIPE_CONFIG.read_text(encoding="utf-8").split(
        '[[roles]]\nname = "CrossAccount-DevelopmentAccess"'
    )[0]
    generated = generate_from(write_config(tmp_path, without_dev), out)
    assert DEV_TRUST in generated.removed
    assert not (out / DEV_TRUST).exists() and not (out / "apply/cloudformation/dev.json").exists()
    assert lint_dir(out) == []


def test_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(GenerateError, match="not written by xacct-lint generate"):
        generate_from(RECIPE_CONFIG, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


# --- applying: bash and CloudFormation -----------------------------------------------------------------------------

BASH = shutil.which("bash")

FAKE_AWS = r"""#!/usr/bin/env bash
# Stand-in for the AWS CLI: answers get-caller-identity from $FAKE_ACCOUNTS (profile=account ...), says no
# role exists, and copies every file:// document to $FAKE_CAPTURE/<role>.<kind>.json.
profile=""
if [ "$1" = "--profile" ]; then profile=$2; shift 2; fi
case "$1 $2" in
  "sts get-caller-identity")
    for pair in $FAKE_ACCOUNTS; do
      if [ "${pair%%=*}" = "$profile" ]; then echo "${pair#*=}"; exit 0; fi
    done
    exit 3 ;;
  "iam get-role") exit 254 ;;
esac
shift 2
role="" kind=""
while [ $# -gt 0 ]; do
  case "$1" in
    --role-name) role=$2; shift ;;
    --assume-role-policy-document) kind=trust; doc=$2; shift ;;
    --policy-document) kind=permissions; doc=$2; shift ;;
  esac
  shift
done
cp "${doc#file://}" "$FAKE_CAPTURE/$role.$kind.json"
"""


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("variant", ["recipe", "recipe_env"])
def test_script_passes_bash_n_and_applies_exactly_the_documents(
    variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    out: Path = request.getfixturevalue(variant)
    script = out / "apply" / "aws-cli.sh"
    subprocess.run([BASH, "-n", str(script)], check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS, encoding="utf-8")
    (bin_dir / "aws").chmod(0o755)
    capture = tmp_path / "capture"
    capture.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_CAPTURE": str(capture),
        "FAKE_ACCOUNTS": "sec=111111111111 prd=222222222222 dv=333333333333",
        "SECURITY_PROFILE": "sec",
        "PROD_PROFILE": "prd",
        "DEV_PROFILE": "dv",
    }
    if variant == "recipe_env":
        env.update(external_ids(out))
    done = subprocess.run([BASH, str(script)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for path in sorted((out / "policies").rglob("*.json")):
        role, kind, _ = path.name.rsplit(".", 2)
        assert json.loads((capture / f"{role}.{kind}.json").read_text()) == json.loads(path.read_text()), path
    # Wrong credentials for an account stop the script before it changes anything there.
    env["PROD_PROFILE"] = "dv"
    done = subprocess.run([BASH, str(script)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "expected 222222222222" in done.stderr


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_from_env_script_refuses_missing_or_invalid_ids(recipe_env: Path) -> None:
    script = str(recipe_env / "apply" / "aws-cli.sh")
    ids = external_ids(recipe_env)
    name = sorted(ids)[0]
    for value in (None, "a", "has space", "x" * 1225):
        env = {"PATH": os.environ["PATH"], **{k: v for k, v in ids.items() if k != name}}
        if value is not None:
            env[name] = value
        done = subprocess.run([BASH, script], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 1 and f"set {name} to the ExternalId" in done.stderr, value


def test_cloudformation_templates_pass_cfn_lint(recipe: Path, recipe_env: Path) -> None:
    pytest.importorskip("cfnlint", reason="cfn-lint is in the test extra: pip install -e '.[test]'")
    from cfnlint.api import ManualArgs, lint_file

    templates = [*sorted((recipe / "apply/cloudformation").glob("*.json"))]
    templates += sorted((recipe_env / "apply/cloudformation").glob("*.json"))
    assert len(templates) == 6
    for template in templates:
        matches = lint_file(template, config=ManualArgs())
        assert matches == [], (template, [str(m) for m in matches])


def test_cfn_lint_is_not_vacuous(recipe: Path, tmp_path: Path) -> None:
    pytest.importorskip("cfnlint", reason="cfn-lint is in the test extra: pip install -e '.[test]'")
    from cfnlint.api import ManualArgs, lint_file

    template = load(recipe, "apply/cloudformation/prod.json")
    template["Resources"]["RoleCrossAccountProductionAccess"]["Properties"]["MaxSessionDuration"] = 43201
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(template), encoding="utf-8")
    assert [m.rule.id for m in lint_file(broken, config=ManualArgs())] == ["E3034"]


def test_cloudformation_holds_the_same_documents(recipe: Path) -> None:
    prod = load(recipe, "apply/cloudformation/prod.json")
    role = prod["Resources"]["RoleCrossAccountProductionAccess"]["Properties"]
    assert role["AssumeRolePolicyDocument"] == load(recipe, PROD_TRUST)
    assert role["MaxSessionDuration"] == 3600
    assert role["RoleName"] == "CrossAccount-ProductionAccess"
    security = load(recipe, "apply/cloudformation/security.json")
    master = security["Resources"]["RoleMasterCrossAccountRole"]["Properties"]
    assert master["Policies"] == [
        {"PolicyName": "AssumeTargetRoles", "PolicyDocument": load(recipe, MASTER_PERMISSIONS)}
    ]


def test_readme_documents_every_generate_key() -> None:
    schema = json.loads((REPO_ROOT / "xacct_lint/schemas/config.schema.json").read_text(encoding="utf-8"))
    federation = schema["properties"]["federation"]["properties"]
    keys = set(federation)
    keys |= set(federation["master-role"]["properties"])
    keys |= set(federation["attribute-conditions"]["items"]["properties"])
    role = schema["properties"]["roles"]["items"]["properties"]
    keys |= {"access", "external-id", "description", *role["access"]["properties"]}
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Keys for `xacct-lint generate`", 1)[1].split("\n### ", 1)[0]
    missing = sorted(k for k in keys if k not in section)
    assert missing == [], f"README's generate configuration section lacks {missing}"
