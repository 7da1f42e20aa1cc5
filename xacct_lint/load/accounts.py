"""Several accounts at once: give every input file its account, and merge what files say about the same role.

A directory of AWS CLI exports, one per account (``get-account-authorization-details``, ``list-roles``, ...),
together with templates and plain policies, becomes one model:

* **The account of a file.** A ``[[templates]]`` entry of the configuration whose glob matches the file
  names it; otherwise the ARNs in the file do (every role, user, group and customer managed policy of an
  export carries its account). Policies that carry no account of their own -- a ``get-role-policy`` or
  ``get-policy-version`` export, a plain policy file -- take the file's account. When the configured account
  and the ARNs disagree, that is a ``conflicting-sources`` problem: the file was mapped to the wrong account.
* **Inline policies of ``get-role-policy`` exports** (``RoleName`` + ``PolicyName`` + ``PolicyDocument``) are
  attached to the role of that name in the file's account, when another input describes it.
* **The same role in several files** (a ``list-roles`` and an authorization-details export of one account,
  two snapshots, a template and the deployed role): one role remains, the first by file path. Documents that
  say the same thing in both files are kept once, so each finding is reported once, in the first file.
  Documents that differ are all kept and checked -- each finding points at its own file -- and a
  ``conflicting-sources`` problem names the role and both files (drift, or exports from different times).
* **The same managed policy in several exports** (AWS managed policies appear in every account's
  authorization details): identical documents are kept once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Identity, LoadProblem, Location, Policy, Role
from xacct_lint.parse.json_tree import JsonSyntaxError, parse_json
from xacct_lint.parse.source import SourceFile

_MANAGED_PREFIX = re.compile(r"^/Policies/\d+/PolicyVersionList/\d+/Document$")


@dataclass(frozen=True)
class Merged:
    """The model's contents after merging: policies, roles, identities, and the problems found doing it."""

    policies: list[Policy]
    roles: list[Role]
    identities: list[Identity]
    problems: list[LoadProblem]


def configured_account(config: Config, path: Path | None) -> str | None:
    """Return the account ID the first matching ``[[templates]]`` entry gives a file, if any."""
    from xacct_lint.load.cloudformation import template_mapping_for

    mapping = template_mapping_for(config, path)
    account = config.account_by_name(mapping.account) if mapping is not None and mapping.account else None
    return account.id if account is not None else None


def _canonical(policy: Policy) -> str:
    return json.dumps(policy.document.root.to_python(), sort_keys=True, separators=(",", ":"))


def _role_location(role: Role, fallback: Policy | None) -> Location | None:
    if role.location is not None:
        return role.location
    return fallback.at("") if fallback is not None else None


class _Merger:
    def __init__(self, config: Config, resolved_paths: Mapping[SourceFile, Path]) -> None:
        self.config = config
        self.resolved_paths = resolved_paths
        self.problems: list[LoadProblem] = []
        self.dropped: set[int] = set()  # id() of policies that duplicate a kept one
        self.replacement: dict[int, Policy] = {}

    def problem(self, message: str, location: Location | None) -> None:
        if location is not None:
            self.problems.append(LoadProblem("conflicting-sources", message, location))

    # -- accounts ---------------------------------------------------------------------------------------

    def assign_accounts(
        self, policies: Sequence[Policy], roles: Sequence[Role], identities: Sequence[Identity]
    ) -> dict[SourceFile, str]:
        """Give account-less policies their file's account; return the account of each file that has one."""
        seen: dict[SourceFile, set[str]] = {}
        first_place: dict[SourceFile, Location] = {}
        for role in roles:
            if role.location is not None:
                seen.setdefault(role.location.source, set()).add(role.account_id)
                first_place.setdefault(role.location.source, role.location)
        for identity in identities:
            if identity.location is not None:
                seen.setdefault(identity.location.source, set()).add(identity.account_id)
                first_place.setdefault(identity.location.source, identity.location)
        for policy in policies:
            if policy.account_id:
                seen.setdefault(policy.source, set()).add(policy.account_id)
                first_place.setdefault(policy.source, policy.at(""))
        accounts: dict[SourceFile, str] = {}
        sources = dict.fromkeys([p.source for p in policies] + list(seen))
        for source in sources:
            named = seen.get(source, set())
            configured = configured_account(self.config, self.resolved_paths.get(source))
            if configured is not None:
                others = sorted(named - {configured})
                if others:
                    self.problem(
                        f"the configuration ([[templates]]) maps {source.display_path} to account {configured}, "
                        f"but its ARNs name account {', '.join(others)}: the glob matches a file of another "
                        "account; the ARNs are used for what they name",
                        first_place.get(source),
                    )
                accounts[source] = configured
            elif len(named) == 1:
                accounts[source] = next(iter(named))
        for policy in policies:
            if policy.account_id or _MANAGED_PREFIX.match(policy.prefix):
                continue  # an export's managed policy without account is an AWS managed policy
            account = accounts.get(policy.source)
            if account is not None:
                policy.account_id = account
        return accounts

    def attach_role_policies(self, policies: Sequence[Policy], roles: Sequence[Role]) -> None:
        """Attach ``get-role-policy`` exports to the role they name, in their file's account."""
        by_name: dict[tuple[str, str], Role] = {}
        for role in roles:
            by_name.setdefault((role.account_id, role.name.casefold()), role)
        for policy in policies:
            if policy.prefix != "/PolicyDocument" or policy.role_arn is not None or policy.account_id is None:
                continue
            role_name = _export_role_name(policy.source)
            owner = by_name.get((policy.account_id, role_name.casefold())) if role_name else None
            if owner is None:
                continue
            policy.role_arn = owner.arn
            if policy not in owner.permission_policies:
                owner.permission_policies.append(policy)

    # -- duplicates -------------------------------------------------------------------------------------

    def merge_managed(self, policies: Sequence[Policy]) -> None:
        kept: dict[tuple[str | None, str | None, str], Policy] = {}
        for policy in policies:
            if not _MANAGED_PREFIX.match(policy.prefix):
                continue
            key = (policy.account_id, policy.name, _canonical(policy))
            first = kept.setdefault(key, policy)
            if first is not policy and first.source is not policy.source:
                self.drop(policy, first)

    def drop(self, policy: Policy, kept: Policy) -> None:
        self.dropped.add(id(policy))
        self.replacement[id(policy)] = kept

    def merge_roles(self, roles: Sequence[Role]) -> list[Role]:
        merged: dict[str, Role] = {}
        for role in roles:
            kept = merged.get(role.arn)
            if kept is None:
                merged[role.arn] = role
                continue
            source = _source_of(role)
            if "${" in role.arn and _source_of(kept) is not source:
                # A symbolic name (CloudFormation generates it): two templates' roles are not the same role.
                merged[f"{role.arn}\0{source.display_path if source is not None else ''}"] = role
                continue
            self.merge_role(kept, role)
        return list(merged.values())

    def merge_role(self, kept: Role, other: Role) -> None:
        here, there = _source_of(kept), _source_of(other)
        where = f"{here.display_path if here else '?'} and {there.display_path if there else '?'}"
        if other.trust_policy is not None:
            if kept.trust_policy is None:
                kept.trust_policy = other.trust_policy
            elif kept.trust_policy is not other.trust_policy:
                if _canonical(kept.trust_policy) == _canonical(other.trust_policy):
                    self.drop(other.trust_policy, kept.trust_policy)
                else:
                    self.problem(
                        f"role {kept.arn} has different trust policies in {where} (drift, or exports taken at "
                        "different times): both are checked",
                        other.trust_policy.at(""),
                    )
        for policy in other.permission_policies:
            policy = self.replacement.get(id(policy), policy)
            if policy in kept.permission_policies:
                continue
            twin = next((p for p in kept.permission_policies if p.name == policy.name), None)
            if twin is not None and _canonical(twin) == _canonical(policy):
                self.drop(policy, twin)
                continue
            if twin is not None:
                self.problem(
                    f"role {kept.arn} has a different policy {policy.name!r} in {where} (drift, or exports "
                    "taken at different times): both are checked",
                    policy.at(""),
                )
            kept.permission_policies.append(policy)
        kept.managed_policy_arns.extend(
            a for a in other.managed_policy_arns if a not in kept.managed_policy_arns
        )
        if kept.max_session_duration is None:
            kept.max_session_duration = other.max_session_duration
            kept.max_session_location = other.max_session_location
        elif (
            other.max_session_duration is not None and other.max_session_duration != kept.max_session_duration
        ):
            self.problem(
                f"role {kept.arn} has MaxSessionDuration {kept.max_session_duration} in "
                f"{here.display_path if here else '?'} but {other.max_session_duration} in "
                f"{there.display_path if there else '?'}: the first is checked",
                other.max_session_location or _role_location(other, None),
            )
        for key, value in other.tags.items():
            kept.tags.setdefault(key, value)
        if kept.location is None:
            kept.location = other.location

    def remap(self, policies: list[Policy]) -> list[Policy]:
        out: list[Policy] = []
        for policy in policies:
            policy = self.replacement.get(id(policy), policy)
            if policy not in out:
                out.append(policy)
        return out


def _source_of(role: Role) -> SourceFile | None:
    if role.location is not None:
        return role.location.source
    if role.trust_policy is not None:
        return role.trust_policy.source
    return None


def _export_role_name(source: SourceFile) -> str | None:
    """Return the ``RoleName`` of a ``get-role-policy`` export (the role its one document belongs to)."""
    try:
        root = parse_json(source.text).root
    except JsonSyntaxError:
        return None
    node = root.get("RoleName") if root.kind == "object" else None
    return str(node.value) if node is not None and node.kind == "string" and node.value else None


def merge_inputs(
    policies: Iterable[Policy],
    roles: Iterable[Role],
    identities: Iterable[Identity],
    config: Config,
    resolved_paths: Mapping[SourceFile, Path],
) -> Merged:
    """Return the inputs with file accounts assigned and duplicate roles and policies merged (see module)."""
    policy_list, role_list, identity_list = list(policies), list(roles), list(identities)
    merger = _Merger(config, resolved_paths)
    merger.assign_accounts(policy_list, role_list, identity_list)
    merger.attach_role_policies(policy_list, role_list)
    merger.merge_managed(policy_list)
    for role in role_list:
        role.permission_policies = merger.remap(role.permission_policies)
    merged_roles = merger.merge_roles(role_list)
    for role in merged_roles:
        role.permission_policies = merger.remap(role.permission_policies)
    for identity in identity_list:
        identity.policies = merger.remap(identity.policies)
    kept = [p for p in policy_list if id(p) not in merger.dropped]
    return Merged(kept, merged_roles, identity_list, merger.problems)
