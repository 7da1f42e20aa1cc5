"""Run parliament's checks on one policy document and return neutral, typed data.

parliament (duo-labs/parliament, pinned to 1.6.4) lints IAM policy grammar, actions, resources and condition
keys. xacct-lint offers its checks as a separate, optional rule pack with ids of its own (``XP###``, see
:data:`PARLIAMENT_ISSUES`). This module is the only place that talks to parliament: it runs
``parliament.analyze_policy_string`` on one document and turns each ``Finding`` into a frozen
:class:`ParliamentIssue`. It knows nothing about rules, severity configuration or reporting.

What it shields the rest of xacct-lint from:

- Start-up cost. ``import parliament`` parses its bundled 9.6 MiB ``iam_definition.json`` (about 0.2 s), so
  parliament is imported inside :func:`analyze_policy`, never at module import.
- Global state. parliament keeps its issue catalogue in the module-level dict ``parliament.config``, which
  ``parliament.override_config`` (the CLI's ``--config`` and ``--include-community-auditors``) mutates in
  place, and ``Policy.add_finding`` has a mutable default ``location={}`` that is shared by every finding
  created without a location, in every policy, for the life of the process: the first caller's ``filepath``
  is written into it and shows up on later documents' ``NO_VERSION`` / ``DUPLICATE_SID`` findings. So titles
  and severities come from our own copy of the catalogue (:data:`PARLIAMENT_ISSUES`), the shared location
  dict is only read, never mutated, and its ``filepath`` is dropped. Private auditors (any ``*.py`` dropped
  into ``site-packages/parliament/private_auditors``) are switched off so the result depends only on the
  document and the installed parliament.
- Trust policies. A role trust policy has no ``Resource`` by design; parliament reports every such statement
  as ``MALFORMED`` and stops analysing it. That one finding is dropped when ``is_trust_policy`` is true.
- Crashes. parliament raises on some valid documents (two AWS managed policies, see :func:`analyze_policy`);
  the exception is reported in :attr:`ParliamentResult.crashed`, never propagated.
- Non-determinism. The community auditors build their action lists from a ``set``, so their order changes
  with ``PYTHONHASHSEED``; lists are sorted and issues are returned in a fixed order.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import traceback
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

__all__ = [
    "PARLIAMENT_ISSUES",
    "ParliamentIssue",
    "ParliamentIssueInfo",
    "ParliamentResult",
    "analyze_policy",
    "parliament_version",
]


@dataclass(frozen=True)
class ParliamentIssue:
    """One finding of parliament on one document, with parliament's own vocabulary."""

    code: str  # parliament's issue key, e.g. "RESOURCE_STAR"; PARLIAMENT_ISSUES[code] gives the XP id
    title: str
    severity: str  # parliament's default severity: CRITICAL, HIGH, MEDIUM or LOW
    detail: str  # human readable, names the offending value(s)
    statement_index: int | None  # index into the (normalised) Statement list; None for document-level issues
    action: str | None  # the one action the issue is about, when there is exactly one
    # Sorted string facts: "path" (JSON pointer into the document, e.g. "/Statement/1/Action/0"), "value"
    # (the offending scalar), "actions" (comma-separated, when several), "required_formats", and whatever
    # else parliament's location carried ("type", "resource", "community_auditor").
    # Held in an (unhashable) MappingProxyType, so it is left out of the hash; equality still compares it.
    extra: Mapping[str, str] = field(hash=False)


@dataclass(frozen=True)
class ParliamentResult:
    """parliament's issues on one document, or why parliament could not produce them."""

    issues: tuple[ParliamentIssue, ...]
    crashed: str | None  # one line: exception type, message and the parliament frame that raised; else None


@dataclass(frozen=True)
class ParliamentIssueInfo:
    """Catalogue entry for one parliament issue code, with the stable xacct-lint id assigned to it."""

    code: str
    rule_id: str  # "XP" + 3 digits; never reused, never renumbered
    title: str
    description: str  # "" where parliament's config.yaml has none
    severity: str  # parliament's default
    group: str  # parliament's grouping, spelled as parliament spells it ("LOGICAL_INCONSISTANCY")
    source: Literal["core", "community"]  # community issues need include_community_auditors=True
    # parliament's config.yaml carries no links; this is the reference parliament's source cites next to the
    # check (a comment or the auditor's docstring), None where it cites none.
    link: str | None = None

    @property
    def name(self) -> str:
        """Return the kebab-case name: RESOURCE_STAR -> resource-star."""
        return self.code.lower().replace("_", "-")


_AWS_IAM_DOCS: Final = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"

# Every issue code parliament 1.6.4 can emit: the 23 of parliament/config.yaml ("core") and the 7 of
# parliament/community_auditors/config_override.yaml ("community"), which are also exactly the codes passed
# to add_finding anywhere in its source. Titles, descriptions, severities and groups are copied verbatim
# (tests compare them with the installed files).
#
# Id assignment: XP001-XP030 went to the 1.6.4 codes in ASCII order of the code. A code added by a later
# parliament gets the next free number appended at the end (XP031, ...); existing ids are never renumbered
# and a code parliament drops keeps its id, retired, so ids in users' configs and baselines stay valid.
_CATALOGUE: Final = (
    ParliamentIssueInfo(
        rule_id="XP001",
        code="BAD_PATTERN_FOR_MFA",
        title="Bad pattern used for MFA check",
        description="",
        severity="MEDIUM",
        group="BAD_PATTERN",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP002",
        code="CREDENTIALS_EXPOSURE",
        title="Credentials exposure",
        description="Policy grants access to API calls that can return credentials to the user",
        severity="MEDIUM",
        group="CUSTOM",
        source="community",
        link="https://gist.github.com/kmcquade/33860a617e651104d243c324ddf7992a",
    ),
    ParliamentIssueInfo(
        rule_id="XP003",
        code="DUPLICATE_SID",
        title="Duplicate Statement Ids",
        description="The Statement Ids in the policy are not unique",
        severity="HIGH",
        group="MALFORMED",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP004",
        code="EXCEPTION",
        title="An exception occurred during the audit.",
        description="Other issues cannot be checked for until this is fixed.",
        severity="CRITICAL",
        group="ERROR",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP005",
        code="INVALID_ARN",
        title="Invalid ARN",
        description="Malformed resource, should have the form arn:partition:service:region:account:id",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP006",
        code="INVALID_SID",
        title="Invalid SID",
        description="Statement Sid does match regex [0-9A-Za-z]*",
        severity="LOW",
        group="INVALID",
        source="core",
        link=_AWS_IAM_DOCS + "reference_policies_grammar.html",
    ),
    ParliamentIssueInfo(
        rule_id="XP007",
        code="INVALID_VERSION",
        title="Invalid Version",
        description="Unknown Version used. Version must be either 2012-10-17 or 2008-10-17",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP008",
        code="MALFORMED",
        title="Malformed",
        description="Policy does not contain a required element",
        severity="HIGH",
        group="MALFORMED",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP009",
        code="MALFORMED_JSON",
        title="JSON is malformed",
        description="Other issues cannot be checked for until this is fixed.",
        severity="CRITICAL",
        group="ERROR",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP010",
        code="MISMATCHED_TYPE",
        title="Mismatched type",
        description="",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP011",
        code="MISMATCHED_TYPE_BUT_USABLE",
        title=(
            "Mismatched type, but usable. For example, you may be using a StringEquals to match against an "
            "ARN, when an ArnEquals would be more correct."
        ),
        description="",
        severity="LOW",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP012",
        code="MISMATCHED_TYPE_OPERATION_TO_NULL",
        title="Mismatched type of operator to null",
        description="Null operation requires being matched against true or false but given something else",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP013",
        code="NOTPRINCIPAL_WITH_ALLOW",
        title="NotPrincipal used with Allow effect",
        description=(
            "NotPrincipal with Allow automatically grants the permission to all principals, except the ones "
            "specified."
        ),
        severity="MEDIUM",
        group="CUSTOM",
        source="community",
        link=_AWS_IAM_DOCS + "reference_policies_elements_notprincipal.html#specifying-notprincipal-allow",
    ),
    ParliamentIssueInfo(
        rule_id="XP014",
        code="NOTRESOURCE_WITH_ALLOW",
        title="NotResource used with Allow effect",
        description=(
            "NotResource with Allow automatically grants the Principal all services and resources that are "
            "not explicitly listed"
        ),
        severity="MEDIUM",
        group="CUSTOM",
        source="community",
        link=_AWS_IAM_DOCS + "reference_policies_elements_notresource.html#notresource-element-combinations",
    ),
    ParliamentIssueInfo(
        rule_id="XP015",
        code="NO_VERSION",
        title="Policy does not contain a Version element",
        description="",
        severity="LOW",
        group="NOT_IDEAL",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP016",
        code="OLD_VERSION",
        title="Old version",
        description="Older version used. Variables will not be allowed.",
        severity="LOW",
        group="OLD",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP017",
        code="PERMISSIONS_MANAGEMENT_ACTIONS",
        title="Permissions management actions",
        description=(
            "Allows the principal to modify IAM, RAM, identity-based policies, or resource based policies."
        ),
        severity="MEDIUM",
        group="CUSTOM",
        source="community",
    ),
    ParliamentIssueInfo(
        rule_id="XP018",
        code="PRIVILEGE_ESCALATION",
        title="Privilege escalation",
        description=(
            "Actions contain a combination of Privilege Escalation actions established by Rhino Security Labs"
        ),
        severity="HIGH",
        group="CUSTOM",
        source="community",
        link="https://know.bishopfox.com/blog/5-privesc-attack-vectors-in-aws",
    ),
    ParliamentIssueInfo(
        rule_id="XP019",
        code="RESOURCE_EFFECTIVELY_STAR",
        title="Unnecessary use of Resource * based on wildcards",
        description="Resource block is functionally equivalent to Resource *",
        severity="LOW",
        group="MALFORMED",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP020",
        code="RESOURCE_MISMATCH",
        title="No resources match for the given action",
        description="",
        severity="MEDIUM",
        group="MALFORMED",
        source="core",
        link=(
            "https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html#genref-aws-service-namesspaces"
        ),
    ),
    ParliamentIssueInfo(
        rule_id="XP021",
        code="RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        title="Possible resource policy privilege escalation",
        description=(
            "One example of this is an S3 bucket where s3:Delete is not allowed, but s3:PutBucketPolicy is, "
            "which could be abused to grant anonymous object deletion."
        ),
        severity="MEDIUM",
        group="LOGICAL_INCONSISTANCY",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP022",
        code="RESOURCE_STAR",
        title="Unnecessary use of Resource *",
        description="",
        severity="LOW",
        group="NOT_IDEAL",
        source="core",
    ),
    # Only fires for resources listed under SENSITIVE_ACCESS.resources in a parliament config; this adapter
    # passes none, so it is catalogued for completeness but never emitted here.
    ParliamentIssueInfo(
        rule_id="XP023",
        code="SENSITIVE_ACCESS",
        title="Sensitive resource access check",
        description="Policy contains sensitive operation and resource access",
        severity="HIGH",
        group="CUSTOM",
        source="community",
    ),
    ParliamentIssueInfo(
        rule_id="XP024",
        code="SINGLE_VALUE_CONDITION_TOO_PERMISSIVE",
        title="A single value conditional is checked against a set of values",
        description=(
            "Checking a single value conditional key against a set of values results in overly permissive "
            "policies."
        ),
        severity="MEDIUM",
        group="CUSTOM",
        source="community",
        link=_AWS_IAM_DOCS + "reference_policies_single-vs-multi-valued-condition-keys.html",
    ),
    ParliamentIssueInfo(
        rule_id="XP025",
        code="UNKNOWN_ACTION",
        title="Unknown action",
        description="",
        severity="LOW",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP026",
        code="UNKNOWN_CONDITION_FOR_ACTION",
        title="Unknown condition for action",
        description="The given condition is not documented to work with the given action",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP027",
        code="UNKNOWN_FEDERATION_SOURCE",
        title="Unknown federation source",
        description="The federation element does not match a known pattern",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP028",
        code="UNKNOWN_OPERATOR",
        title="The condition operator is unknown.",
        description="",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP029",
        code="UNKNOWN_PREFIX",
        title="Unknown prefix",
        description="",
        severity="LOW",
        group="INVALID",
        source="core",
    ),
    ParliamentIssueInfo(
        rule_id="XP030",
        code="UNKNOWN_PRINCIPAL",
        title="Unknown AWS principal",
        description="",
        severity="MEDIUM",
        group="INVALID",
        source="core",
    ),
)

PARLIAMENT_ISSUES: Final[Mapping[str, ParliamentIssueInfo]] = MappingProxyType(
    {info.code: info for info in _CATALOGUE}
)

# The false finding parliament 1.6.4 emits for every statement of a role trust policy (statement.py,
# analyze_statement). A trust policy must not have Resource/NotResource (IAM rejects the document with
# "Has prohibited field Resource"), so the finding is wrong by construction and is the only one dropped:
# parliament returns from analyze_statement right after adding it and then skips every policy-level check
# (Policy.analyze stops when a statement is invalid), so no other finding can follow from the missing
# Resource. Findings that are wrong for trust policies for other reasons are kept, because the user may want
# them and they are parliament's verdict, not an artefact of the document kind: UNKNOWN_FEDERATION_SOURCE
# for OIDC providers (its allow-list only knows SAML and four web IdPs) and UNKNOWN_PRINCIPAL for
# arn:aws:sts::...:assumed-role/... principals.
_TRUST_FALSE_FINDING: Final = ("MALFORMED", "Statement contains neither Resource nor NotResource")

# Location keys that say where, not what; line/column point into our own serialisation of the document, so
# they are replaced by a JSON pointer ("path"). filepath is the leaked shared-default value described above.
_POSITION_KEYS: Final = frozenset({"line", "lineno", "column", "filepath", "string"})

# parliament's detail for these is the bare offending value; the title says what is wrong with it.
_BARE_VALUE_CODES: Final = frozenset({"UNKNOWN_PRINCIPAL", "UNKNOWN_FEDERATION_SOURCE", "UNKNOWN_OPERATOR"})
# parliament's detail for these is a reason that does not name the subject ("Does not have 6 parts").
_REASON_ONLY_CODES: Final = frozenset({"INVALID_ARN"})

_UNKNOWN_CONDITION_ACTION: Final = re.compile(r" for action (\S+)$")
_DUPLICATE_SID: Final = re.compile(r"^Duplicate Statement Id '(.*)' in policy$", re.DOTALL)

# How many actions a detail spells out before "and N more"; the full list is in extra["actions"].
_ACTIONS_SHOWN: Final = 10
# A crash message can embed a whole service definition (statement.get_arn_format does); keep it to a line.
_CRASH_MESSAGE_LIMIT: Final = 300


def parliament_version() -> str:
    """Return the installed parliament distribution's version, without importing parliament."""
    return importlib.metadata.version("parliament")


def analyze_policy(
    document: Mapping[str, object] | Sequence[object],
    *,
    is_trust_policy: bool,
    include_community_auditors: bool = False,
) -> ParliamentResult:
    """Return parliament's issues on one parsed policy document (or the reason parliament crashed).

    ``document`` is a parsed JSON value, normally a ``{"Version": ..., "Statement": ...}`` mapping; anything
    else gets parliament's own verdict (a top-level list is MALFORMED_JSON). Text must be parsed first: a
    ``str``/``bytes`` raises TypeError, as does a value ``json.dumps`` cannot encode (NaN raises ValueError).

    Issues are de-duplicated (parliament repeats e.g. MISMATCHED_TYPE once per expanded action with identical
    text) and sorted: document-level issues first, then by statement index, path, code and detail.

    parliament 1.6.4 raises on two AWS managed policies of the shared corpus (1,645 documents), both in
    ``statement.translate_documentation_types`` because its IAM data types a condition key ``ArrayOfARN``,
    a type the function does not know::

        SageMakerStudioEMRContainersSystemNamespaceRolePolicy.json  Exception: Unknown data format: ArrayOfARN
        SageMakerStudioProjectUserRolePolicy.json                   Exception: Unknown data format: ArrayOfARN

    Those, and any other exception from parliament, come back as ``crashed`` with no issues.
    """
    if isinstance(document, str | bytes | bytearray):
        raise TypeError("analyze_policy takes a parsed policy document; json.loads the text first")
    policy_text = json.dumps(document, allow_nan=False)

    parliament = _import_parliament()
    try:
        policy = parliament.analyze_policy_string(
            policy_text,
            # Private auditors are arbitrary *.py files in site-packages/parliament/private_auditors, run on
            # every call when present; results must depend on the document alone.
            ignore_private_auditors=True,
            include_community_auditors=include_community_auditors,
            # A fresh per-call config: parliament.config is process-global and mutated by override_config.
            config=None,
        )
        findings = list(policy.findings)
    except Exception as error:  # parliament raises bare Exception (and KeyError, TypeError...) on bugs
        return ParliamentResult(issues=(), crashed=_describe_crash(error))

    locate = _Locator(policy) if policy.policy_json is not None else None
    statement_of = {
        id(finding): index for index, stmt in enumerate(policy.statements) for finding in stmt.findings
    }
    issues: set[ParliamentIssue] = set()
    for finding in findings:
        if is_trust_policy and (finding.issue, finding.detail) == _TRUST_FALSE_FINDING:
            continue
        issues.add(_to_issue(finding, statement_of.get(id(finding)), locate))
    return ParliamentResult(issues=tuple(sorted(issues, key=_issue_order)), crashed=None)


def _import_parliament() -> Any:
    """Import parliament (cached by Python after the first call), keeping its import-time warnings quiet."""
    with warnings.catch_warnings():
        # parliament 1.6.4 opens iam_definition.json and config.yaml without closing them (ResourceWarning)
        # and imports pkg_resources; neither is actionable for an xacct-lint user.
        warnings.simplefilter("ignore")
        import parliament

    return parliament


def _describe_crash(error: Exception) -> str:
    """Return one line naming the exception and the innermost parliament frame that raised it."""
    message = " ".join(str(error).split())
    if len(message) > _CRASH_MESSAGE_LIMIT:
        message = message[: _CRASH_MESSAGE_LIMIT - 3] + "..."
    description = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/parliament/" in frame.filename.replace("\\", "/")
    ]
    if frames:
        where = frames[-1]
        module_path = where.filename.replace("\\", "/").rpartition("/parliament/")[2]
        description += f" (parliament/{module_path}:{where.lineno} in {where.name})"
    return description


class _Locator:
    """Maps parliament's line/column locations back to JSON pointers and statement indexes.

    parliament parses our one-line serialisation with jsoncfg and records the (line, column) of the node a
    finding is about. Every node of the document starts at a distinct position, so a position identifies
    the node exactly; walking the same jsoncfg tree gives each position its pointer.
    """

    def __init__(self, policy: Any) -> None:
        # jsoncfg ships no type stubs; parliament depends on it, so it is importable whenever parliament is.
        self._jsoncfg = importlib.import_module("jsoncfg")
        self._nodes: dict[tuple[int, int], tuple[str, Any]] = {}
        self._index_nodes(policy.policy_json, "")
        self.statement_pointers: tuple[str, ...] = tuple(
            self._nodes[self.position_of(stmt.stmt)][0] for stmt in policy.statements
        )
        self.statement_sids: tuple[str | None, ...] = tuple(
            stmt.sid if isinstance(stmt.sid, str) else None for stmt in policy.statements
        )

    def _index_nodes(self, root: Any, root_pointer: str) -> None:
        pending = [(root, root_pointer)]
        while pending:
            node, pointer = pending.pop()
            self._nodes[self.position_of(node)] = (pointer, node)
            if self._jsoncfg.node_is_object(node):
                pending.extend((child, f"{pointer}/{_escape_pointer(key)}") for key, child in node)
            elif self._jsoncfg.node_is_array(node):
                pending.extend((child, f"{pointer}/{index}") for index, child in enumerate(node))

    def position_of(self, node: Any) -> tuple[int, int]:
        line, column = self._jsoncfg.node_location(node)
        return int(line), int(column)

    def node_at(self, location: Mapping[str, Any]) -> tuple[str, Any] | None:
        """Return (pointer, jsoncfg node) for a finding's location dict, if it names a position."""
        line = location.get("line", location.get("lineno"))
        column = location.get("column")
        if not isinstance(line, int) or not isinstance(column, int):
            return None
        return self._nodes.get((line, column))

    def statement_index_of(self, pointer: str) -> int | None:
        for index, statement_pointer in enumerate(self.statement_pointers):
            if pointer == statement_pointer or pointer.startswith(statement_pointer + "/"):
                return index
        return None

    def element_json(self, node: Any, key: str) -> str:
        """Return ``node[key]`` of a located object node as compact JSON, "null" when there is none."""
        if node is None or not self._jsoncfg.node_is_object(node):
            return "null"
        child = node[key]
        return json.dumps(child() if self._jsoncfg.node_exists(child) else None)


def _to_issue(finding: Any, statement_index: int | None, locate: _Locator | None) -> ParliamentIssue:
    """Convert one parliament Finding into a ParliamentIssue, without mutating the finding."""
    code = str(finding.issue)
    info = PARLIAMENT_ISSUES.get(code)
    # Unreachable with parliament 1.6.4 and private auditors off; a test checks the catalogue against the
    # installed parliament, so an upgrade that adds codes fails there first.
    title = info.title if info is not None else code
    severity = info.severity if info is not None else "UNKNOWN"
    location: Mapping[str, Any] = finding.location if isinstance(finding.location, Mapping) else {}
    raw_detail: object = finding.detail

    extra: dict[str, str] = {}
    located = locate.node_at(location) if locate is not None else None
    pointer, node = located if located is not None else (None, None)
    if pointer is not None:
        extra["path"] = pointer
        if statement_index is None and locate is not None:
            statement_index = locate.statement_index_of(pointer)
    if code == "DUPLICATE_SID" and locate is not None and isinstance(raw_detail, str):
        statement_index, pointer = _locate_duplicate_sid(raw_detail, locate)
        if pointer is not None:
            extra["path"] = pointer
    value = location.get("string")
    # For element-level findings (unknown element, NotPrincipal with Allow) parliament's "string" is the
    # element's key, which the path already names; only a real offending value goes into extra["value"].
    if value is not None and (pointer is None or pointer.rpartition("/")[2] != _escape_pointer(str(value))):
        extra["value"] = _as_text(value)
    for key, item in location.items():
        if key not in _POSITION_KEYS and key != "actions":
            extra[key] = _as_text(item)

    actions = _actions_of(code, raw_detail, location, pointer)
    if len(actions) > 1:
        extra["actions"] = ", ".join(actions)
    if code == "RESOURCE_MISMATCH" and isinstance(raw_detail, list):
        extra["required_formats"] = ", ".join(
            f"{entry.get('action')}={entry.get('required_format')}"
            for entry in raw_detail
            if isinstance(entry, Mapping)
        )

    detail = _detail_text(code, title, raw_detail, actions, node, locate)
    if value is not None and _as_text(value) not in detail:
        detail += f" (got {json.dumps(value)})"
    unnamed = [
        f"{key}: {text}"
        for key, text in sorted(extra.items())
        if key not in {"path", "value", "actions", "required_formats"} and text not in detail
    ]
    if unnamed:
        detail += " (" + "; ".join(unnamed) + ")"

    return ParliamentIssue(
        code=code,
        title=title,
        severity=severity,
        detail=detail,
        statement_index=statement_index,
        action=actions[0] if len(actions) == 1 else None,
        extra=MappingProxyType(dict(sorted(extra.items()))),
    )


def _actions_of(code: str, raw_detail: object, location: Mapping[str, Any], pointer: str | None) -> list[str]:
    """Return the actions an issue is about, sorted and unique, in the spelling parliament used."""
    found: list[object] = []
    if code == "RESOURCE_STAR" and isinstance(raw_detail, list):
        found.extend(raw_detail)
    elif code == "RESOURCE_MISMATCH" and isinstance(raw_detail, list):
        found.extend(entry.get("action") for entry in raw_detail if isinstance(entry, Mapping))
    elif code == "UNKNOWN_CONDITION_FOR_ACTION" and isinstance(raw_detail, str):
        match = _UNKNOWN_CONDITION_ACTION.search(raw_detail)
        if match:
            found.append(match.group(1))
    listed = location.get("actions")
    if isinstance(listed, list):
        found.extend(listed)
    elif listed is not None:
        found.append(listed)
    # A finding located on an Action/NotAction entry (UNKNOWN_ACTION, UNKNOWN_PREFIX, EXCEPTION) is about it.
    if pointer is not None and re.search(r"/(Not)?Action(/\d+)?$", pointer) and location.get("string"):
        found.append(location["string"])
    return sorted({str(action) for action in found if action})


def _detail_text(
    code: str,
    title: str,
    raw_detail: object,
    actions: Sequence[str],
    node: Any,
    locate: _Locator | None,
) -> str:
    """Return a sentence that says what is wrong and names the offending values parliament gives."""
    if isinstance(raw_detail, str) and raw_detail:
        if code in _BARE_VALUE_CODES or code in _REASON_ONLY_CODES:
            return f"{title.rstrip('.')}: {raw_detail}"
        return raw_detail
    resources = locate.element_json(node, "Resource") if locate is not None else "null"
    if code == "RESOURCE_STAR" and actions:
        return (
            f'Resource "*" is used for {len(actions)} action(s) that can be scoped to specific resources: '
            + _preview(actions)
        )
    if code == "RESOURCE_MISMATCH" and isinstance(raw_detail, list):
        needs = [
            f"{entry.get('action')} needs {entry.get('required_format')}"
            for entry in raw_detail
            if isinstance(entry, Mapping)
        ]
        return f"Resource {resources} matches no resource that {len(needs)} action(s) require: " + _preview(
            needs
        )
    if code == "RESOURCE_EFFECTIVELY_STAR" and resources != "null":
        return f'Resource {resources} is functionally equivalent to Resource "*"'
    if code == "MISMATCHED_TYPE_OPERATION_TO_NULL" and node is not None:
        return f"{title}: {json.dumps(node(), sort_keys=True)}"
    if actions:
        return f"{title}: {_preview(actions)}"
    if isinstance(raw_detail, list) and raw_detail:
        return f"{title}: {_preview([_as_text(item) for item in raw_detail])}"
    return title


def _locate_duplicate_sid(detail: str, locate: _Locator) -> tuple[int | None, str | None]:
    """Return (statement index, pointer to its Sid) of the statement parliament flagged as the duplicate.

    parliament reports DUPLICATE_SID without a location, when it meets the second statement with that Sid.
    """
    match = _DUPLICATE_SID.match(detail)
    if not match:
        return None, None
    holders = [index for index, sid in enumerate(locate.statement_sids) if sid == match.group(1)]
    if len(holders) < 2:
        return None, None
    second = holders[1]
    return second, f"{locate.statement_pointers[second]}/Sid"


def _preview(items: Sequence[str]) -> str:
    hidden = len(items) - _ACTIONS_SHOWN
    shown = ", ".join(items[:_ACTIONS_SHOWN])
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _as_text(value: object) -> str:
    """Render a location value as text: strings as they are, lists sorted and comma-separated, else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(sorted(_as_text(item) for item in value))
    return json.dumps(value, sort_keys=True, default=str)


def _escape_pointer(key: str) -> str:
    # RFC 6901: condition keys such as aws:PrincipalTag/team contain "/".
    return key.replace("~", "~0").replace("/", "~1")


_IssueKey = tuple[bool, int, str, str, str, str, tuple[tuple[str, str], ...]]


def _issue_order(issue: ParliamentIssue) -> _IssueKey:
    index = issue.statement_index
    return (
        index is not None,
        index if index is not None else -1,
        issue.extra.get("path", ""),
        issue.code,
        issue.action or "",
        issue.detail,
        # Last tie-breaker, so the order never falls back to set iteration (which follows PYTHONHASHSEED).
        tuple(issue.extra.items()),
    )
