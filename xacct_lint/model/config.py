"""The project configuration (``xacct-lint.toml`` or ``[tool.xacct-lint]`` in ``pyproject.toml``).

Found by walking up from the checked paths, like ruff. Validated against the JSON Schema shipped in
``xacct_lint/schemas/config.schema.json``; unknown keys are errors with a message naming them. With no
configuration at all the documented defaults apply (see :data:`DEFAULT_REQUIRE`).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

CONFIG_FILE = "xacct-lint.toml"
REQUIREMENTS = ("external-id", "mfa", "source-ip")

# Without configuration every cross-account trust of an AWS principal must require an ExternalId (or pin the
# caller's organisation); this is the confused-deputy guard AWS documents (iam-facts §5).
DEFAULT_REQUIRE: tuple[str, ...] = ("external-id",)
SEVERITIES = ("error", "warning", "note")


class ConfigError(Exception):
    """A configuration problem the user must fix; the CLI prints it on one line and exits 2."""


@dataclass(frozen=True)
class AccountConfig:
    """One account the configuration names."""

    name: str
    id: str
    require: frozenset[str]
    max_session_duration: int | None = None
    source_ip_allowlist: tuple[str, ...] = ()
    tier: int | None = None


@dataclass(frozen=True)
class RoleMapping:
    """Maps plain JSON files to a role (its account, trust and permission policies)."""

    name: str
    account: str  # account name from [accounts]
    trust_policy: Path | None
    permission_policies: tuple[Path, ...]
    max_session_duration: int | None = None
    path: str = "/"  # the role's IAM path; part of its ARN (arn:aws:iam::N:role/<path><name>)


@dataclass(frozen=True)
class Config:
    """The effective configuration."""

    path: Path | None = None
    accounts: tuple[AccountConfig, ...] = ()
    default_require: tuple[str, ...] = DEFAULT_REQUIRE
    organization_ids: tuple[str, ...] = ()
    allowed_transitive_tag_keys: tuple[str, ...] | None = None
    allowed_tag_keys: tuple[str, ...] | None = None
    roles: tuple[RoleMapping, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    fail_on: str = "warning"
    baseline: Path | None = None
    packs: tuple[str, ...] = ()
    rule_dirs: tuple[Path, ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def account_by_id(self, account_id: str | None) -> AccountConfig | None:
        """Return the configured account with this ID, if any."""
        for account in self.accounts:
            if account.id == account_id:
                return account
        return None

    def account_by_name(self, name: str) -> AccountConfig | None:
        """Return the configured account with this name, if any."""
        for account in self.accounts:
            if account.name == name:
                return account
        return None

    def requires(self, account_id: str | None, requirement: str) -> bool:
        """Return whether trusts into this account must meet a requirement (configured or default)."""
        account = self.account_by_id(account_id)
        if account is not None:
            return requirement in account.require
        return requirement in self.default_require

    def option(self, rule_id: str, name: str, default: Any) -> Any:
        """Return a rule option from ``[rules.<ID>]``, or the default."""
        return self.rule_options.get(rule_id, {}).get(name, default)

    def known_account_ids(self) -> frozenset[str]:
        """Return the IDs of all configured accounts."""
        return frozenset(a.id for a in self.accounts)


def _schema() -> dict[str, Any]:
    text = resources.files("xacct_lint").joinpath("schemas/config.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _validate(data: Mapping[str, Any], origin: Path) -> None:
    import jsonschema  # deferred: only configured runs pay for it

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "top level"
        message = error.message
        if error.validator == "additionalProperties":
            message = f"unknown key(s): {message.split('(')[-1].rstrip(')')}"
        raise ConfigError(f"{origin}: invalid configuration at {where}: {message}")


def find_config(paths: Sequence[Path]) -> Path | None:
    """Return the nearest config file walking up from the first path (``xacct-lint.toml`` first)."""
    if not paths:
        return None
    start = paths[0].resolve()
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        toml_path = candidate_dir / CONFIG_FILE
        if toml_path.is_file():
            return toml_path
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "xacct-lint" in data.get("tool", {}):
                return pyproject
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate a configuration file; None gives the defaults."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("xacct-lint", {})
    _validate(data, path)
    return _build(data, path)


def _build(data: Mapping[str, Any], path: Path) -> Config:
    base = path.parent
    accounts = []
    for name, raw in sorted(data.get("accounts", {}).items()):
        accounts.append(
            AccountConfig(
                name=name,
                id=raw["id"],
                require=frozenset(raw.get("require", ())),
                max_session_duration=raw.get("max-session-duration"),
                source_ip_allowlist=tuple(raw.get("source-ip-allowlist", ())),
                tier=raw.get("tier"),
            )
        )
    names = {a.name for a in accounts}
    ids = [a.id for a in accounts]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: two accounts share one id")
    roles = []
    for raw in data.get("roles", ()):
        if raw["account"] not in names:
            raise ConfigError(f"{path}: role {raw['name']!r} names unknown account {raw['account']!r}")
        trust = raw.get("trust-policy")
        roles.append(
            RoleMapping(
                name=raw["name"],
                account=raw["account"],
                trust_policy=(base / trust).resolve() if trust else None,
                permission_policies=tuple((base / p).resolve() for p in raw.get("permission-policies", ())),
                max_session_duration=raw.get("max-session-duration"),
                path=raw.get("path", "/"),
            )
        )
    tags = data.get("session-tags", {})
    lint = data.get("lint", {})
    baseline = lint.get("baseline")
    transitive = tags.get("allowed-transitive-keys")
    allowed = tags.get("allowed-keys", transitive)
    return Config(
        path=path,
        accounts=tuple(accounts),
        default_require=tuple(data.get("default-require", DEFAULT_REQUIRE)),
        organization_ids=tuple(data.get("organization-ids", ())),
        allowed_transitive_tag_keys=tuple(transitive) if transitive is not None else None,
        allowed_tag_keys=tuple(allowed) if allowed is not None else None,
        roles=tuple(roles),
        select=tuple(lint.get("select", ())),
        ignore=tuple(lint.get("ignore", ())),
        severity=dict(lint.get("severity", {})),
        fail_on=lint.get("fail-on", "warning"),
        baseline=(base / baseline).resolve() if baseline else None,
        packs=tuple(lint.get("packs", ())),
        rule_dirs=tuple((base / d).resolve() for d in lint.get("rule-dirs", ())),
        rule_options={k: dict(v) for k, v in data.get("rules", {}).items()},
    )
