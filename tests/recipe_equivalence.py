"""Compare the recipe read from another format with its JSON form (fixtures/recipe): same roles, same findings.

A finding is compared by rule id and *logical* place: the role its policy belongs to, whether it is the trust
policy or the n-th permission policy, and the JSON Pointer inside that document (the file and its prefix
differ between formats, the statement a finding names must not). Role-level findings (a session duration)
are compared by role. Each finding must also point at a line of its own file that shows what it names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from xacct_lint.cli import _load_rules
from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding
from xacct_lint.engine.runner import place_of, run_rules
from xacct_lint.load import load_paths
from xacct_lint.model.config import Config, load_config
from xacct_lint.model.inventory import Model, Policy
from xacct_lint.parse.json_tree import split_pointer

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "fixtures" / "recipe"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "cross-account-iam-role-federation.md"

Key = tuple[str, ...]


@dataclass(frozen=True)
class Lint:
    """A loaded model and every finding the configured rules report on it."""

    model: Model
    findings: tuple[Finding, ...]


def lint(paths: list[Path], config: Config, variables: Mapping[str, str] | None = None) -> Lint:
    model = load_paths(paths, config, root=REPO, variables=variables)
    rules = _load_rules(config, [])
    findings = tuple(f for _rule, f in run_rules(rules, RuleContext(model, config)))
    return Lint(model, findings)


@functools.cache
def json_form() -> Lint:
    return lint([RECIPE], load_config(RECIPE / "xacct-lint.toml"))


def role_signature(model: Model) -> set[Key]:
    """Return what defines each role: ARN, account, session limit, tags, trust and permission policy names."""
    out: set[Key] = set()
    for role in model.roles:
        out.add(
            (
                role.arn,
                role.account_id,
                str(role.max_session_duration),
                "trust" if role.trust_policy is not None else "no trust",
                str(len(role.permission_policies)),
            )
        )
    return out


def _policy_keys(model: Model) -> dict[int, Key]:
    keys: dict[int, Key] = {}
    for role in model.roles:
        if role.trust_policy is not None:
            keys[id(role.trust_policy.document.root)] = (role.name, "trust")
        for index, policy in enumerate(role.permission_policies):
            keys[id(policy.document.root)] = (role.name, f"permission {index}")
    return keys


def finding_keys(result: Lint) -> set[Key]:
    """Return (rule id, role, policy, pointer) for findings in role policies, (rule id, role, what) for role
    facts; findings elsewhere (policies of no role, graph paths) are not part of the comparison."""
    policies = _policy_keys(result.model)
    roles = {}
    for role in result.model.roles:
        if role.max_session_location is not None:
            roles[(id(role.max_session_location.source), role.max_session_location.span)] = role.name
    out: set[Key] = set()
    for finding in result.findings:
        location = finding.location
        key = policies.get(id(location.root)) if location.root is not None else None
        if key is not None:
            out.add((finding.rule_id, *key, location.pointer))
            continue
        role_name = roles.get((id(location.source), location.span))
        if role_name is not None and finding.rule_id.startswith("XA3"):
            out.add((finding.rule_id, role_name, "max-session-duration"))
    return out


def policy_of_root(model: Model, finding: Finding) -> Policy | None:
    for policy in model.policies:
        if policy.document.root is finding.location.root:
            return policy
    return None


def misplaced(result: Lint) -> list[str]:
    """Return findings in role policies whose line does not show the key or value their pointer names."""
    bad: list[str] = []
    keys = _policy_keys(result.model)
    for finding in result.findings:
        if finding.location.root is None or id(finding.location.root) not in keys:
            continue
        place = place_of(finding.location)
        if place.region is None:
            bad.append(f"{finding.rule_id} {finding.location.pointer}: no region")
            continue
        line = finding.location.source.line_text(place.region.start.line)
        if not any(token in line for token in _expected_tokens(finding)):
            bad.append(
                f"{finding.rule_id} {finding.location.pointer}: line {place.region.start.line} is {line!r}"
            )
    return bad


def _expected_tokens(finding: Finding) -> list[str]:
    """Return text one of which the finding's line must show: the last named key, or the value itself."""
    from xacct_lint.parse.json_tree import resolve_pointer

    location = finding.location
    assert location.root is not None
    tokens = split_pointer(location.pointer)
    node, _member, _exact = resolve_pointer(location.root, location.pointer)
    expected: list[str] = []
    names = [t for t in tokens if not t.isdigit()]
    if names:
        last = names[-1]
        expected.append(last)
        # Terraform writes an element name in its own spelling; a data source's blocks stand for members.
        expected.extend(_TERRAFORM_NAMES.get(last, ()))
    if isinstance(node.value, str) and node.value:
        expected.append(node.value)
        expected.extend(re.split(r"\$\{|\}", node.value))
    if not tokens or tokens[-1].isdigit():  # a document or a statement: its opening brace or block
        expected.extend(["{", "policy", "assume_role_policy", "data", "statement"])
    return [e for e in expected if e]


_TERRAFORM_NAMES = {
    "Statement": ("statement",),
    "Principal": ("principals",),
    "NotPrincipal": ("not_principals",),
    "Action": ("actions",),
    "NotAction": ("not_actions",),
    "Resource": ("resources",),
    "NotResource": ("not_resources",),
    "Condition": ("condition",),
    "Effect": ("effect", "statement"),
    "Version": ("version", "data"),
}
