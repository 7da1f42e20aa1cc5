"""The IAM model: accounts, roles, principals and policies, with where each came from.

Loaders fill a :class:`Model`; rules read it. Every object that a finding can point at knows its
:class:`Location` (source file, the JSON node it lives in, and a JSON Pointer), so rules only name *what* is
wrong and the engine works out *where*.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from xacct_lint.parse.json_tree import JNode
from xacct_lint.parse.policy import PolicyDocument
from xacct_lint.parse.source import SourceFile, Span

ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:(.*)/)?([^/]+)$")
ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):")


class PolicyKind(StrEnum):
    """What a policy document governs."""

    TRUST = "trust"  # a role's trust (assume-role) policy
    IDENTITY = "identity"  # attached to a user, group or role
    RESOURCE = "resource"  # attached to a resource other than a role


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file: the JSON tree it lives in and a JSON Pointer relative to that tree.

    ``prefix`` is the pointer of ``root`` inside the file, so ``prefix + pointer`` is the logical path a user
    sees. ``root`` is None for files that could not be parsed; ``span`` then says where the problem is.
    """

    source: SourceFile
    root: JNode | None
    pointer: str
    prefix: str = ""
    span: Span | None = None

    @property
    def logical_path(self) -> str:
        """Return the JSON Pointer of this place within its file."""
        return f"{self.prefix}{self.pointer}"

    def at(self, pointer: str) -> Location:
        """Return a location in the same tree at another pointer."""
        return Location(self.source, self.root, pointer, self.prefix)


@dataclass(eq=False)
class Policy:
    """One policy document and its context."""

    document: PolicyDocument
    kind: PolicyKind
    kind_inferred: bool  # True when guessed from the document's shape, False when its place said so
    source: SourceFile
    prefix: str  # JSON Pointer of the document within its file ("" for a whole-file policy)
    name: str | None = None
    account_id: str | None = None
    role_arn: str | None = None  # the role this is the trust or an identity policy of
    embedded_as_string: bool = False  # the document was a (URL-encoded) JSON string in its file
    # "role", "user" or "group" when the loader knows this is an inline policy of such an entity, and the JSON
    # Pointer of that entity in the same file (XA007 sums an entity's inline policies against its quota).
    inline_of: str | None = None
    inline_owner: str | None = None

    def at(self, pointer: str) -> Location:
        """Return the location of a node of this document, by its pointer relative to the document."""
        return Location(self.source, self.document.root, pointer, self.prefix)

    @property
    def label(self) -> str:
        """Return a short human name for this policy."""
        if self.name:
            return self.name
        return f"{self.source.display_path}{self.prefix or ''}"


@dataclass(eq=False)
class Role:
    """An IAM role."""

    arn: str
    name: str
    account_id: str
    path: str = "/"
    trust_policy: Policy | None = None
    permission_policies: list[Policy] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)
    max_session_duration: int | None = None
    max_session_location: Location | None = None
    tags: dict[str, str] = field(default_factory=dict)
    location: Location | None = None


@dataclass(eq=False)
class Identity:
    """An IAM user or group with its identity policies (from account authorization details)."""

    kind: str  # "user" or "group"
    arn: str
    name: str
    account_id: str
    policies: list[Policy] = field(default_factory=list)
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Something the loaders could not read or that is wrong below the policy grammar.

    ``code`` names the kind of problem (``invalid-json``, ``duplicate-key``, ``unreadable``, ...); the document
    rules turn these into findings.
    """

    code: str
    message: str
    location: Location


# The code of a load problem that is a bug of ours, not of the input: a loader raised on this file. The engine
# reports it as an XA000 internal error (the run fails, SARIF says executionSuccessful: false), not as XA001.
LOADER_CRASHED = "loader-crashed"


@dataclass(frozen=True)
class AssumeRoleCall:
    """An ``aws sts assume-role`` call written in a script (a ``.sh`` file or a Markdown ``bash`` block).

    The facts the graph rules use: which role is assumed, with which ExternalId, session duration and session
    tags. Text values are taken after variable substitution (``--var``, the configuration's ``[variables]``,
    the script's own assignments); what stays unresolved keeps its ``${NAME}`` spelling (symbolic, never
    guessed). ``None`` means the option was not given. ``duration_seconds`` is None when absent or not a
    plain integer (AWS then uses its default of 3600 seconds). ``options`` maps each option as written
    (``--external-id``) to the location of its value; ``location`` is the command itself.
    """

    role_arn: str | None
    session_name: str | None
    external_id: str | None
    duration_seconds: int | None
    tags: tuple[tuple[str, str], ...]
    transitive_tag_keys: tuple[str, ...]
    location: Location
    options: Mapping[str, Location] = field(default_factory=dict)
    symbolic: tuple[str, ...] = ()  # variables left unresolved (and $(...) substitutions as written), sorted


@dataclass(eq=False)
class Model:
    """Everything loaded from the inputs."""

    sources: list[SourceFile] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    # ``aws sts assume-role`` calls found in scripts, sorted by file and position (see AssumeRoleCall).
    assume_role_calls: list[AssumeRoleCall] = field(default_factory=list)
    # Display paths of files the user named that no loader reads (``policy.txt``): the CLI says so on stderr.
    skipped: list[str] = field(default_factory=list)
    # role_for's index: (the list it was built from, its length, first role per ARN). Not a constructor field.
    _roles_by_arn: tuple[list[Role], int, dict[str, Role]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def trust_policies(self) -> Iterator[Policy]:
        """Yield every trust policy."""
        return (p for p in self.policies if p.kind is PolicyKind.TRUST)

    def role_for(self, policy: Policy) -> Role | None:
        """Return the role a policy belongs to, if known (the first role with its ARN)."""
        if policy.role_arn is None:
            return None
        # By an index rather than a scan: rules ask this for every trust policy, and a scan made them quadratic
        # (XA305 took 61 s of a 1,000-account organisation's 92 s of rules). Rebuilt if the list changed.
        index = self._roles_by_arn
        if index is None or index[0] is not self.roles or index[1] != len(self.roles):
            by_arn: dict[str, Role] = {}
            for role in self.roles:
                by_arn.setdefault(role.arn, role)
            index = self._roles_by_arn = (self.roles, len(self.roles), by_arn)
        found = index[2].get(policy.role_arn)
        return found if found is not None and found.arn == policy.role_arn else None


def parse_role_arn(arn: str) -> tuple[str, str, str] | None:
    """Return ``(account_id, path, name)`` of a role ARN, or None when it is not one."""
    match = ROLE_ARN.match(arn)
    if match is None:
        return None
    path = f"/{match.group(3)}/" if match.group(3) else "/"
    return match.group(2), path, match.group(4)


def arn_account(arn: str) -> str | None:
    """Return the account ID inside an ARN, if it has one."""
    match = ARN_ACCOUNT.match(arn)
    return match.group(1) if match else None
