"""minnet.allocator: freed memory is kept for the next training step, when asked (glibc only)."""
import os
import subprocess
import sys
import textwrap

from minnet import allocator

# Allocates and frees 48 arrays of 64 KB (3 MB, as one small net's step does) ten times and
# prints how many page faults the repeats cost: the memory of the first round is reused or
# taken back from the operating system page by page. It first sets glibc's documented start
# values (128 KB), which imports may otherwise have raised, then opts in through
# configure_from_environment() as the chapter runner does.
REUSE_SCRIPT = textwrap.dedent("""
    import ctypes
    import resource
    import numpy as np
    import minnet

    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 128 * 1024)
    libc.mallopt(-1, 128 * 1024)
    minnet.allocator.configure_from_environment()

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    arrays = [np.ones(16384, np.float32) for _ in range(48)]
    del arrays
    before = faults()
    for _ in range(10):
        arrays = [np.ones(16384, np.float32) for _ in range(48)]
        del arrays
    print(faults() - before)
""")

# Records every lookup of mallopt through ctypes while CODE runs, and prints them. ctypes is
# the only way Python code reaches mallopt, so an empty list means malloc was left alone.
SPY_SCRIPT = textwrap.dedent("""
    import ctypes
    import numpy

    calls = []

    class SpyCDLL(ctypes.CDLL):
        def __getattr__(self, name):
            if name == "mallopt":
                calls.append(name)
            return super().__getattr__(name)

    ctypes.CDLL = SpyCDLL
    {code}
    print(calls)
""")


def _glibc():
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError):
        return False


def _run(script, **environment):
    env = {key: value for key, value in os.environ.items() if key != allocator.ENVIRONMENT_VARIABLE}
    result = subprocess.run([sys.executable, "-c", script], env={**env, **environment}, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def test_importing_minnet_leaves_malloc_alone():
    assert _run(SPY_SCRIPT.format(code="import minnet")) == "[]"


def test_the_spy_sees_the_explicit_call():
    # Guards the test above: on glibc the spy does see keep_freed_memory reach mallopt (once:
    # CDLL caches a function after its first lookup).
    calls = _run(SPY_SCRIPT.format(code="import minnet; minnet.allocator.keep_freed_memory()"))
    assert calls == ("['mallopt']" if _glibc() else "[]")


def test_keep_freed_memory_applies_exactly_on_glibc():
    assert allocator.keep_freed_memory() is _glibc()


def test_the_environment_switch_turns_the_start_up_call_off(monkeypatch):
    for off in ("0", "false", "No "):
        monkeypatch.setenv(allocator.ENVIRONMENT_VARIABLE, off)
        assert allocator.configure_from_environment() is False
    monkeypatch.setenv(allocator.ENVIRONMENT_VARIABLE, "1")
    assert allocator.configure_from_environment() is _glibc()
    monkeypatch.delenv(allocator.ENVIRONMENT_VARIABLE)
    assert allocator.configure_from_environment() is _glibc()


def test_switched_off_it_makes_no_mallopt_call():
    code = "import minnet; minnet.allocator.configure_from_environment()"
    assert _run(SPY_SCRIPT.format(code=code), MINNET_KEEP_FREED_MEMORY="0") == "[]"


def test_repeated_steps_reuse_memory_instead_of_faulting_it_back():
    if not _glibc():
        assert allocator.keep_freed_memory() is False
        return
    # 10 rounds of 3 MB are 7,680 pages; glibc's default returns most of them every round.
    assert int(_run(REUSE_SCRIPT, MINNET_KEEP_FREED_MEMORY="0")) > 2000
    assert int(_run(REUSE_SCRIPT, MINNET_KEEP_FREED_MEMORY="1")) < 200
