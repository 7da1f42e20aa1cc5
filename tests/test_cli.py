"""The command line: exit codes, selection, fail levels, baselines, output files, ``rules`` and ``explain``.

The checks run a small local rule pack (written into each test's directory and enabled with ``[lint]
rule-dirs``; ``select = ["XA9"]`` keeps the built-in rules out), so the assertions do not move when the
built-in pack grows. Inputs are loaded by the real ``xacct_lint.load.load_paths``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_support import validate_sarif

from xacct_lint import __version__
from xacct_lint.cli import _use_color, main

RULE_TEMPLATE = '''"""{summary}

## What it does
{summary}

## Why is this bad
It is a test rule: the CLI tests need rules whose findings they control.

## Example
```json
{{"Statement": [{{"Sid": "Bad", "Effect": "Allow"}}]}}
```

## Use instead
```json
{{"Statement": [{{"Effect": "Deny"}}]}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html
"""

from __future__ import annotations

from xacct_lint.engine.rule import Finding, RuleMeta, Severity

META = RuleMeta("{rule_id}", "{name}", Severity.{severity}, ("test",))


def check(ctx):
    for policy in ctx.model.policies:
        for statement in policy.document.statements:
{body}
'''

LOCAL_RULES = {
    "xa901_statement_seen.py": dict(
        rule_id="XA901",
        name="statement-seen",
        severity="NOTE",
        summary="Notes every statement.",
        body=(
            "            at = policy.at(statement.pointer)\n"
            '            yield Finding(META.id, f"statement {statement.index}", at)'
        ),
    ),
    "xa902_allow_statement.py": dict(
        rule_id="XA902",
        name="allow-statement",
        severity="WARNING",
        summary="Warns about every Allow statement.",
        body=(
            "            if statement.is_allow:\n"
            '                yield Finding(META.id, "allows", policy.at(statement.pointer + "/Effect"))'
        ),
    ),
    "xa903_bad_sid.py": dict(
        rule_id="XA903",
        name="bad-sid",
        severity="ERROR",
        summary="Errs on statements whose Sid is Bad.",
        body=(
            '            if statement.sid == "Bad":\n'
            '                yield Finding(META.id, "bad sid", policy.at(statement.pointer + "/Sid"))'
        ),
    ),
}
CRASHING_RULE = dict(
    rule_id="XA909",
    name="always-crashes",
    severity="ERROR",
    summary="Crashes.",
    body='            raise RuntimeError("boom")\n            yield',
)

BAD = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Bad",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "x"}}
    }
  ]
}
"""
CLEAN = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
  ]
}
"""
CONFIG = """[lint]
rule-dirs = ["myrules"]
select = ["XA9"]
"""


def _write_rules(directory: Path, rules: dict[str, dict[str, str]]) -> None:
    directory.mkdir(exist_ok=True)
    for filename, fields in rules.items():
        (directory / filename).write_text(RULE_TEMPLATE.format(**fields), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scan root with a config, the local rule pack, and two policies; the current directory."""
    _write_rules(tmp_path / "myrules", LOCAL_RULES)
    (tmp_path / "xacct-lint.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bad.json").write_text(BAD, encoding="utf-8")
    (tmp_path / "policies" / "clean.json").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def _json_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", *argv, "--output-format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _places(doc: dict[str, Any]) -> list[tuple[str, str, str, int, int]]:
    return [
        (
            r["rule_id"],
            r["path"],
            r["logical_path"],
            r["region"]["start_line"],
            r["region"]["start_column"],
        )
        for r in doc["results"]
    ]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines[-1].startswith("xacct-lint: error: ")
    return lines[-1]


# --- exit codes and selection -------------------------------------------------------------------------------


def test_notes_only_exit_0_with_default_fail_level(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json_run(capsys, "policies/clean.json")
    assert code == 0
    assert _places(doc) == [("XA901", "policies/clean.json", "/Statement/0", 4, 5)]
    assert doc["rules"] == ["XA901", "XA902", "XA903"]
    assert doc["policies"][0]["path"] == "policies/clean.json"


def test_findings_at_fail_level_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json_run(capsys, "policies/bad.json")
    assert code == 1
    assert _places(doc) == [
        ("XA901", "policies/bad.json", "/Statement/0", 4, 5),
        ("XA903", "policies/bad.json", "/Statement/0/Sid", 5, 7),
        ("XA902", "policies/bad.json", "/Statement/0/Effect", 6, 7),
    ]


def test_text_output_and_summary(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "policies/bad.json:4:5: XA901 [note] statement 0",
        "policies/bad.json:5:7: XA903 [error] bad sid",
        "policies/bad.json:6:7: XA902 [warning] allows",
        "policies/clean.json:4:5: XA901 [note] statement 0",
        "1 error, 1 warning, 2 notes in 2 files",
    ]


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("note", 1), ("warning", 1), ("error", 1), ("never", 0)],
)
def test_fail_on_levels_with_an_error(
    project: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    assert main(["check", "policies/bad.json", "--fail-on", fail_on]) == expected


def test_fail_on_error_ignores_warnings_and_note_catches_notes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "policies/bad.json", "--ignore", "XA903", "--fail-on", "error"]) == 0
    assert main(["check", "policies/bad.json", "--ignore", "XA903"]) == 1
    assert main(["check", "policies/clean.json", "--fail-on", "note"]) == 1


def test_fail_on_from_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "xacct-lint.toml").write_text(CONFIG + 'fail-on = "note"\n', encoding="utf-8")
    assert main(["check", "policies/clean.json"]) == 1
    assert main(["check", "policies/clean.json", "--fail-on", "warning"]) == 0


def test_select_and_ignore_take_comma_separated_ids_prefixes_and_names(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _code, doc = _json_run(capsys, "policies/bad.json", "--select", "XA901,XA903")
    assert [r["rule_id"] for r in doc["results"]] == ["XA901", "XA903"]
    assert doc["rules"] == ["XA901", "XA903"]
    _code, doc = _json_run(capsys, "policies/bad.json", "--select", "XA90", "--ignore", "bad-sid,XA901")
    assert [r["rule_id"] for r in doc["results"]] == ["XA902"]
    _code, doc = _json_run(capsys, "policies/bad.json", "--select", "statement-seen", "--select", "XA902")
    assert doc["rules"] == ["XA901", "XA902"]


def test_unknown_selector_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies/bad.json", "--select", "XA999"]) == 2
    assert "--select XA999: matches no rule" in _one_error_line(capsys)


def test_severity_override_from_config_changes_exit_code(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "xacct-lint.toml").write_text(
        CONFIG + '[lint.severity]\nXA903 = "note"\nallow-statement = "off"\n', encoding="utf-8"
    )
    code, doc = _json_run(capsys, "policies/bad.json")
    assert code == 0
    assert [(r["rule_id"], r["severity"]) for r in doc["results"]] == [("XA901", "note"), ("XA903", "note")]


def test_a_crashing_rule_always_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_rules(project / "crashing", {"xa909_always_crashes.py": CRASHING_RULE})
    (project / "xacct-lint.toml").write_text(
        '[lint]\nrule-dirs = ["crashing"]\nselect = ["XA909"]\n', encoding="utf-8"
    )
    code, doc = _json_run(capsys, "policies/clean.json", "--fail-on", "never")
    assert code == 1
    assert [r["rule_id"] for r in doc["results"]] == ["XA000"]
    assert "XA909 (always-crashes) crashed: RuntimeError: boom" in doc["results"][0]["message"]
    assert main(["check", "policies/clean.json", "--output-format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


# --- baselines ----------------------------------------------------------------------------------------------


def test_write_baseline_then_read_it_suppresses(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies", "--write-baseline", "baseline.json"]) == 0
    assert "wrote 4 fingerprint(s) to baseline.json" in capsys.readouterr().err
    stored = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert len(stored["fingerprints"]) == 4

    code, doc = _json_run(capsys, "policies", "--baseline", "baseline.json")
    assert code == 0
    assert doc["results"] == []
    assert doc["summary"]["suppressed"] == 4

    # A new problem is reported although the old ones stay hidden, and lines moving does not matter.
    (project / "policies" / "bad.json").write_text(
        "\n\n" + BAD.replace('"Sid": "Bad"', '"Sid": "Bad2"'), encoding="utf-8"
    )
    (project / "policies" / "new.json").write_text(BAD, encoding="utf-8")
    code, doc = _json_run(capsys, "policies", "--baseline", "baseline.json")
    assert code == 1
    assert {r["path"] for r in doc["results"]} == {"policies/new.json"}


def test_baseline_from_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies", "--write-baseline", "accepted.json"]) == 0
    (project / "xacct-lint.toml").write_text(
        CONFIG.replace("[lint]\n", '[lint]\nbaseline = "accepted.json"\n'), encoding="utf-8"
    )
    assert main(["check", "policies"]) == 0


def test_corrupt_baseline_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "baseline.json").write_text('{"fingerprints": [1, 2', encoding="utf-8")
    assert main(["check", "policies", "--baseline", "baseline.json"]) == 2
    assert "corrupt baseline" in _one_error_line(capsys)
    (project / "baseline.json").write_text('{"fingerprints": "all"}', encoding="utf-8")
    assert main(["check", "policies", "--baseline", "baseline.json"]) == 2
    assert "corrupt baseline" in _one_error_line(capsys)
    assert main(["check", "policies", "--baseline", "missing.json"]) == 2
    assert "cannot read baseline" in _one_error_line(capsys)


# --- output files -------------------------------------------------------------------------------------------


def test_output_file_is_written_whole_and_stdout_stays_empty(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "out" / "results.sarif"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    assert main(["check", "policies", "--output-format", "sarif", "-o", str(target)]) == 1
    assert capsys.readouterr().out == ""
    text = target.read_text(encoding="utf-8")
    validate_sarif(text)
    assert json.loads(text)["runs"][0]["results"][0]["ruleId"] == "XA901"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.sarif"]  # no temp file left


def test_failed_write_keeps_the_old_file_and_is_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "report.json"
    target.write_text("previous report", encoding="utf-8")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("xacct_lint.atomic.os.fsync", failing_fsync)
    assert main(["check", "policies", "--output-format", "json", "-o", str(target)]) == 2
    assert "No space left on device" in _one_error_line(capsys)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".report.json")) == []


def test_output_into_a_missing_directory_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies", "-o", "no/such/dir/out.txt"]) == 2
    assert "cannot write no/such/dir/out.txt" in _one_error_line(capsys)


def test_colour_follows_the_option_and_no_color(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["check", "policies/bad.json", "--color", "always"])
    assert "\x1b[1;31m[error]\x1b[0m" in capsys.readouterr().out
    main(["check", "policies/bad.json"])  # captured stdout is no terminal
    assert "\x1b[" not in capsys.readouterr().out

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Terminal())
    assert _use_color("auto", to_file=False) is True
    assert _use_color("auto", to_file=True) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _use_color("auto", to_file=False) is False
    assert _use_color("always", to_file=False) is True
    assert _use_color("never", to_file=False) is False


# --- errors a user can cause --------------------------------------------------------------------------------


def test_missing_path_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "policies/nope.json"]) == 2
    assert "nope.json" in _one_error_line(capsys)


def test_bad_configuration_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "xacct-lint.toml").write_text("[lint]\nselekt = []\n", encoding="utf-8")
    assert main(["check", "policies"]) == 2
    assert "selekt" in _one_error_line(capsys)
    (project / "xacct-lint.toml").write_text("[lint\n", encoding="utf-8")
    assert main(["check", "policies"]) == 2
    assert "invalid TOML" in _one_error_line(capsys)
    assert main(["check", "policies", "--config", "missing.toml"]) == 2
    assert "missing.toml" in _one_error_line(capsys)


def test_no_config_ignores_the_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "xacct-lint.toml").write_text("[lint\n", encoding="utf-8")
    code, doc = _json_run(capsys, "policies/clean.json", "--no-config")
    assert code != 2  # the broken configuration was not read; the built-in pack decides the rest
    assert not any(rule.startswith("XA9") for rule in doc["rules"])


def test_broken_local_rule_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "myrules" / "xa905_broken.py").write_text("def broken(:\n", encoding="utf-8")
    assert main(["check", "policies"]) == 2
    assert "SyntaxError" in _one_error_line(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["lint", "policies"],
        ["check"],
        ["check", "policies", "--output-format", "xml"],
        ["check", "policies", "--fail-on", "sometimes"],
        ["check", "policies", "--config", "a.toml", "--no-config"],
        ["explain"],
    ],
)
def test_usage_errors_are_exit_2(project: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"xacct-lint {__version__}\n"


def test_help_is_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    assert "--fail-on" in capsys.readouterr().out


# --- rules and explain --------------------------------------------------------------------------------------


def test_rules_lists_local_and_builtin_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    local = [line.split() for line in lines if line.startswith("XA9")]
    assert [row[:4] for row in local] == [
        ["XA901", "statement-seen", "note", "local:myrules"],
        ["XA902", "allow-statement", "warning", "local:myrules"],
        ["XA903", "bad-sid", "error", "local:myrules"],
    ]
    assert lines[[line.startswith("XA901") for line in lines].index(True)].endswith("Notes every statement.")
    ids = [line.split()[0] for line in lines]
    assert ids == sorted(ids)


def test_rules_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--output-format", "json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["XA902"] == {
        "id": "XA902",
        "name": "allow-statement",
        "severity": "warning",
        "pack": "local:myrules",
        "tags": ["test"],
        "summary": "Warns about every Allow statement.",
    }


def test_explain_prints_metadata_and_the_whole_docstring(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "XA903"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("XA903 bad-sid\n  default severity: error\n  from: pack local:myrules")
    for title in ("What it does", "Why is this bad", "Example", "Use instead", "References"):
        assert f"## {title}" in out
    assert main(["explain", "bad-sid"]) == 0
    assert capsys.readouterr().out == out
    assert main(["explain", "xa903"]) == 0
    assert capsys.readouterr().out == out


def test_explain_unknown_rule_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "XA998"]) == 2
    assert "unknown rule 'XA998'" in _one_error_line(capsys)


def test_explain_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "XA000", "--no-config"]) == 0
    assert capsys.readouterr().out.startswith("XA000 internal-error\n")


def test_the_builtin_pack_documents_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--no-config", "--output-format", "json"]) == 0
    for row in json.loads(capsys.readouterr().out):
        assert main(["explain", row["id"], "--no-config"]) == 0
        assert "## What it does" in capsys.readouterr().out


def test_module_entry_point_runs() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "xacct_lint", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout == f"xacct-lint {__version__}\n"
    assert done.stderr == ""
