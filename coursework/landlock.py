"""Confine a process's file system access with Linux Landlock (kernel 5.13 and later).

    restrict(read=[...], write=[...])

After the call this process (and every child it starts) may read only beneath the `read`
paths and create, change or delete files only beneath the `write` paths; files it has
already opened stay usable. Where the kernel allows (ABI 4 and 6) it may also neither open
TCP connections nor send signals to processes outside the sandbox (the grader). Landlock needs no privileges: the rules are applied with
the three landlock_* system calls, through ctypes. `available()` is the ABI version, or 0
where the kernel lacks Landlock; then restrict() raises OSError and the caller decides
(the grader says so in its output: see coursework/STUDENTS.md and the README).
"""
import ctypes
import os
import sys

# x86-64 and arm64 share these numbers (the generic syscall table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE = 1 << 13, 1 << 14            # ABI 2 and ABI 3
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1                 # ABI 4: no TCP at all
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1      # ABI 6: no signal out of the sandbox
READ = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE     # the rights a rule on a file may hold

_libc = ctypes.CDLL(None, use_errno=True)


class _Ruleset(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(*args):
    _libc.syscall.restype = ctypes.c_long
    result = _libc.syscall(*args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"landlock: {os.strerror(errno)}")
    return result


def available():
    """The kernel's Landlock ABI version; 0 where Landlock is missing or disabled."""
    if not sys.platform.startswith("linux"):       # the system call numbers are Linux's
        return 0
    try:
        return _syscall(ctypes.c_long(SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


def restrict(read, write):
    """Allow reading beneath `read` (and `write`) paths, writing beneath `write` paths only."""
    abi = available()
    if not abi:
        raise OSError("Landlock is not available in this kernel")
    writing = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK
               | MAKE_FIFO | MAKE_BLOCK | MAKE_SYM | (REFER if abi >= 2 else 0)
               | (TRUNCATE if abi >= 3 else 0))
    attributes = _Ruleset(READ | writing, (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
                          (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8      # older kernels know fewer fields
    ruleset = _syscall(ctypes.c_long(SYS_CREATE_RULESET), ctypes.byref(attributes),
                       ctypes.c_size_t(size), ctypes.c_uint32(0))
    handled = ctypes.c_uint64(attributes.handled_access_fs)
    try:
        for paths, rights in ((read, READ), (write, READ | writing)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue                      # a path that does not exist grants nothing
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_RIGHTS
                    rule = _PathBeneath(allowed & handled.value, fd)
                    _syscall(ctypes.c_long(SYS_ADD_RULE), ctypes.c_int(ruleset),
                             ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        _syscall(ctypes.c_long(157), ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1),
                 ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))      # prctl
        _syscall(ctypes.c_long(SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi
