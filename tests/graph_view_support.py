"""Hand-built assume-role graphs for the view tests, following the schema of ``xacct_lint.graph.build_graph``.

``recipe_graph()`` is what the engine builds from fixtures/recipe (the SAML provider and the security account's
principals -> the master role -> the production and development roles; Lambda -> the validator's role), written
out by hand so the renderers are tested without the engine. ``hostile_graph()`` names everything with markup,
quotes and backslashes.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

SECURITY, PROD, DEV = "111111111111", "222222222222", "333333333333"
RECIPE = "fixtures/recipe"
SAML = f"arn:aws:iam::{SECURITY}:saml-provider/CorporateIdP"
ROOT = f"arn:aws:iam::{SECURITY}:root"
MASTER = f"arn:aws:iam::{SECURITY}:role/MasterCrossAccountRole-a1b2c3"
PROD_ROLE = f"arn:aws:iam::{PROD}:role/CrossAccount-ProductionAccess-a1b2c3"
DEV_ROLE = f"arn:aws:iam::{DEV}:role/CrossAccount-DevelopmentAccess-a1b2c3"
LAMBDA_ROLE = f"arn:aws:iam::{SECURITY}:role/RoleValidatorLambdaRole-a1b2c3"
LAMBDA = "lambda.amazonaws.com"
RECIPE_ROLES = (MASTER, PROD_ROLE, DEV_ROLE, LAMBDA_ROLE)
PROD_EXTERNAL_ID, DEV_EXTERNAL_ID = "k3v9q2m7x4p8w1z6", "r8t2n5j7c1h4d9f3"


def conditions(**overrides: Any) -> dict[str, Any]:
    """Return an edge's ``conditions`` with nothing demanded, updated by the overrides."""
    base: dict[str, Any] = {
        "external_id": None,
        "mfa": "not-required",
        "source_ip": None,
        "saml_aud": None,
        "oidc_sub": None,
        "tag_session": False,
        "allowed_tag_keys": None,
        "max_duration": 3600,
    }
    base.update(overrides)
    return base


def add_node(graph: nx.MultiDiGraph, node_id: str, kind: str, account: str | None, **attrs: Any) -> None:
    """Add a node with every schema attribute (defaults: a role not from the data)."""
    values: dict[str, Any] = {
        "kind": kind,
        "account": account,
        "label": node_id.rsplit("/", 1)[-1] if node_id.startswith("arn:") else node_id,
        "in_data": False,
        "tier": None,
        "max_session_duration": None,
        "admin": False,
        "source": None,
    }
    values.update(attrs)
    graph.add_node(node_id, **values)


def add_edge(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    key: str,
    *,
    api: str = "AssumeRole",
    status: str = "allowed",
    trust: tuple[str, str, int, int] | None = None,
    identity: tuple[str, str, int, int] | None = None,
    description: str = "",
    **condition_overrides: Any,
) -> None:
    """Add a hop; trust and identity are (path, pointer, line, column)."""

    def place(value: tuple[str, str, int, int] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        path, pointer, line, column = value
        return {"path": path, "pointer": pointer, "line": line, "column": column}

    graph.add_edge(
        source,
        target,
        key=key,
        api=api,
        status=status,
        conditions=conditions(**condition_overrides),
        trust=place(trust),
        identity=place(identity),
        description=description or f"{source} may assume {target}",
    )


def recipe_graph() -> nx.MultiDiGraph:
    """Return the recipe's graph as the engine's schema describes it."""
    graph = nx.MultiDiGraph(accounts={SECURITY: "security", PROD: "prod", DEV: "dev"})
    add_node(graph, SAML, "saml-provider", SECURITY, tier=3)
    add_node(graph, ROOT, "account", SECURITY, label=SECURITY, tier=3)
    add_node(graph, LAMBDA, "service", None)
    for arn, account, tier, seconds, trust in (
        (MASTER, SECURITY, 3, 7200, "master-cross-account-trust-policy.json"),
        (PROD_ROLE, PROD, 3, 3600, "prod-cross-account-trust-policy.json"),
        (DEV_ROLE, DEV, 1, 7200, "dev-cross-account-trust-policy.json"),
        (LAMBDA_ROLE, SECURITY, 3, 3600, "lambda-execution-trust-policy.json"),
    ):
        add_node(
            graph,
            arn,
            "role",
            account,
            in_data=True,
            tier=tier,
            max_session_duration=seconds,
            source={"path": f"{RECIPE}/{trust}", "pointer": ""},
        )
    master_trust = f"{RECIPE}/master-cross-account-trust-policy.json"
    master_permissions = f"{RECIPE}/master-cross-account-permissions.json"
    add_edge(
        graph,
        SAML,
        MASTER,
        "trust/Statement/0",
        api="AssumeRoleWithSAML",
        trust=(master_trust, "/Statement/0", 4, 5),
        saml_aud=["https://signin.aws.amazon.com/saml"],
        max_duration=7200,
    )
    add_edge(
        graph,
        ROOT,
        MASTER,
        "trust/Statement/1",
        trust=(master_trust, "/Statement/1", 18, 5),
        mfa="required",
        max_duration=7200,
    )
    add_edge(
        graph,
        MASTER,
        PROD_ROLE,
        "trust/Statement/0",
        trust=(f"{RECIPE}/prod-cross-account-trust-policy.json", "/Statement/0", 4, 5),
        identity=(master_permissions, "/Statement/0", 4, 5),
        external_id=[PROD_EXTERNAL_ID],
        mfa="unsatisfiable",
    )
    add_edge(
        graph,
        MASTER,
        DEV_ROLE,
        "trust/Statement/0",
        trust=(f"{RECIPE}/dev-cross-account-trust-policy.json", "/Statement/0", 4, 5),
        identity=(master_permissions, "/Statement/0", 4, 5),
        external_id=[DEV_EXTERNAL_ID],
        source_ip=["203.0.113.0/24", "198.51.100.0/24"],
    )
    add_edge(
        graph,
        LAMBDA,
        LAMBDA_ROLE,
        "trust/Statement/0",
        trust=(f"{RECIPE}/lambda-execution-trust-policy.json", "/Statement/0", 4, 5),
    )
    return graph


HOSTILE_ROLE_NAME = "<script>window.__xacctPwned=1</script>\"'&<b>x</b>\\n{{`|#"
HOSTILE_ACCOUNT = "444455556666"
HOSTILE_ROLE = f"arn:aws:iam::{HOSTILE_ACCOUNT}:role/{HOSTILE_ROLE_NAME}"
HOSTILE_IMG = '<img src=x onerror="window.__xacctPwned=2">'


def hostile_graph() -> nx.MultiDiGraph:
    """Return a graph whose names, account name, labels and conditions are markup and quoting."""
    graph = nx.MultiDiGraph(
        accounts={HOSTILE_ACCOUNT: '</script><script>window.__xacctPwned=3</script>"', PROD: None}
    )
    add_node(
        graph,
        HOSTILE_ROLE,
        "role",
        HOSTILE_ACCOUNT,
        label=HOSTILE_ROLE_NAME,
        in_data=True,
        source={"path": 'evil"<dir>/trust.json', "pointer": ""},
    )
    add_node(graph, PROD_ROLE, "role", PROD, in_data=True)
    add_edge(
        graph,
        HOSTILE_ROLE,
        PROD_ROLE,
        '"key" <x>',
        status="unknown",
        external_id=[HOSTILE_IMG],
        source_ip=["</text><script>window.__xacctPwned=4</script>"],
        tag_session=True,
        allowed_tag_keys=["<svg onload=window.__xacctPwned=5>"],
        description="</title><script>window.__xacctPwned=6</script>",
    )
    add_edge(graph, PROD_ROLE, HOSTILE_ROLE, "back", trust=('evil"<dir>/trust.json', "/Statement/0", 1, 1))
    return graph
