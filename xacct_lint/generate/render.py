"""Render a plan into the files ``xacct-lint generate`` writes (text only; :mod:`.write` puts them on disk).

Layout of the output directory::

    xacct-lint.toml                       what `xacct-lint check OUTDIR` reads: accounts, requirements, session
                                          tags and a [[roles]] mapping per generated role (found by walking up
                                          from OUTDIR, so no new loader is needed)
    manifest.json                         what was generated and why: roles, ARNs, hops, files, decisions; it
                                          names where each ExternalId comes from, never its value
    external-ids.env                      NAME=value per target role (mode 0600)
    policies/<account>/<role>.trust.json  trust policies
    policies/<account>/<role>.permissions.json
    apply/aws-cli.sh                      the recipe's shape: heredocs + aws iam create-role / put-role-policy
    apply/cloudformation/<account>.json   one stack per account (deploy the master role's account first)

Everything is deterministic for a given plan: keys in a fixed order, sorted roles, paths relative to the output
directory, no clock.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xacct_lint import __version__
from xacct_lint.generate import documents
from xacct_lint.generate.plan import MasterRole, Plan, TargetRole, account_label
from xacct_lint.model.config import AccountConfig, Config

CONFIG_NAME = "xacct-lint.toml"
MANIFEST_NAME = "manifest.json"
ENV_FILE = "external-ids.env"
SCRIPT = "apply/aws-cli.sh"
MASTER_POLICY_NAME = "AssumeTargetRoles"
TARGET_POLICY_NAME = "ResourceAccess"
_HEREDOC_END = "XACCT_EOF"


@dataclass(frozen=True)
class OutputFile:
    """One file to write: its path relative to the output directory, its text, and whether it holds
    ExternalId values (then it is written with mode 0600)."""

    path: str
    text: str
    secret: bool


@dataclass(frozen=True)
class _RoleFiles:
    name: str
    path: str
    account: AccountConfig
    arn: str
    max_session_duration: int
    description: str
    trust: tuple[str, dict[str, Any]]
    permissions: tuple[str, str, dict[str, Any]] | None  # file, inline policy name, document
    target: TargetRole | None


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _role_files(plan: Plan) -> list[_RoleFiles]:
    master: MasterRole = plan.master
    base = f"policies/{account_label(master.account)}/{master.name}"
    roles = [
        _RoleFiles(
            master.name,
            master.path,
            master.account,
            master.arn,
            master.max_session_duration,
            master.description,
            (f"{base}.trust.json", documents.master_trust_policy(plan)),
            (f"{base}.permissions.json", MASTER_POLICY_NAME, documents.master_permission_policy(plan)),
            None,
        )
    ]
    for target in plan.targets:
        base = f"policies/{account_label(target.account)}/{target.name}"
        permission = documents.target_permission_policy(target)
        roles.append(
            _RoleFiles(
                target.name,
                target.path,
                target.account,
                target.arn,
                target.max_session_duration,
                target.description,
                (f"{base}.trust.json", documents.target_trust_policy(plan, target)),
                (f"{base}.permissions.json", TARGET_POLICY_NAME, permission) if permission else None,
                target,
            )
        )
    return roles


def render_outputs(
    plan: Plan, *, out_dir: Path, external_ids_from_env: bool, config_name: str
) -> tuple[OutputFile, ...]:
    """Return every file to write for ``plan``, sorted by path."""
    roles = _role_files(plan)
    files: list[OutputFile] = []
    for role in roles:
        trust_path, trust = role.trust
        files.append(OutputFile(trust_path, _json(trust), secret=role.target is not None))
        if role.permissions is not None:
            path, _, document = role.permissions
            files.append(OutputFile(path, _json(document), secret=role.target is None))
    apply_secret = not external_ids_from_env
    files.append(OutputFile(SCRIPT, _script(plan, roles, external_ids_from_env, config_name), apply_secret))
    for account in plan.accounts():
        text = _cloudformation(plan, [r for r in roles if r.account == account], external_ids_from_env)
        files.append(OutputFile(_template_path(account), text, apply_secret))
    files.append(OutputFile(ENV_FILE, _env_file(plan), secret=True))
    files.append(OutputFile(CONFIG_NAME, _config(plan, roles, out_dir, config_name), secret=False))
    manifest = _manifest(plan, roles, files, external_ids_from_env, config_name)
    files.append(OutputFile(MANIFEST_NAME, manifest, secret=False))
    return tuple(sorted(files, key=lambda f: f.path))


def _template_path(account: AccountConfig) -> str:
    return f"apply/cloudformation/{account_label(account)}.json"


# --- external-ids.env -------------------------------------------------------------------------------------------


def _env_file(plan: Plan) -> str:
    lines = [
        "# ExternalIds of the generated roles, one NAME=value per target role (written by xacct-lint generate).",
        "# Keep this file private (mode 0600), or move the values to your secret store and delete it.",
        "# apply/aws-cli.sh written with --external-id-from-env reads them from the environment:",
        f"#   set -a; . ./{ENV_FILE}; set +a",
    ]
    for target in plan.targets:
        lines.append(f"{target.external_id.env_var}={shlex.quote(target.external_id.value)}")
    return "\n".join(lines) + "\n"


# --- xacct-lint.toml --------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))  # dates and times from a rule's options: kept as text


def _relative(path: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(path, out_dir.resolve())).as_posix()


def _config(plan: Plan, roles: Sequence[_RoleFiles], out_dir: Path, config_name: str) -> str:
    config: Config = plan.config
    lines = [
        f"# Written by `xacct-lint generate` from {config_name}: what `xacct-lint check` needs to lint this",
        "# directory -- the accounts and their requirements, the allowed session tags, and which policy file",
        "# belongs to which role ([[roles]]). Regenerate rather than edit.",
        "",
        f"default-require = {_toml_value(list(config.default_require))}",
    ]
    if config.organization_ids:
        lines.append(f"organization-ids = {_toml_value(list(config.organization_ids))}")
    idp_mfa = set(plan.idp_mfa_accounts)
    for account in config.accounts:
        lines += ["", f"[accounts.{_toml_key(account.name)}]", f"id = {_toml_string(account.id)}"]
        require = sorted(account.require)
        if account.name in idp_mfa:
            require.remove("mfa")
            lines += [
                "# mfa: required by the source configuration and enforced by the identity provider at sign-in",
                "# ([federation] mfa-enforced-by-idp). These roles are entered only through SAML federation,",
                "# directly or chained, and such sessions never carry aws:MultiFactorAuthPresent (iam-facts",
                "# §2.3, §2.4): an MFA condition would lock them, so the documents have none and check does not",
                "# ask for one. See manifest.json, decision 'mfa'.",
            ]
        lines.append(f"require = {_toml_value(require)}")
        if account.max_session_duration is not None:
            lines.append(f"max-session-duration = {account.max_session_duration}")
        if account.source_ip_allowlist:
            lines.append(f"source-ip-allowlist = {_toml_value(list(account.source_ip_allowlist))}")
        if account.tier is not None:
            lines.append(f"tier = {account.tier}")
    if (
        plan.tags_flow
        or config.allowed_tag_keys is not None
        or config.allowed_transitive_tag_keys is not None
    ):
        # Both lists, always: they state what the documents allow, so check asks both questions of them.
        lines += [
            "",
            "[session-tags]",
            f"allowed-keys = {_toml_value(list(plan.tag_keys))}",
            f"allowed-transitive-keys = {_toml_value(list(plan.transitive_keys))}",
        ]
    for role in roles:
        lines += [
            "",
            "[[roles]]",
            f"name = {_toml_string(role.name)}",
            f"account = {_toml_string(role.account.name)}",
        ]
        if role.path != "/":
            lines.append(f"path = {_toml_string(role.path)}")
        lines.append(f"trust-policy = {_toml_string(role.trust[0])}")
        if role.permissions is not None:
            lines.append(f"permission-policies = {_toml_value([role.permissions[0]])}")
        lines.append(f"max-session-duration = {role.max_session_duration}")
    for account in plan.accounts():
        lines += [
            "",
            "[[templates]]  # the CloudFormation stack of one account",
            f"glob = {_toml_string(_template_path(account))}",
            f"account = {_toml_string(account.name)}",
            f"stack-name = {_toml_string(_stack_name(account))}",
        ]
    lines += _lint_tables(config, out_dir)
    return "\n".join(lines) + "\n"


def _lint_tables(config: Config, out_dir: Path) -> list[str]:
    """Return the [lint] and [rules.*] tables of the source configuration (its baseline is left out: it lists
    findings of other files, and generated documents must show every finding)."""
    lines: list[str] = []
    lint: list[str] = []
    if config.select:
        lint.append(f"select = {_toml_value(list(config.select))}")
    if config.ignore:
        lint.append(f"ignore = {_toml_value(list(config.ignore))}")
    if config.fail_on != "warning":
        lint.append(f"fail-on = {_toml_string(config.fail_on)}")
    if config.packs:
        lint.append(f"packs = {_toml_value(list(config.packs))}")
    if config.rule_dirs:
        lint.append(f"rule-dirs = {_toml_value([_relative(d, out_dir) for d in config.rule_dirs])}")
    if lint or config.severity:
        lines += ["", "[lint]", *lint]
    if config.severity:
        lines += ["", "[lint.severity]"]
        lines += [f"{_toml_key(k)} = {_toml_string(v)}" for k, v in sorted(config.severity.items())]
    for rule_id, options in sorted(config.rule_options.items()):
        lines += ["", f"[rules.{_toml_key(rule_id)}]"]
        lines += [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in options.items()]
    return lines


# --- manifest.json ----------------------------------------------------------------------------------------------


def _manifest(
    plan: Plan,
    roles: Sequence[_RoleFiles],
    files: Sequence[OutputFile],
    from_env: bool,
    config_name: str,
) -> str:
    federation = plan.federation
    written = sorted([*files, OutputFile(MANIFEST_NAME, "", False)], key=lambda f: f.path)
    manifest: dict[str, Any] = {
        "generator": f"xacct-lint {__version__} generate",
        "config": config_name,
        "saml-provider": federation.saml_provider,
        "saml-audiences": list(federation.audiences),
        "session-tags": {
            "allowed-keys": list(plan.tag_keys),
            "allowed-transitive-keys": list(plan.transitive_keys),
        },
        "roles": [_manifest_role(plan, role) for role in roles],
        "hops": _hops(plan),
        "decisions": [{"topic": d.topic, "text": d.text} for d in plan.decisions],
        "apply": {
            "order": [a.name for a in plan.accounts()],
            "why-this-order": "a trust policy that names a role ARN is refused until that role exists, so the "
            "master role's account comes first",
            "aws-cli": f"bash {SCRIPT}"
            + (
                "   (with the ExternalIds in the environment: set -a; . ./external-ids.env; set +a)"
                if from_env
                else ""
            ),
            "cloudformation": [_deploy_command(plan, a, from_env) for a in plan.accounts()],
        },
        "check": {
            "command": _check_command(plan, from_env),
            "reads": CONFIG_NAME,
            "why": "check finds xacct-lint.toml by walking up from the directory it checks; its [[roles]] map every "
            "policy file to its role and account, its [[templates]] map every stack to its account, so the "
            "existing loaders know everything and no manifest loader is needed. This manifest is for people "
            "and tools; check ignores it."
            + (
                " The apply files read the ExternalIds from the environment: --var gives them to check."
                if from_env
                else ""
            ),
        },
        "files": [{"path": f.path, "mode": "0600" if f.secret else "0644"} for f in written],
    }
    if plan.skipped_roles:
        manifest["not-generated"] = {
            "roles": list(plan.skipped_roles),
            "why": "these [[roles]] entries map existing policy files; generate writes only roles without files",
        }
    return _json(manifest)


def _manifest_role(plan: Plan, role: _RoleFiles) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": role.name,
        "kind": "target" if role.target is not None else "master",
        "account": role.account.name,
        "account-id": role.account.id,
        "arn": role.arn,
        "max-session-duration": role.max_session_duration,
        "trust-policy": role.trust[0],
        "permission-policies": [role.permissions[0]] if role.permissions else [],
    }
    target = role.target
    if target is None:
        entry["entered-by"] = {"saml-provider": plan.federation.saml_provider}
        entry["assumes"] = [t.arn for t in plan.targets]
        return entry
    external = target.external_id
    source = {"generated": "generated", "config": "config", "env": f"env:{external.env_var}"}[external.source]
    entry["external-id"] = {"source": source, "variable": external.env_var}
    if target.configured_max_session_duration not in (None, target.max_session_duration):
        entry["configured-max-session-duration"] = target.configured_max_session_duration
    entry["requires"] = sorted(
        {
            "external-id",
            *(["source-ip"] if target.source_ips else []),
            *(["mfa (at the IdP)"] if "mfa" in target.account.require else []),
        }
    )
    entry["access"] = {level: list(arns) for level, arns in target.access}
    return entry


def _hops(plan: Plan) -> list[dict[str, Any]]:
    master = plan.master
    hops: list[dict[str, Any]] = [
        {
            "from": plan.federation.saml_provider,
            "to": master.arn,
            "action": "sts:AssumeRoleWithSAML",
            "requires": {
                "SAML:aud": list(plan.federation.audiences),
                **{c.key: list(c.values) for c in plan.federation.attribute_conditions},
            },
        }
    ]
    for target in plan.targets:
        requires: dict[str, Any] = {"sts:ExternalId": f"${target.external_id.env_var}"}
        if target.source_ips:
            requires["aws:SourceIp"] = list(target.source_ips)
        hops.append({"from": master.arn, "to": target.arn, "action": "sts:AssumeRole", "requires": requires})
    return hops


def _deploy_command(plan: Plan, account: AccountConfig, from_env: bool) -> str:
    parts = [
        "aws cloudformation deploy",
        f"--template-file {shlex.quote(_template_path(account))}",
        f"--stack-name {shlex.quote(_stack_name(account))}",
        "--capabilities CAPABILITY_NAMED_IAM",
    ]
    if from_env:
        overrides = [f'{_parameter(t)}="${t.external_id.env_var}"' for t in _template_targets(plan, account)]
        if overrides:
            parts.append("--parameter-overrides " + " ".join(overrides))
    return " ".join(parts)


def check_variables(plan: Plan) -> list[tuple[str, str]]:
    """Return the variables a check of an ``--external-id-from-env`` directory needs to see the real values:
    each ExternalId under its shell variable (apply/aws-cli.sh) and its CloudFormation parameter."""
    out: list[tuple[str, str]] = []
    for target in plan.targets:
        out.append((target.external_id.env_var, target.external_id.value))
        out.append((_parameter(target), target.external_id.value))
    return out


def _check_command(plan: Plan, from_env: bool) -> str:
    if not from_env:
        return "xacct-lint check ."
    options = []
    for target in plan.targets:
        variable = target.external_id.env_var
        options.append(f'--var {variable} --var {_parameter(target)}="${variable}"')
    return f"set -a; . ./{ENV_FILE}; set +a; xacct-lint check . " + " ".join(options)


def _stack_name(account: AccountConfig) -> str:
    return "xacct-federation-" + re.sub(r"[^A-Za-z0-9-]", "-", account_label(account))


# --- apply/aws-cli.sh -------------------------------------------------------------------------------------------


def _profile_variable(account: AccountConfig) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "_", account.name).strip("_").upper() or f"ACCOUNT_{account.id}"
    if stem[0].isdigit():
        stem = f"ACCOUNT_{stem}"
    return f"{stem}_PROFILE"


def _heredoc(file_name: str, text: str, replacements: Mapping[str, str]) -> list[str]:
    """Return the lines of a heredoc writing ``text`` to ``file_name``.

    Without replacements the heredoc is quoted (``<<'EOF'``): the text is taken literally, policy variables
    such as ``${aws:PrincipalTag/Department}`` included. With replacements (ExternalId value -> shell variable)
    it is unquoted so that ``${NAME}`` expands, and every ``\\``, ``$`` and backquote of the text is escaped.
    """
    assert not any(line == _HEREDOC_END for line in text.splitlines())
    replacements = {v: n for v, n in replacements.items() if json.dumps(v) in text}
    if not replacements:
        return [
            f"cat > {shlex.quote(file_name)} <<'{_HEREDOC_END}'",
            *text.rstrip("\n").split("\n"),
            _HEREDOC_END,
        ]
    escaped = text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    for value, variable in replacements.items():
        # ExternalIds are 2-1224 of [A-Za-z0-9_+=,.@:/-]: none of those characters was escaped above.
        escaped = escaped.replace(json.dumps(value), f'"${{{variable}}}"')
    return [
        f"cat > {shlex.quote(file_name)} <<{_HEREDOC_END}",
        *escaped.rstrip("\n").split("\n"),
        _HEREDOC_END,
    ]


def _script(plan: Plan, roles: Sequence[_RoleFiles], from_env: bool, config_name: str) -> str:
    accounts = plan.accounts()
    profiles = " ".join(f"{_profile_variable(a)}=..." for a in accounts)
    lines = [
        "#!/usr/bin/env bash",
        f"# Written by `xacct-lint generate` from {config_name}: creates or updates {len(roles)} roles in "
        f"{len(accounts)} account(s),",
        "# in this order: " + ", ".join(f"{a.name} ({a.id})" for a in accounts) + ".",
        "# A trust policy that names a role is refused until that role exists, so the master role comes first.",
        "#",
        f"# Usage: {profiles} bash {SCRIPT}",
        "# Each *_PROFILE names the AWS CLI profile with IAM rights in that account (empty: default credentials);",
        "# the script checks the account ID of each before changing anything in it.",
    ]
    if from_env:
        lines += [
            "# ExternalIds are read from the environment (never written here), e.g.:",
            f"#   set -a; . ./{ENV_FILE}; set +a",
        ]
    else:
        lines += [
            "# This file holds the roles' ExternalIds (mode 0600); `generate --external-id-from-env` writes a",
            "# version that reads them from the environment instead.",
        ]
    lines += [
        "set -euo pipefail",
        "umask 077",
        "",
        "expect_account() {",
        "    local profile=$1 expected=$2 name=$3 actual",
        '    actual=$(aws ${profile:+--profile "$profile"} sts get-caller-identity --query Account --output text)',
        '    if [ "$actual" != "$expected" ]; then',
        '        echo "credentials for account $name belong to account $actual, expected $expected" >&2',
        "        exit 1",
        "    fi",
        "}",
        "",
    ]
    replacements: dict[str, str] = {}
    if from_env:
        lines += [
            "require_external_id() {",
            "    local name=$1 value",
            "    value=${!name-}",
            '    if [ "${#value}" -lt 2 ] || [ "${#value}" -gt 1224 ] \\',
            "        || [[ ! $value =~ ^[A-Za-z0-9_+=,.@:/-]+$ ]]; then",
            '        echo "set $name to the ExternalId of its role (2-1224 characters of A-Za-z0-9_+=,.@:/-)" >&2',
            "        exit 1",
            "    fi",
            "}",
            "",
        ]
        for target in plan.targets:
            lines.append(f"require_external_id {target.external_id.env_var}")
            replacements[target.external_id.value] = target.external_id.env_var
        lines.append("")
    lines += [
        "workdir=$(mktemp -d)",
        "trap 'rm -rf \"$workdir\"' EXIT",
        'cd "$workdir"',
    ]
    for account in accounts:
        variable = _profile_variable(account)
        profile = f'${{{variable}:+--profile "${variable}"}}'
        lines += [
            "",
            f"# --- account {account.name} ({account.id}) " + "-" * max(3, 80 - len(account.name) - 30),
            f'expect_account "${{{variable}:-}}" {shlex.quote(account.id)} {shlex.quote(account.name)}',
        ]
        for role in (r for r in roles if r.account == account):
            lines += _script_role(role, profile, replacements)
    lines += ["", 'echo "xacct-lint: roles applied"']
    return "\n".join(lines) + "\n"


def _script_role(role: _RoleFiles, profile: str, replacements: Mapping[str, str]) -> list[str]:
    stem = f"{account_label(role.account)}-{role.name}"
    trust_file = f"{stem}-trust.json"
    name = shlex.quote(role.name)
    aws = f"aws {profile} iam"
    lines = ["", *_heredoc(trust_file, _json(role.trust[1]), replacements)]
    lines += [
        f"if {aws} get-role --role-name {name} >/dev/null 2>&1; then",
        f"    {aws} update-assume-role-policy --role-name {name} \\",
        f"        --policy-document {shlex.quote('file://' + trust_file)}",
        f"    {aws} update-role --role-name {name} \\",
        f"        --max-session-duration {role.max_session_duration} \\",
        f"        --description {shlex.quote(role.description)}",
        "else",
        f"    {aws} create-role --role-name {name} \\",
        f"        --path {shlex.quote(role.path)} \\",
        f"        --assume-role-policy-document {shlex.quote('file://' + trust_file)} \\",
        f"        --max-session-duration {role.max_session_duration} \\",
        f"        --description {shlex.quote(role.description)}",
        "fi",
    ]
    if role.permissions is not None:
        _, policy_name, document = role.permissions
        permission_file = f"{stem}-permissions.json"
        lines += ["", *_heredoc(permission_file, _json(document), replacements)]
        lines += [
            f"{aws} put-role-policy --role-name {name} \\",
            f"    --policy-name {shlex.quote(policy_name)} \\",
            f"    --policy-document {shlex.quote('file://' + permission_file)}",
        ]
    return lines


# --- apply/cloudformation/<account>.json ------------------------------------------------------------------------


def _logical_id(name: str, prefix: str = "Role") -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]", "", name[:1].upper() + name[1:])


def _parameter(target: TargetRole) -> str:
    return _logical_id(f"{target.account.name}{target.name}", "ExternalId")


def _template_targets(plan: Plan, account: AccountConfig) -> list[TargetRole]:
    """Return the targets whose ExternalId a template needs: its own targets, and all of them in the
    master's account (its permission policy names each)."""
    if account == plan.master.account:
        return list(plan.targets)
    return [t for t in plan.targets if t.account == account]


def _with_refs(document: Any, refs: Mapping[str, str]) -> Any:
    """Return the document with every sts:ExternalId value in ``refs`` replaced by a parameter reference."""
    if isinstance(document, dict):
        out: dict[str, Any] = {}
        for key, value in document.items():
            if key.casefold() == "sts:externalid":
                out[key] = _ref_values(value, refs)
            else:
                out[key] = _with_refs(value, refs)
        return out
    if isinstance(document, list):
        return [_with_refs(item, refs) for item in document]
    return document


def _ref_values(value: Any, refs: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return {"Ref": refs[value]} if value in refs else value
    if isinstance(value, list):
        return [_ref_values(v, refs) for v in value]
    return value


def _cloudformation(plan: Plan, roles: Iterable[_RoleFiles], from_env: bool) -> str:
    roles = list(roles)
    account = roles[0].account
    parameters: dict[str, Any] = {}
    refs: dict[str, str] = {}
    if from_env:
        for target in _template_targets(plan, account):
            name = _parameter(target)
            refs[target.external_id.value] = name
            parameters[name] = {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 2,
                "MaxLength": 1224,
                "AllowedPattern": "[A-Za-z0-9_+=,.@:/-]*",
                "Description": f"ExternalId of {target.name} (environment variable {target.external_id.env_var})",
            }
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for role in roles:
        logical = _logical_id(role.name)
        properties: dict[str, Any] = {
            "RoleName": role.name,
            "Path": role.path,
            "Description": role.description,
            "MaxSessionDuration": role.max_session_duration,
            "AssumeRolePolicyDocument": _with_refs(role.trust[1], refs),
        }
        if role.permissions is not None:
            _, policy_name, document = role.permissions
            properties["Policies"] = [
                {"PolicyName": policy_name, "PolicyDocument": _with_refs(document, refs)}
            ]
        resources[logical] = {"Type": "AWS::IAM::Role", "Properties": properties}
        outputs[f"{logical}Arn"] = {
            "Description": f"ARN of {role.name}",
            "Value": {"Fn::GetAtt": [logical, "Arn"]},
        }
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Cross-account federation roles for account {account.name} ({account.id}), written by "
        "xacct-lint generate",
    }
    if parameters:
        template["Parameters"] = parameters
    template["Resources"] = resources
    template["Outputs"] = outputs
    return _json(template)
