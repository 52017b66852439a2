"""What sphinx-gallery needs to render the chapters as they are written.

sphinx-gallery reads `# %%` scripts whose prose is reStructuredText; the chapters write
their prose in Markdown (`# %% [markdown]` cells, as Jupyter and jupytext expect). So:

- `stage_chapters` writes a copy of each chapter for sphinx-gallery to run, its docstring
  turned into a titled reST introduction and each Markdown cell converted to reST by pandoc,
  and the list of chapters that the landing page shows;
- `chapter_figures` is the image scraper: a chapter saves each figure with `ch.show`, which
  also closes it, so the scraper collects the PNG files that the code block just wrote into
  the chapter's figure folder instead of asking pyplot for open figures;
- `use_original_downloads` puts the chapter itself and its jupytext notebook (and a zip of
  both) behind the page's download links, instead of the converted copy;
- `stage_mathjax` copies MathJax 3 (its one-file TeX build and its fonts) from the
  django-static-mathjax package, so that the site typesets formulas without a CDN.
"""
import os
import re
import shutil
import zipfile
from pathlib import Path

from chapter_source import chapter_notebook, chapter_paths, split_docstring

FIGURES = Path(os.environ.setdefault("MINNET_FIGURES", str(Path(__file__).parent / "_build" / "figures")))


def markdown_to_rst(text):
    """Markdown as Jupyter reads it (GitHub's dialect with $math$) in reStructuredText."""
    import pypandoc

    return pypandoc.convert_text(text, "rst", format="gfm+tex_math_dollars", extra_args=["--wrap=none"]).strip()


def _comment(text):
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def gallery_script(path):
    """The chapter at `path` as a sphinx-gallery script: reST title and prose, the same code."""
    title, body, _ = split_docstring(Path(path).read_text(encoding="utf-8"))
    title = title.rstrip(".")                 # a title ends without a full stop (toctrees add ":")
    notebook = chapter_notebook(path)
    parts = [f'"""\n{title}\n{"=" * len(title)}\n\n{markdown_to_rst(body)}\n"""\n' if body
             else f'"""\n{title}\n{"=" * len(title)}\n"""\n']
    for cell in notebook.cells[2:]:           # the docstring (already above) and the install cell
        if cell.cell_type == "markdown":
            parts.append(f"# %%\n{_comment(markdown_to_rst(cell.source))}\n")
        elif cell.source.strip():
            # The blank line keeps a leading comment in the code: after `# %%`, sphinx-gallery
            # reads comment lines as prose.
            parts.append(f"# %%\n\n{cell.source}\n")
    return "\n".join(parts)


def _opening(path):
    """{"learn": ..., "need": ..., "time": ...} from the chapter's opening lines, as Markdown."""
    notebook = chapter_notebook(path)
    first = next((cell.source for cell in notebook.cells[1:] if cell.cell_type == "markdown"), "")
    text = " ".join(first.split("\n\n")[0].split())
    found = re.search(r"\*\*You will learn\*\* (.*?) \*\*You need\*\* (.*?) \*\*Runs in\*\* (.*)", text)
    return dict(zip(("learn", "need", "time"), found.groups())) if found else {}


def _card(path, folder):
    """The landing page's entry for one chapter: its figure, title link, aims, needs and time."""
    opening = _opening(path)
    image = Path(__file__).parent / "images" / f"{path.stem}.png"
    lines = [".. container:: chapter-card", ""]
    if image.is_file():
        lines += [f"   .. image:: /images/{image.name}", f"      :alt: a figure from chapter {path.stem[:2]}",
                  "      :class: chapter-thumb", f"      :target: chapters/{path.stem}.html", ""]
    lines += [f"   :doc:`chapters/{path.stem}`", ""]
    if opening:
        lines += [f"   {markdown_to_rst('**You will learn** ' + opening['learn'])}", "",
                  f"   {markdown_to_rst('**You need** ' + opening['need'] + ' **Runs in** ' + opening['time'])}", ""]
    else:
        _, body, _ = split_docstring(path.read_text(encoding="utf-8"))
        summary = " ".join(body.split("\n\n")[0].split())
        if summary:
            lines += [f"   {markdown_to_rst(summary)}", ""]
    return "\n".join(lines)


def stage_chapters(folder):
    """Write every chapter's gallery script, and the gallery's header, into `folder`."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "GALLERY_HEADER.rst").write_text(
        "Chapters\n========\n\nEach chapter answers one question with a real run. Every page shows "
        "the code, what it printed and the figures it drew; the links at the top and bottom of a "
        "page download the chapter as a Python script or as a Jupyter notebook.\n", encoding="utf-8")
    for path in chapter_paths():
        (folder / path.name).write_text(gallery_script(path), encoding="utf-8")
    # The landing page includes this list (a .inc file is no page of its own).
    (folder / "list.inc").write_text("\n".join(_card(path, folder) for path in chapter_paths()) + "\n",
                                     encoding="utf-8")


def stage_mathjax(folder):
    """Copy MathJax's tex-chtml.js and its web fonts into folder/mathjax/ (an html_static_path)."""
    import mathjax                      # the django-static-mathjax package: pip install -e ".[docs]"

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = Path(folder) / "mathjax"
    fonts = Path("output") / "chtml" / "fonts" / "woff-v2"
    if (target / "tex-chtml.js").is_file() and (target / fonts).is_dir():
        return
    (target / fonts).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "tex-chtml.js", target / "tex-chtml.js")
    for font in (source / fonts).glob("*.woff"):
        shutil.copyfile(font, target / fonts / font.name)


def _snapshot(folder):
    return {path: path.stat().st_mtime_ns for path in folder.glob("*.png")} if folder.is_dir() else {}


_seen = {}


def reset_figures(gallery_conf, fname, when=None):
    """Before a chapter runs: empty its figure folder, so only figures it draws are collected."""
    folder = FIGURES / Path(fname).stem
    shutil.rmtree(folder, ignore_errors=True)
    _seen[folder] = {}


def chapter_figures(block, block_vars, gallery_conf):
    """Image scraper: the PNGs the code block wrote into its chapter's figure folder, in order."""
    from sphinx_gallery.scrapers import figure_rst

    folder = FIGURES / Path(block_vars["src_file"]).stem
    now = _snapshot(folder)
    before = _seen.get(folder, {})
    new = sorted((path for path, stamp in now.items() if before.get(path) != stamp), key=now.get)
    _seen[folder] = now
    images = []
    for path, target in zip(new, block_vars["image_path_iterator"]):
        shutil.copyfile(path, target)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])


def use_original_downloads(app):
    """After sphinx-gallery wrote its copies: the real chapter and its notebook for download."""
    import nbformat

    gallery = Path(app.srcdir) / "chapters"
    for path in chapter_paths():
        shutil.copyfile(path, gallery / path.name)
        nbformat.write(chapter_notebook(path), gallery / f"{path.stem}.ipynb")
        with zipfile.ZipFile(gallery / f"{path.stem}.zip", "w", zipfile.ZIP_DEFLATED) as both:
            both.write(gallery / path.name, path.name)
            both.write(gallery / f"{path.stem}.ipynb", f"{path.stem}.ipynb")
