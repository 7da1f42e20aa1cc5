"""The fixture harness: every rule's good and bad policy files, run through the real pipeline.

Fixtures are found, not listed. ``fixtures/<RULE_ID>/bad/*.json`` (or ``.yaml``) must produce exactly the
findings of that rule that ``fixtures/<RULE_ID>/expected.toml`` lists (JSON Pointer, line and column);
``fixtures/<RULE_ID>/good/*.json`` must produce none of that rule. Each file is linted on its own, with the
configuration found by walking up from it (a fixture directory may hold an ``xacct-lint.toml``) and with
every rule of the built-in pack, so rules run exactly as the CLI runs them.

The meta-tests make the convention binding: every built-in rule has good and bad fixtures, an expected entry
for every bad file, and documentation with all sections and an AWS documentation reference.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.rule import DOC_SECTIONS, Rule, doc_sections
from xacct_lint.engine.runner import INTERNAL_ERROR, Result, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import find_config, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
FIXTURE_ID = re.compile(r"^[A-Z]{2}\d{3}$")
AWS_DOCS = "https://docs.aws.amazon.com/"

Spot = tuple[
    str, int, int
]  # (logical JSON Pointer, line, column); line and column are 0 for a file-level finding


@functools.cache
def _rules() -> tuple[Rule, ...]:
    return builtin_pack().rules


def _fixture_dirs() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and FIXTURE_ID.match(p.name))


# Policy files and CloudFormation templates; a Terraform module or a shell recipe is tested in its own module
# (a directory of .tf files is one module, so fixtures side by side would merge).
FIXTURE_SUFFIXES = (".json", ".yaml", ".yml")


def _files(directory: Path, kind: str) -> list[Path]:
    return sorted(p for p in (directory / kind).glob("*") if p.suffix in FIXTURE_SUFFIXES)


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(directory.name, path, id=f"{directory.name}/{kind}/{path.name}")
        for directory in _fixture_dirs()
        for path in _files(directory, kind)
    ]


@functools.cache
def _expected(rule_id: str) -> dict[str, Any]:
    path = FIXTURES / rule_id / "expected.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


@functools.cache
def lint_file(path: Path) -> tuple[Result, ...]:
    """Return every result of the built-in rules on one file, as the CLI would compute them."""
    config = load_config(find_config([path]))
    model = load_paths([path], config, root=REPO_ROOT)
    results, _suppressed = to_results(run_rules(_rules(), RuleContext(model, config)), {})
    return tuple(results)


def _spot(result: Result) -> Spot:
    region = result.place.region
    if region is None:
        return (result.place.logical_path, 0, 0)
    return (result.place.logical_path, region.start.line, region.start.column)


def _describe(results: list[Result]) -> str:
    return "\n".join(f"  {_spot(r)} {r.severity.value}: {r.message}" for r in results) or "  (none)"


@dataclass(frozen=True)
class _Expectation:
    spots: frozenset[Spot]
    problems: tuple[str, ...]


def _expectation(rule_id: str, relative: str) -> _Expectation:
    entry = _expected(rule_id).get(relative)
    if not isinstance(entry, dict) or not isinstance(entry.get("findings"), list):
        return _Expectation(frozenset(), (f'expected.toml has no ["{relative}"] table with a findings list',))
    spots: set[Spot] = set()
    problems: list[str] = []
    for item in entry["findings"]:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("path"), str)
            and isinstance(item.get("line"), int)
            and isinstance(item.get("column"), int)
        ):
            problems.append(f"malformed finding {item!r}: needs path (string), line and column (integers)")
            continue
        spots.add((item["path"], item["line"], item["column"]))
    if not spots and not problems:
        problems.append("a bad fixture must list at least one finding")
    return _Expectation(frozenset(spots), tuple(problems))


@pytest.mark.parametrize(("rule_id", "path"), _cases("bad"))
def test_bad_fixture_fires_exactly_as_expected(rule_id: str, path: Path) -> None:
    relative = path.relative_to(FIXTURES / rule_id).as_posix()
    expectation = _expectation(rule_id, relative)
    assert not expectation.problems, f"fixtures/{rule_id}/expected.toml: {'; '.join(expectation.problems)}"
    fired = [r for r in lint_file(path) if r.rule.id == rule_id]
    actual = {_spot(r) for r in fired}
    assert actual == expectation.spots, (
        f"{rule_id} on {path.relative_to(REPO_ROOT)}\n"
        f"missing: {sorted(expectation.spots - actual)}\n"
        f"unexpected: {sorted(actual - expectation.spots)}\n"
        f"all {rule_id} findings:\n{_describe(fired)}"
    )


@pytest.mark.parametrize(("rule_id", "path"), _cases("good"))
def test_good_fixture_stays_quiet(rule_id: str, path: Path) -> None:
    fired = [r for r in lint_file(path) if r.rule.id == rule_id]
    assert not fired, f"{rule_id} fired on good fixture {path.relative_to(REPO_ROOT)}:\n{_describe(fired)}"


@pytest.mark.parametrize(("rule_id", "path"), _cases("bad") + _cases("good"))
def test_no_rule_crashes_on_fixture(rule_id: str, path: Path) -> None:
    crashes = [r for r in lint_file(path) if r.rule.id == INTERNAL_ERROR.id]
    assert not crashes, f"a rule crashed on {path.relative_to(REPO_ROOT)}:\n{_describe(crashes)}"


# -- meta-tests: the convention holds for every rule that exists ------------------------------------------


def _rule_params() -> list[Any]:
    return [pytest.param(rule, id=rule.meta.id) for rule in _rules()]


@pytest.mark.parametrize("rule", _rule_params())
def test_rule_has_good_and_bad_fixtures(rule: Rule) -> None:
    directory = FIXTURES / rule.meta.id
    assert directory.is_dir(), f"{rule.meta.id} ({rule.module}) has no fixtures directory {directory}"
    assert _files(directory, "good"), f"{rule.meta.id} has no fixtures/{rule.meta.id}/good/*.json"
    assert _files(directory, "bad"), f"{rule.meta.id} has no fixtures/{rule.meta.id}/bad/*.json"
    assert (directory / "expected.toml").is_file(), (
        f"{rule.meta.id} has no fixtures/{rule.meta.id}/expected.toml"
    )


@pytest.mark.parametrize("rule", _rule_params())
def test_expected_toml_matches_bad_files(rule: Rule) -> None:
    directory = FIXTURES / rule.meta.id
    bad = {p.relative_to(directory).as_posix() for p in _files(directory, "bad")}
    listed = set(_expected(rule.meta.id))
    assert not bad - listed, f"fixtures/{rule.meta.id}/expected.toml lacks entries for {sorted(bad - listed)}"
    assert not listed - bad, (
        f"fixtures/{rule.meta.id}/expected.toml lists missing files {sorted(listed - bad)}"
    )


@pytest.mark.parametrize("rule", _rule_params())
def test_rule_is_documented(rule: Rule) -> None:
    sections = doc_sections(rule.doc)
    missing = [title for title in DOC_SECTIONS if not sections.get(title)]
    assert not missing, f"{rule.meta.id} documentation lacks {missing}"
    assert AWS_DOCS in sections["References"], f"{rule.meta.id} References cite no {AWS_DOCS} page"


def test_every_fixture_directory_belongs_to_a_rule() -> None:
    ids = {rule.meta.id for rule in _rules()}
    orphans = [d.name for d in _fixture_dirs() if d.name not in ids]
    assert not orphans, f"fixture directories without a built-in rule: {orphans}"
