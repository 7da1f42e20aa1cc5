"""Issue 7, point 5: no code from data.

- YAML is loaded safely: a ``!!python/...`` tag never runs anything.
- Scripts and templates are read, never run or followed: command substitution stays text, and ``file://`` or
  ``file()`` never pull a file from outside into a report.
- Rule packs load only from what the configuration or the command line names: a ``rules/`` directory next to
  the scanned files is not imported. A pack whose rule id or name is malformed, reserved or taken is rejected
  with a message naming it (exit 2).
- Reports keep what came from the inputs inert: SARIF URIs are percent-encoded and relative to the scan root
  (no ``..``), text output shows control characters as escapes (no terminal sequences, no forged lines), and
  the HTML graph escapes names.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hostile_support import TRUST, TRUST_SPOT, one_error_line, rule_module, run_cli, sarif_run, spots
from report_support import validate_sarif

from xacct_lint.load import LOADERS

YAML_SUFFIXES = sorted(s for s in LOADERS if s in (".yaml", ".yml", ".template"))


@pytest.fixture
def scan_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scan root (current directory) with ``policies/trust.json``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "trust.json").write_text(TRUST, encoding="utf-8")
    return tmp_path


# --- YAML, scripts and templates are data ------------------------------------------------------------------------

PYTHON_TAGS = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !!python/object/apply:os.system ["touch {marker}-apply"]
      Description: !!python/object/new:os.system ["touch {marker}-new"]
      Path: !!python/name:os.system
      Tags: !!python/object/apply:subprocess.check_output [["touch", "{marker}-subprocess"]]
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{AWS: "arn:aws:iam::444455556666:root"}}
            Action: sts:AssumeRole
"""


def test_yaml_python_tags_never_execute(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert YAML_SUFFIXES == [".template", ".yaml", ".yml"]  # every YAML format is tested below
    marker = scan_root / "executed"
    for suffix in YAML_SUFFIXES:
        (scan_root / "policies" / f"template{suffix}").write_text(
            PYTHON_TAGS.format(marker=marker), encoding="utf-8"
        )

    run = run_cli(capsys, "check", "policies", "--no-config", "--output-format", "json")

    assert sorted(p.name for p in scan_root.iterdir()) == ["policies"]  # no marker of any kind
    assert run.code == 1
    doc = run.json()
    assert TRUST_SPOT in spots(doc)["policies/trust.json"]
    # Each template is reported (read with the tags as unknown data, or refused), never silently skipped.
    for suffix in YAML_SUFFIXES:
        assert f"policies/template{suffix}" in spots(doc), suffix


def test_shell_command_substitution_stays_text(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = scan_root / "executed"
    (scan_root / "policies" / "recipe.sh").write_text(
        "#!/bin/bash\n"
        f"SUFFIX=$(touch {marker}-dollar)\n"
        f'aws iam create-role --role-name "R`touch {marker}-backtick`" '
        "--assume-role-policy-document file://trust.json\n"
        f'aws sts assume-role --role-arn "$(touch {marker}-arn)" --role-session-name s\n',
        encoding="utf-8",
    )

    run = run_cli(capsys, "check", "policies", "--no-config", "--output-format", "json")

    assert sorted(p.name for p in scan_root.iterdir()) == ["policies"]
    assert TRUST_SPOT in spots(run.json())["policies/trust.json"]


SECRET_TOKEN = "TOKENnotForReports42"


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path.parent / f"{tmp_path.name}-outside" / "secret.json"
    secret.parent.mkdir()
    secret.write_text(TRUST.replace('"Effect"', f'"Sid": "{SECRET_TOKEN}", "Effect"'), encoding="utf-8")
    return secret


def test_file_references_outside_the_scan_root_are_never_read(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = _secret(scan_root)
    relative = Path("..") / secret.parent.name / secret.name
    (scan_root / "policies" / "recipe.sh").write_text(
        f"aws iam create-role --role-name A --assume-role-policy-document file://{secret}\n"
        f"aws iam create-role --role-name B --assume-role-policy-document file://../{relative}\n",
        encoding="utf-8",
    )
    (scan_root / "policies" / "main.tf").write_text(
        'resource "aws_iam_role" "a" {\n'
        '  name = "a"\n'
        f'  assume_role_policy = file("{secret}")\n'
        "}\n"
        'resource "aws_iam_role" "b" {\n'
        '  name = "b"\n'
        f'  assume_role_policy = file("${{path.module}}/../{relative}")\n'
        "}\n",
        encoding="utf-8",
    )

    for output_format in ("json", "sarif", "text"):
        run = run_cli(capsys, "check", "policies", "--no-config", "--output-format", output_format)
        assert SECRET_TOKEN not in run.out, output_format


# --- rule packs come only from the configuration and the command line ----------------------------------------------

EVIL_IMPORT = """import pathlib
pathlib.Path({marker!r}).write_text("imported")
"""


def test_a_rules_directory_beside_the_inputs_is_never_imported(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = scan_root / "imported"
    evil = EVIL_IMPORT.format(marker=str(marker)) + rule_module("XA950", "planted", "    return ()")
    for directory in ("policies/rules", "policies/xacct_lint_rules", "rules", "policies/.xacct-lint"):
        (scan_root / directory).mkdir(parents=True, exist_ok=True)
        (scan_root / directory / "xa950_planted.py").write_text(evil, encoding="utf-8")
        (scan_root / directory / "__init__.py").write_text(
            EVIL_IMPORT.format(marker=str(marker)), encoding="utf-8"
        )
    (scan_root / "policies" / "conftest.py").write_text(
        EVIL_IMPORT.format(marker=str(marker)), encoding="utf-8"
    )

    run = run_cli(capsys, "check", "policies", "--output-format", "json")
    listing = run_cli(capsys, "rules", "--output-format", "json")

    assert not marker.exists()
    assert "XA950" not in {r["rule_id"] for r in run.json()["results"]}
    assert "XA950" not in {rule["id"] for rule in listing.json()}
    assert TRUST_SPOT in spots(run.json())["policies/trust.json"]


def test_an_installed_pack_is_imported_only_when_named(
    scan_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installed distribution that registers a pack in the xacct_lint.rules entry-point group (as any
    # dependency pulled into a CI image could) is not imported -- not even listed by importing it -- until the
    # configuration or --pack names it.
    site = scan_root.parent / f"{scan_root.name}-site"
    (site / "plantedpack" / "rules").mkdir(parents=True)
    marker = scan_root / "imported"
    (site / "plantedpack" / "__init__.py").write_text(
        EVIL_IMPORT.format(marker=str(marker)) + "\nfrom xacct_lint.engine.registry import RulePack\n\n\n"
        "def pack():\n    return RulePack.from_package('planted', 'plantedpack.rules')\n",
        encoding="utf-8",
    )
    (site / "plantedpack" / "rules" / "__init__.py").write_text("", encoding="utf-8")
    (site / "plantedpack" / "rules" / "xa960_planted.py").write_text(
        rule_module("XA960", "planted", "    return ()"), encoding="utf-8"
    )
    info = site / "plantedpack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: plantedpack\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[xacct_lint.rules]\nplanted = plantedpack:pack\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))

    run = run_cli(capsys, "check", "policies", "--no-config", "--output-format", "json")
    listing = run_cli(capsys, "rules", "--output-format", "json")
    unknown = run_cli(capsys, "check", "policies", "--no-config", "--pack", "nonesuch")

    assert not marker.exists()
    assert TRUST_SPOT in spots(run.json())["policies/trust.json"]
    assert "XA960" not in {rule["id"] for rule in listing.json()}
    assert "planted" in one_error_line(unknown)  # listed by its entry-point name, still not imported
    assert not marker.exists()

    try:
        named = run_cli(capsys, "rules", "--pack", "planted", "--output-format", "json")
    finally:
        for module in [m for m in sys.modules if m.partition(".")[0] == "plantedpack"]:
            del sys.modules[module]
    assert "XA960" in {rule["id"] for rule in named.json()}  # the planted pack is real: named, it loads
    assert marker.exists()


BAD_PACKS = {
    "id-with-a-command": (("XA001; rm -rf /", "fine-name"), "malformed rule id 'XA001; rm -rf /'"),
    "id-too-long": (("XA9501", "fine-name"), "malformed rule id 'XA9501'"),
    "id-lower-case": (("xa950", "fine-name"), "malformed rule id 'xa950'"),
    "id-reserved-for-crashes": (
        ("XA000", "fine-name"),
        "rule id XA000 is reserved for the engine's internal-error",
    ),
    "name-with-markup": (
        ("XA950", "<script>alert(1)</script>"),
        "malformed rule name '<script>alert(1)</script>'",
    ),
    "name-with-a-command": (("XA950", "x; rm -rf ~"), "malformed rule name 'x; rm -rf ~'"),
    "name-not-kebab": (("XA950", "Not_Kebab"), "malformed rule name 'Not_Kebab'"),
}


@pytest.mark.parametrize("case", sorted(BAD_PACKS))
def test_a_malicious_rule_id_or_name_is_rejected_with_a_message(
    scan_root: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    (rule_id, name), expected = BAD_PACKS[case]
    (scan_root / "myrules").mkdir()
    (scan_root / "myrules" / "xa950_bad.py").write_text(
        rule_module(rule_id, name, "    return ()"), encoding="utf-8"
    )
    (scan_root / "xacct-lint.toml").write_text('[lint]\nrule-dirs = ["myrules"]\n', encoding="utf-8")

    for command in (["check", "policies"], ["rules"]):
        run = run_cli(capsys, *command)
        assert run.code == 2
        line = one_error_line(run)
        assert "rule pack 'local:myrules'" in line, line
        assert expected in line, line
        assert run.out == ""


def test_a_rule_id_taken_by_the_builtin_pack_is_rejected(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "myrules").mkdir()
    (scan_root / "myrules" / "xa201_shadow.py").write_text(
        rule_module("XA201", "shadows-a-builtin", "    return ()"), encoding="utf-8"
    )
    (scan_root / "xacct-lint.toml").write_text('[lint]\nrule-dirs = ["myrules"]\n', encoding="utf-8")

    run = run_cli(capsys, "check", "policies")

    assert run.code == 2
    line = one_error_line(run)
    assert line.startswith("xacct-lint: error: rule id XA201 is defined twice: in pack 'builtin'")
    assert "in pack 'local:myrules'" in line


def test_an_unknown_pack_name_is_rejected(scan_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "check", "policies", "--pack", "../../evil")
    assert run.code == 2
    assert one_error_line(run).startswith("xacct-lint: error: unknown rule pack '../../evil'")


# --- reports keep input inert --------------------------------------------------------------------------------------

HOSTILE_NAME = "<script>alert(1)</script>"


def test_sarif_uris_are_encoded_and_relative_never_dotdot(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scan_root / "policies" / f"{HOSTILE_NAME.replace('/', '_')}.json").write_text(TRUST, encoding="utf-8")

    run = run_cli(capsys, "check", "policies/../policies", "--no-config", "--output-format", "sarif")

    validate_sarif(run.out)
    log = sarif_run(run.json())
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in log["results"]
        for loc in result["locations"]
    }
    assert uris == {"policies/%3Cscript%3Ealert%281%29%3C_script%3E.json", "policies/trust.json"}
    for result in log["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert ".." not in artifact["uri"].split("/")


def test_paths_outside_the_scan_root_stay_absolute_never_dotdot(
    scan_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (scan_root / "elsewhere").mkdir()
    monkeypatch.chdir(scan_root / "elsewhere")

    run = run_cli(capsys, "check", "../policies", "--no-config", "--output-format", "sarif")

    log = sarif_run(run.json())
    [uri] = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["results"]}
    assert uri == (scan_root / "policies" / "trust.json").as_uri()
    assert "/../" not in uri


def test_text_output_shows_control_characters_as_escapes(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An action (quoted by XA004) with terminal sequences, and a file name that would forge a summary line.
    hostile = json.loads(TRUST)
    hostile["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:\x1b[2J\x1b]0;pwned\x07\r0 errors\u202egnp"]
    (scan_root / "policies" / "hostile.json").write_text(json.dumps(hostile, indent=2), encoding="utf-8")
    (scan_root / "policies" / "x\n0 errors, 0 warnings, 0 notes in 1 file\x1b[8m.json").write_text(
        TRUST, encoding="utf-8"
    )

    run = run_cli(capsys, "check", "policies", "--no-config", "--color", "always")

    assert run.code == 1
    scrubbed = run.out
    for style in ("\x1b[0m", "\x1b[1m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[1;36m", "\x1b[2m"):
        scrubbed = scrubbed.replace(style, "")  # our own colours; nothing else may act on the terminal
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in scrubbed, repr(raw)
    assert "sts:\\x1b[2J\\x1b]0;pwned\\x07" in scrubbed
    assert "\\u202egnp" in scrubbed
    assert (
        "policies/x\\x0a0 errors, 0 warnings, 0 notes in 1 file\\x1b[8m.json:4:5: XA201 [error]" in scrubbed
    )
    # No line but the real summary starts with a count: the forged ones are indented or escaped.
    assert [line for line in scrubbed.splitlines() if line.startswith("0 errors")] == []


def test_html_graph_escapes_names_from_the_inputs(
    scan_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "<svg onload=alert(1)>"
    trust = json.loads(TRUST)
    trust["Statement"][0]["Principal"]["AWS"] = f"arn:aws:iam::444455556666:role/{HOSTILE_NAME}"
    role = {
        "RoleName": name,
        "Arn": f"arn:aws:iam::222222222222:role/{name}",
        "AssumeRolePolicyDocument": trust,
    }
    (scan_root / "policies" / "role.json").write_text(json.dumps({"Role": role}), encoding="utf-8")
    out = scan_root / "graph.html"

    run = run_cli(capsys, "graph", "policies", "--no-config", "--format", "html", "-o", str(out))

    assert run.code == 0
    page = out.read_text(encoding="utf-8")
    assert name not in page and "<script>alert" not in page
    assert "&lt;svg onload=alert(1)&gt;" in page
