"""Issue 7, point 1: no traceback, ever, from input.

Each test builds its hostile input in a temporary directory (nothing large is committed), runs the whole
command line in-process, and asserts the exact outcome: a finding on the hostile file (rule, path, position,
message) or one clear stderr line, the XA201 finding of an ordinary policy next to it still reported, and the
exit code -- 2 only when the run as a whole means nothing (an unreadable root).
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import fuzz_targets as ft
import pytest
from hostile_support import TRUST, TRUST_SPOT, Run, messages, one_error_line, run_cli, sarif_run, spots
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_support import validate_sarif

import xacct_lint.load as load_module
from xacct_lint.load.discover import FileReadError

NESTING = 100_000


@pytest.fixture
def scan_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory of the run, holding ``trust.json`` (the policy that must still be checked)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trust.json").write_text(TRUST, encoding="utf-8")
    return tmp_path


def _check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    run = run_cli(capsys, "check", *argv, "--no-config", "--output-format", "json")
    return run.code, run.json()


def _assert_trust_still_checked(doc: Any) -> None:
    assert TRUST_SPOT in spots(doc)["trust.json"]


# --- malformed text: nesting, size, encodings -------------------------------------------------------------------


def test_100000_levels_of_nesting_are_a_finding_at_the_first_level_too_deep(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "deep-array.json").write_text("[" * NESTING + "]" * NESTING, encoding="utf-8")
    (scan_root / "deep-object.json").write_text('{"a":' * NESTING + "1" + "}" * NESTING, encoding="utf-8")
    # Inside a policy: root, Statement, the statement, Condition and the operator are five levels already.
    prefix = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, '
        '"Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceIp": '
    )
    (scan_root / "deep-policy.json").write_text(
        prefix + "[" * NESTING + "]" * NESTING + "}}}]}", encoding="utf-8"
    )

    code, doc = _check_json(capsys, ".")

    assert code == 1
    found = spots(doc)
    # Column = offset + 1 on the one line: the 257th bracket on the path from the root is one too many.
    assert found["deep-array.json"] == {("XA001", "", 1, 257)}
    assert found["deep-object.json"] == {("XA001", "", 1, 256 * len('{"a":') + 1)}
    assert found["deep-policy.json"] == {("XA001", "", 1, len(prefix) + (256 - 5) + 1)}
    for path in ("deep-array.json", "deep-object.json", "deep-policy.json"):
        assert messages(doc, path, "XA001") == [
            "invalid JSON: nesting deeper than 256 levels; nothing in this document was checked"
        ]
    _assert_trust_still_checked(doc)


def _sparse(path: Path, size: int) -> None:
    # A sparse file: 100 MB that take no disk space and no time to write.
    with path.open("wb") as handle:
        handle.truncate(size)


def test_100_mb_file_is_not_read_and_says_so(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    size = 100 * 1024 * 1024
    _sparse(scan_root / "huge.json", size)

    code, doc = _check_json(capsys, ".")

    assert code == 1
    assert spots(doc)["huge.json"] == {("XA001", "", 0, 0)}  # no text, so no region: the file as a whole
    assert messages(doc, "huge.json", "XA001") == [
        f"file is {size} bytes, larger than the limit of 10000000 bytes; not read"
    ]
    assert [(n["path"], n["code"]) for n in doc["notifications"]] == [("huge.json", "file-too-large")]
    _assert_trust_still_checked(doc)


def test_100_mb_file_read_under_a_raised_limit_is_a_finding_not_a_crash(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sparse(scan_root / "huge.json", 100 * 1024 * 1024)  # all NUL bytes once read

    code, doc = _check_json(capsys, ".", "--max-file-size", str(200 * 1024 * 1024))

    assert code == 1
    assert spots(doc)["huge.json"] == {("XA001", "", 1, 1)}
    assert messages(doc, "huge.json", "XA001") == [
        "this file is not valid text: NUL character at byte offset 0: not a text file (is this UTF-16 without a "
        "byte-order mark?); nothing in it was checked"
    ]
    _assert_trust_still_checked(doc)


def test_bom_utf16_invalid_utf8_and_nul(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    encoded = TRUST.encode("utf-8")
    (scan_root / "bom.json").write_bytes(codecs.BOM_UTF8 + encoded)
    (scan_root / "utf16le.json").write_bytes(codecs.BOM_UTF16_LE + TRUST.encode("utf-16-le"))
    (scan_root / "utf16be.json").write_bytes(codecs.BOM_UTF16_BE + TRUST.encode("utf-16-be"))
    (scan_root / "utf16-no-bom.json").write_bytes(TRUST.encode("utf-16-le"))
    (scan_root / "utf32.json").write_bytes(TRUST.encode("utf-32"))
    line_6 = encoded.index(b'"Principal"')
    (scan_root / "invalid-utf8.json").write_bytes(encoded[:line_6] + b"\xff" + encoded[line_6:])
    (scan_root / "nul.json").write_bytes(encoded[:line_6] + b"\x00" + encoded[line_6:])

    code, doc = _check_json(capsys, ".")

    assert code == 1
    found = spots(doc)
    # Decodable text is analysed, at the same positions as the plain file (no BOM shift).
    for name in ("bom.json", "utf16le.json", "utf16be.json"):
        assert TRUST_SPOT in found[name], name
    column = line_6 - encoded.rindex(b"\n", 0, line_6)
    assert found["invalid-utf8.json"] == {("XA001", "", 6, column)}
    assert found["nul.json"] == {("XA001", "", 6, column)}
    assert found["utf16-no-bom.json"] == {("XA001", "", 1, 2)}
    assert found["utf32.json"] == {("XA001", "", 1, 1)}
    assert messages(doc, "invalid-utf8.json", "XA001") == [
        f"this file is not valid text: invalid UTF-8: byte 0xff at byte offset {line_6} cannot be decoded "
        "(invalid start byte); nothing in it was checked"
    ]
    assert "UTF-32 text is not supported" in messages(doc, "utf32.json", "XA001")[0]
    _assert_trust_still_checked(doc)


# --- wrong types everywhere the grammar allows a choice ---------------------------------------------------------

ELEMENTS = [
    (name, path) for name, document in sorted(ft.TEMPLATES.items()) for path in ft.element_paths(document)
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(element=st.sampled_from(ELEMENTS), value=st.sampled_from(ft.EVERY_TYPE) | ft.json_values)
def test_any_element_replaced_by_any_json_type_is_linted_without_a_crash(
    element: tuple[str, tuple[Any, ...]], value: object
) -> None:
    # Every element of a policy and of an authorization-details export -- the root too -- may be replaced by
    # any JSON value: the loader, every built-in rule and all three reporters must cope (no XA000, no raise).
    # ``benchmarks/fuzz_campaign.py --target every-type`` runs the exhaustive product (element x type).
    name, path = element
    ft.target_pipeline(ft.dump(ft.replace_at(ft.TEMPLATES[name], path, value)).encode("utf-8"))


def test_wrong_types_at_the_top_through_the_command_line(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, document in sorted(ft.TEMPLATES.items()):
        for path in ((), ("Statement",), ("RoleDetailList",)):
            if path and path[0] not in document:
                continue
            for index, value in enumerate(ft.EVERY_TYPE):
                variant = ft.replace_at(document, path, value)
                (scan_root / f"{name}-{'-'.join(path) or 'root'}-{index:02d}.json").write_text(
                    ft.dump(variant), encoding="utf-8"
                )

    code, doc = _check_json(capsys, ".")

    assert code == 1
    assert [r for r in doc["results"] if r["rule_id"] == "XA000"] == []
    # A policy whose Statement is a string or a number is still a policy: XA002 says what is wrong with it.
    assert ("XA002", "/Statement", 4, 2) in spots(doc)["policy-Statement-06.json"]  # "Statement": "*"
    _assert_trust_still_checked(doc)


# --- a directory of 100,000 files, links, FIFOs, files that vanish or turn unreadable -----------------------------


def test_hostile_directory_every_file_checked_each_problem_a_finding(
    scan_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100,000 directory entries. Loading 100,000 policies is a matter of speed (benchmarks/); what must hold
    # here is the walk: it lists them all without recursion, leaked descriptors or quadratic time, and the few
    # JSON files among them are still read. Empty files of other suffixes keep the test fast.
    many = scan_root / "many"
    many.mkdir()
    directory = os.open(many, os.O_RDONLY)
    try:
        for index in range(100_000 - 6):
            os.close(os.open(f"f{index:06d}.txt", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=directory))
    finally:
        os.close(directory)
    (many / "a-policy.json").write_text(TRUST, encoding="utf-8")
    (many / "loop-a.json").symlink_to("loop-b.json")
    (many / "loop-b.json").symlink_to("loop-a.json")
    (many / "dangling.json").symlink_to("nowhere.json")
    (many / "up").symlink_to("..")  # a directory link back into the walk
    os.mkfifo(many / "fifo.json")
    (many / "vanishes.json").write_text(TRUST, encoding="utf-8")
    (many / "turns-unreadable.json").write_text(TRUST, encoding="utf-8")

    real_read = load_module.read_file_bytes

    def hostile_read(path: Path, max_file_bytes: int) -> bytes:
        # Between discovery and reading, one file is deleted and another loses its permissions (root reads
        # everything, so the permission error is simulated where it would surface).
        if path.name == "vanishes.json":
            path.unlink()
        if path.name == "turns-unreadable.json":
            raise FileReadError("unreadable", "permission denied")
        return real_read(path, max_file_bytes)

    monkeypatch.setattr(load_module, "read_file_bytes", hostile_read)

    code, doc = _check_json(capsys, ".")

    assert code == 1
    found = spots(doc)
    assert TRUST_SPOT in found["many/a-policy.json"]
    expected = {
        "many/loop-a.json": "symbolic link loop: the link never reaches a real file; nothing was read",
        "many/loop-b.json": "symbolic link loop: the link never reaches a real file; nothing was read",
        "many/dangling.json": "this file cannot be read: file vanished or is a dangling symbolic link; "
        "nothing in it was checked",
        "many/fifo.json": "a FIFO (named pipe), not a regular file; not read",
        "many/vanishes.json": "this file cannot be read: file vanished or is a dangling symbolic link; "
        "nothing in it was checked",
        "many/turns-unreadable.json": "this file cannot be read: permission denied; nothing in it was checked",
    }
    for path, message in expected.items():
        assert found[path] == {("XA001", "", 0, 0)}, path
        assert messages(doc, path, "XA001") == [message], path
    assert {n["path"] for n in doc["notifications"]} == set(expected)
    assert not any(p.startswith("many/up/") for p in found)  # the link back was not followed
    _assert_trust_still_checked(doc)


@pytest.fixture
def locked_dir(scan_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory ``locked`` in the scan root that cannot be listed (simulated: the tests run as root)."""
    locked = scan_root / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("xacct_lint.load.discover.os.scandir", scandir)
    return locked


@pytest.mark.usefixtures("locked_dir")
def test_unreadable_root_is_one_error_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "check", "locked", "trust.json", "--no-config")

    assert run.code == 2
    assert one_error_line(run) == "xacct-lint: error: locked: cannot read directory: Permission denied"
    assert run.out == ""


@pytest.mark.usefixtures("locked_dir")
def test_unreadable_subdirectory_is_a_finding_not_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _check_json(capsys, ".")

    assert code == 1
    assert spots(doc)["locked"] == {("XA001", "", 0, 0)}
    assert messages(doc, "locked", "XA001") == [
        "this file cannot be read: directory permission denied; nothing in it was checked"
    ]
    _assert_trust_still_checked(doc)


def test_numbers_json_parsers_refuse_are_values_not_crashes(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python refuses int() of more than 4,300 digits; 1e400 overflows. Both are valid JSON.
    for name, number in (("huge-int.json", "9" * 5000), ("overflow.json", "1e400"), ("tiny.json", "1e-400")):
        policy = json.loads(TRUST)
        policy["Statement"][0]["Condition"] = {"NumericLessThan": {"aws:MultiFactorAuthAge": "NUMBER"}}
        (scan_root / name).write_text(json.dumps(policy).replace('"NUMBER"', number), encoding="utf-8")

    code, doc = _check_json(capsys, ".", "--pack", "parliament")

    assert code == 1
    assert [r["message"] for r in doc["results"] if r["rule_id"] == "XA000"] == []
    found = spots(doc)
    for name in ("huge-int.json", "overflow.json"):
        # Parsed and analysed: the value overflows to infinity, which matches no number (XA208 says so).
        assert "XA208" in {spot[0] for spot in found[name]}, name
    for name in ("huge-int.json", "overflow.json", "tiny.json"):
        assert found[name] and "XA001" not in {spot[0] for spot in found[name]}, name
    _assert_trust_still_checked(doc)


def test_100000_levels_of_nesting_in_every_other_format(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each format has its own parser (YAML, HCL2, shell words); each must stop at the first level too deep and
    # say so -- a JSON template on one line too, whose key "Resources" is not at the start of a line.
    brackets = "[" * NESTING + "]" * NESTING
    yaml_prefix = "      AssumeRolePolicyDocument: "
    (scan_root / "deep.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n"
        + yaml_prefix + brackets + "\n",
        encoding="utf-8",
    )  # fmt: skip
    template_prefix = (
        '{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": '
    )
    (scan_root / "deep.template").write_text(template_prefix + brackets + "}}}}", encoding="utf-8")
    shell_prefix = "aws iam create-role --role-name r --assume-role-policy-document '"
    objects = '{"a":' * NESTING + "1" + "}" * NESTING
    (scan_root / "deep.sh").write_text(shell_prefix + objects + "'\n", encoding="utf-8")
    (scan_root / "deep.md").write_text(
        f"# Recipe\n```bash\n{shell_prefix}{objects}'\n```\n", encoding="utf-8"
    )
    # HCL2 goes through lark: 100,000 levels parse in linear but long time (~10 s); 1,000 are past every limit.
    (scan_root / "deep.tf").write_text(
        'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode('
        + "[" * 1000
        + "]" * 1000
        + ")\n}\n",
        encoding="utf-8",
    )

    code, doc = _check_json(capsys, ".")

    assert code == 1
    assert [r for r in doc["results"] if r["rule_id"] == "XA000"] == []
    found = spots(doc)
    # The templates' four mappings (root, Resources, R, Properties) are the first levels: the 253rd bracket is
    # the 257th level. In the scripts, the 257th "{" of the embedded document.
    too_deep = "YAML not read: nesting deeper than 256 levels; nothing in this template was checked"
    assert found["deep.yaml"] == {("XA001", "", 6, len(yaml_prefix) + 252 + 1)}
    assert messages(doc, "deep.yaml", "XA001") == [too_deep]
    assert found["deep.template"] == {("XA001", "", 1, len(template_prefix) + 252 + 1)}
    assert messages(doc, "deep.template", "XA001") == [too_deep]
    for name, line in (("deep.sh", 1), ("deep.md", 3)):
        assert found[name] == {("XA001", "", line, len(shell_prefix) + 256 * len('{"a":') + 1)}, name
        assert messages(doc, name, "XA001") == [
            f"the policy document in --assume-role-policy-document (line {line}) is not valid JSON: nesting "
            "deeper than 256 levels; nothing in this document was checked"
        ]
    # HCL2 has no depth limit of its own; the document it builds is not an object, and XA002 says so.
    assert ("XA002", "/resource/aws_iam_role/r/assume_role_policy", 3, 35) in found["deep.tf"]
    _assert_trust_still_checked(doc)


# --- names and files the user names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_a_file_name_that_is_not_utf8_is_linted_and_shown_escaped(
    scan_root: Path, capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    # POSIX file names are bytes; one that is not UTF-8 reached every reporter as lone surrogates and crashed
    # the fingerprint hash with a traceback. It is linted like any file and shown with \xNN escapes.
    (scan_root / os.fsdecode(b"p\xff\xfe.json")).write_text(TRUST, encoding="utf-8")

    run = run_cli(capsys, "check", ".", "--no-config", "--output-format", output_format, "--color", "never")

    assert run.code == 1
    shown = "p\\xff\\xfe.json"
    if output_format == "text":
        lines = run.out.splitlines()
        assert any(line.startswith(f"{shown}:4:5: XA201 [error] ") for line in lines), run.out
        assert any(line.startswith("trust.json:4:5: XA201 [error] ") for line in lines), run.out
    elif output_format == "json":
        assert TRUST_SPOT in spots(run.json())[shown]
        _assert_trust_still_checked(run.json())
    else:
        validate_sarif(run.out)
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif_run(run.json())["results"]
        }
        assert uris == {"p%5Cxff%5Cxfe.json", "trust.json"}


def _run_in_thread(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    # A FIFO opened for reading blocks until a writer comes: run in a thread so a regression fails, not hangs.
    outcome: list[Run] = []
    worker = threading.Thread(target=lambda: outcome.append(run_cli(capsys, *argv)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), f"xacct-lint {' '.join(argv)} blocked"
    return outcome[0]


@pytest.mark.parametrize("special", ["fifo", "directory"])
def test_a_configuration_or_baseline_that_is_no_regular_file_is_one_line_and_exit_2(
    scan_root: Path, capsys: pytest.CaptureFixture[str], special: str
) -> None:
    for name in ("config.toml", "baseline.json"):
        if special == "fifo":
            os.mkfifo(scan_root / name)
        else:
            (scan_root / name).mkdir()
    reason = "a FIFO (named pipe), not a regular file" if special == "fifo" else "Is a directory"

    run = _run_in_thread(capsys, "check", "trust.json", "--config", "config.toml")
    assert run.code == 2
    assert one_error_line(run) == f"xacct-lint: error: config.toml: cannot read configuration: {reason}"
    assert run.out == ""

    run = _run_in_thread(capsys, "check", "trust.json", "--no-config", "--baseline", "baseline.json")
    assert run.code == 2
    assert one_error_line(run) == f"xacct-lint: error: baseline.json: cannot read baseline: {reason}"
    assert run.out == ""


def test_a_named_file_no_loader_reads_is_one_warning_line(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Named on the command line yet of no format xacct-lint reads: "No findings" alone would read as "checked".
    (scan_root / "policy.txt").write_text(TRUST, encoding="utf-8")

    run = run_cli(capsys, "check", "policy.txt", "trust.json", "--no-config", "--output-format", "json")

    assert run.code == 1
    assert run.err.splitlines() == [
        "xacct-lint: warning: policy.txt: not checked: xacct-lint reads .bash, .json, .md, .sh, .template, .tf, "
        ".tfvars, .yaml, .yml files"
    ]
    assert set(spots(run.json())) == {"trust.json"}
    _assert_trust_still_checked(run.json())


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_a_console_that_cannot_encode_the_input_gets_utf8_not_a_traceback(
    scan_root: Path, output_format: str
) -> None:
    # Windows runners write to pipes in cp1252, some CI images in ASCII: a character from the inputs that the
    # console cannot encode ended the run with UnicodeEncodeError and no report at all.
    policy = json.loads(TRUST)
    policy["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:Ünïcødé→"]
    (scan_root / "unicode.json").write_text(json.dumps(policy, ensure_ascii=False), encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "xacct_lint", "check", ".", "--no-config", "--output-format", output_format],
        cwd=scan_root,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii", "NO_COLOR": "1"},
        check=False,
    )

    assert (done.returncode, done.stderr) == (1, b"")
    out = done.stdout.decode("utf-8")
    assert "sts:Ünïcødé→" in out
    if output_format == "sarif":
        validate_sarif(out)
    elif output_format == "json":
        assert TRUST_SPOT in spots(json.loads(out))["trust.json"]


def test_a_var_value_that_is_not_utf8_is_one_error_line(
    scan_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bytes from argv or the environment that are not UTF-8 reach Python as lone surrogates; substituted into a
    # policy they would reach every reporter (and the witness, and the fingerprint hash).
    monkeypatch.setenv("EXTERNAL_ID", os.fsdecode(b"\xffabcdefgh"))
    for spec in (os.fsdecode(b"EXTERNAL_ID=\xfe12345678"), "EXTERNAL_ID"):
        run = run_cli(capsys, "check", "trust.json", "--no-config", "--var", spec)
        assert run.code == 2
        assert one_error_line(run) == "xacct-lint: error: --var EXTERNAL_ID: the value is not UTF-8 text"
        assert run.out == ""
