"""Attach plain policy files to the roles that ``[[roles]]`` in the configuration says they belong to.

A plain JSON policy says nothing about its role or account; the configuration does. For each mapping whose
files were among the loaded inputs, a :class:`Role` is created (``arn:aws:iam::<account id>:role/<name>``),
its trust file becomes a TRUST policy and its permission files IDENTITY policies, both no longer "inferred".
The role's ``max-session-duration`` comes from the configuration, so its location is the matching line of the
config file, found by scanning the TOML text (tomllib keeps no positions).

A mapping none of whose files was loaded creates no role: a run over a sub-tree (or pre-commit's changed
files) must not report on roles it did not look at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xacct_lint.load.discover import display_path
from xacct_lint.model.config import Config, RoleMapping
from xacct_lint.model.inventory import Location, Policy, PolicyKind, Role
from xacct_lint.parse.source import SourceFile, Span

# ``[[roles]]`` in xacct-lint.toml, ``[[tool.xacct-lint.roles]]`` in pyproject.toml.
_ROLES_HEADER = re.compile(
    r'^[ \t]*\[\[[ \t]*(?:tool[ \t]*\.[ \t]*(?:"xacct-lint"|xacct-lint)[ \t]*\.[ \t]*)?roles[ \t]*\]\]',
    re.MULTILINE,
)
_ANY_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)
_MAX_SESSION_LINE = re.compile(
    r'^[ \t]*(?:max-session-duration|"max-session-duration")[ \t]*=[^\n]*', re.MULTILINE
)
_NAME_LINE = re.compile(r'^[ \t]*(?:name|"name")[ \t]*=[^\n]*', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RoleBlockSpans:
    """Where one ``[[roles]]`` table is written: its ``name`` line (else header) and max-session line."""

    name: Span
    max_session_duration: Span | None


def _trimmed(text: str, start: int, end: int) -> Span:
    line = text[start:end]
    lead = len(line) - len(line.lstrip())
    return Span(start + lead, start + len(line.rstrip()))


def scan_role_blocks(text: str) -> list[RoleBlockSpans]:
    """Return the spans of every ``[[roles]]`` table of a TOML text, in order."""
    headers = list(_ROLES_HEADER.finditer(text))
    out: list[RoleBlockSpans] = []
    for header in headers:
        line_end = text.find("\n", header.start())
        line_end = len(text) if line_end == -1 else line_end
        following = _ANY_HEADER.search(text, line_end)
        block_end = following.start() if following else len(text)
        max_line = _MAX_SESSION_LINE.search(text, line_end, block_end)
        name_line = _NAME_LINE.search(text, line_end, block_end)
        out.append(
            RoleBlockSpans(
                _trimmed(text, name_line.start(), name_line.end())
                if name_line
                else _trimmed(text, header.start(), line_end),
                _trimmed(text, max_line.start(), max_line.end()) if max_line else None,
            )
        )
    return out


def _config_source(config: Config, root: Path) -> tuple[SourceFile, list[RoleBlockSpans]] | None:
    if config.path is None:
        return None
    try:
        text = config.path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return SourceFile(display_path(config.path, root), text), scan_role_blocks(text)


def apply_role_mappings(
    config: Config,
    policies: Sequence[Policy],
    resolved_paths: Mapping[SourceFile, Path],
    root: Path,
) -> list[Role]:
    """Return the roles the configuration maps loaded files to, updating those files' policies in place.

    Only whole-file documents (``prefix == ""``) are mapped: an export already says which role owns what.
    """
    if not config.roles:
        return []
    by_path: dict[Path, list[Policy]] = {}
    for policy in policies:
        path = resolved_paths.get(policy.source)
        if path is not None and policy.prefix == "":
            by_path.setdefault(path, []).append(policy)
    loaded_paths = {resolved_paths[s] for s in resolved_paths}
    config_text = _config_source(config, root)
    blocks = config_text[1] if config_text else []
    # Positions come from the k-th [[roles]] table only when the text agrees with the parsed config (an inline
    # array of tables would not be found by the scan, and a wrong line is worse than none).
    blocks_match = len(blocks) == len(config.roles)
    roles: list[Role] = []
    for index, mapping in enumerate(config.roles):
        files = [p for p in (mapping.trust_policy, *mapping.permission_policies) if p is not None]
        if not any(path in loaded_paths for path in files):
            continue
        block = blocks[index] if blocks_match else None
        role = _role_for(config, mapping, config_text[0] if config_text else None, block)
        if mapping.trust_policy is not None:
            for policy in by_path.get(mapping.trust_policy, ()):
                _claim(policy, role, PolicyKind.TRUST, name=mapping.name)
                if role.trust_policy is None:
                    role.trust_policy = policy
        for path in mapping.permission_policies:
            if path == mapping.trust_policy:
                continue
            for policy in by_path.get(path, ()):
                if policy.role_arn is None or policy.role_arn == role.arn:
                    _claim(policy, role, PolicyKind.IDENTITY, name=policy.name)
                if policy not in role.permission_policies:
                    role.permission_policies.append(policy)
        roles.append(role)
    return roles


def _role_for(
    config: Config, mapping: RoleMapping, source: SourceFile | None, block: RoleBlockSpans | None
) -> Role:
    account = config.account_by_name(mapping.account)
    assert account is not None  # load_config rejects mappings naming unknown accounts
    arn = f"arn:aws:iam::{account.id}:role{mapping.path}{mapping.name}"
    role = Role(arn=arn, name=mapping.name, account_id=account.id, path=mapping.path)
    if source is not None:
        role.location = Location(source, None, "", span=block.name if block else Span(0, 0))
    if mapping.max_session_duration is not None:
        role.max_session_duration = mapping.max_session_duration
        if source is not None and block is not None and block.max_session_duration is not None:
            role.max_session_location = Location(source, None, "", span=block.max_session_duration)
    return role


def _claim(policy: Policy, role: Role, kind: PolicyKind, *, name: str | None) -> None:
    policy.kind = kind
    policy.kind_inferred = False
    policy.account_id = role.account_id
    policy.role_arn = role.arn
    policy.name = name
