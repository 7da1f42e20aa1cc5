"""Rule packs: discovery, validation and selection. Registration happens here and nowhere else.

A pack is a Python package whose modules each define one rule: a ``META`` (:class:`RuleMeta`), a ``check``
function and a module docstring. Packs come from three places: the built-in pack, installed distributions
that expose the ``xacct_lint.rules`` entry-point group (a callable returning a :class:`RulePack`), and local
directories named in the configuration (``[lint] rule-dirs``). Nothing is imported from input files: only what
the config or the command line names is loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from xacct_lint.engine.rule import DOC_SECTIONS, RULE_ID, RULE_NAME, Rule, RuleMeta, doc_sections

ENTRY_POINT_GROUP = "xacct_lint.rules"
# XA000 is engine.runner.INTERNAL_ERROR: a pack that used it could pass its findings off as crashes (or hide a
# real crash among them).
RESERVED_IDS = frozenset({"XA000"})


class RulePackError(Exception):
    """A malformed pack or rule; the message names the pack and the module."""


@dataclass(frozen=True)
class RulePack:
    """A named, sorted collection of rules."""

    name: str
    rules: tuple[Rule, ...]

    @classmethod
    def from_package(cls, name: str, package: str) -> RulePack:
        """Load every rule module of a package (modules starting with ``_`` are helpers, not rules)."""
        module = importlib.import_module(package)
        paths = getattr(module, "__path__", None)
        if paths is None:
            raise RulePackError(f"rule pack {name!r}: {package} is not a package")
        names = sorted(info.name for info in pkgutil.iter_modules(paths) if not info.name.startswith("_"))
        rules = [rule_from_module(name, importlib.import_module(f"{package}.{mod}")) for mod in names]
        return cls(name, tuple(sorted(rules, key=lambda r: r.meta.id)))

    @classmethod
    def from_directory(cls, directory: Path) -> RulePack:
        """Load a local pack from a directory of rule modules (named in the config's ``rule-dirs``)."""
        if not directory.is_dir():
            raise RulePackError(f"rule directory {directory} does not exist")
        name = f"local:{directory.name}"
        rules = []
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"xacct_lint_local_{abs(hash(str(directory)))}_{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise RulePackError(f"rule pack {name!r}: cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
            rules.append(rule_from_module(name, module))
        return cls(name, tuple(sorted(rules, key=lambda r: r.meta.id)))


def rule_from_module(pack: str, module: ModuleType) -> Rule:
    """Build a :class:`Rule` from a module, validating its metadata and documentation."""
    meta = getattr(module, "META", None)
    check = getattr(module, "check", None)
    where = f"rule pack {pack!r}, module {module.__name__}"
    if not isinstance(meta, RuleMeta):
        raise RulePackError(f"{where}: no META = RuleMeta(...)")
    if not callable(check):
        raise RulePackError(f"{where}: no check(ctx) function")
    if not RULE_ID.match(meta.id):
        raise RulePackError(
            f"{where}: malformed rule id {meta.id!r} (expected two capitals and three digits)"
        )
    if meta.id in RESERVED_IDS:
        raise RulePackError(f"{where}: rule id {meta.id} is reserved for the engine's internal-error results")
    if not RULE_NAME.match(meta.name):
        raise RulePackError(f"{where}: malformed rule name {meta.name!r} (expected kebab-case)")
    doc = module.__doc__ or ""
    missing = [s for s in DOC_SECTIONS if not doc_sections(doc).get(s)]
    if missing:
        raise RulePackError(f"{where}: documentation lacks section(s): {', '.join(missing)}")
    return Rule(meta=meta, doc=doc.strip(), check=check, pack=pack, module=module.__name__)


def builtin_pack() -> RulePack:
    """Return the built-in rule pack (``rules/`` in the source tree, ``xacct_lint.rules`` when installed)."""
    return RulePack.from_package("builtin", "xacct_lint.rules")


def named_pack(name: str) -> RulePack:
    """Return an optional pack by name: ``parliament`` or an installed entry point."""
    if name == "parliament":
        from xacct_lint.parliament_pack import parliament_pack

        return parliament_pack()
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            loaded = entry.load()
            pack = loaded() if callable(loaded) else loaded
            if not isinstance(pack, RulePack):
                raise RulePackError(f"entry point {name!r} did not return a RulePack")
            return pack
    raise RulePackError(f"unknown rule pack {name!r} (installed: {', '.join(available_packs())})")


def available_packs() -> list[str]:
    """Return the names of the packs that can be enabled."""
    from importlib.metadata import entry_points

    return sorted({"builtin", "parliament", *(e.name for e in entry_points(group=ENTRY_POINT_GROUP))})


def merge_packs(packs: Iterable[RulePack]) -> tuple[Rule, ...]:
    """Return all rules of the packs sorted by id; a duplicate id across packs is an error naming both."""
    seen: dict[str, Rule] = {}
    for pack in packs:
        for rule in pack.rules:
            other = seen.get(rule.meta.id)
            if other is not None:
                raise RulePackError(
                    f"rule id {rule.meta.id} is defined twice: in pack {other.pack!r} ({other.module}) "
                    f"and in pack {pack.name!r} ({rule.module})"
                )
            seen[rule.meta.id] = rule
    return tuple(sorted(seen.values(), key=lambda r: r.meta.id))


def select_rules(rules: Sequence[Rule], select: Sequence[str], ignore: Sequence[str]) -> tuple[Rule, ...]:
    """Filter rules by id prefix: ``select`` (empty = all) then ``ignore``."""

    def matches(rule: Rule, prefixes: Sequence[str]) -> bool:
        return any(rule.meta.id.startswith(p) or rule.meta.name == p for p in prefixes)

    chosen = [r for r in rules if not select or matches(r, select)]
    return tuple(r for r in chosen if not matches(r, ignore))
