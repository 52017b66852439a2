"""The sandboxed worker: runs a student's file for the grader, which never imports it itself.

    python -I coursework/_worker.py SETTINGS_JSON

The grader (coursework/sandbox.py) starts one worker per assignment with the submission's
read-only copy, a scratch folder as its current directory and two pipes. Before it reads a
line of student code the worker limits its own memory (RLIMIT_AS), CPU time and file sizes,
and confines itself with Landlock: read beneath Python, minnet and the submission only, write
beneath the scratch folder only. Then it answers requests: "load" imports the student's file;
"run" calls one of coursework.drivers on it and sends back what came out, as JSON and .npy
arrays (coursework/protocol.py). Whether that is right is decided by the grader.
"""
import importlib.util
import json
import os
import resource
import sys
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From /etc only what loading libraries, time zones, user names and fonts need (not all of
# it: a grader run as root would otherwise let a submission read /etc/shadow).
ETC = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
       "/etc/group", "/etc/nsswitch.conf", "/etc/fonts", "/etc/os-release", "/etc/mime.types"]
# Likewise the harmless devices, not the disks, and the CPU counts joblib and BLAS read.
DEVICES = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/sys/devices/system/cpu",
           "/sys/fs/cgroup"]


def _limit(memory_mb, cpu_seconds):
    """Memory (address space), CPU seconds, file sizes, no core dumps; the hard limits too, so
    that student code cannot raise them again (unless the grader runs as root)."""
    memory = memory_mb * 1024 * 1024
    for limit, soft, hard in ((resource.RLIMIT_AS, memory, memory),
                              (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5),  # SIGXCPU first
                              (resource.RLIMIT_FSIZE, 256 << 20, 256 << 20),
                              (resource.RLIMIT_CORE, 0, 0)):
        try:
            resource.setrlimit(limit, (soft, hard))
        except (ValueError, OSError):        # macOS does not enforce every limit
            pass


def _readable(hidden):
    """What student code may read: Python, its packages, minnet, the system's libraries; never
    a folder that holds one of the `hidden` paths (the teacher's bundle, other submissions)."""
    import minnet
    # /proc: this process's own entries only (the grader's environment and command line are
    # in /proc/<its pid>, readable by any process of the same user without Landlock).
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(minnet.__file__).parent),
              "/usr", "/lib", "/lib64", f"/proc/{os.getpid()}", "/proc/cpuinfo", "/proc/meminfo",
              "/proc/stat", *ETC, *DEVICES, *sys.path}
    hidden = [Path(h).resolve() for h in hidden]
    return sorted(p for p in places if p and Path(p).exists()
                  and not any(h == Path(p).resolve() or Path(p).resolve() in h.parents for h in hidden))


def _confine(settings):
    from coursework import landlock
    try:
        landlock.restrict(read=_readable(settings["hidden"]) + [settings["submission"]],
                          write=[settings["scratch"], os.devnull])
        return "landlock"
    except OSError as error:
        return f"no file system confinement ({error})"


def _where(error, submission):
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith(submission)]
    if not frames:
        return ""
    last = frames[-1]
    return f" (in {Path(last.filename).name}, line {last.lineno}: {last.line})"


def _failure(error, submission):
    """A student's exception as the grader reports it: its kind, its message and its line."""
    if isinstance(error, SystemExit):
        return {"ok": False, "kind": "exit", "message": f"called sys.exit({error.code!r})"}
    if isinstance(error, MemoryError):
        return {"ok": False, "kind": "memory", "message": "ran out of memory (MemoryError)"}
    if isinstance(error, NotImplementedError):
        return {"ok": False, "kind": "unwritten", "message": f"not written yet: {error}"}
    try:
        text = str(error).strip()
    except Exception:                        # an exception whose message itself fails
        text = "(its message could not be printed)"
    return {"ok": False, "kind": "error",
            "message": f"{type(error).__name__}: {text}{_where(error, submission)}" if text
            else f"{type(error).__name__}{_where(error, submission)}"}


def _load(path, submission):
    if not path.is_file():
        return None, {"ok": False, "kind": "missing",
                      "message": f"{path.name} not found: keep the starter's file name and folder"}
    spec = importlib.util.spec_from_file_location(f"submission_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look a module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        return None, {"ok": False, "kind": "import",
                      "message": f"{path.name} line {error.lineno}: SyntaxError: {error.msg}"}
    except BaseException as error:           # sys.exit() at import must not end the worker
        failure = _failure(error, submission)
        failure["message"] = f"importing {path.name}: {failure['message']}"
        return None, failure
    return module, {"ok": True, "value": None}


def serve(settings, requests, replies):
    from coursework import drivers, protocol
    submission = settings["submission"]
    module = None
    while True:
        try:
            request = protocol.receive(requests)
        except EOFError:
            return
        if request["op"] == "load":
            module, reply = _load(Path(submission) / request["file"], submission)
        else:
            watch = None
            try:
                watch = drivers.Watch(module, request.get("forbidden", ()), request.get("targets", ()))
                with warnings.catch_warnings():
                    warnings.simplefilter("error")            # a student's overflow fails the task
                    with watch:
                        value = drivers.DRIVERS[request["driver"]](module, **request["args"])
                reply = watch.verdict() or {"ok": True, "value": value}
            except BaseException as error:
                reply = (watch and watch.verdict()) or _failure(error, submission)
        try:
            protocol.send(replies, reply)
        except (TypeError, ValueError) as error:        # e.g. an array of Python objects
            protocol.send(replies, {"ok": False, "kind": "error",
                                    "message": f"returned something the grader cannot read: {error}"})


def main():
    settings = json.loads(sys.argv[1])
    sys.path.insert(0, str(ROOT))
    sys.dont_write_bytecode = True
    requests, replies = settings["requests"], settings["replies"]
    # Student output goes to a file: the pipes carry messages only.
    output = os.open(os.path.join(settings["scratch"], "output.txt"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    import numpy  # noqa: F401  (imported before the limits: its thread pools reserve memory)
    import minnet  # noqa: F401
    from coursework import drivers, protocol  # noqa: F401
    confinement = _confine(settings)
    _limit(settings["memory_mb"], settings["cpu_seconds"])
    protocol.send(replies, {"ok": True, "confinement": confinement})
    serve(settings, requests, replies)


if __name__ == "__main__":
    main()
