"""import minnet: fast and side-effect free; the heavy submodules load on first use."""
import subprocess
import sys
import textwrap

import pytest

import minnet as mn


def _python(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def _importer(module, importtime_log):
    """The minnet module whose import pulled `module` in, read from `python -X importtime`.

    The log lists each import after the imports it triggered, indented one level deeper
    than its importer, so the importer is the next line with less indentation.
    """
    lines = [line.split("|")[-1] for line in importtime_log.splitlines()
             if line.startswith("import time:")]
    names = [(len(line) - len(line.lstrip()), line.strip()) for line in lines]
    for index, (depth, name) in enumerate(names):
        if name == module or name.startswith(module + "."):
            for outer_depth, outer in names[index + 1:]:
                if outer_depth < depth and outer.startswith("minnet"):
                    return outer
                depth = min(depth, outer_depth)
    return None


@pytest.mark.parametrize("heavy", ["sklearn", "scipy", "matplotlib", "tqdm"])
def test_import_minnet_does_not_import_heavy_dependencies(heavy):
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import minnet"],
                            check=True, capture_output=True, text=True)
    importer = _importer(heavy, result.stderr)
    assert importer is None, (f"import minnet imports {heavy} (through {importer}); import it "
                              f"where it is used")


def test_import_minnet_changes_no_process_state():
    # Warning filters, numpy's and Python's global random state, numpy's error handling and
    # print options, and the environment: a library import must leave all of them as found.
    # (Malloc settings: tests/test_allocator.py.)
    changed = _python("""
        import os
        import random
        import warnings
        import numpy as np

        def state():
            return {"warning filters": list(warnings.filters),
                    "numpy random": repr(np.random.get_state()),
                    "python random": random.getstate(), "numpy errors": np.geterr(),
                    "numpy print options": np.get_printoptions(), "environment": dict(os.environ)}

        before = state()
        import minnet
        after = state()
        print(sorted(name for name in before if before[name] != after[name]))
    """)
    assert changed == "[]"


@pytest.mark.parametrize("name", ["datasets", "plot", "estimators"])
def test_lazy_submodules_load_on_first_use(name):
    loaded = _python(f"""
        import sys
        import minnet
        before = "minnet.{name}" in sys.modules
        module = minnet.{name}
        print(before, module is sys.modules["minnet.{name}"], {name!r} in dir(minnet))
    """)
    assert loaded == "False True True"


def test_lazy_submodules_are_the_real_modules():
    import minnet.estimators
    assert mn.estimators is minnet.estimators
    assert mn.estimators.NeuralNetClassifier.__module__ == "minnet.estimators"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="minnet.*no_such_thing"):
        mn.no_such_thing


def test_everything_in_all_is_reachable():
    for name in mn.__all__:
        assert getattr(mn, name) is not None, name
