"""Correctness lock for performance work: the findings on real corpora equal a stored expected set.

``check`` runs through the real command line over ``../shared/corpora`` (default rules, no configuration) and
over ``fixtures/recipe`` (with its own ``xacct-lint.toml``). Each finding is reduced to rule id, relative path,
logical path, message and region (line and column: a faster parser must keep every span), and the sorted
list is compared with ``tests/data/corpus_findings.json.gz``.

The expected set is a snapshot, not a specification: rules change, and then it is regenerated on purpose::

    python tests/test_corpus_findings.py --update

An optimisation must never need that: the same code of the rules gives the same findings, serial or parallel,
fast parser or slow. ``python tests/test_corpus_findings.py --compare-reference`` checks exactly that, without
the stored set: it runs the cases with the fast paths and again with the slow implementations they replaced.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXPECTED = Path(__file__).resolve().parent / "data" / "corpus_findings.json.gz"

Record = tuple[str, str, str, str, tuple[int, int, int, int] | None]

# name -> (working directory, check arguments). Paths in findings are relative to the working directory.
CASES: dict[str, tuple[Path, list[str]]] = {
    "corpora": (SHARED, ["corpora", "--no-config"]),
    "recipe": (ROOT, ["fixtures/recipe", "--config", "fixtures/recipe/xacct-lint.toml"]),
}


def _records(report: dict[str, Any]) -> list[Record]:
    out: list[Record] = []
    for result in report["results"]:
        region = result.get("region")
        where = (
            (region["start_line"], region["start_column"], region["end_line"], region["end_column"])
            if region
            else None
        )
        out.append((result["rule_id"], result["path"], result["logical_path"], result["message"], where))
    return sorted(out, key=lambda r: (r[1], r[0], r[2], r[3], r[4] or (0, 0, 0, 0)))


def collect(case: str, extra: list[str] | None = None) -> list[Record]:
    """Return the findings of one case, run in-process through ``xacct_lint.cli.main``."""
    from xacct_lint.cli import main

    cwd, arguments = CASES[case]
    previous = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        try:
            os.chdir(cwd)
            argv = ["check", *arguments, "--fail-on", "never", "--output-format", "json", "-o", str(out)]
            code = main([*argv, *(extra or [])])
        finally:
            os.chdir(previous)
        assert code == 0, f"check {case} exited {code}"
        report = json.loads(out.read_text(encoding="utf-8"))
    return _records(report)


def _as_json(records: list[Record]) -> list[list[Any]]:
    return [[*r[:4], list(r[4]) if r[4] is not None else None] for r in records]


def load_expected() -> dict[str, list[list[Any]]]:
    """Return the stored expected findings of every case."""
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as handle:
        data: dict[str, list[list[Any]]] = json.load(handle)
    return data


def update() -> None:
    """Regenerate the expected set from the current tree (deterministic bytes: gzip mtime 0, sorted)."""
    data = {case: _as_json(collect(case)) for case in sorted(CASES)}
    text = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
    EXPECTED.parent.mkdir(parents=True, exist_ok=True)
    with EXPECTED.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    for case, records in data.items():
        print(f"{case}: {len(records)} findings -> {EXPECTED.relative_to(ROOT)}")


def _describe(records: list[list[Any]]) -> str:
    shown = [f"  {r[0]} {r[1]} {r[2]!r} {r[4]}: {r[3][:100]}" for r in records[:15]]
    more = f"\n  ... and {len(records) - 15} more" if len(records) > 15 else ""
    return "\n".join(shown) + more


@pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared corpora not present at {SHARED} (outside this repository)"
)
@pytest.mark.parametrize("case", sorted(CASES))
def test_findings_equal_the_stored_set(case: str) -> None:
    if not EXPECTED.is_file():
        pytest.skip(f"no expected set yet: run python tests/test_corpus_findings.py --update ({EXPECTED})")
    expected = load_expected()[case]
    actual = _as_json(collect(case))
    key = json.dumps
    expected_keys, actual_keys = {key(r) for r in expected}, {key(r) for r in actual}
    missing = [r for r in expected if key(r) not in actual_keys]
    unexpected = [r for r in actual if key(r) not in expected_keys]
    assert not missing and not unexpected, (
        f"{case}: findings differ from {EXPECTED.name} (if a rule changed on purpose, regenerate with "
        f"`python tests/test_corpus_findings.py --update`)\n"
        f"missing ({len(missing)}):\n{_describe(missing)}\nunexpected ({len(unexpected)}):\n{_describe(unexpected)}"
    )
    assert actual == expected  # same set and same multiplicity, in the same order


def use_reference_paths() -> None:
    """Switch this process to the slow reference implementations that the performance work replaced.

    The strict character-by-character JSON parser, jsonschema for every document (XA002, configuration),
    difflib's get_close_matches (XA004), XA007's per-character length, the iterative to_python, a scan for
    Model.role_for, one process.
    ``--compare-reference`` runs the cases both ways: a difference is a bug in a fast path.
    """
    import difflib
    import importlib

    from xacct_lint import schema_check
    from xacct_lint.iamdb import IamDatabase
    from xacct_lint.model.inventory import Model, Policy, Role
    from xacct_lint.parse import json_tree

    json_tree._parse_valid = lambda *_args: None  # type: ignore[assignment]
    json_tree._to_python = json_tree._to_python_iterative
    schema_check.accepts = lambda *_args: False  # type: ignore[assignment]
    importlib.import_module("xacct_lint.rules.xa002_invalid_policy_grammar").accepts = schema_check.accepts

    def closest_service(self: IamDatabase, prefix: str, cutoff: float = 0.6) -> str | None:
        found = difflib.get_close_matches(prefix, self.services(), n=1, cutoff=cutoff)
        return found[0] if found else None

    def closest_action(self: IamDatabase, service: str, name: str, cutoff: float = 0.6) -> str | None:
        names = {a.partition(":")[2].lower(): a for a in self.match_actions(f"{service}:*")}
        found = difflib.get_close_matches(name, list(names), n=1, cutoff=cutoff)
        return names[found[0]] if found else None

    IamDatabase.closest_service = closest_service  # type: ignore[method-assign]
    IamDatabase.closest_action = closest_action  # type: ignore[method-assign]

    def string_length(text: str) -> int:
        return len(json.dumps(text, ensure_ascii=False)) - sum(1 for c in text if c in " \t\n\r")

    importlib.import_module("xacct_lint.rules.xa007_policy_size_exceeded")._string_length = string_length

    def role_for(self: Model, policy: Policy) -> Role | None:
        return (
            next((role for role in self.roles if role.arn == policy.role_arn), None)
            if policy.role_arn
            else None
        )

    Model.role_for = role_for  # type: ignore[method-assign]


def compare_reference() -> int:
    """Run every case with the fast paths (--jobs 2) and then with the reference paths; return 1 on a difference."""
    fast = {case: _as_json(collect(case, ["--jobs", "2"])) for case in sorted(CASES)}
    use_reference_paths()
    slow = {case: _as_json(collect(case, ["--jobs", "1"])) for case in sorted(CASES)}
    status = 0
    for case in sorted(CASES):
        if fast[case] == slow[case]:
            print(f"{case}: {len(fast[case])} findings, identical with the reference paths")
            continue
        status = 1
        only_fast = [r for r in fast[case] if r not in slow[case]]
        only_slow = [r for r in slow[case] if r not in fast[case]]
        print(
            f"{case}: DIFFERENT\nonly fast:\n{_describe(only_fast)}\nonly reference:\n{_describe(only_slow)}"
        )
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true", help="regenerate the expected set")
    mode.add_argument(
        "--compare-reference",
        action="store_true",
        help="compare the findings of the fast paths with those of the slow reference implementations",
    )
    options = parser.parse_args()
    if options.compare_reference:
        sys.exit(compare_reference())
    if not options.update:
        sys.exit(pytest.main([__file__, "-q"]))
    update()
