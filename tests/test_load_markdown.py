"""Markdown recipes: bash blocks read as one script, positions in the .md file; the seed recipe itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from recipe_equivalence import REPO, SEED, finding_keys, json_form, lint, misplaced, role_signature

from xacct_lint.engine.runner import place_of
from xacct_lint.load import load_paths
from xacct_lint.load.markdown import shell_blocks
from xacct_lint.model.config import Config, load_config
from xacct_lint.model.inventory import PolicyKind

SHELL_CONFIG = REPO / "fixtures" / "shell" / "xacct-lint.toml"
needs_seed = pytest.mark.skipif(not SEED.is_file(), reason=f"the seed recipe is not here: {SEED} (../shared)")

RECIPE_MD = """# Recipe

Some text with `inline code` and a JSON example that is not a script:

```json
{"Statement": []}
```

1. **Step**:

   ```bash
   export ACCOUNT="111111111111"
   cat > trust.json << EOF
   {
     "Version": "2012-10-17",
     "Statement": [{
       "Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::${ACCOUNT}:root"},
       "Action": "sts:AssumeRole"
     }]
   }
   EOF
   ```

2. **Another step**:

   ~~~sh
   aws iam create-role --role-name Ops \\
       --assume-role-policy-document file://trust.json
   ~~~
"""


def test_shell_blocks_keep_offsets_into_the_markdown_file() -> None:
    script = shell_blocks(RECIPE_MD)
    assert 'Statement": []' not in script.text  # the json block is not a script
    index = script.text.index("cat > trust.json")
    assert RECIPE_MD[script.origin(index) :].startswith("cat > trust.json")
    index = script.text.index("aws iam create-role")
    assert RECIPE_MD[script.origin(index) :].startswith("aws iam create-role")


def test_a_markdown_recipe_yields_roles_with_positions_in_the_md(tmp_path: Path) -> None:
    (tmp_path / "recipe.md").write_text(RECIPE_MD, encoding="utf-8")
    model = load_paths([tmp_path], Config(), root=tmp_path)
    assert not model.problems
    (policy,) = model.policies
    assert policy.kind is PolicyKind.TRUST
    assert policy.prefix == "/trust.json"
    principal = policy.document.statements[0].principal
    assert principal is not None
    assert principal.entries[0].normalized == "arn:aws:iam::111111111111:root"
    region = place_of(policy.at(principal.entries[0].pointer)).region
    assert region is not None
    line = RECIPE_MD.splitlines()[region.start.line - 1]
    assert line.strip().startswith('"Principal": {"AWS": "arn:aws:iam::${ACCOUNT}:root"}')
    assert line[region.start.column - 1 :].startswith('"AWS": "arn:aws:iam::${ACCOUNT}:root"')
    # The role's account is not in the script and no configuration names it: policies, but no role.
    assert model.roles == []
    assert policy.name == "Ops"


def test_markdown_without_shell_blocks_is_not_an_input(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "# Title\n\n```console\n$ aws iam list-roles\n```\n", encoding="utf-8"
    )
    model = load_paths([tmp_path], Config(), root=tmp_path)
    assert model.sources == [] and model.policies == []


@needs_seed
def test_the_seed_recipe_gives_the_json_forms_roles() -> None:
    result = lint([SEED], load_config(SHELL_CONFIG))
    assert role_signature(result.model) == role_signature(json_form().model)


@needs_seed
def test_the_seed_recipe_gives_the_json_forms_findings_on_its_own_lines() -> None:
    result = lint([SEED], load_config(SHELL_CONFIG))
    expected = finding_keys(json_form())
    assert expected
    assert finding_keys(result) == expected
    assert not misplaced(result)


@needs_seed
def test_the_seed_recipe_without_configuration_reports_its_unresolved_variables() -> None:
    result = lint([SEED], Config())
    unresolved = {
        (place_of(f.location).region.start.line, f.message.split(": ", 1)[0])  # type: ignore[union-attr]
        for f in result.findings
        if f.rule_id == "XA006"
    }
    lines = SEED.read_text(encoding="utf-8").splitlines()
    shown = {lines[line - 1].strip() for line, _ in unresolved}
    assert '"sts:ExternalId": "${PROD_EXTERNAL_ID}"' in shown  # runtime values stay symbolic, never guessed
    # The accounts come from the recipe's own exports: the master role lands in the security account because
    # the production trust policy names its full ARN.
    arns = {role.arn for role in result.model.roles}
    assert "arn:aws:iam::111111111111:role/MasterCrossAccountRole-${RANDOM_SUFFIX}" in arns
    assert "arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess-${RANDOM_SUFFIX}" in arns


@needs_seed
def test_the_seed_recipes_assume_role_calls_are_facts() -> None:
    model = load_paths([SEED], load_config(SHELL_CONFIG), root=REPO)
    text = SEED.read_text(encoding="utf-8").splitlines()
    by_arn = {}
    for call in model.assume_role_calls:
        by_arn.setdefault(call.role_arn, []).append(call)
    (helper,) = by_arn["arn:aws:iam::${TARGET_ACCOUNT}:role/${ROLE_NAME}"]  # in the generated helper script
    assert helper.transitive_tag_keys == ("Department", "Project", "Environment")
    assert dict(helper.tags) == {
        "Department": "Engineering",
        "Project": "CrossAccountDemo",
        "Environment": "Prod",
    }
    assert helper.external_id == "${EXTERNAL_ID}" and "EXTERNAL_ID" in helper.symbolic
    assert helper.duration_seconds == 3600
    region = place_of(helper.options["--transitive-tag-keys"]).region
    assert region is not None
    assert text[region.start.line - 1].strip() == "--transitive-tag-keys Department,Project,Environment \\"
    prod = by_arn["arn:aws:iam::222222222222:role/CrossAccount-ProductionAccess-a1b2c3"]
    assert sorted(c.external_id or "" for c in prod) == ["invalid-external-id", "k3v9q2m7x4p8w1z6"]
