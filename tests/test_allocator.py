"""minnet.allocator: freed memory is kept for the next training step (glibc only)."""
import os
import subprocess
import sys
import textwrap

from minnet import allocator

# Allocates and frees 48 arrays of 64 KB (3 MB, as one small net's step does) ten times and
# prints how many page faults the repeats cost: the memory of the first round is reused or
# taken back from the operating system page by page. With MINNET_KEEP_FREED_MEMORY=0 it first
# sets glibc's documented start values (128 KB), which imports may otherwise have raised.
REUSE_SCRIPT = textwrap.dedent("""
    import ctypes
    import os
    import resource
    import numpy as np
    import minnet

    if os.environ["MINNET_KEEP_FREED_MEMORY"] == "0":
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)
        libc.mallopt(-1, 128 * 1024)

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


def _glibc():
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError):
        return False


def _page_faults(setting):
    env = dict(os.environ, MINNET_KEEP_FREED_MEMORY=setting)
    result = subprocess.run([sys.executable, "-c", REUSE_SCRIPT], env=env, check=True,
                            capture_output=True, text=True)
    return int(result.stdout)


def test_keep_freed_memory_applies_exactly_on_glibc():
    assert allocator.keep_freed_memory() is _glibc()


def test_the_environment_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv("MINNET_KEEP_FREED_MEMORY", "0")
    assert allocator.configure_from_environment() is False
    monkeypatch.setenv("MINNET_KEEP_FREED_MEMORY", "1")
    assert allocator.configure_from_environment() is _glibc()


def test_repeated_steps_reuse_memory_instead_of_faulting_it_back():
    if not _glibc():
        assert allocator.keep_freed_memory() is False
        return
    # 10 rounds of 3 MB are 7,680 pages; glibc's default returns most of them every round.
    assert _page_faults("0") > 2000
    assert _page_faults("1") < 200
