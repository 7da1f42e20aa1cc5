"""Helpers shared by the `xacct-lint generate` tests: generate in-process and lint an output directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import builtin_pack, select_rules
from xacct_lint.engine.rule import Rule
from xacct_lint.engine.runner import Result, run_rules, to_results
from xacct_lint.generate import Generated, generate
from xacct_lint.generate.render import check_variables
from xacct_lint.load import load_paths
from xacct_lint.model.config import load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
RECIPE_CONFIG = REPO_ROOT / "fixtures" / "generate" / "recipe.toml"
FAIL_RANK = {"error": 3, "warning": 2, "note": 1}


def generate_from(
    config_path: Path,
    out: Path,
    *,
    environ: Mapping[str, str] | None = None,
    seed: int | None = 7,
    from_env: bool = False,
) -> Generated:
    """Generate the federation of a configuration file into ``out``."""
    config = load_config(config_path)
    return generate(config, out, environ=environ or {}, external_ids_from_env=from_env, seed=seed)


def lint_dir(out: Path, generated: Generated | None = None) -> list[Result]:
    """Return the results of the built-in rules on a generated directory, with its own xacct-lint.toml (the
    pipeline of `xacct-lint check OUTDIR`, in-process). Pass ``generated`` for a directory written with
    ``--external-id-from-env``: its apply files then get the ExternalIds as variables, as `generate --check`
    gives them."""
    config = load_config(out / "xacct-lint.toml")
    rules = select_rules(builtin_pack().rules, config.select, config.ignore)
    variables = dict(check_variables(generated.plan)) if generated is not None else {}
    model = load_paths([out], config, root=out, variables=variables)
    results, _ = to_results(run_rules(rules, RuleContext(model=model, config=config)), config.severity)
    return results


def failing(results: list[Result], fail_on: str = "warning") -> list[Result]:
    """Return the results at or above the threshold (the default threshold of `check` is warning)."""
    return [r for r in results if r.severity.rank >= FAIL_RANK[fail_on]]


def describe(results: list[Result]) -> list[str]:
    """Return one line per result, for assertion messages."""
    return [f"{r.place.path}{r.place.logical_path} {r.rule.id} {r.message}" for r in results]


def lint_dir_rules(
    out: Path, rules: Sequence[Rule], generated: Generated | None, *, paths: Sequence[Path] | None = None
) -> list[Result]:
    """Return the results of ``rules`` on a generated directory (or on ``paths`` in it), as `lint_dir`."""
    config = load_config(out / "xacct-lint.toml")
    variables = dict(check_variables(generated.plan)) if generated is not None else {}
    model = load_paths(list(paths or [out]), config, root=out, variables=variables)
    results, _ = to_results(run_rules(rules, RuleContext(model=model, config=config)), config.severity)
    return results
