"""``check --jobs N``: the output is byte-for-byte the output of ``--jobs 1``, whatever N.

Rules run in forked workers (xacct_lint/engine/parallel.py); the parent puts their placed results back in rule
order. Compared here as SARIF bytes (and exit codes and stderr) on the recipe with its configuration and the
parliament pack, on every fixture, and on ../shared/corpora; plus the cases where a rule misbehaves: a rule
that crashes (an XA000 result) and a rule whose option is invalid (exit 2 with one line on stderr).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xacct_lint.engine import parallel
from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack
from xacct_lint.engine.runner import check_results, run_rules, to_results
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
needs_fork = pytest.mark.skipif(
    parallel._fork_context() is None, reason="no fork start method on this platform"
)


def run_check(cwd: Path, *arguments: str) -> tuple[int, bytes, str]:
    """Run ``xacct-lint check`` in a fresh process; return exit code, SARIF bytes and stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "xacct_lint", "check", *arguments, "--output-format", "sarif"],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=600,
    )
    return result.returncode, result.stdout, result.stderr.decode("utf-8", "replace")


def assert_same_for_every_jobs(
    cwd: Path, *arguments: str, jobs: tuple[str, ...] = ("2",)
) -> tuple[int, bytes, str]:
    """Return the serial run's outcome after checking that each ``--jobs`` value gives the same."""
    serial = run_check(cwd, *arguments, "--jobs", "1")
    for value in jobs:
        assert run_check(cwd, *arguments, "--jobs", value) == serial, f"--jobs {value} differs from --jobs 1"
    return serial


@needs_fork
def test_recipe_with_its_configuration_and_parliament() -> None:
    code, sarif, _stderr = assert_same_for_every_jobs(
        ROOT, "fixtures/recipe", "--config", "fixtures/recipe/xacct-lint.toml"
    )
    assert code == 1
    assert b'"ruleId": "XP' in sarif  # the configured parliament pack ran (in its own worker)


@needs_fork
def test_every_fixture() -> None:
    code, sarif, _stderr = assert_same_for_every_jobs(ROOT, "fixtures", "--no-config", "--fail-on", "never")
    assert code == 0
    assert b'"ruleId": "XA001"' in sarif and b'"ruleId": "XA003"' in sarif


@needs_fork
@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason=f"shared corpora not present at {SHARED}")
def test_shared_corpora() -> None:
    serial = run_check(SHARED, "corpora", "--no-config", "--fail-on", "never", "--jobs", "1")
    assert serial[0] == 0 and serial[1], serial[2]
    assert run_check(SHARED, "corpora", "--no-config", "--fail-on", "never", "--jobs", "2") == serial


# -- rules that misbehave ---------------------------------------------------------------------------------------

RULE = '''"""{summary}

## What it does
{summary}

## Why is this bad
It is a test rule for --jobs.

## Example
```json
{{"Statement": []}}
```

## Use instead
```json
{{"Statement": []}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html
"""

from __future__ import annotations

from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.config import ConfigError

META = RuleMeta("{rule_id}", "{name}", Severity.WARNING, ("test",))


def check(ctx):
{body}
'''

BODIES = {
    "xa951_every_statement.py": (
        "XA951",
        "every-statement",
        "    for policy in ctx.model.policies:\n"
        "        for statement in policy.document.statements:\n"
        '            yield Finding(META.id, f"statement {statement.index}", policy.at(statement.pointer))',
    ),
    "xa952_crashes.py": (
        "XA952",
        "crashes",
        "    for policy in ctx.model.policies:\n"
        "        raise RuntimeError(f'boom in {policy.label}')\n"
        "    yield from ()",
    ),
    "xa953_bad_option.py": (
        "XA953",
        "bad-option",
        "    if ctx.option(META.id, 'level', 1) != 1:\n"
        "        raise ConfigError('[rules.XA953] level must be 1')\n"
        "    yield from ()",
    ),
}


def _local_pack(directory: Path, option: str = "") -> None:
    rules = directory / "local_rules"
    rules.mkdir()
    for filename, (rule_id, name, body) in BODIES.items():
        text = RULE.format(summary=f"Test rule {name}.", rule_id=rule_id, name=name, body=body)
        (rules / filename).write_text(text, encoding="utf-8")
    (directory / "xacct-lint.toml").write_text(
        f'[lint]\nrule-dirs = ["local_rules"]\n{option}', encoding="utf-8"
    )
    (directory / "policies").mkdir()
    for index in range(3):
        (directory / "policies" / f"p{index}.json").write_text(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            '"Resource": "*"}, {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]}',
            encoding="utf-8",
        )


@needs_fork
def test_a_crashing_rule_is_reported_the_same(tmp_path: Path) -> None:
    _local_pack(tmp_path)
    code, sarif, _stderr = assert_same_for_every_jobs(
        tmp_path, "policies", "--fail-on", "never", jobs=("2", "3", "auto")
    )
    assert code == 1  # an internal error always fails the run
    assert b"XA000" in sarif and b"boom in policies/p0.json" in sarif and b"statement 1" in sarif


@needs_fork
def test_a_bad_rule_option_is_one_line_and_exit_2(tmp_path: Path) -> None:
    _local_pack(tmp_path, "[rules.XA953]\nlevel = 2\n")
    code, sarif, stderr = assert_same_for_every_jobs(tmp_path, "policies", jobs=("2", "3"))
    assert code == 2
    assert sarif == b""
    assert stderr == "xacct-lint: error: [rules.XA953] level must be 1\n"


def test_jobs_must_be_positive_or_auto(tmp_path: Path) -> None:
    for bad in ("0", "-1", "many"):
        code, _sarif, stderr = run_check(ROOT, "fixtures/recipe", "--jobs", bad)
        assert code == 2 and "--jobs" in stderr


# -- the API under the command line -----------------------------------------------------------------------------


@needs_fork
def test_parallel_run_really_runs_in_workers_and_matches_serial() -> None:
    config = load_config(None)
    model = load_paths([ROOT / "fixtures"], config, root=ROOT)
    rules = builtin_pack().rules
    ctx = RuleContext(model=model, config=config)
    placed = parallel.run_placed(rules, ctx, {}, 2)
    assert placed is not None, "the pool fell back to a serial run"
    assert len(placed) == len(rules)
    serial = to_results(run_rules(rules, RuleContext(model=model, config=config)), {})
    assert check_results(rules, RuleContext(model=model, config=config), {}, jobs=2) == serial


def test_auto_stays_serial_for_small_inputs() -> None:
    assert parallel.auto_jobs(1) == 1
    assert parallel.auto_jobs(parallel.AUTO_MIN_POLICIES) == parallel.available_cpus()
