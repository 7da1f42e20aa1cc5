"""``[[roles]]`` mappings attach plain files to roles; the bundled recipe loads as the recipe built it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xacct_lint.engine.runner import place_of
from xacct_lint.load import load_paths
from xacct_lint.load.config_roles import scan_role_blocks
from xacct_lint.model.config import load_config
from xacct_lint.model.inventory import Location, PolicyKind
from xacct_lint.parse.source import Span

REPO = Path(__file__).resolve().parent.parent
RECIPE = REPO / "fixtures" / "recipe"
SEED = Path("/work/shared/seed/cross-account-iam-role-federation.md")

TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}
"""
PERMS = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}\n'
CONFIG = """\
[accounts.prod]
id = "222222222222"

[accounts.dev]
id = "333333333333"

[[roles]]
name = "Dev"
account = "dev"
trust-policy = "other/trust.json"

[[roles]]
  name = "Prod"
  account = "prod"
  trust-policy = "policies/trust.json"
  permission-policies = ["policies/perms.json"]
  max-session-duration = 7200

[lint]
fail-on = "error"
"""


def start(location: Location | None) -> tuple[int, int]:
    assert location is not None
    region = place_of(location).region
    assert region is not None
    return region.start.line, region.start.column


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "trust.json").write_text(TRUST, encoding="utf-8")
    (tmp_path / "policies" / "perms.json").write_text(PERMS, encoding="utf-8")
    (tmp_path / "xacct-lint.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_mapping_creates_the_role_and_claims_its_files(project: Path) -> None:
    config = load_config(project / "xacct-lint.toml")
    model = load_paths([project / "policies"], config, root=project)
    assert model.problems == []
    # The Dev mapping's file was not among the inputs: no role for it.
    (role,) = model.roles
    assert (role.arn, role.name, role.account_id) == (
        "arn:aws:iam::222222222222:role/Prod",
        "Prod",
        "222222222222",
    )
    perms, trust = model.policies
    assert trust.source.display_path == "policies/trust.json"
    assert (trust.kind, trust.kind_inferred, trust.role_arn, trust.account_id) == (
        PolicyKind.TRUST,
        False,
        role.arn,
        "222222222222",
    )
    assert (perms.kind, perms.kind_inferred, perms.role_arn) == (PolicyKind.IDENTITY, False, role.arn)
    assert role.trust_policy is trust
    assert role.permission_policies == [perms]
    assert model.role_for(trust) is role
    # The session limit comes from the config, and is located on its line there.
    assert role.max_session_duration == 7200
    assert role.max_session_location is not None
    assert role.max_session_location.source.display_path == "xacct-lint.toml"
    assert role.max_session_location.root is None
    assert start(role.max_session_location) == (17, 3)
    assert place_of(role.max_session_location).snippet == "max-session-duration = 7200"
    assert start(role.location) == (13, 3)
    # The config is not an input file.
    assert [s.display_path for s in model.sources] == ["policies/perms.json", "policies/trust.json"]


def test_without_mapping_plain_files_stay_inferred(project: Path) -> None:
    model = load_paths([project / "policies"], load_config(None), root=project)
    assert model.roles == []
    assert [(p.kind, p.kind_inferred, p.role_arn) for p in model.policies] == [
        (PolicyKind.IDENTITY, True, None),
        (PolicyKind.TRUST, True, None),
    ]


def test_scan_role_blocks_finds_header_name_and_duration_lines() -> None:
    text = (
        '[[tool.xacct-lint.roles]]\nname = "A"\nmax-session-duration = 3600  \n'
        '[[tool.xacct-lint.roles]]\nname = "B"\n'
    )
    first, second = scan_role_blocks(text)
    assert text[first.name.start : first.name.end] == 'name = "A"'
    assert first.max_session_duration is not None
    assert (
        text[first.max_session_duration.start : first.max_session_duration.end]
        == "max-session-duration = 3600"
    )
    assert second.max_session_duration is None
    assert second.name == Span(text.index('name = "B"'), text.index('name = "B"') + len('name = "B"'))


# -- the bundled recipe example --------------------------------------------------------------------------

RECIPE_FILES = [
    "dev-cross-account-permissions.json",
    "dev-cross-account-trust-policy.json",
    "enhanced-cross-account-permissions.json",
    "lambda-execution-trust-policy.json",
    "master-cross-account-permissions.json",
    "master-cross-account-trust-policy.json",
    "prod-cross-account-permissions.json",
    "prod-cross-account-trust-policy.json",
]


def test_recipe_config_validates_and_states_the_recipe_requirements() -> None:
    config = load_config(RECIPE / "xacct-lint.toml")
    accounts = {a.name: a for a in config.accounts}
    assert {n: a.id for n, a in accounts.items()} == {
        "dev": "333333333333",
        "prod": "222222222222",
        "security": "111111111111",
    }
    assert accounts["prod"].require == {"external-id", "mfa"}
    assert accounts["dev"].require == {"external-id", "source-ip"}
    assert accounts["dev"].source_ip_allowlist == ("203.0.113.0/24", "198.51.100.0/24")
    assert {n: a.max_session_duration for n, a in accounts.items()} == {
        "dev": 7200,
        "prod": 3600,
        "security": 7200,
    }
    assert config.allowed_transitive_tag_keys == ("Department", "Project", "Environment")
    assert config.packs == ("parliament",)
    assert [(r.name, r.max_session_duration) for r in config.roles] == [
        ("MasterCrossAccountRole-a1b2c3", 7200),
        ("CrossAccount-ProductionAccess-a1b2c3", 3600),
        ("CrossAccount-DevelopmentAccess-a1b2c3", 7200),
        ("RoleValidatorLambdaRole-a1b2c3", 3600),
    ]


def test_recipe_loads_as_the_recipe_built_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    config = load_config(RECIPE / "xacct-lint.toml")
    model = load_paths([Path("fixtures/recipe")], config)
    assert model.problems == []
    assert [p.source.display_path for p in model.policies] == [f"fixtures/recipe/{n}" for n in RECIPE_FILES]
    assert [(r.arn, r.max_session_duration) for r in model.roles] == [
        ("arn:aws:iam::111111111111:role/MasterCrossAccountRole-a1b2c3", 7200),
        ("arn:aws:iam::111111111111:role/RoleValidatorLambdaRole-a1b2c3", 3600),
        ("arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess-a1b2c3", 3600),
        ("arn:aws:iam::333333333333:role/CrossAccount-DevelopmentAccess-a1b2c3", 7200),
    ]
    master = model.roles[0]
    assert master.trust_policy is not None
    assert master.trust_policy.source.display_path == "fixtures/recipe/master-cross-account-trust-policy.json"
    assert [p.source.display_path for p in master.permission_policies] == [
        "fixtures/recipe/master-cross-account-permissions.json",
        "fixtures/recipe/enhanced-cross-account-permissions.json",
    ]
    assert all(p.kind_inferred is False for p in model.policies)
    assert [p.kind for p in model.policies] == [
        PolicyKind.IDENTITY,
        PolicyKind.TRUST,
        PolicyKind.IDENTITY,
        PolicyKind.TRUST,
        PolicyKind.IDENTITY,
        PolicyKind.TRUST,
        PolicyKind.IDENTITY,
        PolicyKind.TRUST,
    ]
    prod = model.roles[2]
    assert prod.max_session_location is not None
    assert place_of(prod.max_session_location).path == "fixtures/recipe/xacct-lint.toml"
    assert place_of(prod.max_session_location).snippet == "max-session-duration = 3600"


@pytest.mark.skipif(not SEED.is_file(), reason="the recipe text is not available here")
def test_recipe_files_are_the_heredocs_with_placeholders_filled() -> None:
    values = {
        "SECURITY_ACCOUNT_ID": "111111111111",
        "PROD_ACCOUNT_ID": "222222222222",
        "DEV_ACCOUNT_ID": "333333333333",
        "RANDOM_SUFFIX": "a1b2c3",
        "PROD_EXTERNAL_ID": "k3v9q2m7x4p8w1z6",
        "DEV_EXTERNAL_ID": "r8t2n5j7c1h4d9f3",
        "AWS_REGION": "us-east-1",
    }
    recipe = SEED.read_text(encoding="utf-8")
    heredocs = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^   cat > (\S+) << EOF\n(.*?)^   EOF$", recipe, re.M | re.S)
    }
    for name in RECIPE_FILES:
        body = "\n".join(line[3:] for line in heredocs[name].split("\n"))
        expected = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], body)
        assert (RECIPE / name).read_text(encoding="utf-8") == expected, name


def test_mapping_path_is_part_of_the_role_arn(tmp_path: Path) -> None:
    (tmp_path / "xacct-lint.toml").write_text(
        '[accounts.prod]\nid = "222222222222"\n\n[[roles]]\nname = "Deploy"\naccount = "prod"\n'
        'path = "/ops/"\ntrust-policy = "trust.json"\n',
        encoding="utf-8",
    )
    (tmp_path / "trust.json").write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}]}',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "xacct-lint.toml")
    model = load_paths([tmp_path / "trust.json"], config, root=tmp_path)
    assert [(r.arn, r.path) for r in model.roles] == [("arn:aws:iam::222222222222:role/ops/Deploy", "/ops/")]
    assert model.policies[0].role_arn == "arn:aws:iam::222222222222:role/ops/Deploy"
