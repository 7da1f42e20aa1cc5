"""An AWS service may assume the role on behalf of a resource in any account (cross-service confused deputy).

## What it does
For every ``Service`` principal of an ``Allow`` trust statement, searches for a concrete ``sts:AssumeRole``
request by that service acting for a resource in a **fresh account** (one the policy names nowhere): the
request's ``aws:SourceAccount`` is absent or that account, ``aws:SourceArn`` is absent or an ARN in that
account, ``aws:SourceOrgID`` / ``aws:SourceOrgPaths`` are absent or an organisation nobody named. If the
statement allows it (and no ``Deny`` blocks it), the service can be driven from another customer's account,
and the rule fires: at the source-key condition when the statement has one that lets the request through
(``StringEqualsIfExists``, ``StringNotEquals``, ``ArnLike arn:aws:lambda:*:*:function:*``...), otherwise at
the service principal. It is silent when ``aws:SourceArn``, ``aws:SourceAccount``, ``aws:SourceOrgID`` or
``aws:SourceOrgPaths`` pins the source to accounts or organisations you chose.

Service-linked roles (path ``/aws-service-role/``) are skipped: AWS owns their trust policies.

Exempt services (default: ``ec2.amazonaws.com``, ``cloudtrail.amazonaws.com``,
``elastictranscoder.amazonaws.com``) are not reported, because adding the keys is reported to **break** them
and AWS publishes no list of the services that send these keys when they assume a role (AWS Support, quoted in
prowler-cloud/prowler#2810). Sources for the list:

- ``ec2.amazonaws.com``: instance-profile roles reach EC2 only through ``iam:PassRole``, which cannot pass a
  role to another account, and no AWS page documents source keys for the instance-role AssumeRole
  (prowler-cloud/prowler#2810) -- UNCONFIRMED that the keys are absent;
- ``cloudtrail.amazonaws.com`` (CloudTrail to CloudWatch Logs delivery role) and
  ``elastictranscoder.amazonaws.com``: users report that adding ``aws:SourceArn``/``aws:SourceAccount`` broke
  them (prowler-cloud/prowler#4714) -- third-party evidence.

Services AWS documents as sending the keys (e.g. ``ecs-tasks.amazonaws.com``, EC2 Auto Scaling, Personalize,
IoT, Greengrass) are checked like every other service. Option ``exempt-services`` (list of service principals,
``[rules.XA104]`` in ``xacct-lint.toml``) adds to the built-in list, for a service that does not send them.

## Why is this bad
A service principal in a trust policy is shared by every AWS customer. When a service assumes roles on behalf
of resources that customers configure, another customer who learns your role's ARN can point their own
resource at it, and the service -- the confused deputy -- assumes your role for them. AWS: "Granting access to
a service principal without specifying a source is overly permissive. Use aws:SourceArn or aws:SourceAccount
condition key" (IAM Access Analyzer, iam-facts §7.5). The keys are present only on service calls made on a
resource owner's behalf, so a negated or ``...IfExists`` condition on them does not protect.
Services that receive the role through ``iam:PassRole`` are also guarded by that permission check, and a role
cannot be passed to another account (prowler-cloud/prowler#2810); that defence depends on each service, which
is why this is a warning rather than an error.

## Example
```json
{"Effect": "Allow",
 "Principal": {"Service": "sagemaker.amazonaws.com"},
 "Action": "sts:AssumeRole"}
```

## Use instead
```json
{"Effect": "Allow",
 "Principal": {"Service": "sagemaker.amazonaws.com"},
 "Action": "sts:AssumeRole",
 "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"},
               "ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:111122223333:*"}}}
```

## References
- https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
- https://github.com/prowler-cloud/prowler/issues/2810 and https://github.com/prowler-cloud/prowler/issues/4714
"""

from __future__ import annotations

from collections.abc import Iterator

from xacct_lint.engine.context import RuleContext
from xacct_lint.engine.rule import Finding, RuleMeta, Severity
from xacct_lint.engine.semantic import entries_for, undecided_finding, witness_finding
from xacct_lint.evaluate.search import (
    FRESH_ACCOUNT,
    ContextValue,
    KeyPin,
    NoneExists,
    Unknown,
    find_request,
    service_kind,
)
from xacct_lint.model.config import Config
from xacct_lint.model.inventory import Policy
from xacct_lint.parse.policy import PolicyDocument, PrincipalEntry, Statement

from ._principals import (
    arn_account_field,
    entries_with,
    fresh_arn_instances,
    fresh_org_paths_pin,
    fresh_org_pin,
    named_org_ids,
    only_mentioned,
    statements_allowing,
)

META = RuleMeta(
    id="XA104",
    name="service-confused-deputy",
    severity=Severity.WARNING,
    tags=("trust", "principal", "service"),
)

# Services for which a source condition is reported to break AssumeRole (sources in the module docstring).
DEFAULT_EXEMPT_SERVICES = frozenset(
    {"ec2.amazonaws.com", "cloudtrail.amazonaws.com", "elastictranscoder.amazonaws.com"}
)
SOURCE_KEYS = ("aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths")


def _source_pins(document: PolicyDocument, config: Config, service: str) -> dict[str, KeyPin]:
    """Pins for "the service acts for a resource in a fresh account, in an organisation nobody named"."""
    patterns = [v.text for e in entries_with(document, "aws:SourceArn") for v in e.values]
    prefix = service.split(".", 1)[0]
    probe_arns = (*fresh_arn_instances(patterns), f"arn:aws:{prefix}:us-east-1:{FRESH_ACCOUNT}:xacct-probe")

    def fresh_account(value: ContextValue) -> bool:
        return value is None or value == (FRESH_ACCOUNT,)

    def fresh_arn(value: ContextValue) -> bool:
        return value is None or (len(value) == 1 and arn_account_field(value[0]) == FRESH_ACCOUNT)

    named = named_org_ids(document, config, "aws:SourceOrgID", "aws:SourceOrgPaths")
    absent = KeyPin(
        lambda value: value is None, description="absent (a service principal is in no organisation)"
    )
    pins = {
        "aws:SourceAccount": KeyPin(
            fresh_account, (FRESH_ACCOUNT,), description=f"absent or {FRESH_ACCOUNT}"
        ),
        "aws:SourceArn": KeyPin(
            fresh_arn, probe_arns, description=f"absent or an ARN in account {FRESH_ACCOUNT}"
        ),
        "aws:SourceOrgID": fresh_org_pin(named),
        "aws:SourceOrgPaths": fresh_org_paths_pin(named),
        # A service principal is no member of an organisation (iam-facts §7.6: PrincipalOrgID is present
        # "only if the principal is a member of an organization").
        "aws:PrincipalOrgID": absent,
        "aws:PrincipalOrgPaths": absent,
    }
    return only_mentioned(pins, document)


def _exempt_services(ctx: RuleContext) -> frozenset[str]:
    extra = ctx.option(META.id, "exempt-services", [])
    if not isinstance(extra, list | tuple):
        extra = [extra]
    return DEFAULT_EXEMPT_SERVICES | {str(s).casefold() for s in extra}


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Yield one finding per service principal that can assume the role for a resource in any account."""
    exempt = _exempt_services(ctx)
    for policy in ctx.model.trust_policies():
        if policy.role_arn is not None and "/aws-service-role/" in policy.role_arn:
            continue
        for statement in statements_allowing(policy.document):
            assert statement.principal is not None
            for entry in statement.principal.entries:
                if entry.kind != "Service" or entry.normalized.casefold() in exempt:
                    continue
                yield from _check_service(ctx, policy, statement, entry)


def _check_service(
    ctx: RuleContext, policy: Policy, statement: Statement, entry: PrincipalEntry
) -> Iterator[Finding]:
    service = entry.normalized
    pins = _source_pins(policy.document, ctx.config, service)
    result = find_request(
        policy.document, service_kind(service), pins, budget=ctx.search_budget, only_statement=statement
    )
    if isinstance(result, NoneExists):
        return
    if isinstance(result, Unknown):
        question = f"service {service} can assume this role for a resource in any account"
        yield undecided_finding(META.id, policy, entry.pointer, question, result)
        return
    tested = [e for key in SOURCE_KEYS for e in entries_for(statement, key)]
    if tested:
        context = result.request.context
        passes = []
        for condition in tested:
            value = context.get(condition.key_lower)
            when = "the key is absent" if value is None else f"{condition.key} = {', '.join(value)}"
            passes.append(f"{condition.operator.canonical} {condition.key} passes when {when}")
        why = f"its condition {'; '.join(passes)}"
        pointer = tested[0].key_pointer
    else:
        why = f"no {', '.join(SOURCE_KEYS)} condition limits the source"
        pointer = entry.pointer
    message = (
        f"service {service} can assume this role on behalf of a resource in any account (confused deputy): "
        f"{statement.pointer} allows it because {why}; if this service does not send these keys when it "
        f"assumes roles, list it in [rules.{META.id}] exempt-services"
    )
    yield witness_finding(META.id, message, policy, result, pointer)
