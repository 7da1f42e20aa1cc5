"""What to generate: the master role, the target roles and their ExternalIds, checked against the configuration.

:func:`make_plan` turns a :class:`~xacct_lint.model.config.Config` with a ``[federation]`` table into a
:class:`Plan`, or raises :class:`GenerateError` with one line that says what to change. Every decision that
makes the documents correct *by construction* is taken here, once, and recorded in :attr:`Plan.decisions` so
that the manifest and the README can state it:

- **Sessions of a target role are always chained** (federated user -> master role -> target), so a target's
  ``MaxSessionDuration`` is 3600: "Role chaining limits your AWS CLI or AWS API role session to a maximum of one
  hour" and a longer request fails (iam-facts §1.1). A longer configured maximum is recorded, not written.
- **MFA for chained targets is enforced at the identity provider.** STS never reports MFA for SAML sessions
  (§2.3) and a chained AssumeRole carries the calling session's MFA context (§2.4), so a
  ``Bool aws:MultiFactorAuthPresent true`` on a target's trust policy could never be met and would lock the
  role. The generator therefore refuses to write roles into an account that requires ``mfa`` unless
  ``[federation] mfa-enforced-by-idp = true`` says the IdP demands MFA at sign-in; the target then trusts only
  the master role's ARN, whose only way in is that SAML provider with ``SAML:aud`` pinned.
- **ExternalIds** are unique per role and valid for STS (2-1224 characters of ``[A-Za-z0-9_+=,.@:/-]``,
  iam-facts §5): a literal from the configuration, the value of ``env:NAME``, or 32 URL-safe characters from
  :mod:`secrets`. ``seed`` replaces :mod:`secrets` with a seeded generator -- for tests only.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from xacct_lint.model.config import AccountConfig, Config, ConfigError, FederationConfig, RoleMapping

CHAINED_MAX_SESSION = 3600  # iam-facts §1.1: the cap on role-chained sessions
EXTERNAL_ID_PATTERN = re.compile(r"[A-Za-z0-9_+=,.@:/-]{2,1224}")
GENERATED_ID_LENGTH = 32
_URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class GenerateError(ConfigError):
    """A configuration the generator cannot turn into correct documents; the CLI prints it and exits 2."""


@dataclass(frozen=True)
class ExternalId:
    """A target role's ExternalId, where it came from, and the environment variable scripts read it from."""

    value: str
    source: str  # "generated", "config" or "env"
    env_var: str


@dataclass(frozen=True)
class MasterRole:
    """The SAML-federated role in the hub account from which every target is assumed."""

    name: str
    path: str
    account: AccountConfig
    arn: str
    max_session_duration: int
    description: str


@dataclass(frozen=True)
class TargetRole:
    """A role the master role assumes (one ``[[roles]]`` entry)."""

    name: str
    path: str
    account: AccountConfig
    arn: str
    max_session_duration: int
    configured_max_session_duration: int | None
    external_id: ExternalId
    source_ips: tuple[str, ...]  # non-empty when the account requires source-ip
    access: tuple[tuple[str, tuple[str, ...]], ...]
    description: str

    @property
    def key(self) -> str:
        """Return a name unique among the targets, usable in file names and identifiers."""
        return f"{account_label(self.account)}-{self.name}"


@dataclass(frozen=True)
class Decision:
    """One choice the generator made, with its reason (shown in the manifest)."""

    topic: str
    text: str


@dataclass(frozen=True)
class Plan:
    """Everything the renderers need, validated."""

    config: Config
    federation: FederationConfig
    master: MasterRole
    targets: tuple[TargetRole, ...]
    tag_keys: tuple[str, ...]  # session tag keys that may flow (empty: no tags anywhere)
    transitive_keys: tuple[str, ...]
    idp_mfa_accounts: tuple[str, ...]  # accounts whose "mfa" requirement the identity provider meets
    skipped_roles: tuple[str, ...]  # [[roles]] entries that map existing files: described, not generated
    decisions: tuple[Decision, ...]

    @property
    def tags_flow(self) -> bool:
        """Return whether session tags may reach the master role and the targets."""
        return bool(self.tag_keys)

    def accounts(self) -> tuple[AccountConfig, ...]:
        """Return the accounts that receive roles: the master's first, then the others by name."""
        seen = {self.master.account.name: self.master.account}
        for target in sorted(self.targets, key=lambda t: t.account.name):
            seen.setdefault(target.account.name, target.account)
        return tuple(seen.values())


_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.-]+")


def account_label(account: AccountConfig) -> str:
    """Return the account's name where it is safe in file names, else its ID."""
    return account.name if _SAFE_LABEL.fullmatch(account.name) else account.id


def role_arn(account: AccountConfig, path: str, name: str) -> str:
    """Return the ARN of a role."""
    return f"arn:aws:iam::{account.id}:role{path}{name}"


def env_var_name(account: AccountConfig, role: str) -> str:
    """Return the default environment variable of a role's ExternalId (``PROD_CROSSACCOUNT_X_EXTERNAL_ID``)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", f"{account.name}_{role}").strip("_").upper()
    if not stem or stem[0].isdigit():
        stem = f"ROLE_{stem}"
    return f"{stem}_EXTERNAL_ID"


def make_plan(config: Config, *, environ: Mapping[str, str], seed: int | None = None) -> Plan:
    """Return the validated plan for ``config``; raise :class:`GenerateError` naming what to change."""
    federation = config.federation
    where = str(config.path) if config.path is not None else "configuration"
    if federation is None:
        raise GenerateError(
            f"{where}: no [federation] table: name the SAML provider and the master role (README: "
            "'Keys for xacct-lint generate')"
        )
    master_account = config.account_by_name(federation.master_account)
    if master_account is None:  # load_config rejects this; keep mypy and hand-built configs honest
        raise GenerateError(f"{where}: [federation] master-role names unknown account")
    _check_provider(federation, master_account, where)
    master_limit = master_account.max_session_duration
    if master_limit is not None and federation.master_max_session_duration > max(master_limit, 3600):
        raise GenerateError(
            f"{where}: [federation] master-role max-session-duration {federation.master_max_session_duration} "
            f"exceeds account {master_account.name}'s max-session-duration {master_limit}"
        )
    master = MasterRole(
        name=federation.master_name,
        path=federation.master_path,
        account=master_account,
        arn=role_arn(master_account, federation.master_path, federation.master_name),
        max_session_duration=federation.master_max_session_duration,
        description=federation.master_description
        or "Hub role for federated cross-account access (written by xacct-lint generate)",
    )
    tag_keys, transitive = _tag_keys(config, federation, where)
    mappings = [m for m in config.roles if m.trust_policy is None and not m.permission_policies]
    skipped = tuple(
        f"{m.name} ({m.account})" for m in config.roles if m.trust_policy is not None or m.permission_policies
    )
    if not mappings:
        raise GenerateError(
            f"{where}: no [[roles]] to generate (entries that map existing files are skipped)"
        )
    rng = random.Random(seed) if seed is not None else None
    targets = tuple(_target(config, m, master, where, environ, rng) for m in mappings)
    _check_unique(master, targets, where)
    _check_tiers(master, targets, where)
    idp_mfa = _check_mfa(config, federation, master, targets, where)
    decisions = _decisions(master, targets, idp_mfa, bool(tag_keys))
    return Plan(
        config=config,
        federation=federation,
        master=master,
        targets=tuple(sorted(targets, key=lambda t: (t.account.name, t.name))),
        tag_keys=tag_keys,
        transitive_keys=transitive,
        idp_mfa_accounts=idp_mfa,
        skipped_roles=skipped,
        decisions=decisions,
    )


def _check_provider(federation: FederationConfig, master: AccountConfig, where: str) -> None:
    account = federation.saml_provider.split(":")[4]
    if account != master.id:
        # AssumeRoleWithSAML names a provider of the role's own account (the provider and the role it may enter
        # are created together in one account); a provider elsewhere would leave the master role unusable.
        raise GenerateError(
            f"{where}: [federation] saml-provider {federation.saml_provider} is not in the master role's "
            f"account {master.name} ({master.id})"
        )


def _tag_keys(
    config: Config, federation: FederationConfig, where: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    keys = tuple(config.allowed_tag_keys or ())
    transitive = tuple(config.allowed_transitive_tag_keys or ())
    folded = {k.casefold() for k in keys}
    stray = [k for k in transitive if k.casefold() not in folded]
    if stray:
        raise GenerateError(
            f"{where}: [session-tags] allowed-transitive-keys {stray} are not in allowed-keys: a transitive tag "
            "is a session tag first"
        )
    from xacct_lint.condition_keys import lookup_global_key

    seen: set[str] = set()
    for condition in federation.attribute_conditions:
        if condition.key.casefold() in seen:
            # Two conditions on one key must both hold: a second one either repeats or contradicts the first.
            raise GenerateError(
                f"{where}: [federation] two attribute conditions on {condition.key}: list all its values in one"
            )
        seen.add(condition.key.casefold())
        if condition.key.startswith("aws:RequestTag/"):
            tag = condition.key.split("/", 1)[1]
            if tag.casefold() not in folded:
                raise GenerateError(
                    f"{where}: [federation] attribute condition on session tag {tag!r}, which "
                    "[session-tags] allowed-keys does not list: the identity provider could not pass it"
                )
            continue
        info = lookup_global_key(condition.key)
        if info is None or not condition.key.casefold().startswith("saml:"):
            raise GenerateError(
                f"{where}: [federation] attribute condition on {condition.key}, which is not a SAML condition key "
                "AWS documents (custom attributes never reach the request context, iam-facts §8.1): send the "
                "attribute as a session tag and use session-tag = ... instead"
            )
        if condition.key.casefold() in ("saml:aud", "saml:doc"):
            raise GenerateError(
                f"{where}: [federation] {condition.key} is set by saml-provider / saml-audiences"
            )
    return keys, transitive


def _target(
    config: Config,
    mapping: RoleMapping,
    master: MasterRole,
    where: str,
    environ: Mapping[str, str],
    rng: random.Random | None,
) -> TargetRole:
    account = config.account_by_name(mapping.account)
    assert account is not None  # load_config rejects mappings naming unknown accounts
    source_ips: tuple[str, ...] = ()
    if "source-ip" in account.require:
        source_ips = account.source_ip_allowlist
        if not source_ips:
            raise GenerateError(
                f"{where}: account {account.name} requires source-ip but lists no source-ip-allowlist: role "
                f"{mapping.name} could not be assumed from anywhere"
            )
    configured = mapping.max_session_duration
    return TargetRole(
        name=mapping.name,
        path=mapping.path,
        account=account,
        arn=role_arn(account, mapping.path, mapping.name),
        max_session_duration=CHAINED_MAX_SESSION,
        configured_max_session_duration=configured,
        external_id=_external_id(mapping, account, where, environ, rng),
        source_ips=source_ips,
        access=mapping.access,
        description=mapping.description
        or f"Assumed from {master.name} in account {master.account.name} (written by xacct-lint generate)",
    )


def _external_id(
    mapping: RoleMapping,
    account: AccountConfig,
    where: str,
    environ: Mapping[str, str],
    rng: random.Random | None,
) -> ExternalId:
    spec = mapping.external_id
    if spec is not None and spec.startswith("env:"):
        name = spec[4:]
        value = environ.get(name)
        if value is None:
            raise GenerateError(
                f"{where}: role {mapping.name}: external-id = {spec!r}, but ${name} is not set"
            )
        if not EXTERNAL_ID_PATTERN.fullmatch(value):
            raise GenerateError(
                f"{where}: role {mapping.name}: ${name} is not a valid ExternalId (2-1224 characters of "
                "A-Za-z0-9_+=,.@:/-)"
            )
        return ExternalId(value, "env", name)
    variable = env_var_name(account, mapping.name)
    if spec is not None:
        return ExternalId(spec, "config", variable)
    if rng is not None:  # tests only: reproducible output
        value = "".join(rng.choice(_URLSAFE) for _ in range(GENERATED_ID_LENGTH))
    else:
        value = "".join(secrets.choice(_URLSAFE) for _ in range(GENERATED_ID_LENGTH))
    return ExternalId(value, "generated", variable)


def _check_unique(master: MasterRole, targets: tuple[TargetRole, ...], where: str) -> None:
    # IAM role names are unique case-insensitively within an account (iam-facts §13).
    seen: dict[tuple[str, str], str] = {(master.account.id, master.name.casefold()): "the master role"}
    for target in targets:
        key = (target.account.id, target.name.casefold())
        if key in seen:
            raise GenerateError(
                f"{where}: role {target.name} in account {target.account.name} clashes with {seen[key]} "
                "(role names are unique per account, whatever their case)"
            )
        seen[key] = f"role {target.name}"
    values: dict[str, str] = {}
    variables: dict[str, str] = {}
    for target in targets:
        external = target.external_id
        if external.value in values:
            raise GenerateError(
                f"{where}: roles {values[external.value]} and {target.name} share one ExternalId: give every "
                "role its own"
            )
        values[external.value] = target.name
        if external.env_var in variables and external.source != "env":
            raise GenerateError(
                f"{where}: roles {variables[external.env_var]} and {target.name} map to one variable "
                f"{external.env_var}: rename one, or set external-id = 'env:NAME'"
            )
        variables[external.env_var] = target.name


def _check_tiers(master: MasterRole, targets: tuple[TargetRole, ...], where: str) -> None:
    # Every target is reachable from the master role: a hub less trusted than a target would let whoever
    # controls the hub account control the target (the graph rule XA403 reports such paths).
    hub = master.account.tier
    if hub is None:
        return
    above = sorted({t.account.name for t in targets if t.account.tier is not None and t.account.tier > hub})
    if above:
        raise GenerateError(
            f"{where}: the master role's account {master.account.name} (tier {hub}) would reach roles in "
            f"{', '.join(above)}, of a higher tier: give the hub account the highest tier of the accounts it reaches"
        )


def _check_mfa(
    config: Config,
    federation: FederationConfig,
    master: MasterRole,
    targets: tuple[TargetRole, ...],
    where: str,
) -> tuple[str, ...]:
    involved = {master.account.name: master.account, **{t.account.name: t.account for t in targets}}
    wanting = sorted(name for name, account in involved.items() if "mfa" in account.require)
    if wanting and not federation.mfa_enforced_by_idp:
        raise GenerateError(
            f"{where}: account(s) {', '.join(wanting)} require mfa, but every generated role is entered through "
            "SAML federation, whose sessions never carry MFA (iam-facts §2.3), directly or by role chaining "
            "(§2.4): an aws:MultiFactorAuthPresent condition would lock the roles. Require MFA in your identity "
            "provider and set [federation] mfa-enforced-by-idp = true, or drop mfa from those accounts"
        )
    return tuple(wanting)


def _decisions(
    master: MasterRole, targets: tuple[TargetRole, ...], idp_mfa: tuple[str, ...], tags_flow: bool
) -> tuple[Decision, ...]:
    out = [
        Decision(
            "trust",
            f"Every target role trusts only the master role's ARN ({master.arn}), never an account root, with "
            "its own ExternalId (StringEquals sts:ExternalId). The master role trusts only the SAML provider, "
            "with SAML:aud pinned: no IAM user or role can assume it.",
        ),
        Decision(
            "max-session-duration",
            "Target roles are reached only by role chaining, which caps sessions at one hour and fails longer "
            "requests (iam-facts §1.1), so their MaxSessionDuration is 3600"
            + "".join(
                f"; {t.name} asked for {t.configured_max_session_duration}"
                for t in targets
                if t.configured_max_session_duration not in (None, CHAINED_MAX_SESSION)
            )
            + ".",
        ),
        Decision(
            "external-id",
            "The master role's permission policy has one sts:AssumeRole statement per target, with that target's "
            "ExternalId; sts:ExternalId is documented for sts:AssumeRole only, so sts:TagSession on the targets is "
            "a statement of its own. A target's trust policy grants both actions to the master role in one "
            "statement (AWS's documented form for session tags), with the ExternalId, source IP and tag limits.",
        ),
    ]
    if idp_mfa:
        out.append(
            Decision(
                "mfa",
                f"Account(s) {', '.join(idp_mfa)} require MFA. STS never reports MFA for SAML sessions "
                "(iam-facts §2.3) and a chained AssumeRole carries the caller's MFA context (§2.4), so "
                "aws:MultiFactorAuthPresent is never true for these roles and a Bool condition on it would "
                "make them impossible to assume. MFA is enforced by the identity provider at sign-in "
                "([federation] mfa-enforced-by-idp = true) and the trust chain guarantees every session passed "
                "it: targets trust only the master role, the master role only the SAML provider. The written "
                "xacct-lint.toml therefore does not list mfa for these accounts.",
            )
        )
    if tags_flow:
        out.append(
            Decision(
                "session-tags",
                "Session tags flow: sts:TagSession is allowed in the master role's trust (the identity provider "
                "passes PrincipalTag attributes), in its permission policy on the target roles, and in each "
                "target's trust (transitive tags make a chained AssumeRole a tagging call, iam-facts §4.3), "
                "always with ForAllValues:StringEquals on aws:TagKeys and sts:TransitiveTagKeys limited to "
                "[session-tags] (Null sts:TransitiveTagKeys when none may be transitive). The master role may "
                "only pass a tag with the value its own session carries (aws:RequestTag/K = "
                "${aws:PrincipalTag/K}), so a user cannot claim another department.",
            )
        )
    else:
        out.append(
            Decision(
                "session-tags",
                "No [session-tags] allowed-keys: sts:TagSession is allowed nowhere, so no session can carry tags.",
            )
        )
    return tuple(out)
