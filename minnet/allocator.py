"""Keep freed memory for reuse: glibc's heap trimming costs a training loop page faults.

Every training step allocates the same arrays (activations, gradients) and frees them again.
glibc's malloc hands freed memory back to the operating system as soon as 128 KB lie free at
the top of its heap (or, for blocks over 128 KB, at once), so the next step takes the same
memory back one 4 KB page fault at a time, each page zeroed by the kernel. glibc raises both
limits on its own, but only after a block over 128 KB has been freed; a net whose arrays are
all smaller never gets there, and a deep net of small layers then spends a large part of
each step in the kernel (`python -m benchmarks.bench_allocator` measures it).

`keep_freed_memory()` sets the limits that glibc's own rule reaches after freeing a 32 MB
block: blocks up to 32 MB come from the heap, and up to 64 MB of free heap are kept. The
setting holds for the whole process and switches glibc's own adjustment off for every
library in it, so minnet never makes it on import: a program opts in with one call.

    >>> import minnet as mn
    >>> mn.allocator.keep_freed_memory()       # True on glibc (Linux); False elsewhere
    True

The chapter runner (`python -m chapters`) and the benchmarks call `configure_from_environment()`,
which does the same unless MINNET_KEEP_FREED_MEMORY=0 is set, so a run can be compared with
malloc left as it is. Off glibc (macOS, Windows, musl) both do nothing and return False.
"""
import os

_M_TRIM_THRESHOLD = -1        # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2 ** 20
TRIM_THRESHOLD = 64 * 2 ** 20
ENVIRONMENT_VARIABLE = "MINNET_KEEP_FREED_MEMORY"


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds for this process; True if it did.

    Blocks up to MMAP_THRESHOLD bytes come from the heap, and up to TRIM_THRESHOLD bytes of
    free heap are kept for the next allocation instead of going back to the kernel (see the
    module docstring for why a training loop gains). Process-wide and not undone.

        >>> keep_freed_memory()                 # on glibc
        True
    """
    import ctypes   # here, not at the top: only a caller who opts in pays for it

    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):    # None, ValueError or AttributeError off glibc
            return False
        libc = ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):
        return False
    # mallopt returns 1 on success. The mmap threshold first: setting either one switches
    # glibc's automatic adjustment off, so both must be set.
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def configure_from_environment() -> bool:
    """keep_freed_memory() unless the environment says MINNET_KEEP_FREED_MEMORY=0 (or false, no).

    What the chapter runner and the benchmarks call at start-up; `import minnet` never does.

        >>> configure_from_environment()        # on glibc, MINNET_KEEP_FREED_MEMORY unset
        True
    """
    if os.environ.get(ENVIRONMENT_VARIABLE, "1").strip().lower() in ("0", "false", "no"):
        return False
    return keep_freed_memory()
