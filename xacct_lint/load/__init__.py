"""Loaders: from the paths a user named to a :class:`~xacct_lint.model.inventory.Model`.

:func:`load_paths` is the one entry point. It discovers files, reads and decodes them, hands each to the
loader registered for its suffix in :data:`LOADERS`, applies the configuration's ``[[roles]]`` mappings, and
returns a model whose order depends only on the inputs (sources and policies sorted by display path, then
pointer).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from xacct_lint.load.base import FileLoad, Loader
from xacct_lint.load.config_roles import apply_role_mappings
from xacct_lint.load.discover import (
    DEFAULT_MAX_FILE_BYTES,
    DiscoveryResult,
    FileReadError,
    LoadError,
    read_file_bytes,
)
from xacct_lint.load.discover import discover as _discover  # aliased: the submodule keeps its name
from xacct_lint.load.json_file import load_json_source
from xacct_lint.load.text import TextDecodeError, decode_bytes
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Identity, LoadProblem, Location, Model, Policy, Role
from xacct_lint.parse.json_tree import resolve_pointer, split_pointer
from xacct_lint.parse.source import SourceFile, Span

__all__ = [
    "LOADERS",
    "DiscoveryResult",
    "FileLoad",
    "LoadError",
    "Loader",
    "load_paths",
]

# Suffix (lower case) -> loader. A new format is one entry here; discovery picks its files up by these keys.
LOADERS: Mapping[str, Loader] = MappingProxyType({".json": load_json_source})


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


def _merge_roles(roles: Iterable[Role]) -> list[Role]:
    """Return one role per ARN: the first seen keeps its fields, later sightings only fill what is missing."""
    merged: dict[str, Role] = {}
    for role in roles:
        kept = merged.get(role.arn)
        if kept is None:
            merged[role.arn] = role
            continue
        if kept.trust_policy is None:
            kept.trust_policy = role.trust_policy
        kept.permission_policies.extend(
            p for p in role.permission_policies if p not in kept.permission_policies
        )
        kept.managed_policy_arns.extend(
            a for a in role.managed_policy_arns if a not in kept.managed_policy_arns
        )
        if kept.max_session_duration is None:
            kept.max_session_duration = role.max_session_duration
            kept.max_session_location = role.max_session_location
        for key, value in role.tags.items():
            kept.tags.setdefault(key, value)
        if kept.location is None:
            kept.location = role.location
    return [merged[arn] for arn in sorted(merged)]


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
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Model:
    """Return the model of everything under ``paths``; raise :class:`LoadError` if a named path is missing.

    ``root`` is the scan root that display paths are relative to (default: the current directory). Problems
    with single files (unreadable, not text, not JSON, duplicate keys, ...) are ``Model.problems``, never
    exceptions.
    """
    scan_root = Path.cwd() if root is None else root
    found = _discover(paths, scan_root, suffixes=tuple(LOADERS), max_file_bytes=max_file_bytes)
    sources: list[SourceFile] = []
    policies: list[Policy] = []
    roles: list[Role] = []
    identities: list[Identity] = []
    problems: list[LoadProblem] = []
    resolved_paths: dict[SourceFile, Path] = {}

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
        result = loader(source)
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

    roles.extend(apply_role_mappings(config, policies, resolved_paths, scan_root))

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
        roles=_merge_roles(roles),
        identities=_merge_identities(identities),
        problems=sorted(problems, key=problem_key),
    )
