"""Loaders: from the paths a user named to a :class:`~xacct_lint.model.inventory.Model`.

:func:`load_paths` is the one entry point. It discovers files, reads and decodes them, hands each to the
loader registered for its suffix in :data:`LOADERS`, applies the configuration's ``[[roles]]`` mappings, and
returns a model whose order depends only on the inputs (sources and policies sorted by display path, then
pointer).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from xacct_lint.crash import describe
from xacct_lint.load.accounts import merge_inputs
from xacct_lint.load.base import ContextLoader, FileLoad, LoadContext, Loader
from xacct_lint.load.config_roles import apply_role_mappings
from xacct_lint.load.discover import (
    DiscoveryResult,
    FileReadError,
    LoadError,
    read_file_bytes,
)
from xacct_lint.load.discover import discover as _discover  # aliased: the submodule keeps its name
from xacct_lint.load.json_file import load_json_in_context
from xacct_lint.load.limits import enforce_statement_limit
from xacct_lint.load.text import TextDecodeError, decode_bytes
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import (
    LOADER_CRASHED,
    AssumeRoleCall,
    Identity,
    LoadProblem,
    Location,
    Model,
    Policy,
    Role,
)
from xacct_lint.parse.json_tree import resolve_pointer, split_pointer
from xacct_lint.parse.source import SourceFile, Span

__all__ = [
    "LOADERS",
    "ContextLoader",
    "DiscoveryResult",
    "FileLoad",
    "LoadContext",
    "LoadError",
    "Loader",
    "load_paths",
]


def _deferred(module: str, name: str) -> ContextLoader:
    """Return a loader that imports ``module`` when it first loads a file, and calls its function ``name``.

    Start-up is what pre-commit pays on every commit: a run over JSON files has no use for the Terraform, shell
    and Markdown modules, whose import was ~20 ms of a ~0.3 s one-file run (measured with ``python -X
    importtime``). Their own third-party parsers (hcl2, PyYAML) were deferred already.
    """

    def load(source: SourceFile, context: LoadContext) -> FileLoad:
        function: Callable[[SourceFile, LoadContext], FileLoad] = getattr(
            importlib.import_module(module), name
        )
        return function(source, context)

    load.__name__ = load.__qualname__ = name
    return ContextLoader(load)


def _script_loaders() -> dict[str, Loader | ContextLoader]:
    # Terraform, shell scripts and Markdown recipes (issue 5, part B).
    shell = _deferred("xacct_lint.load.shell", "load_shell_source")
    return {
        ".tf": _deferred("xacct_lint.load.terraform", "load_terraform_source"),
        ".tfvars": _deferred("xacct_lint.load.terraform", "load_tfvars_source"),
        ".sh": shell,
        ".bash": shell,
        ".md": _deferred("xacct_lint.load.markdown", "load_markdown_source"),
    }


def _template_loaders() -> dict[str, Loader | ContextLoader]:
    # CloudFormation templates in YAML (issue 5, part A); PyYAML is imported only when a file is parsed.
    # JSON templates come through the .json loader, which recognises them by shape.
    loader = _deferred("xacct_lint.load.cloudformation", "load_cloudformation_source")
    return {".yaml": loader, ".yml": loader, ".template": loader}


# Suffix (lower case) -> loader. A new format is one entry here; discovery picks its files up by these keys.
# A ContextLoader also receives the run's LoadContext (configuration, variables, the file's path).
LOADERS: Mapping[str, Loader | ContextLoader] = MappingProxyType(
    {".json": ContextLoader(load_json_in_context), **_script_loaders(), **_template_loaders()}
)


def _pointer_key(pointer: str) -> tuple[tuple[int, int | str], ...]:
    # Array indices compare as numbers, so /RoleDetailList/10 comes after /RoleDetailList/9.
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in split_pointer(pointer))


def _resolved(path: Path) -> Path | None:
    try:
        return Path(os.path.realpath(path))
    except (OSError, RuntimeError, ValueError):
        return None


def _problem_source(display: str) -> SourceFile:
    return SourceFile(display, "")


def _loader_crash(suffix: str, source: SourceFile, exc: Exception) -> LoadProblem:
    """Return the problem that says a loader raised on ``source`` (reported as an XA000 internal error)."""
    message = (
        f"the {suffix} loader crashed: {describe(exc)} (while reading {source.display_path}); nothing in "
        "this file was checked"
    )
    return LoadProblem(
        LOADER_CRASHED, message, Location(source, None, "", span=Span(0, 0) if source.text else None)
    )


def _merge_identities(identities: Iterable[Identity]) -> list[Identity]:
    merged: dict[str, Identity] = {}
    for identity in identities:
        kept = merged.setdefault(identity.arn, identity)
        if kept is not identity:
            kept.policies.extend(p for p in identity.policies if p not in kept.policies)
    return [merged[arn] for arn in sorted(merged)]


def load_paths(
    paths: Sequence[Path],
    config: Config,
    *,
    root: Path | None = None,
    max_file_bytes: int | None = None,
    variables: Mapping[str, str] | None = None,
) -> Model:
    """Return the model of everything under ``paths``; raise :class:`LoadError` if a named path is missing.

    ``root`` is the scan root that display paths are relative to (default: the current directory). Problems
    with single files (unreadable, not text, not JSON, duplicate keys, ...) are ``Model.problems``, never
    exceptions. ``variables`` (``--var``) override the configuration's ``[variables]`` for scripts and templates.
    """
    scan_root = Path.cwd() if root is None else root
    # [limits]: the file size bound applies at discovery and again while reading (a file may grow between).
    if max_file_bytes is None:
        max_file_bytes = config.limits.max_file_size
    found = _discover(
        paths, scan_root, suffixes=tuple(LOADERS), max_file_bytes=max_file_bytes, exclude=config.exclude
    )
    sources: list[SourceFile] = []
    policies: list[Policy] = []
    roles: list[Role] = []
    identities: list[Identity] = []
    problems: list[LoadProblem] = []
    assume_role_calls: list[AssumeRoleCall] = []
    resolved_paths: dict[SourceFile, Path] = {}
    merged_variables = {**config.variables, **(variables or {})}
    memo: dict[str, object] = {}

    for file_problem in found.problems:
        source = _problem_source(file_problem.display_path)
        sources.append(source)
        problems.append(LoadProblem(file_problem.code, file_problem.message, Location(source, None, "")))

    for file in found.files:
        loader = LOADERS.get(file.suffix)
        if loader is None:  # only explicitly named files of unknown formats, which discovery lists as skipped
            continue
        try:
            data = read_file_bytes(file.path, max_file_bytes)
        except FileReadError as exc:
            source = _problem_source(file.display_path)
            sources.append(source)
            problems.append(LoadProblem(exc.code, exc.message, Location(source, None, "")))
            continue
        try:
            decoded = decode_bytes(data)
        except TextDecodeError as exc:
            source = SourceFile(file.display_path, exc.text)
            sources.append(source)
            location = Location(source, None, "", span=Span(exc.offset, exc.offset + 1))
            problems.append(LoadProblem("invalid-encoding", exc.message, location))
            continue
        source = SourceFile(file.display_path, decoded.text)
        try:
            if isinstance(loader, ContextLoader):
                result = loader.load(source, LoadContext(file.path, config, merged_variables, memo))
            else:
                result = loader(source)
        except Exception as exc:  # a bug of ours must cost this file, never the run, and never read as clean
            sources.append(source)
            problems.append(_loader_crash(file.suffix, source, exc))
            continue
        result = enforce_statement_limit(result, config.limits.max_statements)
        if result.is_empty:
            continue
        sources.append(source)
        resolved = _resolved(file.path)
        if resolved is not None:
            resolved_paths[source] = resolved
        policies.extend(result.policies)
        roles.extend(result.roles)
        identities.extend(result.identities)
        problems.extend(result.problems)
        assume_role_calls.extend(result.assume_role_calls)

    roles.extend(apply_role_mappings(config, policies, resolved_paths, scan_root))
    # Several accounts at once: file accounts, and one role for the same role seen in several files.
    merged = merge_inputs(policies, roles, identities, config, resolved_paths)
    policies, roles, identities = merged.policies, merged.roles, merged.identities
    problems.extend(merged.problems)

    def problem_key(problem: LoadProblem) -> tuple[str, int, str, str]:
        location = problem.location
        start = -1
        if location.span is not None:
            start = location.span.start
        elif location.root is not None:
            node, member, _ = resolve_pointer(location.root, location.pointer)
            start = member.key_span.start if member is not None else node.span.start
        return (location.source.display_path, start, problem.code, problem.message)

    return Model(
        sources=sorted(sources, key=lambda s: s.display_path),
        policies=sorted(policies, key=lambda p: (p.source.display_path, _pointer_key(p.prefix))),
        roles=sorted(roles, key=lambda r: r.arn),
        identities=_merge_identities(identities),
        problems=sorted(problems, key=problem_key),
        assume_role_calls=sorted(
            assume_role_calls,
            key=lambda c: (c.location.source.display_path, c.location.span.start if c.location.span else -1),
        ),
        skipped=list(found.skipped),
    )
