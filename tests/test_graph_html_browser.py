"""The HTML graph in a real browser: Debian's chromium, headless, driven over the DevTools protocol by
playwright's Python client (``executable_path`` names the system browser, so playwright downloads nothing).

The page must load with no console error and no request beyond its own file (its Content-Security-Policy
forbids everything else, and a violation would be a console error), show every role of the recipe inside
the drawing, answer a click, and treat markup in names as text. The recipe's page is saved as a screenshot in
``.ci/artifacts/graph.png`` (a directory git ignores) for people to look at. Without chromium -- .ci/run
installs the Debian package -- the tests skip and say so.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from graph_view_support import HOSTILE_ROLE, HOSTILE_ROLE_NAME, RECIPE_ROLES, hostile_graph
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, sync_playwright

from xacct_lint.cli import main
from xacct_lint.graph_view.html import render_html
from xacct_lint.graph_view.view import read_graph

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / ".ci" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            "chromium is not installed (Debian package `chromium`, which .ci/run installs when it can): "
            "the HTML graph was not checked in a browser"
        )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="xacct-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 2048, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Visit:
    """A page loaded from a file, with what it logged and requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser: BrowserContext, path: Path) -> Visit:
    page = browser.new_page()
    seen = Visit(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.errors.append(message.text)

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", on_request)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri(), wait_until="load")
    return seen


@pytest.fixture(scope="module")
def recipe_page(browser: BrowserContext, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    target = tmp_path_factory.mktemp("graph") / "graph.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        assert main(["graph", "fixtures/recipe", "--format", "html", "-o", str(target)]) == 0
    seen = visit(browser, target)
    yield seen
    seen.page.close()


def test_recipe_page_loads_cleanly_and_shows_every_role(recipe_page: Visit) -> None:
    page = recipe_page.page
    assert recipe_page.errors == []
    assert recipe_page.requests == [page.url]  # nothing but the file itself
    drawing = page.locator("svg.graph").bounding_box()
    assert drawing is not None and drawing["width"] > 0
    for role in RECIPE_ROLES:
        node = page.locator(f'svg.graph g.node[data-id="{role}"]')
        assert node.is_visible(), role
        box = node.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert drawing["x"] <= box["x"] and box["x"] + box["width"] <= drawing["x"] + drawing["width"] + 1
        assert node.locator("text.node-name").text_content() == role.rsplit("/", 1)[-1]
    # Every name fits its box (the page squeezes a name only where the viewer's font runs wider).
    overflowing = page.evaluate(
        """() => Array.from(document.querySelectorAll('text[data-fit]')).filter(
               t => t.getComputedTextLength() > parseFloat(t.getAttribute('data-fit')) + 0.5).length"""
    )
    assert overflowing == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")  # artefacts are never committed
    page.screenshot(path=str(ARTIFACTS / "graph.png"), full_page=True)
    assert (ARTIFACTS / "graph.png").stat().st_size > 10_000


def test_clicking_follows_paths_and_findings(recipe_page: Visit) -> None:
    page = recipe_page.page
    master = page.locator('svg.graph g.node[data-id$=":role/MasterCrossAccountRole-a1b2c3"]')
    master.click()
    assert "focus" in (page.locator("svg.graph").get_attribute("class") or "")
    lit = page.eval_on_selector_all(
        "svg.graph g.node.on", "nodes => nodes.map(n => n.getAttribute('data-id'))"
    )
    assert set(RECIPE_ROLES) - set(lit) == {"arn:aws:iam::111111111111:role/RoleValidatorLambdaRole-a1b2c3"}
    page.keyboard.press("Escape")
    assert page.locator("svg.graph g.node.on").count() == 0
    page.locator("tr.selectable", has_text="XA303").first.click()
    lit = page.eval_on_selector_all(
        "svg.graph g.node.on", "nodes => nodes.map(n => n.getAttribute('data-id'))"
    )
    assert lit == ["arn:aws:iam::333333333333:role/CrossAccount-DevelopmentAccess-a1b2c3"]
    page.keyboard.press("Escape")
    assert recipe_page.errors == []


def test_markup_in_names_is_only_text(browser: BrowserContext, tmp_path: Path) -> None:
    target = tmp_path / "hostile.html"
    target.write_text(render_html(read_graph(hostile_graph())), encoding="utf-8")
    seen = visit(browser, target)
    try:
        page = seen.page
        assert page.evaluate("typeof window.__xacctPwned") == "undefined"
        assert seen.dialogs == [] and seen.errors == [] and seen.requests == [page.url]
        assert page.evaluate("document.scripts.length") == 1
        shown = page.evaluate(
            """(id) => Array.from(document.querySelectorAll('svg.graph g.node'))
                   .filter(n => n.getAttribute('data-id') === id)
                   .map(n => n.querySelector('text.node-name').textContent)""",
            HOSTILE_ROLE,
        )
        assert shown == [HOSTILE_ROLE_NAME[:43] + "…"]  # the name as text, shortened to fit its box
        assert HOSTILE_ROLE_NAME in page.locator("table").last.inner_text()
    finally:
        seen.page.close()
