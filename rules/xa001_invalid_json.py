"""An input file cannot be read as JSON text: a syntax error, bad encoding, or an unreadable file.

## What it does
Reports every input the loaders could not turn into a document: JSON syntax errors (a trailing comma, a
missing quote, a comment), bytes that are not UTF-8 or UTF-16 text, a policy embedded as a string in an AWS
CLI export that does not parse, and files that cannot be read at all (permission denied, vanished, a FIFO or
device, a symbolic-link loop, larger than the size limit), documents nested deeper or policies with more
statements than the configured `[limits]` allow (`max-depth`, `max-statements`), and AWS CLI exports whose
roles or users lack the ARN that ties their policies to an account (the policies are still checked, but
account-specific rules cannot apply).
CloudFormation templates too: YAML that does not parse, a YAML document over a safety limit (an alias "bomb"
that expands past the node budget, nesting deeper than the limit), and what CloudFormation itself would
reject -- YAML tags that are not its short-form functions, YAML aliases and merge keys, malformed intrinsic
functions (the rest of the template is still checked). And inputs that disagree: the same role with different
trust policies or session durations in two exports (or a template and an export), or a file whose ARNs name
another account than the configuration's `[[templates]]` entry gives it (every version is still checked).
The finding points at the first bad character when there is one.

## Why is this bad
A file that does not parse has not been checked: without this finding it would look clean. IAM's parser
is strict JSON too (no comments, no trailing commas), so the document would also be rejected on deployment
-- or, if a tool "repairs" it on the way, deployed in a form nobody reviewed.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "sts:AssumeRole",
  }]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "sts:AssumeRole"
  }]
}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_policy-validator.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity

META = RuleMeta(id="XA001", name="invalid-json", severity=Severity.ERROR, tags=("document",))

# LoadProblem codes of inputs that could not be read as a JSON document (xacct_lint.load); each maps to how
# the finding introduces the loader's own message. Both spellings of the file-level codes are accepted.
_INTROS = {
    "invalid-json": "{message}; nothing in this document was checked",
    "invalid-encoding": "this file is not valid text: {message}; nothing in it was checked",
    "unreadable": "this file cannot be read: {message}; nothing in it was checked",
    "file-too-large": "{message}",
    "too-large": "{message}",
    "not-a-file": "{message}",
    "not-a-regular-file": "{message}",
    "symlink-loop": "{message}; nothing was read",
    # A policy over the [limits] max-statements bound (xacct_lint.load.limits): left out whole, never cut short.
    "too-many-statements": "{message}",
    # An AWS CLI export whose role or user lacks its ARN: the policies are still checked, but without the
    # account they belong to, so account-specific rules cannot apply to them.
    "invalid-export": "{message}",
    # CloudFormation templates (xacct_lint.load.cloudformation): YAML that does not parse or exceeds a safety
    # limit leaves the template unread; what CloudFormation would reject is reported, the rest still checked.
    "invalid-yaml": "{message}; nothing in this template was checked",
    "yaml-limit": "{message}; nothing in this template was checked",
    "invalid-template": "{message}",
    # Several inputs disagree about one role or one file's account (xacct_lint.load.accounts): all are checked.
    "conflicting-sources": "{message}",
}
CODES = frozenset(_INTROS)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per load problem that left an input unread or unparsed."""
    for problem in ctx.model.problems:
        intro = _INTROS.get(problem.code)
        if intro is not None:
            yield Finding(META.id, intro.replace("{message}", problem.message), problem.location)
