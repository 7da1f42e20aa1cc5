"""File discovery: order, exclusions, display paths, symlinks, FIFOs, size limits and missing roots."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from xacct_lint.load import LoadError, load_paths
from xacct_lint.load.discover import discover, display_path
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Model

POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
)


def write(path: Path, text: str = POLICY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_walk_is_sorted_and_skips_hidden_dirs_configs_and_other_suffixes(tmp_path: Path) -> None:
    write(tmp_path / "b" / "z.json")
    write(tmp_path / "b" / "a.json")
    write(tmp_path / "a.JSON")
    write(tmp_path / ".git" / "objects.json")
    write(tmp_path / "node_modules" / "pkg" / "package.json")
    write(tmp_path / "notes.txt")
    write(tmp_path / "xacct-lint.toml", "")
    write(tmp_path / "b" / ".hidden.json")
    result = discover([tmp_path], tmp_path)
    assert [f.display_path for f in result.files] == ["a.JSON", "b/.hidden.json", "b/a.json", "b/z.json"]
    assert [f.suffix for f in result.files] == [".json"] * 4
    assert result.problems == ()


def test_explicit_hidden_directory_is_walked(tmp_path: Path) -> None:
    write(tmp_path / ".github" / "trust.json")
    result = discover([tmp_path / ".github"], tmp_path)
    assert [f.display_path for f in result.files] == [".github/trust.json"]


def test_explicit_file_without_loader_is_listed_as_skipped(tmp_path: Path) -> None:
    write(tmp_path / "policy.txt")
    write(tmp_path / "pyproject.toml", "")
    result = discover([tmp_path / "policy.txt", tmp_path / "pyproject.toml"], tmp_path)
    assert result.files == ()
    assert result.skipped == ("policy.txt", "pyproject.toml")


def test_same_file_named_twice_or_through_a_link_is_listed_once(tmp_path: Path) -> None:
    target = write(tmp_path / "p" / "trust.json")
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "alias.json").symlink_to(target)
    result = discover([tmp_path / "p", target, tmp_path / "q"], tmp_path)
    assert [f.display_path for f in result.files] == ["p/trust.json"]


def test_display_paths_are_posix_relative_or_absolute_never_dotdot(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    inside = write(root / "sub" / "x.json")
    outside = write(tmp_path / "elsewhere" / "y.json")
    assert display_path(inside, root) == "sub/x.json"
    assert display_path(outside, root) == outside.as_posix()
    assert display_path(root / "sub" / ".." / "sub" / "x.json", root) == "sub/x.json"
    assert ".." not in display_path(outside, root)
    result = discover([outside, inside], root)
    assert [f.display_path for f in result.files] == [outside.as_posix(), "sub/x.json"]


def test_relative_paths_are_relative_to_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "policies" / "t.json")
    monkeypatch.chdir(tmp_path)
    result = discover([Path("policies")], Path.cwd())
    assert [f.display_path for f in result.files] == ["policies/t.json"]


def test_nonexistent_root_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or directory"):
        discover([tmp_path / "missing"], tmp_path)
    with pytest.raises(LoadError, match=r"missing\.json"):
        load_paths([tmp_path / "missing.json"], Config(), root=tmp_path)


def test_directory_symlink_loop_terminates_and_lists_each_file_once(tmp_path: Path) -> None:
    write(tmp_path / "d" / "trust.json")
    (tmp_path / "d" / "back").symlink_to(tmp_path / "d")
    (tmp_path / "d" / "up").symlink_to(tmp_path)
    result = discover([tmp_path], tmp_path)
    assert [f.display_path for f in result.files] == ["d/trust.json"]
    assert result.problems == ()


def test_symlink_loop_between_files_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    write(tmp_path / "ok.json")
    result = discover([tmp_path], tmp_path)
    assert [f.display_path for f in result.files] == ["ok.json"]
    assert [(p.display_path, p.code) for p in result.problems] == [
        ("a.json", "symlink-loop"),
        ("b.json", "symlink-loop"),
    ]


def test_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    result = discover([tmp_path], tmp_path)
    assert [(p.display_path, p.code) for p in result.problems] == [("gone.json", "unreadable")]
    # Named explicitly, the link exists (as a link): a problem, not a fatal error.
    explicit = discover([tmp_path / "gone.json"], tmp_path)
    assert [(p.display_path, p.code) for p in explicit.problems] == [("gone.json", "unreadable")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_a_problem_and_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    write(tmp_path / "real.json")
    outcome: dict[str, Model] = {}

    def run() -> None:
        outcome["model"] = load_paths([tmp_path, tmp_path / "pipe.json"], Config(), root=tmp_path)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "reading a FIFO blocked"
    model = outcome["model"]
    assert [(p.code, p.location.source.display_path) for p in model.problems] == [("not-a-file", "pipe.json")]
    assert "FIFO" in model.problems[0].message
    assert [p.source.display_path for p in model.policies] == ["real.json"]


def test_file_over_the_size_limit_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path / "big.json", POLICY + " " * 100)
    write(tmp_path / "small.json", "{}")
    model = load_paths([tmp_path], Config(), root=tmp_path, max_file_bytes=len(POLICY) + 10)
    assert [(p.code, p.location.source.display_path) for p in model.problems] == [
        ("file-too-large", "big.json")
    ]
    assert str(len(POLICY) + 10) in model.problems[0].message
    assert model.problems[0].location.root is None


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    locked = write(tmp_path / "locked.json")
    locked.chmod(0)
    try:
        model = load_paths([tmp_path], Config(), root=tmp_path)
    finally:
        locked.chmod(0o644)
    assert [(p.code, p.location.source.display_path) for p in model.problems] == [
        ("unreadable", "locked.json")
    ]
    assert "permission denied" in model.problems[0].message


def test_permission_denied_is_a_problem_even_for_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xacct_lint.load.discover as discover_module

    write(tmp_path / "locked.json")
    real_open = os.open

    def deny(path: str | Path, flags: int, *args: int) -> int:
        if Path(path).name == "locked.json":
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(discover_module.os, "open", deny)
    model = load_paths([tmp_path], Config(), root=tmp_path)
    assert [(p.code, p.message) for p in model.problems] == [("unreadable", "permission denied")]


def test_file_vanishing_before_it_is_read_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xacct_lint.load as load_module
    from xacct_lint.load.discover import read_file_bytes

    victim = write(tmp_path / "gone.json")

    def vanish_then_read(path: Path, limit: int) -> bytes:
        victim.unlink(missing_ok=True)
        return read_file_bytes(path, limit)

    monkeypatch.setattr(load_module, "read_file_bytes", vanish_then_read)
    model = load_paths([tmp_path], Config(), root=tmp_path)
    assert [(p.code, p.location.source.display_path) for p in model.problems] == [("unreadable", "gone.json")]


def test_exclude_patterns_skip_walked_paths_but_not_files_named_by_the_user(tmp_path: Path) -> None:
    from xacct_lint.model.config import ExcludePattern

    for name in (
        "keep.json",
        "legacy/old.json",
        "sub/legacy/older.json",
        "out/a.generated.json",
        "stacks/test-x.json",
        "stacks/deep/test-y.json",
        "stacks/prod.json",
    ):
        write(tmp_path / name)
    patterns = (
        ExcludePattern(tmp_path, "legacy"),  # a name: at any depth, and nothing below it is walked
        ExcludePattern(tmp_path, "*.generated.json"),
        ExcludePattern(tmp_path, "stacks/**/test-*.json"),  # anchored at the base; ** spans directories
    )
    result = discover([tmp_path], tmp_path, exclude=patterns)
    assert [f.display_path for f in result.files] == ["keep.json", "stacks/prod.json"]
    named = discover([tmp_path / "legacy" / "old.json", tmp_path / "stacks"], tmp_path, exclude=patterns)
    assert [f.display_path for f in named.files] == ["legacy/old.json", "stacks/prod.json"]
    # Anchored patterns are relative to their base: from another base they match nothing here.
    other = discover([tmp_path], tmp_path, exclude=(ExcludePattern(tmp_path / "elsewhere", "stacks/**"),))
    assert len(other.files) == 7


def test_exclude_from_the_configuration_and_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from xacct_lint.cli import main

    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, '
    trust += '"Action": "sts:AssumeRole"}]}'
    write(tmp_path / "policies" / "trust.json", trust)
    write(tmp_path / "policies" / "vendored" / "trust.json", trust)
    write(tmp_path / "policies" / "drafts" / "trust.json", trust)
    (tmp_path / "xacct-lint.toml").write_text('[lint]\nexclude = ["policies/vendored"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def linted(*extra: str) -> list[str]:
        main(["check", "policies", "--output-format", "json", *extra])
        return sorted({r["path"] for r in json.loads(capsys.readouterr().out)["results"]})

    assert linted() == ["policies/drafts/trust.json", "policies/trust.json"]
    assert linted("--exclude", "drafts") == ["policies/trust.json"]
    (tmp_path / "xacct-lint.toml").write_text("[lint]\nexclude = 3\n", encoding="utf-8")
    assert main(["check", "policies"]) == 2
    assert "exclude" in capsys.readouterr().err


def test_anchored_excludes_hold_through_a_symlinked_directory(tmp_path: Path) -> None:
    from xacct_lint.model.config import ExcludePattern

    write(tmp_path / "real" / "stacks" / "test-a.json")
    write(tmp_path / "real" / "stacks" / "prod.json")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    # The configuration was found through the link, the walk goes through the real path (or the reverse).
    for base, walked in ((tmp_path / "link", tmp_path / "real"), (tmp_path / "real", tmp_path / "link")):
        result = discover([walked], tmp_path, exclude=(ExcludePattern(base, "stacks/test-*.json"),))
        assert [f.path.name for f in result.files] == ["prod.json"]
