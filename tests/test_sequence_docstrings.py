"""The docstring examples of the sequence and attention modules print what they show."""
import doctest

import numpy as np

import minnet as mn
from minnet import sequence_datasets, text
from minnet.nn import attention, embedding, functional, recurrent


def test_docstring_examples_print_what_they_show():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for module in (embedding, recurrent, attention, functional, text, sequence_datasets):
        globs = {"mn": mn, "np": np, **{name: getattr(module, name) for name in dir(module)}}
        for test in finder.find(module, globs=globs):
            runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted >= 20 and results.failed == 0


def test_the_readme_example_of_sequences_and_attention_runs(capsys):
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Sequences and attention", 1)[1].split("\n## ", 1)[0]
    source = section.split("```python\n", 1)[1].split("```", 1)[0]
    mn.manual_seed(0)
    exec(compile(source, "README.md, Sequences and attention", "exec"), {"mn": mn, "np": np})
    assert capsys.readouterr().out.startswith("def ")
