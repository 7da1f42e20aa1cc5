"""Find the input files under the paths a user named, deterministically and without ever hanging or crashing.

Directories are walked in sorted order; hidden directories (``.git``, ``.venv``, ``.terraform``) and a few
well-known dependency folders are skipped, and only files whose suffix has a loader are picked up (the caller
passes the suffixes of its suffix -> loader mapping, so new formats plug in without touching this module). An
explicitly named file without a loader is listed as skipped rather than guessed at. Every file is listed once,
however many paths or symlinks reach it, and a directory symlink that leads back into a directory being walked
is not followed.

A path the user named that does not exist, or a directory the user named that cannot be listed, is a
:class:`LoadError` (the CLI prints it and exits 2). Anything else that goes wrong with one file -- it vanished,
cannot be read, is a FIFO or a device, is too large -- becomes a :class:`FileProblem` for that file and the run
goes on.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from xacct_lint.model.config import ExcludePattern, path_glob
from xacct_lint.parse.source import printable_path

DEFAULT_MAX_FILE_BYTES = 10_000_000
DEFAULT_SUFFIXES: tuple[str, ...] = (".json",)

# Configuration and fixture-expectation files live next to policies but are never inputs, whatever loaders a
# later version adds (a .toml loader must not lint the linter's own configuration).
EXCLUDED_FILE_NAMES = frozenset({"expected.toml", "xacct-lint.toml", "pyproject.toml"})
# Dependency trees: large, never the user's own policies (hidden directories are skipped separately).
EXCLUDED_DIR_NAMES = frozenset({"node_modules", "__pycache__"})


class Excluder:
    """Decide which walked paths ``[lint] exclude`` / ``--exclude`` patterns skip (see ``ExcludePattern``)."""

    def __init__(self, patterns: Sequence[ExcludePattern]) -> None:
        self.names: list[re.Pattern[str]] = []
        self.anchored: list[tuple[tuple[str, ...], re.Pattern[str]]] = []
        for item in patterns:
            pattern = item.pattern.strip().rstrip("/").removeprefix("./")
            if not pattern:
                continue
            if "/" in pattern:
                base = os.path.abspath(item.base)  # noqa: PTH100 -- a string, compared with other strings
                bases = tuple(dict.fromkeys((base, os.path.realpath(base))))
                self.anchored.append((bases, path_glob(pattern.lstrip("/"))))
            else:
                self.names.append(path_glob(pattern))

    def __bool__(self) -> bool:
        return bool(self.names or self.anchored)

    def __call__(self, path: Path) -> bool:
        """Return True when ``path`` (a file or a directory) is excluded."""
        if any(p.fullmatch(path.name) for p in self.names):
            return True
        if not self.anchored:
            return False
        absolute = os.path.abspath(path)  # noqa: PTH100
        if self._anchored_match(absolute):
            return True
        # The configuration's directory may have been reached through a symbolic link and the walk not (or the
        # other way round): compare the real paths too.
        real = os.path.realpath(absolute)
        return real != absolute and self._anchored_match(real)

    def _anchored_match(self, absolute: str) -> bool:
        for bases, regex in self.anchored:
            for start in bases:
                relative = os.path.relpath(absolute, start)
                if not relative.startswith("..") and regex.fullmatch(relative.replace(os.sep, "/")):
                    return True
        return False


class LoadError(Exception):
    """A fatal input error (a path the user named does not exist); the CLI prints it and exits 2."""


@dataclass(frozen=True, slots=True)
class DiscoveredFile:
    """A regular file to load: the path it was reached by, its display path, and its suffix (loader key)."""

    path: Path
    display_path: str
    suffix: str


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file (or directory) that could not be taken as input.

    ``code`` is ``unreadable`` (vanished, permission denied, dangling link), ``symlink-loop``, ``not-a-file``
    (FIFO, socket, device) or ``file-too-large``.
    """

    path: Path
    display_path: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    """Files to load (sorted by display path), problems with individual paths (sorted likewise), and the
    display paths of explicitly named files that no loader reads (the CLI may mention them)."""

    files: tuple[DiscoveredFile, ...]
    problems: tuple[FileProblem, ...]
    skipped: tuple[str, ...] = ()


class FileReadError(Exception):
    """Reading one file failed; carries the problem code and message for a :class:`FileProblem`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def display_path(path: Path, root: Path) -> str:
    """Return ``path`` as shown to users: POSIX and relative to ``root``, or absolute when outside it.

    ``..`` never appears: a path outside the root keeps its absolute form, which is unambiguous. Bytes of a
    file name that are not UTF-8 are shown as ``\\xNN`` (:func:`printable_path`).
    """
    # abspath, not resolve(): a file reached through a symlink is shown by the name the user sees.
    absolute = Path(os.path.abspath(path))  # noqa: PTH100
    root_abs = Path(os.path.abspath(root))  # noqa: PTH100
    try:
        relative = absolute.relative_to(root_abs)
    except ValueError:
        # The same place may be spelled through a symlinked directory (/tmp vs /private/tmp): compare resolved
        # forms before giving up on a relative path.
        try:
            relative = _resolve(absolute).relative_to(_resolve(root_abs))
        except (ValueError, OSError):
            return printable_path(absolute.as_posix())
    text = relative.as_posix()
    return "." if text == "" else printable_path(text)


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except RuntimeError as exc:  # Python 3.11 reports a symlink loop as RuntimeError
        raise OSError(errno.ELOOP, str(exc)) from exc


def _describe_os_error(exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ELOOP:
        return "symlink-loop", "symbolic link loop: the link never reaches a real file"
    if exc.errno == errno.ENOENT:
        return "unreadable", "file vanished or is a dangling symbolic link"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "unreadable", "permission denied"
    return "unreadable", f"cannot read: {exc.strerror or exc}"


def _kind_name(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


class _Walker:
    def __init__(
        self, root: Path, suffixes: frozenset[str], max_file_bytes: int, excluded: Excluder | None = None
    ) -> None:
        self.root = root
        self.excluded = excluded if excluded else None
        self.suffixes = suffixes
        self.max_file_bytes = max_file_bytes
        # Keyed by display path and the name's own bytes: two names that differ only in bytes that are not UTF-8
        # may be shown alike, and neither may be dropped.
        self.files: dict[tuple[str, bytes], DiscoveredFile] = {}
        self.problems: dict[str, FileProblem] = {}
        self.seen_files: set[tuple[int, int]] = set()
        self.skipped: set[str] = set()

    def problem(self, path: Path, code: str, message: str) -> None:
        shown = display_path(path, self.root)
        self.problems.setdefault(shown, FileProblem(path, shown, code, message))

    def add_file(self, path: Path, st: os.stat_result, *, explicit: bool) -> None:
        shown = display_path(path, self.root)
        if explicit and not self.wanted(path.name):
            self.skipped.add(shown)
            return
        if not stat.S_ISREG(st.st_mode):
            self.problem(path, "not-a-file", f"{_kind_name(st.st_mode)}, not a regular file; not read")
            return
        if st.st_size > self.max_file_bytes:
            self.problem(
                path,
                "file-too-large",
                f"file is {st.st_size} bytes, larger than the limit of {self.max_file_bytes} bytes; not read",
            )
            return
        identity = (st.st_dev, st.st_ino)
        if identity in self.seen_files:
            return  # the same file reached again through another path or link: load it once
        self.seen_files.add(identity)
        self.files.setdefault((shown, os.fsencode(path)), DiscoveredFile(path, shown, path.suffix.lower()))

    def wanted(self, name: str) -> bool:
        # os.path.splitext, not Path(name).suffix: the same answer ("a.tar.json" -> ".json", ".json" -> "")
        # without building a Path for every directory entry.
        return name not in EXCLUDED_FILE_NAMES and os.path.splitext(name)[1].lower() in self.suffixes  # noqa: PTH122

    def walk(self, top: Path, top_stat: os.stat_result) -> None:
        # Iterative depth-first walk; ``ancestors`` holds the (dev, inode) of every directory on the current
        # path, so that a symlink leading back into it is recognised as a loop and not followed.
        stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(top, ((top_stat.st_dev, top_stat.st_ino),))]
        while stack:
            directory, ancestors = stack.pop()
            try:
                with os.scandir(directory) as iterator:
                    entries = sorted(iterator, key=lambda e: e.name)
            except OSError as exc:
                if directory is top:
                    # A directory the user named that cannot be listed: nothing under it can be checked, so the
                    # run would mean nothing (exit 2), not "one file could not be read".
                    raise LoadError(f"{top}: cannot read directory: {exc.strerror or exc}") from None
                code, message = _describe_os_error(exc)
                self.problem(directory, code, f"directory {message}")
                continue
            subdirs: list[tuple[Path, tuple[tuple[int, int], ...]]] = []
            for entry in entries:
                try:
                    is_dir = entry.is_dir()  # follows symlinks
                except OSError:
                    is_dir = False
                if is_dir:
                    if entry.name.startswith(".") or entry.name in EXCLUDED_DIR_NAMES:
                        continue
                    path = directory / entry.name
                    if self.excluded is not None and self.excluded(path):
                        continue
                    try:
                        st = entry.stat()
                    except OSError as exc:
                        code, message = _describe_os_error(exc)
                        self.problem(path, code, message)
                        continue
                    identity = (st.st_dev, st.st_ino)
                    if identity in ancestors:
                        continue  # a link back to a directory being walked: following it would never end
                    subdirs.append((path, (*ancestors, identity)))
                    continue
                if not self.wanted(entry.name):
                    continue
                # Built only for the files kept: a directory of 100,000 other files costs no Path objects.
                path = directory / entry.name
                if self.excluded is not None and self.excluded(path):
                    continue
                try:
                    st = entry.stat()
                except OSError as exc:
                    code, message = _describe_os_error(exc)
                    self.problem(path, code, message)
                    continue
                self.add_file(path, st, explicit=False)
            stack.extend(reversed(subdirs))


def discover(
    paths: Sequence[Path],
    root: Path,
    *,
    suffixes: Collection[str] = DEFAULT_SUFFIXES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    exclude: Sequence[ExcludePattern] = (),
) -> DiscoveryResult:
    """Return the files to load under ``paths`` and the problems met on the way.

    ``exclude`` patterns skip files and directories found by walking a directory; a file named in ``paths``
    is read whatever they say (the user asked for it by name).

    Raise :class:`LoadError` when a named path does not exist at all (a dangling symlink exists as a link and
    is reported as a problem instead).
    """
    walker = _Walker(root, frozenset(s.lower() for s in suffixes), max_file_bytes, Excluder(exclude))
    for path in paths:
        if not os.path.lexists(path):
            raise LoadError(f"{path}: no such file or directory")
        try:
            st = path.stat()
        except OSError as exc:
            code, message = _describe_os_error(exc)
            walker.problem(path, code, message)
            continue
        if stat.S_ISDIR(st.st_mode):
            walker.walk(path, st)
        else:
            walker.add_file(path, st, explicit=True)
    files = tuple(walker.files[k] for k in sorted(walker.files))
    problems = tuple(walker.problems[k] for k in sorted(walker.problems))
    return DiscoveryResult(files, problems, tuple(sorted(walker.skipped)))


def read_file_bytes(path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """Return the bytes of a regular file, or raise :class:`FileReadError`.

    The file is opened non-blocking and checked again through its descriptor: between discovery and reading it
    may have been replaced by a FIFO (opening one for reading would block forever) or have grown.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileReadError(*_describe_os_error(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileReadError("not-a-file", f"{_kind_name(st.st_mode)}, not a regular file; not read")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_file_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_file_bytes:
                raise FileReadError(
                    "file-too-large", f"file is larger than the limit of {max_file_bytes} bytes; not read"
                )
    except OSError as exc:
        raise FileReadError(*_describe_os_error(exc)) from None
    finally:
        os.close(fd)
    return b"".join(chunks)
