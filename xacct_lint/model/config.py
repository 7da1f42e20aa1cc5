"""The project configuration (``xacct-lint.toml`` or ``[tool.xacct-lint]`` in ``pyproject.toml``).

Found by walking up from the checked paths, like ruff. Validated against the JSON Schema shipped in
``xacct_lint/schemas/config.schema.json``; unknown keys are errors with a message naming them. With no
configuration at all the documented defaults apply (see :data:`DEFAULT_REQUIRE`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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
    # For `xacct-lint generate`: what the role may do (policy-sentry CRUD levels -> resource ARNs), its
    # ExternalId (a literal, "env:NAME", or None to generate one) and its IAM description.
    access: tuple[tuple[str, tuple[str, ...]], ...] = ()
    external_id: str | None = None
    description: str | None = None


ACCESS_LEVELS = ("read", "write", "list", "tagging", "permissions-management")
DEFAULT_SAML_AUDIENCES = ("https://signin.aws.amazon.com/saml",)


@dataclass(frozen=True)
class AttributeCondition:
    """A condition on the federated user's attributes in the master role's trust policy (``[federation]``).

    ``key`` is ``aws:RequestTag/<tag>`` for an attribute the identity provider sends as a session tag (custom
    SAML attribute names are no condition keys, iam-facts §8.1) or a documented ``saml:`` key.
    """

    key: str
    values: tuple[str, ...]
    match: str = "equals"  # "equals" (StringEquals) or "like" (StringLike)


@dataclass(frozen=True)
class FederationConfig:
    """``[federation]``: the SAML provider and the master role that ``xacct-lint generate`` writes."""

    saml_provider: str  # provider ARN
    master_name: str
    master_account: str  # account name from [accounts]
    master_path: str = "/"
    audiences: tuple[str, ...] = DEFAULT_SAML_AUDIENCES
    master_max_session_duration: int = 3600
    master_description: str | None = None
    attribute_conditions: tuple[AttributeCondition, ...] = ()
    mfa_enforced_by_idp: bool = False


INVARIANT_KINDS = ("only-from", "no-path", "must-pass-through")
DEFAULT_MAX_DEPTH = 3


@dataclass(frozen=True)
class Invariant:
    """One ``[[graph.invariants]]`` entry: a property every path of the assume-role graph must have.

    ``only-from``: only nodes selected by the ``from`` side may reach a role selected by the ``to`` side.
    ``no-path``: no node of the ``from`` side reaches any role of the ``to`` side.
    ``must-pass-through``: every path from a ``from`` node into a ``to`` role (default: any role) passes
    through a node matching ``through``. Accounts are IDs (names from ``[accounts]`` are resolved); node
    patterns are ARNs with IAM wildcards (``*``, ``?``).
    """

    name: str
    kind: str
    from_accounts: tuple[str, ...] = ()
    from_tiers: tuple[int, ...] = ()
    from_nodes: tuple[str, ...] = ()
    to_accounts: tuple[str, ...] = ()
    to_tiers: tuple[int, ...] = ()
    to_nodes: tuple[str, ...] = ()
    through: tuple[str, ...] = ()


@dataclass(frozen=True)
class GraphConfig:
    """``[graph]``: the longest acceptable assume-role chain, and the invariants checked on the graph."""

    max_depth: int = DEFAULT_MAX_DEPTH
    invariants: tuple[Invariant, ...] = ()


@dataclass(frozen=True)
class Limits:
    """``[limits]``: resource bounds of one run, so that no input can make it hang or exhaust memory.

    Hitting a bound is a finding, never a silent skip: a file over ``max_file_size`` bytes, nested deeper than
    ``max_depth`` or a policy with more than ``max_statements`` statements is an XA001 finding (not analysed);
    a witness search that explores ``search_budget`` combinations without an answer stops and the rule
    reports a note with precision "unknown". The defaults are far above anything IAM stores (a managed policy
    holds at most 6,144 characters; the largest AWS managed policy has 162 statements).
    """

    max_file_size: int = 10_000_000  # bytes (xacct_lint.load.discover.DEFAULT_MAX_FILE_BYTES)
    max_depth: int = 256  # JSON nesting levels (xacct_lint.parse.json_tree.DEFAULT_MAX_DEPTH)
    max_statements: int = 1_000  # statements in one policy document
    search_budget: int = 100_000  # combinations one witness search may explore


@dataclass(frozen=True)
class TemplateMapping:
    """One ``[[templates]]`` entry: the account (and Region, partition, stack name, parameter values) of the
    input files its ``glob`` matches, relative to the configuration file's directory.

    CloudFormation templates take ``AWS::AccountId``/``AWS::Region``/``AWS::Partition``/``AWS::StackName``
    and parameter values from it; AWS CLI exports whose documents carry no ARN take their account from it.
    """

    glob: str
    account: str | None = None  # account name from [accounts]
    region: str | None = None
    partition: str | None = None
    stack_name: str | None = None
    parameters: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


def path_glob(pattern: str) -> re.Pattern[str]:
    """Return the regular expression of a configuration path glob (``[[templates]] glob``, ``[lint] exclude``),
    matched against a ``/``-separated relative path: ``**`` spans directories, ``*`` and ``?`` stay within one
    name, everything else is literal."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.DOTALL)


@dataclass(frozen=True, slots=True)
class ExcludePattern:
    """A glob of input paths not to check (``[lint] exclude``, ``--exclude``), relative to ``base``.

    A pattern without ``/`` matches a file or directory name at any depth (``*.generated.json``, ``legacy``);
    one with ``/`` matches the path relative to ``base`` (the configuration file's directory, or the current
    directory for ``--exclude``), ``**`` spanning directories. An excluded directory is not walked.
    """

    base: Path
    pattern: str


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
    federation: FederationConfig | None = None  # [federation], read by `xacct-lint generate`
    # [variables]: values of script and template variables (shell ${NAME}, Terraform var.NAME) for loaders;
    # ``--var NAME=VALUE`` overrides them.
    variables: Mapping[str, str] = field(default_factory=dict)
    graph: GraphConfig = GraphConfig()  # [graph]: chain depth and invariants (graph rules)
    limits: Limits = Limits()  # [limits]: file size, nesting depth, statements, search budget
    # [[templates]]: which account (Region, parameters) a template or export file belongs to, by glob.
    templates: tuple[TemplateMapping, ...] = ()
    # [lint] exclude and --exclude: paths that directory walks skip (files named on the command line are read).
    exclude: tuple[ExcludePattern, ...] = ()

    def account_by_id(self, account_id: str | None) -> AccountConfig | None:
        """Return the configured account with this ID, if any."""
        return self._accounts_by_id.get(account_id) if account_id is not None else None

    @cached_property
    def _accounts_by_id(self) -> dict[str, AccountConfig]:
        # An index, not a scan: rules ask once per trust statement, and an organisation configures thousands of
        # accounts (a scan made XA201/XA203/XA205/XA301 quadratic: 0.4 s at 300 accounts, ~100 s at 5,000).
        # cached_property writes the instance __dict__ directly, which a frozen dataclass allows.
        index: dict[str, AccountConfig] = {}
        for account in self.accounts:
            index.setdefault(account.id, account)  # the first wins, as the scan did
        return index

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
    from xacct_lint.schema_check import accepts

    if accepts("schemas/config.schema.json", data):
        return  # valid: the generated validator says so without importing jsonschema (~90 ms)
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
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if "xacct-lint" in data.get("tool", {}):
                return pyproject
    return None


def read_named_file(path: Path) -> bytes:
    """Return the bytes of a file the user named (configuration, baseline); raise :class:`OSError` when it cannot
    be read -- a directory, a FIFO or a device included, whose ``strerror`` says which.

    Opened non-blocking and checked through its descriptor (as the input walk reads files): ``read_text`` on a
    FIFO waits for a writer forever.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device, socket or other special file"
            raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(path))
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def load_config(path: Path | None) -> Config:
    """Read and validate a configuration file; None gives the defaults."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(read_named_file(path).decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        raise ConfigError(
            f"{path}: cannot read configuration: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
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
                access=tuple(
                    (level, tuple(raw["access"][level]))
                    for level in ACCESS_LEVELS
                    if level in raw.get("access", {})
                ),
                external_id=raw.get("external-id"),
                description=raw.get("description"),
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
        exclude=tuple(ExcludePattern(base.resolve(), g) for g in lint.get("exclude", ())),
        rule_options={k: dict(v) for k, v in data.get("rules", {}).items()},
        federation=_federation(data.get("federation"), accounts, path),
        variables=dict(sorted(data.get("variables", {}).items())),
        graph=_graph(data.get("graph"), accounts, path),
        limits=Limits(**{key.replace("-", "_"): value for key, value in data.get("limits", {}).items()}),
        templates=_templates(data.get("templates", ()), names, path),
    )


def _templates(raw: Sequence[Mapping[str, Any]], names: set[str], path: Path) -> tuple[TemplateMapping, ...]:
    """Return the ``[[templates]]`` entries with account names checked (the schema has checked their shape)."""
    out = []
    for item in raw:
        account = item.get("account")
        if account is not None and account not in names:
            raise ConfigError(f"{path}: [[templates]] {item['glob']!r} names unknown account {account!r}")
        parameters: dict[str, str | tuple[str, ...]] = {}
        for name, value in sorted(item.get("parameters", {}).items()):
            if isinstance(value, list):
                parameters[name] = tuple(_parameter_text(v) for v in value)
            else:
                parameters[name] = _parameter_text(value)
        out.append(
            TemplateMapping(
                glob=item["glob"],
                account=account,
                region=item.get("region"),
                partition=item.get("partition"),
                stack_name=item.get("stack-name"),
                parameters=parameters,
            )
        )
    return tuple(out)


def _parameter_text(value: object) -> str:
    # CloudFormation passes every parameter value as a string; TOML booleans are written the way YAML reads them.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _federation(
    raw: Mapping[str, Any] | None, accounts: Sequence[AccountConfig], path: Path
) -> FederationConfig | None:
    """Return the ``[federation]`` table with account names resolved (the schema has checked its shape)."""
    if raw is None:
        return None
    by_name = {a.name: a for a in accounts}
    master = raw["master-role"]
    if master["account"] not in by_name:
        raise ConfigError(f"{path}: [federation] master-role names unknown account {master['account']!r}")
    provider = raw["saml-provider"]
    if isinstance(provider, Mapping):
        account_name = provider.get("account", master["account"])
        if account_name not in by_name:
            raise ConfigError(f"{path}: [federation] saml-provider names unknown account {account_name!r}")
        provider = f"arn:aws:iam::{by_name[account_name].id}:saml-provider/{provider['name']}"
    conditions = []
    for item in raw.get("attribute-conditions", ()):
        key = f"aws:RequestTag/{item['session-tag']}" if "session-tag" in item else item["saml-key"]
        conditions.append(AttributeCondition(key, tuple(item["values"]), item.get("match", "equals")))
    return FederationConfig(
        saml_provider=provider,
        master_name=master["name"],
        master_account=master["account"],
        master_path=master.get("path", "/"),
        audiences=tuple(raw.get("saml-audiences", DEFAULT_SAML_AUDIENCES)),
        master_max_session_duration=master.get("max-session-duration", 3600),
        master_description=master.get("description"),
        attribute_conditions=tuple(conditions),
        mfa_enforced_by_idp=raw.get("mfa-enforced-by-idp", False),
    )


def _graph(raw: Mapping[str, Any] | None, accounts: Sequence[AccountConfig], path: Path) -> GraphConfig:
    """Return ``[graph]`` with account names resolved and each invariant's required sides checked."""
    if raw is None:
        return GraphConfig()
    by_name = {a.name: a.id for a in accounts}

    def account_ids(values: Sequence[str], where: str) -> tuple[str, ...]:
        out = []
        for value in values:
            if value in by_name:
                out.append(by_name[value])
            elif len(value) == 12 and value.isdigit():
                out.append(value)
            else:
                raise ConfigError(
                    f"{path}: {where} names unknown account {value!r} (not in [accounts], not an ID)"
                )
        return tuple(out)

    def patterns(value: str | Sequence[str] | None) -> tuple[str, ...]:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)

    invariants = []
    for index, item in enumerate(raw.get("invariants", ())):
        name = item.get("name", f"{item['kind']}-{index + 1}")
        where = f"[[graph.invariants]] {name!r}"
        invariant = Invariant(
            name=name,
            kind=item["kind"],
            from_accounts=account_ids(item.get("from-accounts", ()), where),
            from_tiers=tuple(item.get("from-tiers", ())),
            from_nodes=patterns(item.get("from")),
            to_accounts=account_ids(item.get("to-accounts", ()), where),
            to_tiers=tuple(item.get("to-tiers", ())),
            to_nodes=patterns(item.get("to")),
            through=patterns(item.get("through")),
        )
        has_from = bool(invariant.from_accounts or invariant.from_tiers or invariant.from_nodes)
        has_to = bool(invariant.to_accounts or invariant.to_tiers or invariant.to_nodes)
        if not has_from:
            raise ConfigError(f"{path}: {where} needs from, from-accounts or from-tiers")
        if invariant.kind in ("only-from", "no-path") and not has_to:
            raise ConfigError(f"{path}: {where} ({invariant.kind}) needs to, to-accounts or to-tiers")
        if invariant.kind == "must-pass-through" and not invariant.through:
            raise ConfigError(f"{path}: {where} (must-pass-through) needs through")
        invariants.append(invariant)
    names = [i.name for i in invariants]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: two [[graph.invariants]] share one name")
    return GraphConfig(max_depth=raw.get("max-depth", DEFAULT_MAX_DEPTH), invariants=tuple(invariants))
