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
