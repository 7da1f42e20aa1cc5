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
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from xacct_lint import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.rule import Rule
    from xacct_lint.engine.runner import Result
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
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths a directory walk finds that match GLOB, relative to the current directory (a name "
        "without / matches at any depth; ** spans directories; repeatable; adds to [lint] exclude)",
    )
    check.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="value of a script or template variable (${NAME}, var.NAME); NAME alone takes it from the "
        "environment (repeatable; overrides [variables] in the configuration)",
    )
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (default: auto)",
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes for the rules: a number, or auto (default: the CPU count for large inputs, "
        "one for small ones); the output is the same for every N",
    )
    limits = check.add_argument_group(
        "limits", "resource bounds; each overrides [limits] in the configuration (hitting one is a finding)"
    )
    limits.add_argument(
        "--max-file-size",
        type=_limit(1),
        metavar="BYTES",
        help="larger input files are not read (default 10000000)",
    )
    limits.add_argument(
        "--max-depth", type=_limit(1, 512), metavar="N", help="deeper JSON nesting is not read (default 256)"
    )
    limits.add_argument(
        "--max-statements",
        type=_limit(1),
        metavar="N",
        help="policies with more statements are not analysed (default 1000)",
    )
    limits.add_argument(
        "--search-budget",
        type=_limit(1),
        metavar="N",
        help="combinations one witness search explores before it answers 'unknown' (default 100000)",
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

    generate = commands.add_parser(
        "generate",
        help="write compliant trust and permission policies from the configuration",
        description="Write the federation the configuration describes: policies, xacct-lint.toml, manifest, "
        "AWS CLI script and CloudFormation templates.",
    )
    generate.add_argument("--config", metavar="FILE", required=True, help="configuration with [federation]")
    generate.add_argument(
        "--out", metavar="DIR", required=True, help="output directory (new, empty, or earlier output)"
    )
    generate.add_argument(
        "--check", action="store_true", help="then run `check` on DIR; exit 1 on any finding at its threshold"
    )
    generate.add_argument(
        "--external-id-from-env",
        action="store_true",
        help="the script and templates read ExternalIds from the environment instead of holding them",
    )
    generate.add_argument(
        "--seed", type=int, metavar="N", help="TESTS ONLY: reproducible ExternalIds (never for real roles)"
    )
    generate.set_defaults(handler=_generate)

    graph = commands.add_parser(
        "graph",
        help="draw the assume-role graph, or list the paths between two nodes",
        description="Draw the assume-role graph across accounts (Mermaid, DOT, node-link JSON, one HTML page), "
        "or, with --from/--to, list the paths and what each hop demands of its caller.",
    )
    graph.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to read")
    pack_options(graph)
    graph.add_argument(
        "--format",
        dest="graph_format",
        choices=("mermaid", "dot", "json", "html", "text"),
        help="output format (default: text with --from/--to, else mermaid)",
    )
    graph.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically)")
    graph.add_argument(
        "--from", dest="source", metavar="NODE", help="paths from NODE (ARN, name or ARN suffix)"
    )
    graph.add_argument("--to", dest="target", metavar="NODE", help="paths to NODE")
    graph.add_argument(
        "--max-depth",
        dest="path_depth",
        type=_limit(1, 64),
        metavar="N",
        help="longest path in hops (default 6)",
    )
    graph.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="script or template variable, as for check",
    )
    graph.set_defaults(handler=_graph)
    return parser


def _jobs(text: str) -> int | None:
    """Parse ``--jobs``: a positive integer, or ``auto`` (None)."""
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {value}")
    return value


def _limit(low: int, high: int | None = None) -> Callable[[str], int]:
    """Return an argparse type: an integer from ``low`` to ``high`` (a usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {value}")
        return value

    return parse


def _with_limits(config: Config, args: argparse.Namespace) -> Config:
    """Return the configuration with the limits given on the command line in place of ``[limits]``, and the
    ``--exclude`` patterns added to ``[lint] exclude``."""
    from dataclasses import replace

    given: dict[str, int] = {}
    for name in ("max_file_size", "max_depth", "max_statements", "search_budget"):
        value = getattr(args, name, None)  # absent when another command reuses _check (generate --check)
        if value is not None:
            given[name] = value
    config = replace(config, limits=replace(config.limits, **given)) if given else config
    excludes = getattr(args, "exclude", None) or ()
    if excludes:
        from pathlib import Path

        from xacct_lint.model.config import ExcludePattern

        cwd = Path.cwd()
        config = replace(config, exclude=config.exclude + tuple(ExcludePattern(cwd, g) for g in excludes))
    return config


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors; callers get a code, not an exit
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_ERROR)
    if args.command is None:
        parser.print_usage(sys.stderr)
        _error("a command is required (check, rules, explain, generate, graph)")
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


def _variables(specs: Sequence[str]) -> dict[str, str]:
    """Return the ``--var`` values: ``NAME=VALUE``, or ``NAME`` alone for the environment's value.

    The environment is read only for names given explicitly, so that secrets in CI variables never reach a
    report unasked and the same command gives the same output on every machine.
    """
    import re

    values: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise UsageError(f"--var {spec}: expected NAME=VALUE or NAME (a variable name)")
        if not sep:
            if name not in os.environ:
                raise UsageError(f"--var {name}: not set in the environment (use --var {name}=VALUE)")
            value = os.environ[name]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates no report can carry
            raise UsageError(f"--var {name}: the value is not UTF-8 text") from None
        values[name] = value
    return values


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


def _analyse(
    paths: Sequence[Path],
    config: Config,
    rules: Sequence[Rule],
    variables: Mapping[str, str],
    baseline: frozenset[str],
    jobs: int | None = 1,
) -> tuple[RuleContext, list[Result], int]:
    """Load the inputs and run the rules -- the one pipeline behind ``check`` and ``graph`` -- and return the
    rule context (its memo holds the assume-role graph the chain rules built), the results and how many the
    baseline hid. Raises :class:`~xacct_lint.load.LoadError` for a named path that is missing."""
    from pathlib import Path

    from xacct_lint.engine.context import RuleContext
    from xacct_lint.engine.parallel import auto_jobs
    from xacct_lint.engine.runner import batch_gc, check_results
    from xacct_lint.load import load_paths

    with batch_gc() as settle:
        model = load_paths(paths, config, root=Path.cwd(), variables=variables)
        settle()  # the model lives until the end: freeze it, collect only what the rules make
        ctx = RuleContext(model=model, config=config, search_budget=config.limits.search_budget)
        # jobs > 1 runs the rules in worker processes (None: auto); their memo stays there, so callers that
        # read ctx.memo afterwards (graph) keep the default of one process.
        workers = auto_jobs(len(model.policies)) if jobs is None else jobs
        results, suppressed = check_results(rules, ctx, config.severity, baseline, jobs=workers)
    return ctx, results, suppressed


# --- commands --------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xacct_lint.engine.registry import select_rules
    from xacct_lint.engine.runner import INTERNAL_ERROR, baseline_document, batch_gc, load_baseline
    from xacct_lint.load import LoadError
    from xacct_lint.report import build_report

    paths = [Path(p) for p in args.paths]
    config = _with_limits(_load_config(args, paths), args)
    all_rules = _load_rules(config, args.pack)
    select, ignore = _split_ids(args.select), _split_ids(args.ignore)
    _check_selectors(all_rules, select, "--select")
    _check_selectors(all_rules, ignore, "--ignore")
    rules = select_rules(select_rules(all_rules, config.select, config.ignore), select, ignore)
    variables = _variables(args.var)

    baseline_path = Path(args.baseline) if args.baseline is not None else config.baseline
    # Writing a baseline records every current finding, so an older baseline must not filter them first.
    baseline = (
        load_baseline(baseline_path)
        if baseline_path is not None and args.write_baseline is None
        else frozenset()
    )
    try:
        ctx, results, suppressed = _analyse(paths, config, rules, variables, baseline, jobs=args.jobs)
    except LoadError as exc:
        _error(str(exc))
        return EXIT_ERROR
    model = ctx.model
    _release_memo(ctx)
    if model.skipped:
        # Named, yet no loader reads it: say so, or "No findings" would read as "checked and clean".
        from xacct_lint.load import LOADERS

        formats = ", ".join(sorted(LOADERS))
        for shown in model.skipped:
            print(f"{PROG}: warning: {shown}: not checked: xacct-lint reads {formats} files", file=sys.stderr)
    if args.write_baseline is not None:
        # A crash is never accepted into a baseline: it stays a failing result.
        accepted = [r for r in results if r.rule.id != INTERNAL_ERROR.id]
        results = [r for r in results if r.rule.id == INTERNAL_ERROR.id]
        suppressed = len(accepted)
        from xacct_lint.atomic import write_atomic

        try:
            write_atomic(Path(args.write_baseline), baseline_document(accepted))
        except OSError as exc:
            _error(f"cannot write baseline {args.write_baseline}: {exc.strerror or exc}")
            return EXIT_ERROR
        count = len({r.fingerprint for r in accepted})
        print(f"{PROG}: wrote {count} fingerprint(s) to {args.write_baseline}", file=sys.stderr)

    # The model lives until the end, and the report allocates a lot: under batch_gc's settings (everything that
    # exists frozen) building and rendering it never sets off a full collection over every node of the model.
    # One such collection took 0.85 s of building the SARIF log of 300 accounts (3,660 results), and it grows
    # with the model.
    with batch_gc() as settle:
        settle()
        report = build_report(
            model, rules, results, suppressed=suppressed, severity_overrides=config.severity
        )
        try:
            _emit(_render(report, args), args.output)
        except OSError as exc:
            _error(f"cannot write {args.output or 'output'}: {exc.strerror or exc}")
            return EXIT_ERROR

    fail_on = args.fail_on or config.fail_on
    failing = fail_on != "never" and any(r.severity.rank >= FAIL_RANK[fail_on] for r in results)
    return EXIT_FINDINGS if failing or report.internal_errors else EXIT_OK


def _release_memo(ctx: RuleContext) -> None:
    """Drop what the rules shared (the assume-role graph, path trees, parliament's analysis): the report does
    not need it, and freed before rendering, its memory serves the report instead (5,000 accounts, --jobs 1:
    4,253 MiB at the peak with the graph kept alive through rendering the SARIF log)."""
    from xacct_lint.graph import MEMO_KEY

    graph = ctx.memo.pop(MEMO_KEY, None)
    if graph is not None:
        # Emptied, not just dropped: networkx's cached views refer back to the graph, and a reference cycle
        # would wait for a full collection over the whole model before its memory came back.
        graph.clear()
    ctx.memo.clear()


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


def _generate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xacct_lint.generate import generate
    from xacct_lint.model.config import load_config

    config = load_config(Path(args.config))
    out = Path(args.out)
    try:
        generated = generate(
            config, out, environ=os.environ, external_ids_from_env=args.external_id_from_env, seed=args.seed
        )
    except OSError as exc:
        _error(f"cannot write {exc.filename or out}: {exc.strerror or exc}")
        return EXIT_ERROR
    plan = generated.plan
    print(
        f"{PROG}: wrote {len(generated.files)} files for {len(plan.targets) + 1} roles to {out}"
        + (f" (removed {len(generated.removed)} stale)" if generated.removed else ""),
        file=sys.stderr,
    )
    if generated.secret_files:
        print(
            f"{PROG}: warning: the ExternalIds are written in {', '.join(generated.secret_files)} (mode 0600); "
            "keep them out of shared places"
            + (
                ""
                if args.external_id_from_env
                else ", or use --external-id-from-env to keep them out of apply/"
            ),
            file=sys.stderr,
        )
    if plan.skipped_roles:
        print(
            f"{PROG}: not generated (they map existing policy files): {', '.join(plan.skipped_roles)}",
            file=sys.stderr,
        )
    if args.seed is not None:
        print(f"{PROG}: warning: --seed makes ExternalIds predictable: for tests only", file=sys.stderr)
    if not args.check:
        return EXIT_OK
    # The same check a user runs on the directory: its xacct-lint.toml is found by walking up from it. Apply
    # files that read ExternalIds from the environment get the values as variables (in-process, never argv).
    from xacct_lint.generate.render import check_variables

    variables = check_variables(plan) if args.external_id_from_env else []
    argv = ["check", *(f"--var={name}={value}" for name, value in variables), "--", str(out)]
    return _check(build_parser().parse_args(argv))


def _graph(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xacct_lint.engine.registry import select_rules
    from xacct_lint.engine.runner import load_baseline
    from xacct_lint.graph import graph_for
    from xacct_lint.graph_view.command import DEFAULT_MAX_DEPTH, GraphRequest, render_graph
    from xacct_lint.graph_view.select import NodeLookupError
    from xacct_lint.graph_view.view import owners_from_model
    from xacct_lint.load import LoadError

    paths = [Path(p) for p in args.paths]
    config = _load_config(args, paths)
    # The findings to highlight are exactly what `check` reports with this configuration.
    rules = select_rules(_load_rules(config, args.pack), config.select, config.ignore)
    baseline = load_baseline(config.baseline) if config.baseline is not None else frozenset()
    try:
        ctx, results, _suppressed = _analyse(paths, config, rules, _variables(args.var), baseline)
    except LoadError as exc:
        _error(str(exc))
        return EXIT_ERROR
    request = GraphRequest(
        format=args.graph_format,
        source=args.source,
        target=args.target,
        max_depth=args.path_depth or DEFAULT_MAX_DEPTH,
        title=f"Assume-role graph: {' '.join(args.paths)}",
        markdown=args.output is not None and args.output.endswith(".md"),
    )
    try:
        text = render_graph(graph_for(ctx), results, request, owners_from_model(ctx.model))
    except NodeLookupError as exc:
        raise UsageError(str(exc)) from exc
    try:
        _emit(text, args.output)
    except OSError as exc:
        _error(f"cannot write {args.output or 'output'}: {exc.strerror or exc}")
        return EXIT_ERROR
    return EXIT_OK
