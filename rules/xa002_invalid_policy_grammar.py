"""A policy breaks the IAM policy grammar: a missing or misspelt element, a wrong type, an unknown operator.

## What it does
Validates every policy document against the JSON Schema shipped as `xacct_lint/schemas/policy.schema.json`
(the IAM policy grammar written as JSON Schema, Draft 2020-12), then checks what a schema cannot express
because it depends on where the policy is attached:

- `Version` is `"2012-10-17"` or `"2008-10-17"`; `Statement` is an object or a non-empty list.
- Every statement has `Effect` (`Allow` or `Deny`), exactly one of `Action`/`NotAction`, at most one of
  `Resource`/`NotResource` and of `Principal`/`NotPrincipal`, and no other elements (names are
  case-sensitive).
- `Principal` is `"*"` or an object of `AWS`, `Service`, `Federated`, `CanonicalUser` strings or lists.
- Condition operators are IAM's (optionally `ForAllValues:`/`ForAnyValue:` and `...IfExists`; there is no
  `NullIfExists`), condition values are strings, booleans or numbers, or lists of them.
- An IAM `Sid` has only ASCII letters and digits and is unique within its policy.
- A role trust policy names a `Principal` in every statement, has no `NotPrincipal`, no bare
  `"Principal": "*"` and no `Resource`/`NotResource`; an identity-based policy has no `Id` and no `Principal`.
- `Bool` and `Null` take one of `true`/`false`; `Bool` takes a single value.
- An `AWS` principal is `"*"`, a 12-digit account ID, a user's or role's unique ID (`AIDA...`, `AROA...`, what
  IAM shows for a deleted principal), or the ARN of an account root, user, role, assumed-role session or
  federated user. IAM refuses anything else with "Invalid principal in policy": white space around the ARN,
  a wildcard inside it (`arn:aws:iam::111122223333:role/ci-*`; only `"*"` alone is a wildcard), a group, an
  account ID that is not 12 digits. Template syntax is left to XA006. Whether the principal *exists* (IAM
  checks that too) cannot be known offline.

Each violation is one finding at the narrowest node: the misspelt key, the wrong value, the list entry.

## Why is this bad
IAM rejects a malformed document (`MalformedPolicyDocument`), so the change never deploys -- or, worse, a
tool that re-serialises the document silently drops what it did not understand. Mistakes IAM accepts are
worse still: an `effect` key or a `StringEqual` operator can make a whole statement or condition mean
something other than what it says. Catching them before deployment costs nothing.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "allow-ci",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "sts:AssumeRole",
    "Condition": {"StringEqual": {"sts:ExternalId": "f3a9c1d27b"}}
  }]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "AllowCi",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "f3a9c1d27b"}}
  }]
}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_id.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
- https://repost.aws/knowledge-center/iam-trust-policy-error ("Invalid principal in policy")
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.model.inventory import Policy, PolicyKind
from xacct_lint.parse.json_tree import escape_pointer_token
from xacct_lint.parse.policy import BASE_OPERATORS, ConditionEntry, Statement, parse_operator
from xacct_lint.parse.symbols import is_unresolved_template
from xacct_lint.schema_check import accepts

META = RuleMeta(id="XA002", name="invalid-policy-grammar", severity=Severity.ERROR, tags=("document",))

SCHEMA_RESOURCE = "schemas/policy.schema.json"
_BOOLEAN_TEXT = frozenset({"true", "false"})
_FIELD = re.compile(r"\{(value|key|element|hint)\}")


@functools.cache
def policy_validator() -> Any:
    """Return the policy-grammar validator, built once per process (jsonschema is imported only here)."""
    from importlib import resources

    import jsonschema

    text = resources.files("xacct_lint").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per grammar violation of every policy."""
    for policy in ctx.model.policies:
        yield from _schema_findings(policy)
        yield from _kind_findings(policy)
        yield from _sid_findings(policy)
        for statement in policy.document.statements:
            yield from _condition_findings(policy, statement)
            yield from _principal_value_findings(policy, statement)


# -- the schema ---------------------------------------------------------------------------------------------


def _pointer(tokens: Iterable[object]) -> str:
    return "".join(f"/{escape_pointer_token(str(token))}" for token in tokens)


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _element(path: Sequence[object]) -> str:
    """Return the name of the policy element a schema path is in (its last member name)."""
    for token in reversed(path):
        if isinstance(token, str):
            return token
    return "the document"


def _fill(template: str, *, value: str = "", key: str = "", element: str = "", hint: str = "") -> str:
    # Not str.format: the messages quote JSON, whose braces format() would take for fields. One pass, so a
    # "{key}" inside the policy's own text is never substituted.
    fields = {"value": value, "key": key, "element": element, "hint": hint}
    return _FIELD.sub(lambda match: fields[match.group(1)], template)


def _name_hint(name: str, known: Iterable[str]) -> str:
    """Return ' (did you mean "X"?)' for a misspelt or mis-cased name, else ''."""
    names = sorted(known)
    for candidate in names:
        if candidate.casefold() == name.casefold():
            return f' (did you mean "{candidate}"? element names are case-sensitive)'
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _operator_message(name: str) -> tuple[str, Severity | None]:
    operator = parse_operator(name)
    base_text = name.partition(":")[2] if ":" in name else name
    if base_text.casefold() == "nullifexists":
        return (
            f"{_show(name)} is not a condition operator: Null already tests whether the key is present, "
            'so it has no IfExists form (Access Analyzer reports "Null with if exists" as an error)',
            None,
        )
    if operator.base is not None:
        # IAM matches operator names case-insensitively in practice, so this is a spelling warning.
        return (
            f"condition operator {_show(name)} is not spelled the way the policy grammar defines it: write "
            f"{_show(operator.canonical)}",
            Severity.WARNING,
        )
    candidates = [*BASE_OPERATORS, *(f"{op}IfExists" for op in BASE_OPERATORS if op != "Null")]
    close = difflib.get_close_matches(base_text, candidates, n=1, cutoff=0.75)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown condition operator {_show(name)}{hint}", None


def _schema_findings(policy: Policy) -> Iterator[Finding]:
    document = policy.document.root.to_python()
    # Nearly every policy is valid: a validator generated from the same schema says so in microseconds, and
    # jsonschema (which lists the errors that become findings) runs only on the others. See schema_check.
    if accepts(SCHEMA_RESOURCE, document):
        return
    errors = policy_validator().iter_errors(document)
    for error in sorted(errors, key=lambda e: (_pointer(e.absolute_path), str(e.validator), str(e.instance))):
        yield from _error_findings(policy, error)


def _error_findings(policy: Policy, error: Any) -> Iterator[Finding]:
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if schema.get("x-iam-only") and policy.kind is PolicyKind.RESOURCE:
        return  # e.g. S3 bucket policies accept Sids that IAM rejects
    path = list(error.absolute_path)
    validator = str(error.validator)
    template: str | None = schema.get("x-messages", {}).get(validator)
    if "propertyNames" in error.schema_path:
        # jsonschema reports a bad member *name* at its object; point at the member itself.
        name = str(error.instance)
        message, severity = _operator_message(name)
        yield Finding(META.id, message, policy.at(_pointer([*path, name])), severity=severity)
        return
    if validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known: Mapping[str, Any] = schema.get("properties", {})
        for key in error.instance:
            if key in known:
                continue
            text = _fill(
                template or "unknown element {key}{hint}", key=_show(key), hint=_name_hint(key, known)
            )
            yield Finding(META.id, text, policy.at(_pointer([*path, key])))
        return
    at = schema.get("x-at")
    if isinstance(at, str) and isinstance(error.instance, Mapping) and at in error.instance:
        path.append(at)
    if template is None:
        text = f"{error.message} (at {_pointer(path) or 'the document root'})"
    else:
        text = _fill(template, value=_show(error.instance), element=_element(path))
    yield Finding(META.id, text, policy.at(_pointer(path)))


# -- what depends on where the policy is attached -------------------------------------------------------


def _kind_findings(policy: Policy) -> Iterator[Finding]:
    root = policy.document.root
    if policy.kind is PolicyKind.IDENTITY and root.kind == "object" and root.get("Id") is not None:
        yield Finding(
            META.id,
            "Id is allowed in resource-based policies but not in an identity-based policy: remove it",
            policy.at("/Id"),
        )
    for statement in policy.document.statements:
        if policy.kind is PolicyKind.TRUST:
            yield from _trust_statement_findings(policy, statement)
        elif policy.kind is PolicyKind.IDENTITY:
            blocks = ((statement.principal, "Principal"), (statement.not_principal, "NotPrincipal"))
            for block, name in blocks:
                if block is not None:
                    yield Finding(
                        META.id,
                        f"{name} is not allowed in an identity-based policy: the principal is the user, "
                        "group or role the policy is attached to",
                        policy.at(block.pointer),
                    )


def _trust_statement_findings(policy: Policy, statement: Statement) -> Iterator[Finding]:
    if statement.not_principal is not None:
        yield Finding(
            META.id,
            "NotPrincipal is not allowed in a role trust policy: name the trusted principals in Principal",
            policy.at(statement.not_principal.pointer),
        )
    elif statement.principal is None:
        yield Finding(
            META.id,
            "this role trust policy statement has no Principal: a trust policy must name who may assume "
            "the role",
            policy.at(statement.pointer),
        )
    elif any(entry.kind == "*" for entry in statement.principal.entries):
        yield Finding(
            META.id,
            '"Principal": "*" (a bare string) is not supported in a role trust policy (Access Analyzer '
            "reports it as an error; whether IAM itself rejects it is unconfirmed): write "
            '{"AWS": "*"} and restrict it with conditions, or better, name the trusted accounts',
            policy.at(statement.principal.pointer),
        )
    for block in (statement.resource, statement.not_resource):
        if block is not None:
            name = block.pointer.rsplit("/", 1)[-1]
            yield Finding(
                META.id,
                f"{name} is not allowed in a role trust policy (IAM rejects it as a prohibited field): the "
                "resource is the role itself",
                policy.at(block.pointer),
            )


# An "AWS" principal: "*", an account ID, a user's or role's unique ID (IAM shows those where the principal was
# deleted), or the ARN of an account root, a user, a role, an assumed-role session or a federated user.
_PARTITIONS = r"aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z]|aws-eusc"
_AWS_PRINCIPAL = re.compile(
    r"\*|\d{12}|(?:AIDA|AROA)[A-Z0-9]{12,}"
    rf"|arn:(?:{_PARTITIONS}):iam::\d{{12}}:(?:root|(?:user|role)/(?:[\x21-\x7e]+/)?[\w+=,.@-]{{1,128}})"
    rf"|arn:(?:{_PARTITIONS}):sts::\d{{12}}:(?:assumed-role/[\w+=,.@-]{{1,64}}/[\w+=,.@-]{{2,64}}"
    r"|federated-user/[\w+=,.@-]{2,32})"
)


def _principal_value_findings(policy: Policy, statement: Statement) -> Iterator[Finding]:
    """An ``AWS`` principal IAM cannot parse: white space around it, a wildcard inside an ARN, a group, a
    malformed ARN or account ID. IAM refuses the policy ("Invalid principal in policy")."""
    root = policy.document.root
    for block in (statement.principal, statement.not_principal):
        if block is None:
            continue
        for entry in block.entries:
            raw = entry.raw
            if entry.kind != "AWS" or _AWS_PRINCIPAL.fullmatch(raw) or "${" in raw:
                continue
            if is_unresolved_template(root, entry.pointer, raw) or "{{" in raw:
                continue  # XA006 reports template syntax; the deployed value is not known here
            yield Finding(META.id, _principal_message(raw), policy.at(entry.pointer))


def _principal_message(raw: str) -> str:
    shown = json.dumps(raw)
    if raw != raw.strip():
        why = "it has white space around it"
    elif re.fullmatch(r"arn:[^:]*:iam::\d{12}:group/.*", raw):
        why = "a group cannot be a principal (name its users, or a role they assume)"
    elif "*" in raw or "?" in raw:
        why = (
            'a wildcard cannot match part of a principal name or ARN ("*" alone is the only wildcard); name '
            "the principals, or trust the account and narrow it with an ArnLike condition on aws:PrincipalArn"
        )
    elif raw.isdigit():
        why = "an account ID has 12 digits"
    else:
        why = (
            "it is not an account ID, a unique ID or the ARN of an account root, user, role, assumed-role "
            "session or federated user (arn:aws:iam::<12 digits>:root|user/<name>|role/<name>)"
        )
    return f'AWS principal {shown} is not valid: {why}. IAM refuses the policy with "Invalid principal in policy"'


def _sid_findings(policy: Policy) -> Iterator[Finding]:
    first_use: dict[str, int] = {}
    for statement in policy.document.statements:
        if not statement.sid:
            continue
        earlier = first_use.setdefault(statement.sid, statement.index)
        if earlier != statement.index:
            # Other services' resource policies only recommend unique Sids; IAM requires them.
            severity = Severity.WARNING if policy.kind is PolicyKind.RESOURCE else None
            yield Finding(
                META.id,
                f"Sid {_show(statement.sid)} is already used by statement {earlier}: Sids must be unique "
                "within a policy",
                policy.at(f"{statement.pointer}/Sid"),
                severity=severity,
            )


# -- condition values the schema cannot judge ----------------------------------------------------------


def _condition_findings(policy: Policy, statement: Statement) -> Iterator[Finding]:
    for entry in statement.conditions:
        base = entry.operator.base
        if base == "Bool":
            yield from _boolean_value_findings(policy, entry)
            if len(entry.values) > 1:
                yield Finding(
                    META.id,
                    f"{entry.operator.raw} condition on {_show(entry.key)} lists {len(entry.values)} "
                    "values: a Boolean condition key takes a single true or false (Access Analyzer: the "
                    "condition key does not support multiple Boolean values)",
                    policy.at(entry.key_pointer),
                )
        elif base == "Null":
            yield from _boolean_value_findings(policy, entry)
            if entry.operator.qualifier is not None:
                yield Finding(
                    META.id,
                    f"{entry.operator.raw}: Null with {entry.operator.qualifier} always returns "
                    f"{'true' if entry.operator.qualifier == 'ForAllValues' else 'false'}, whatever the "
                    'request (Access Analyzer suggestion "Null with qualifier"); use plain Null',
                    policy.at(entry.operator_pointer),
                    severity=Severity.WARNING,
                )


def _boolean_value_findings(policy: Policy, entry: ConditionEntry) -> Iterator[Finding]:
    for value in entry.values:
        if value.json_kind == "bool":
            continue
        if value.json_kind == "string" and value.text.casefold() in _BOOLEAN_TEXT:
            continue
        shown = _show(value.text) if value.json_kind == "string" else value.text
        yield Finding(
            META.id,
            f"{entry.operator.raw} condition on {_show(entry.key)} takes true or false, found {shown}",
            policy.at(value.pointer),
        )
