"""The tutorial site builds in strict mode, and every chapter page works in a real browser.

One quick-mode build per session (the documented command, MINNET_QUICK=1), served on
127.0.0.1 and opened in headless Chromium from the OS packages, driven by playwright: each
chapter page loads without console errors, its figures render at a readable size, its
formulas are typeset by MathJax (served by the site itself), it shows no build path, it
never scrolls sideways in a 400-pixel-wide window, and its downloads resolve.
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

for module in ("sphinx", "sphinx_gallery", "pypandoc", "jupytext"):
    pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[docs]' to build the site")

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.stem for path in (ROOT / "chapters").glob("[0-9][0-9]_*.py"))
API_PAGES = sorted(path.stem for path in (ROOT / "docs" / "api").glob("*.rst"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandboxed, offline machine: no GPU, no sandbox (root in a container), and
# nothing that reaches out to the network by itself.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The built site's folder (a quick-mode build of docs/ with warnings as errors)."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, MINNET_QUICK="1", MINNET_FIGURES=str(out / "figures"), MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         "-d", str(out / "doctrees"), "docs", str(out / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"strict Sphinx build failed:\n{result.stdout}\n{result.stderr}"
    return out / "html"


@pytest.fixture(scope="session")
def server(site):
    """Base URL of the site served by a local HTTP server on 127.0.0.1."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium to run the browser checks")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[docs]'")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield context
        context.close()


def _open(browser, url):
    """Load url; returns (page, console errors, uncaught page errors, failed requests).

    A failed request is one that got no answer or an HTTP error (the console only says
    "Failed to load resource", so the URL is recorded here).
    """
    page = browser.new_page()
    console, crashes, failed = [], [], []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(f"{response.url} ({response.status})")
            if response.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response.status == 200, f"{url}: HTTP {response.status}"
    page.wait_for_load_state("networkidle")
    return page, console, crashes, failed


def test_site_builds_every_chapter_page_and_the_api_reference(site):
    for chapter in CHAPTERS:
        assert (site / "chapters" / f"{chapter}.html").is_file()
    assert (site / "api.html").is_file()
    for page in API_PAGES:
        assert (site / "api" / f"{page}.html").is_file()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_loads_without_errors_and_its_figures_render(browser, server, chapter):
    page, console, crashes, failed = _open(browser, f"{server}/chapters/{chapter}.html")
    try:
        assert not console, f"{chapter}: console errors {console}; failed requests {failed}"
        assert not crashes and not failed, f"{chapter}: page errors {crashes}, failed requests {failed}"
        assert page.locator("div.highlight-Python").count() >= 2, f"{chapter}: no code on the page"
        assert page.locator("div.sphx-glr-script-out").count() >= 1, f"{chapter}: no printed output"
        figures = page.eval_on_selector_all(
            "img.sphx-glr-single-img, img.sphx-glr-multi-img",
            "images => images.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
        assert figures, f"{chapter}: no figure on the page"
        broken = [src for src, complete, width in figures if not (complete and width > 0)]
        assert not broken, f"{chapter}: figures that did not render: {broken}"
    finally:
        page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_ends_with_exercises_and_folded_solutions(browser, server, chapter):
    page, *_ = _open(browser, f"{server}/chapters/{chapter}.html")
    try:
        headings = page.eval_on_selector_all("article h2", "hs => hs.map(h => h.textContent.replace(/[#¶]/g, '').trim())")
        assert headings[-2:] == ["Exercises", "References"], f"{chapter}: last sections {headings[-2:]}"
        toggles = page.eval_on_selector_all("details", "ds => ds.map(d => [d.open, d.querySelector('summary').textContent])")
        assert toggles == [[False, "Solutions"]], f"{chapter}: solution toggles {toggles}"
        # the toggle (the notebook's solutions cell) lies between the exercises and the references
        between = page.evaluate("""() => {
            const [exercises, references] = [...document.querySelectorAll('article h2')].slice(-2);
            const toggle = document.querySelector('article details');
            const after = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
            return toggle !== null && after(exercises, toggle) && after(toggle, references);
        }""")
        assert between, f"{chapter}: the solutions toggle is not between Exercises and References"
    finally:
        page.close()


# A build path is a folder of the machine that built the site: the tests' temporary folders,
# the repository's own folder, or anyone's home folder.
BUILD_PATHS = [str(ROOT), "/tmp/", "/home/", "/root/", "/private/var/", "\\Users\\"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_bears_out_every_claim_of_its_prose(site, chapter):
    """The page's own run (in the site build's processes, not the tests') checks its claims."""
    text = (site / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "claims in this page" in text and "does NOT hold" not in text, f"{chapter}: a claim fails on its page"


def test_no_page_shows_a_build_path(site):
    for page in sorted(site.glob("**/*.html")):
        text = page.read_text(encoding="utf-8")
        found = [path for path in BUILD_PATHS if path in text]
        assert not found, f"{page.relative_to(site)} shows build paths {found}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_typesets_its_formulas_with_mathjax(browser, server, chapter):
    page, console, crashes, failed = _open(browser, f"{server}/chapters/{chapter}.html")
    try:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        counts = page.evaluate("""() => ({
            formulas: document.querySelectorAll('span.math, div.math').length,
            typeset: document.querySelectorAll('span.math mjx-container, div.math mjx-container').length,
            errors: document.querySelectorAll('mjx-merror').length})""")
        assert counts["formulas"] >= 3, f"{chapter}: only {counts['formulas']} formulas on the page"
        assert counts["typeset"] == counts["formulas"], f"{chapter}: {counts} (MathJax left some untypeset)"
        assert counts["errors"] == 0, f"{chapter}: MathJax could not parse {counts['errors']} formulas"
        assert not failed, f"{chapter}: failed requests {failed}"
    finally:
        page.close()


# Figures are saved at 100 dpi with 8- to 12-point text: shown at 60% or more of their own
# width, that text stays at least about 7 pixels tall on a desktop screen.
READABLE_SCALE = 0.6


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_figures_are_shown_at_a_readable_size(browser, server, chapter):
    page, *_ = _open(browser, f"{server}/chapters/{chapter}.html")
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        sizes = page.eval_on_selector_all(
            "img.sphx-glr-single-img, img.sphx-glr-multi-img",
            "images => images.map(i => [i.getAttribute('src'), i.naturalWidth, i.getBoundingClientRect().width])")
        assert sizes, f"{chapter}: no figure"
        small = [(src, natural, round(shown)) for src, natural, shown in sizes
                 if shown < min(natural, 300) or shown < READABLE_SCALE * natural]
        assert not small, f"{chapter}: figures shrunk below a readable size (src, own width, shown width): {small}"
    finally:
        page.close()


@pytest.mark.parametrize("page_name", ["index", "api"] + [f"api/{page}" for page in API_PAGES]
                         + [f"chapters/{chapter}" for chapter in CHAPTERS])
def test_page_never_scrolls_sideways_in_a_400_pixel_window(browser, server, page_name):
    page, *_ = _open(browser, f"{server}/{page_name}.html")
    try:
        page.set_viewport_size({"width": 400, "height": 800})
        page.wait_for_timeout(100)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{page_name}: the page is {widths[0]} px wide in a {widths[1]} px window"
    finally:
        page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_downloads_the_chapter_and_its_notebook(browser, server, chapter):
    page, *_ = _open(browser, f"{server}/chapters/{chapter}.html")
    try:
        links = page.eval_on_selector_all("a.reference.download", "links => links.map(a => a.href)")
        by_suffix = {Path(link).suffix: link for link in links}
        assert set(by_suffix) >= {".py", ".ipynb"}, f"{chapter}: download links {links}"
        for link in links:
            assert page.request.get(link).status == 200, f"{chapter}: {link} does not resolve"
        script = page.request.get(by_suffix[".py"])
        assert script.status == 200
        assert script.text() == (ROOT / "chapters" / f"{chapter}.py").read_text(encoding="utf-8"), \
            f"{chapter}: the downloaded script is not the chapter"
        notebook = page.request.get(by_suffix[".ipynb"])
        assert notebook.status == 200
        cells = json.loads(notebook.text())["cells"]
        assert cells[0]["cell_type"] == "markdown" and any(c["cell_type"] == "code" for c in cells)
    finally:
        page.close()


def test_landing_page_lists_every_chapter(browser, server):
    page, console, crashes, _ = _open(browser, f"{server}/index.html")
    try:
        assert not console and not crashes, f"index: {console} {crashes}"
        # Links in the page's own text, not in the sidebar's navigation.
        hrefs = page.eval_on_selector_all("article a", "links => links.map(a => a.getAttribute('href'))")
        for chapter in CHAPTERS:
            assert f"chapters/{chapter}.html" in hrefs, f"landing page does not list {chapter}"
    finally:
        page.close()


def test_api_reference_links_a_page_per_module_group(browser, server):
    page, console, crashes, _ = _open(browser, f"{server}/api.html")
    try:
        assert not console and not crashes, f"api: {console} {crashes}"
        hrefs = page.eval_on_selector_all("article a", "links => links.map(a => a.getAttribute('href'))")
        missing = [name for name in API_PAGES if f"api/{name}.html" not in hrefs]
        assert len(API_PAGES) >= 10 and not missing, f"api.html does not link {missing}"
    finally:
        page.close()


# Where the public API is documented: page -> entries it must have.
API_ENTRIES = {"core": ("minnet.tensor.Tensor", "minnet.graph.draw_graph", "minnet.gradcheck.gradcheck",
                        "minnet.function.Function"),
               "nn": ("minnet.nn.dense.Dense", "minnet.nn.conv.Conv2D", "minnet.nn.module.Module"),
               "activations": ("minnet.nn.activations.classic.Sigmoid", "minnet.nn.activations.relu.ReLU"),
               "losses": ("minnet.nn.losses.CrossEntropyLoss",),
               "optim": ("minnet.optim.Adam",),
               "training": ("minnet.training.fit", "minnet.callbacks.EarlyStopping"),
               "data": ("minnet.datasets.load_digits",),
               "sequences": ("minnet.nn.recurrent.LSTM", "minnet.nn.attention.MultiheadAttention"),
               "testing": ("minnet.testing.functions.check_function",)}


@pytest.mark.parametrize("name", sorted(API_ENTRIES))
def test_api_page_documents_its_part_of_the_public_api(browser, server, name):
    page, console, crashes, _ = _open(browser, f"{server}/api/{name}.html")
    try:
        assert not console and not crashes, f"api/{name}: {console} {crashes}"
        for target in API_ENTRIES[name]:
            assert page.locator(f"[id='{target}']").count() == 1, f"api/{name}: no entry for {target}"
    finally:
        page.close()


def test_api_formulas_show_in_a_monospace_font(browser, server):
    """The plain-text formulas of a summary line and of an indented block are code, not prose."""
    page, *_ = _open(browser, f"{server}/api/activations.html")
    try:
        summary = page.locator("[id='minnet.nn.activations.classic.Sigmoid'] + dd > p code").all_text_contents()
        assert "f(x) = 1 / (1 + e^-x)" in summary, summary
    finally:
        page.close()
    page, *_ = _open(browser, f"{server}/api/nn.html")
    try:
        blocks = page.locator("[id='minnet.nn.functional.ScaledDotProductAttention'] + dd pre").all_text_contents()
        assert any("dV = P^T g" in block for block in blocks), blocks
    finally:
        page.close()
