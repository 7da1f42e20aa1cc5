"""The command line: argument parsing and wiring, nothing else.

``xacct-lint check`` loads the inputs, runs the selected rules and reports; ``rules`` lists the rules;
``explain`` prints one rule's documentation. Exit codes: 0 clean (nothing at or above the fail level), 1
findings at or above it or a rule crashed, 2 a usage, configuration or I/O error (one line on stderr).

Start-up is paid by pre-commit on every commit, so this module imports only the standard library's argument
parser at import time; everything else is imported by the command that needs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xacct_lint import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from xacct_lint.engine.rule import Rule
    from xacct_lint.model.config import Config
    from xacct_lint.report import Report

PROG = "xacct-lint"
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_LEVELS = ("error", "warning", "note", "never")
FAIL_RANK = {"error": 3, "warning": 2, "note": 1}


class UsageError(Exception):
    """A mistake on the command line that argparse cannot see (an unknown rule id, ...)."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _split_ids(values: Sequence[str] | None) -> tuple[str, ...]:
    """Return the rule selectors of repeated, comma-separated options (``--select XA1,XA201``)."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of all commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Lint AWS cross-account IAM trust and permission policies.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def pack_options(sub: argparse.ArgumentParser) -> None:
        config = sub.add_mutually_exclusive_group()
        config.add_argument("--config", metavar="FILE", help="configuration file (default: nearest found)")
        config.add_argument("--no-config", action="store_true", help="ignore configuration files")
        sub.add_argument(
            "--pack", action="append", default=[], metavar="NAME", help="enable a rule pack (repeatable)"
        )

    check = commands.add_parser("check", help="lint policy files", description="Lint policy files.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to check")
    pack_options(check)
    check.add_argument(
        "--output-format", "--format", dest="output_format", choices=("text", "json", "sarif"), default="text"
    )
    check.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically)")
    check.add_argument(
        "--select",
        action="append",
        metavar="IDS",
        help="only these rules (comma-separated ids, prefixes or names)",
    )
    check.add_argument("--ignore", action="append", metavar="IDS", help="skip these rules (comma-separated)")
    check.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        help="lowest severity that fails the run (default: config, else warning)",
    )
    check.add_argument("--baseline", metavar="FILE", help="hide findings whose fingerprints are in FILE")
    check.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="accept all current findings: write their fingerprints to FILE",
    )
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (default: auto)",
    )
    check.set_defaults(handler=_check)

    rules = commands.add_parser("rules", help="list the available rules", description="List the rules.")
    pack_options(rules)
    rules.add_argument(
        "--output-format", "--format", dest="output_format", choices=("text", "json"), default="text"
    )
    rules.set_defaults(handler=_rules)

    explain = commands.add_parser(
        "explain", help="show a rule's documentation", description="Explain a rule."
    )
    explain.add_argument("rule", metavar="RULE", help="rule id (XA201) or name")
    pack_options(explain)
    explain.set_defaults(handler=_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors; callers get a code, not an exit
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_ERROR)
    if args.command is None:
        parser.print_usage(sys.stderr)
        _error("a command is required (check, rules, explain)")
        return EXIT_ERROR
    from xacct_lint.engine.registry import RulePackError
    from xacct_lint.model.config import ConfigError

    try:
        code: int = args.handler(args)
    except (UsageError, ConfigError, RulePackError) as exc:
        _error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return code


# --- shared steps ----------------------------------------------------------------------------------------


def _load_config(args: argparse.Namespace, paths: Sequence[Path]) -> Config:
    from pathlib import Path

    from xacct_lint.model.config import find_config, load_config

    if args.no_config:
        return load_config(None)
    if args.config is not None:
        return load_config(Path(args.config))
    return load_config(find_config(paths))


def _load_rules(config: Config, extra_packs: Sequence[str]) -> tuple[Rule, ...]:
    """Return the rules of the built-in pack, the configured packs and rule directories, and ``--pack``."""
    from xacct_lint.engine.registry import RulePack, RulePackError, builtin_pack, merge_packs, named_pack

    names = list(dict.fromkeys([*config.packs, *extra_packs]))
    try:
        packs = [builtin_pack(), *(named_pack(n) for n in names if n != "builtin")]
        packs += [RulePack.from_directory(d) for d in config.rule_dirs]
    except RulePackError:
        raise
    except Exception as exc:  # a user's rule module that does not import is their error, not a crash of ours
        raise RulePackError(f"cannot load a rule pack: {type(exc).__name__}: {exc}") from exc
    return merge_packs(packs)


def _check_selectors(rules: Sequence[Rule], selectors: Sequence[str], option: str) -> None:
    for selector in selectors:
        if not any(r.meta.id.startswith(selector) or r.meta.name == selector for r in rules):
            raise UsageError(f"{option} {selector}: matches no rule (see `{PROG} rules`)")


def _use_color(choice: str, to_file: bool) -> bool:
    if choice != "auto":
        return choice == "always"
    # https://no-color.org: a non-empty NO_COLOR turns default colour off; an explicit --color always wins.
    return not to_file and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def _emit(text: str, output: str | None) -> None:
    """Write a command's output to stdout or, atomically, to a file; raise OSError when that fails."""
    from pathlib import Path

    from xacct_lint.report.output import write_output

    try:
        write_output(text, Path(output) if output is not None else None)
    except BrokenPipeError:
        if output is not None:
            raise
        # The reader went away (``| head``): point stdout at devnull so the interpreter's last flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _render(report: Report, args: argparse.Namespace) -> str:
    if args.output_format == "json":
        from xacct_lint.report.json_report import render_json

        return render_json(report)
    if args.output_format == "sarif":
        from xacct_lint.report.sarif import render_sarif

        return render_sarif(report)
    from xacct_lint.report.text import render_text

    return render_text(report, color=_use_color(args.color, args.output is not None))


# --- commands --------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.registry import select_rules
    from xacct_lint.engine.runner import (
        INTERNAL_ERROR,
        baseline_document,
        load_baseline,
        run_rules,
        to_results,
    )
    from xacct_lint.load import LoadError, load_paths
    from xacct_lint.report import build_report

    paths = [Path(p) for p in args.paths]
    config = _load_config(args, paths)
    all_rules = _load_rules(config, args.pack)
    select, ignore = _split_ids(args.select), _split_ids(args.ignore)
    _check_selectors(all_rules, select, "--select")
    _check_selectors(all_rules, ignore, "--ignore")
    rules = select_rules(select_rules(all_rules, config.select, config.ignore), select, ignore)

    baseline_path = Path(args.baseline) if args.baseline is not None else config.baseline
    # Writing a baseline records every current finding, so an older baseline must not filter them first.
    baseline = (
        load_baseline(baseline_path)
        if baseline_path is not None and args.write_baseline is None
        else frozenset()
    )
    try:
        model = load_paths(paths, config, root=Path.cwd())
    except LoadError as exc:
        _error(str(exc))
        return EXIT_ERROR

    findings = run_rules(rules, RuleContext(model=model, config=config))
    results, suppressed = to_results(findings, config.severity, baseline)
    if args.write_baseline is not None:
        # A crash is never accepted into a baseline: it stays a failing result.
        accepted = [r for r in results if r.rule.id != INTERNAL_ERROR.id]
        results = [r for r in results if r.rule.id == INTERNAL_ERROR.id]
        suppressed = len(accepted)
        from xacct_lint.report.output import write_atomic

        try:
            write_atomic(Path(args.write_baseline), baseline_document(accepted))
        except OSError as exc:
            _error(f"cannot write baseline {args.write_baseline}: {exc.strerror or exc}")
            return EXIT_ERROR
        count = len({r.fingerprint for r in accepted})
        print(f"{PROG}: wrote {count} fingerprint(s) to {args.write_baseline}", file=sys.stderr)

    report = build_report(model, rules, results, suppressed=suppressed, severity_overrides=config.severity)
    try:
        _emit(_render(report, args), args.output)
    except OSError as exc:
        _error(f"cannot write {args.output or 'output'}: {exc.strerror or exc}")
        return EXIT_ERROR

    fail_on = args.fail_on or config.fail_on
    failing = fail_on != "never" and any(r.severity.rank >= FAIL_RANK[fail_on] for r in results)
    return EXIT_FINDINGS if failing or report.internal_errors else EXIT_OK


def _rules_for_listing(args: argparse.Namespace) -> tuple[Rule, ...]:
    from pathlib import Path

    return _load_rules(_load_config(args, [Path.cwd()]), args.pack)


def _rules(args: argparse.Namespace) -> int:
    rules = _rules_for_listing(args)
    if args.output_format == "json":
        import json

        rows = [
            {
                "id": r.meta.id,
                "name": r.meta.name,
                "severity": r.meta.severity.value,
                "pack": r.pack,
                "tags": list(r.meta.tags),
                "summary": r.summary,
            }
            for r in rules
        ]
        text = json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    else:
        table = [(r.meta.id, r.meta.name, r.meta.severity.value, r.pack, r.summary) for r in rules]
        widths = [max((len(row[i]) for row in table), default=0) for i in range(4)]
        lines = ["  ".join([*(row[i].ljust(widths[i]) for i in range(4)), row[4]]) for row in table]
        text = "".join(f"{line}\n" for line in lines) if lines else "no rules\n"
    _emit(text, None)
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    wanted = args.rule.strip()
    if wanted.upper() == "XA000" or wanted == "internal-error":
        from xacct_lint.engine.runner import INTERNAL_ERROR
        from xacct_lint.report.sarif import INTERNAL_ERROR_DOC

        meta, doc, origin = INTERNAL_ERROR, INTERNAL_ERROR_DOC, "built into the engine"
    else:
        found = [r for r in _rules_for_listing(args) if r.meta.id == wanted.upper() or r.meta.name == wanted]
        if not found:
            raise UsageError(f"unknown rule {wanted!r} (see `{PROG} rules`)")
        rule = found[0]
        meta, doc, origin = rule.meta, rule.doc, f"pack {rule.pack} ({rule.module})"
    header = [
        f"{meta.id} {meta.name}",
        f"  default severity: {meta.severity.value}",
        f"  from: {origin}",
    ]
    if meta.tags:
        header.append(f"  tags: {', '.join(meta.tags)}")
    _emit("\n".join(header) + "\n\n" + doc.strip() + "\n", None)
    return EXIT_OK
