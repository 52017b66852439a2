"""Sphinx configuration: the chapters as a sphinx-gallery, the API from the docstrings.

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -n docs docs/_build/html                   # the published site
    MINNET_QUICK=1 python -m sphinx -W --keep-going -n docs docs/_build/html    # shrunk, as CI does

The published site is built from full runs (the first command; README.md says how long it
takes): its pages print the numbers their prose was checked against. Quick mode is for the
tests. Every chapter pins numpy's BLAS to one thread (chapters/_common.py), so the numbers do
not depend on the machine's thread count.

sphinx-gallery runs each chapter and puts its code, printed output and figures on one page;
gallery_hooks.py says what it needs to read Markdown cells and the figures `ch.show` saves.
Formulas are typeset by MathJax 3, served from the site itself (the django-static-mathjax
package ships it), so pages render their maths without reaching any other server.
"""
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import gallery_hooks  # noqa: E402  (after the path: it lives beside this file)

gallery_hooks.stage_chapters(DOCS / "_chapters")
gallery_hooks.stage_mathjax(DOCS / "_build" / "mathjax")

project = "minnet"
author = "the minnet authors"
copyright = "the minnet authors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
    "plain_docstrings",                          # beside this file: see its docstring
]

html_theme = "furo"
html_title = "minnet"
html_favicon = "_static/favicon.svg"     # else every browser asks for /favicon.ico and logs a 404
html_static_path = ["_static", str(DOCS / "_build" / "mathjax")]
html_css_files = ["minnet.css"]
mathjax_path = "mathjax/tex-chtml.js"    # under _static: see gallery_hooks.stage_mathjax
exclude_patterns = ["_build", "_chapters", "**.ipynb_checkpoints", "chapters/*.ipynb"]
nitpicky = True
# Keep ' and " as typed: smart quotes would turn the prime of f'(x) into a closing quote.
smartquotes = False

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS / "_chapters"),
    "gallery_dirs": "chapters",
    "filename_pattern": r"/\d\d_",               # run every chapter, not only plot_*.py
    "image_scrapers": ("gallery_hooks.chapter_figures",),
    "reset_modules": ("matplotlib", "gallery_hooks.reset_figures"),
    "reset_modules_order": "before",
    "capture_repr": (),                          # what a cell shows is what it prints
    # Run every chapter on every build: sphinx-gallery would otherwise reuse a chapter's output
    # while its file is unchanged, and a full build after a quick one (MINNET_QUICK=1, as the
    # tests build) would publish the quick run's numbers.
    "run_stale_examples": True,
    # Link names in the code by what they are, never by the type a variable happened to hold
    # when the chapter ended (`activation` would link to whichever class came last).
    "inspect_global_variables": False,
    "download_all_examples": False,
    "write_computation_times": False,
    "show_memory": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # Two chapters at a time (joblib processes): each runs in one process from its first
    # cell to its last, so the scraper's record of the figures already seen stays per chapter.
    "parallel": min(2, os.cpu_count() or 1),
}

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_preprocess_types = True            # "int, default 32": int is a type, the rest is text

# Nitpicky mode checks every cross-reference. These targets have no page to link to: numpy's,
# matplotlib's and scikit-learn's classes (the build reaches no other site's inventory) and
# minnet's private base classes, which appear in "Bases:" lines.
nitpick_ignore_regex = [
    ("py:(class|func|meth|obj|data)", r"(numpy|np|matplotlib|sklearn|scipy)\..*"),
    ("py:class", r"minnet(\.\w+)*\._\w+"),
    ("py:class", r"callable|array-like|array_like|optional|RandomState|Generator|\(.*"),
    ("py:obj", r"True|False|None"),
    # The names users write (mn.nn.Sequential) rather than where a class is defined.
    ("py:(class|obj)", r"mn\..*"),
]


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out what a class inherits or receives from scikit-learn (its metadata-routing
    request methods, for instance) or numpy (a method of an ndarray subclass that has no
    docstring of its own would show numpy's): their docstrings refer to those projects' pages."""
    import numpy

    module = getattr(obj, "__module__", None) or ""
    from_numpy = (what == "class" and getattr(obj, "__doc__", None) is None
                  and getattr(getattr(numpy.ndarray, name, None), "__doc__", None) is not None)
    return True if module.startswith("sklearn") or from_numpy else None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)
    # After sphinx-gallery (priority 500) has written its copies of the downloads.
    app.connect("builder-inited", gallery_hooks.use_original_downloads, priority=600)
