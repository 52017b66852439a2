"""Every chapter runs as a Jupyter notebook (quick mode) and shows its results where they are computed.

docs/build_notebooks.py converts each chapter with jupytext and executes it with nbclient in
an ipykernel; these tests build every notebook once and read the outputs.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

for module in ("jupytext", "nbclient", "ipykernel", "nbformat"):
    pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[docs]' to run the notebook tests")
import nbformat  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, str(ROOT / "docs" / "build_notebooks.py")]
CHAPTERS = sorted(path.stem for path in (ROOT / "chapters").glob("[0-9][0-9]_*.py"))


def _build(out, *arguments):
    """Run the documented command (in its own process: the kernel machinery's sockets and
    event loops stay out of this one, whose warnings are errors)."""
    env = dict(os.environ, MINNET_FIGURES=str(out / "figures"))
    return subprocess.run([*COMMAND, "--out", str(out), *arguments], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory):
    """{chapter: executed notebook}, every chapter run once in quick mode."""
    out = tmp_path_factory.mktemp("notebooks")
    _build(out, "--quick", "--jobs", "2")
    return {path.stem: nbformat.read(path, as_version=4) for path in out.glob("*.ipynb")}


def _errors(notebook):
    return [f"{output.ename}: {output.evalue}" for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


def _outputs_before_last_code_cell(notebook):
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return [output for cell in code_cells[:-1] for output in cell.outputs]


def test_every_chapter_becomes_a_notebook(notebooks):
    assert sorted(notebooks) == CHAPTERS and len(CHAPTERS) >= 10


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_runs_without_a_cell_error(notebooks, chapter):
    notebook = notebooks[chapter]
    assert not _errors(notebook), f"{chapter}: {_errors(notebook)}"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count for cell in code_cells if cell.source.strip())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_prints_results_before_its_last_cell(notebooks, chapter):
    outputs = _outputs_before_last_code_cell(notebooks[chapter])
    printed = [output for output in outputs if output.output_type == "stream" and output.text.strip()]
    assert len(printed) >= 2, f"{chapter}: only {len(printed)} printed outputs before its last code cell"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_shows_an_inline_figure_before_its_last_cell(notebooks, chapter):
    outputs = _outputs_before_last_code_cell(notebooks[chapter])
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert images, f"{chapter}: no inline figure (image/png output) before its last code cell"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_bears_out_every_claim_of_its_prose(notebooks, chapter):
    printed = "".join(output.text for cell in notebooks[chapter].cells if cell.cell_type == "code"
                      for output in cell.outputs if output.output_type == "stream")
    assert "claims in this page" in printed and "does NOT hold" not in printed, f"{chapter}: a claim fails"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_writes_nothing_to_stderr(notebooks, chapter):
    warnings = [output.text for cell in notebooks[chapter].cells if cell.cell_type == "code"
                for output in cell.outputs if output.output_type == "stream" and output.name == "stderr"]
    assert not warnings, f"{chapter}: stderr in the notebook: {warnings}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_opens_with_its_title_and_not_an_echoed_docstring(notebooks, chapter):
    first = notebooks[chapter].cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# Chapter {chapter[:2]}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_ends_with_exercises_their_folded_solutions_in_a_cell_of_their_own_and_references(chapter):
    """Read from the converted chapter (nothing to run): the solutions are one markdown cell
    after the exercises, folded in a <details> toggle in Jupyter as on the site."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from chapter_source import chapter_notebook
    finally:
        sys.path.remove(str(ROOT / "docs"))
    exercises, solutions, references = chapter_notebook(ROOT / "chapters" / f"{chapter}.py").cells[-3:]
    assert [cell.cell_type for cell in (exercises, solutions, references)] == ["markdown"] * 3, chapter
    assert exercises.source.startswith("## Exercises") and "<details" not in exercises.source, chapter
    assert solutions.source.startswith("<details><summary>Solutions</summary>"), f"{chapter}: {solutions.source[:60]!r}"
    assert solutions.source.rstrip().endswith("</details>") and solutions.source.count("<details") == 1, chapter
    assert references.source.startswith("## References"), chapter


def test_the_install_cell_installs_from_minnet_source_outside_the_repository(tmp_path):
    """Outside the repository the second cell asks for MINNET_SOURCE; inside it, it does nothing."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from chapter_source import INSTALL_CELL, chapter_notebook
    finally:
        sys.path.remove(str(ROOT / "docs"))
    assert chapter_notebook(ROOT / "chapters" / f"{CHAPTERS[0]}.py").cells[1].source == INSTALL_CELL
    # `python -c` puts the current folder on sys.path, as a Jupyter kernel does; -I -S hide
    # every installed copy of minnet (an editable install included) and the current folder
    outside = subprocess.run([sys.executable, "-I", "-S", "-c", INSTALL_CELL], cwd=tmp_path, capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MINNET_SOURCE")})
    assert outside.returncode != 0 and "MINNET_SOURCE" in outside.stderr
    inside = subprocess.run([sys.executable, "-c", INSTALL_CELL], cwd=ROOT, capture_output=True, text=True)
    assert inside.returncode == 0, inside.stderr


def test_a_failing_cell_fails_the_command_and_is_kept_in_the_notebook(tmp_path):
    broken = tmp_path / "99_broken.py"
    broken.write_text('"""Chapter 99: a cell that raises."""\n# %%\nprint("before")\n\n'
                      '# %%\nraise ValueError("this cell fails")\n', encoding="utf-8")
    result = _build(tmp_path / "out", str(broken))
    assert result.returncode == 1
    assert "99_broken: FAILED" in result.stdout and "this cell fails" in result.stderr
    notebook = nbformat.read(tmp_path / "out" / "99_broken.ipynb", as_version=4)
    assert notebook.cells[0].source == "# Chapter 99: a cell that raises."
    assert notebook.cells[2].outputs[0].text == "before\n"          # after the title and the install cell
    assert _errors(notebook) == ["ValueError: this cell fails"]
