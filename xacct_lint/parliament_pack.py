"""parliament's checks as an optional rule pack (``[lint] packs = ["parliament"]`` or ``--pack parliament``).

Each parliament issue code becomes one rule with a stable ``XP###`` id (assigned in
:mod:`xacct_lint.parliament_adapter`; new codes are appended, never renumbered). parliament runs once per policy
per run, through its Python API, and only when this pack is enabled: importing parliament costs ~0.25 s.

Trust policies: parliament reports every trust statement as MALFORMED ("neither Resource nor NotResource"); the
adapter drops exactly that false finding. A document parliament crashes on (two AWS managed policies crash 1.6.4)
becomes one XP004 (EXCEPTION) note on that policy instead of a crash -- "could not analyse" is never "clean".

Option: ``[rules.parliament] community-auditors = true`` also runs parliament's community auditors (about 14x
slower on the AWS managed policy corpus).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.registry import RulePack
from xacct_lint.engine.rule import Finding, Precision, Rule, RuleMeta, Severity
from xacct_lint.model.inventory import Policy, PolicyKind
from xacct_lint.parliament_adapter import (
    PARLIAMENT_ISSUES,
    ParliamentIssueInfo,
    ParliamentResult,
    analyze_policy,
)

PACK_NAME = "parliament"
_SEVERITY = {
    "CRITICAL": Severity.ERROR,
    "HIGH": Severity.ERROR,
    "MEDIUM": Severity.WARNING,
    "LOW": Severity.NOTE,
}
_MEMO_KEY = "parliament:results"


def _results(ctx: RuleContext) -> dict[int, tuple[Policy, ParliamentResult]]:
    """Return parliament's result for every policy of the model, computed once per run."""
    cached = ctx.memo.get(_MEMO_KEY)
    if cached is None:
        community = bool(ctx.option(PACK_NAME, "community-auditors", False))
        cached = {}
        for policy in ctx.model.policies:
            document = policy.document.root.to_python()
            try:
                result = analyze_policy(
                    document,  # type: ignore[arg-type]
                    is_trust_policy=policy.kind is PolicyKind.TRUST,
                    include_community_auditors=community,
                )
            except (TypeError, ValueError) as exc:
                # What the adapter refuses before parliament sees it: a document that is a JSON string (an
                # export's embedded document may decode to one) or a number JSON cannot carry (1e400 parses to
                # infinity). One XP004 note on the policy instead of every XP rule crashing.
                result = ParliamentResult(issues=(), crashed=f"{type(exc).__name__}: {exc}")
            cached[id(policy)] = (policy, result)
        ctx.memo[_MEMO_KEY] = cached
    results: dict[int, tuple[Policy, ParliamentResult]] = cached
    return results


def _check(info: ParliamentIssueInfo, ctx: RuleContext) -> Iterator[Finding]:
    for policy, result in _results(ctx).values():
        if info.code == "EXCEPTION" and result.crashed is not None:
            yield Finding(
                info.rule_id,
                f"parliament could not analyse this policy ({result.crashed}); its checks did not run here",
                policy.at(""),
                precision=Precision.UNKNOWN,
                severity=Severity.NOTE,
            )
        for issue in result.issues:
            if issue.code != info.code:
                continue
            pointer = issue.extra.get("path")
            if pointer is None:
                index = issue.statement_index
                statements = policy.document.statements
                pointer = (
                    statements[index].pointer if index is not None and 0 <= index < len(statements) else ""
                )
            yield Finding(
                info.rule_id,
                f"{info.title}: {issue.detail}" if issue.detail else info.title,
                policy.at(pointer),
                properties={"parliament_code": info.code, "fingerprint_key": issue.detail},
            )


def _doc(info: ParliamentIssueInfo, version: str) -> str:
    description = info.description or info.title
    link = f"\n- {info.link}" if info.link else ""
    community = (
        " It is one of parliament's community auditors: enable them with "
        "`[rules.parliament] community-auditors = true`."
        if info.source == "community"
        else ""
    )
    return f"""{info.title} (parliament {info.code}).

## What it does
Runs parliament {version}'s `{info.code}` check (group {info.group}) on every policy document and reports what it
finds, at the statement or element parliament names.{community}

## Why is this bad
{description}

## Example
A policy for which parliament reports `{info.code}`; see parliament's documentation of its issue codes.

## Use instead
Fix the element parliament names in the message, or accept the finding in a baseline if it is intended.

## References
- https://github.com/duo-labs/parliament
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html{link}
"""


def parliament_pack() -> RulePack:
    """Return the parliament pack: one rule per parliament issue code, sorted by id."""
    from xacct_lint.parliament_adapter import parliament_version

    version = parliament_version()
    rules = []
    for info in sorted(PARLIAMENT_ISSUES.values(), key=lambda i: i.rule_id):
        meta = RuleMeta(
            info.rule_id, info.name, _SEVERITY.get(info.severity, Severity.WARNING), ("parliament",)
        )
        rules.append(
            Rule(
                meta=meta,
                doc=_doc(info, version).strip(),
                check=partial(_check, info),
                pack=PACK_NAME,
                module=__name__,
            )
        )
    return RulePack(PACK_NAME, tuple(rules))
