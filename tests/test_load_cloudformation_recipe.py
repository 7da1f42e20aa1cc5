"""Done means: the recipe written as CloudFormation (fixtures/cloudformation/recipe, one template per account)
gives the same roles and the same findings as its JSON form (fixtures/recipe), each pointing at a line of its
own file. Findings are compared by rule id and by what they are about -- a role, and the JSON Pointer inside
one of its policy documents -- never by position."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from xacct_lint.cli import _load_rules
from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.runner import Place, Result, place_of, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config
from xacct_lint.model.inventory import Model, Policy, Role

REPO = Path(__file__).resolve().parents[1]
JSON_FORM = REPO / "fixtures" / "recipe"
CFN_FORM = REPO / "fixtures" / "cloudformation" / "recipe"

About = tuple[str, ...]


@functools.cache
def run(directory: Path) -> tuple[Model, tuple[Result, ...]]:
    config = load_config(directory / "xacct-lint.toml")
    model = load_paths([directory], config, root=directory)
    # The rules the CLI runs for this configuration: the built-in pack and parliament's ([lint] packs).
    results, _ = to_results(run_rules(_load_rules(config, []), RuleContext(model, config)), {})
    return model, tuple(results)


def digest(policy: Policy) -> str:
    canonical = json.dumps(policy.document.root.to_python(), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def role_view(role: Role) -> tuple[object, ...]:
    assert role.trust_policy is not None
    return (
        role.arn,
        role.account_id,
        role.path,
        role.max_session_duration,
        digest(role.trust_policy),
        tuple(sorted(digest(p) for p in role.permission_policies)),
    )


def owner_of(model: Model, policy: Policy) -> str:
    role = model.role_for(policy)
    return role.name if role is not None else "?"


def about(model: Model, result: Result) -> About:
    """Return what a finding is about, independent of the file it is written in."""
    place = result.place
    candidates = [
        p
        for p in model.policies
        if p.source.display_path == place.path and place.logical_path.startswith(p.prefix)
    ]
    if candidates:
        policy = max(candidates, key=lambda p: len(p.prefix))
        pointer = place.logical_path[len(policy.prefix) :]
        return (result.rule.id, owner_of(model, policy), policy.kind.value, digest(policy), pointer)
    for role in model.roles:
        for what, location in (("max-session", role.max_session_location), ("role", role.location)):
            if location is not None and _same_place(place_of(location), place):
                return (result.rule.id, role.name, what)
    return (result.rule.id, "unplaced", place.path, place.logical_path)


def _same_place(one: Place, other: Place) -> bool:
    return (one.path, one.logical_path, one.region) == (other.path, other.logical_path, other.region)


def test_same_roles_with_the_same_documents() -> None:
    json_model, _ = run(JSON_FORM)
    cfn_model, _ = run(CFN_FORM)
    assert sorted(map(role_view, cfn_model.roles)) == sorted(map(role_view, json_model.roles))
    assert len(cfn_model.roles) == 4
    # The templates say more than the JSON form's configuration: tags and the Lambda's managed policies.
    by_name = {r.name: r for r in cfn_model.roles}
    assert by_name["CrossAccount-ProductionAccess-a1b2c3"].tags == {
        "Environment": "Production",
        "Purpose": "CrossAccount",
    }
    assert by_name["RoleValidatorLambdaRole-a1b2c3"].managed_policy_arns == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    ]


def test_same_findings_as_the_json_form() -> None:
    json_model, json_results = run(JSON_FORM)
    cfn_model, cfn_results = run(CFN_FORM)
    expected = sorted(about(json_model, r) for r in json_results)
    actual = sorted(about(cfn_model, r) for r in cfn_results)
    assert actual == expected
    assert not [a for a in actual if a[1] in ("?", "unplaced")]
    assert {r.rule.id for r in cfn_results} >= {"XA005", "XA104", "XA206", "XA207", "XA208", "XA209", "XP020"}


def test_every_finding_points_at_a_line_of_its_own_template() -> None:
    cfn_model, cfn_results = run(CFN_FORM)
    texts = {s.display_path: s.text.splitlines() for s in cfn_model.sources}
    assert set(texts) == {"stacks/dev.json", "stacks/prod.yaml", "stacks/security.yaml"}
    for result in cfn_results:
        region = result.place.region
        assert region is not None and result.place.path in texts, result
        line = texts[result.place.path][region.start.line - 1]
        last = result.place.logical_path.rsplit("/", 1)[-1]
        if not last.isdigit():
            assert last in line, (result.rule.id, result.place.logical_path, line)


def test_known_findings_land_on_their_template_lines() -> None:
    _model, results = run(CFN_FORM)

    def line(rule_id: str, path: str, pointer_end: str) -> str:
        (result,) = [
            r
            for r in results
            if r.rule.id == rule_id and r.place.path == path and r.place.logical_path.endswith(pointer_end)
        ]
        region = result.place.region
        assert region is not None
        text = (CFN_FORM / path).read_text(encoding="utf-8").splitlines()[region.start.line - 1]
        return text[region.start.column - 1 :]

    assert (
        line("XA208", "stacks/prod.yaml", "/StringLike/aws:userid")
        == 'aws:userid: !Sub "*:${SecurityAccountId}:*"'
    )
    assert (
        line("XA207", "stacks/security.yaml", "/SAML:department")
        == "SAML:department: !Ref AllowedDepartments"
    )
    assert line("XA104", "stacks/security.yaml", "/Principal/Service").startswith("Service: !Sub lambda.")
    assert (
        line("XA209", "stacks/security.yaml", "/aws:RequestedRegion")
        == "aws:RequestedRegion: !Ref AWS::Region"
    )
    assert line("XA303", "stacks/dev.json", "/MaxSessionDuration") == '"MaxSessionDuration": 7200,'
