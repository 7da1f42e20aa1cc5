"""The text reporter: exact lines, details, summary and colour."""

from __future__ import annotations

from report_support import (
    REPRODUCE,
    RULE_EXTERNAL_ID,
    UNREADABLE,
    WITNESS,
    at,
    internal_error_finding,
    results_for,
    source,
    standard_report,
)

from xacct_lint.engine.rule import Finding
from xacct_lint.model.inventory import Location
from xacct_lint.parse.source import SourceFile
from xacct_lint.report import Notification, Report
from xacct_lint.report.text import render_text, witness_lines


def test_results_with_witness_reproduce_precision_and_related() -> None:
    text = render_text(standard_report())
    assert text.splitlines() == [
        "policies/trust.json:2:3: XA900 [note] a note",
        "policies/trust.json:7:7: XA104 [warning] action is broad",
        "  precision: unknown",
        "policies/trust.json:8:46: XA201 [error] role can be assumed without an ExternalId",
        "  witness:",
        "    kind = cross-account AssumeRole",
        "    action = sts:AssumeRole",
        '    principal = {"account": "999988887777", '
        '"arn": "arn:aws:iam::999988887777:user/probe", "type": "user"}',
        "    sts:ExternalId = <absent>",
        "    allowed_by = /Statement/0",
        f"  reproduce: {REPRODUCE}",
        "  see policies/trust.json:4:5: the statement that allows it",
        "1 error, 1 warning, 1 note in 1 file",
    ]
    assert text.endswith("\n")
    assert "\x1b[" not in text


def test_witness_description_lines_are_used_when_present() -> None:
    witness = {
        **WITNESS,
        "description": ["caller: IAM user x calls sts:AssumeRole", "sts:ExternalId = <absent>"],
    }
    assert list(witness_lines(witness)) == [
        "caller: IAM user x calls sts:AssumeRole",
        "sts:ExternalId = <absent>",
    ]


def test_witness_values_lists_and_booleans_are_json() -> None:
    lines = list(witness_lines({"context": {"aws:TagKeys": ["a", "b"], "aws:MultiFactorAuthPresent": False}}))
    assert lines == ['aws:TagKeys = ["a", "b"]', "aws:MultiFactorAuthPresent = false"]


def test_no_findings_summary_and_plural_files() -> None:
    report = Report(results=(), rules=(RULE_EXTERNAL_ID,), files=("a.json", "b.json"))
    assert render_text(report) == "no findings in 2 files\n"


def test_baseline_suppression_is_counted_in_the_summary() -> None:
    report = Report(results=(), rules=(), files=("a.json",), suppressed=3)
    assert render_text(report) == "no findings in 1 file (3 suppressed by the baseline)\n"


def test_notifications_are_listed_before_the_summary() -> None:
    report = Report(results=(), rules=(), files=("policies/secret.json",), notifications=(UNREADABLE,))
    assert render_text(report).splitlines() == [
        "policies/secret.json: warning: not analysed: permission denied",
        "no findings in 1 file",
    ]


def test_notification_for_a_file_that_also_has_a_result_is_not_repeated() -> None:
    src = source()
    note = Notification("warning", "not analysed: invalid JSON", src.display_path, "invalid-json")
    report = standard_report(src, notifications=(note,))
    assert "not analysed" not in render_text(report)


def test_result_without_region_and_multiline_message() -> None:
    empty = SourceFile("policies/empty.json", "")
    finding = Finding("XA201", "first line\nsecond line", at(source(), "/Version"))
    located = results_for([(RULE_EXTERNAL_ID, finding)])
    unplaced = results_for([(RULE_EXTERNAL_ID, Finding("XA201", "no text", Location(empty, None, "")))])
    crash = results_for([internal_error_finding(empty)])
    assert unplaced[0].place.region is None
    report = Report(results=(*unplaced, *crash, *located), rules=(RULE_EXTERNAL_ID,))
    lines = render_text(report).splitlines()
    assert lines[0] == "policies/empty.json: XA201 [error] no text"
    assert lines[1].startswith(
        "policies/empty.json:1:1: XA000 [error] rule XA201 (missing-external-id) crashed"
    )
    assert lines[2] == "  precision: unknown"
    assert lines[3] == "policies/trust.json:2:3: XA201 [error] first line"
    assert lines[4] == "  second line"
    assert lines[-1] == "3 errors, 0 warnings, 0 notes in 0 files"


def test_colour_only_when_asked() -> None:
    coloured = render_text(standard_report(), color=True)
    assert "\x1b[1;31m[error]\x1b[0m" in coloured
    assert "\x1b[1;33m[warning]\x1b[0m" in coloured
    assert "\x1b[1;36m[note]\x1b[0m" in coloured
    # Removing the escapes gives the plain report back, so colour never changes the content.
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(standard_report())
