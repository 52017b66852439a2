"""The grader's side of a sandboxed worker (coursework/_worker.py): start it, ask, wait, kill.

    with Sandbox(student_folder / "01_autograd", memory_mb=2048) as box:
        box.load("ops.py")                                   # the student's file, in the worker
        value = box.run("function", dict(name="Mul", ...), deadline)

The worker gets a read-only copy of the student's assignment folder, a scratch folder of its
own (its working directory, its only writable place) and two pipes. Whatever happens to it,
the grader's process carries on: a request that takes past its deadline kills the worker
("timed out after N s"), a worker that dies says how ("exited with code K", "exceeded M MB",
"killed by signal S"); the next request starts a fresh worker.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coursework import protocol

WORKER = Path(__file__).resolve().parent / "_worker.py"
START_SECONDS = 60           # importing numpy and minnet in a fresh worker
MESSAGE_LIMIT = 4000         # characters of a student's error message kept
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".git"}


class WorkerStartError(RuntimeError):
    """The worker did not start (before any student code ran): the grader's problem."""


class TaskFailure(Exception):
    """The student's code failed a request: kind is error, unwritten, delegation, timeout,
    memory, exit, import or missing; the message is what the score table shows."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _read_only_copy(source, target):
    """Copy the regular files and folders under `source`; never follow a link (a student's
    ops.py -> the teacher's reference must not bring the reference in), skip caches."""
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED
                         and not os.path.islink(os.path.join(folder, d))]
        here = target / os.path.relpath(folder, source)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.path.isfile(path):
                shutil.copyfile(path, here / name)
    for path in sorted(target.rglob("*"), reverse=True) + [target]:
        path.chmod(0o555 if path.is_dir() else 0o444)


class Sandbox:
    """One student's assignment folder, graded in worker processes that the grader controls."""

    def __init__(self, folder, memory_mb=2048, hidden=(), prepare=None):
        self.folder, self.memory_mb, self.hidden = Path(folder), memory_mb, [str(h) for h in hidden]
        self.prepare = prepare          # called with the copy's path before it is made read-only
        self.process = self.file = None
        self.confinement = self.load_error = None

    def __enter__(self):
        self.home = Path(tempfile.mkdtemp(prefix="coursework-"))
        self.submission = self.home / "submission"
        if self.folder.is_dir():
            _read_only_copy(self.folder, self.submission)
        else:
            self.submission.mkdir()
        if self.prepare:
            self.prepare(self.submission)
        return self

    def __exit__(self, *exc):
        self.stop()
        for path in [self.home, *self.home.rglob("*")]:
            try:
                path.chmod(0o700)
            except OSError:
                pass
        shutil.rmtree(self.home, ignore_errors=True)

    def _start(self, cpu_seconds):
        scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.home))
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        settings = dict(submission=str(self.submission), scratch=str(scratch), hidden=self.hidden,
                        memory_mb=self.memory_mb, cpu_seconds=int(cpu_seconds),
                        requests=requests_read, replies=replies_write)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch),
               "TMPDIR": str(scratch), "MPLCONFIGDIR": str(scratch), "MPLBACKEND": "Agg",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "JOBLIB_MULTIPROCESSING": "0"}
        with open(scratch / "output.txt", "ab") as output:        # the worker's own errors too
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(WORKER), json.dumps(settings)], cwd=scratch, env=env,
                pass_fds=(requests_read, replies_write), stdin=subprocess.DEVNULL,
                stdout=output, stderr=output, start_new_session=True)
        os.close(requests_read)
        os.close(replies_write)
        self.scratch = scratch
        try:
            hello = self._reply(time.monotonic() + START_SECONDS, START_SECONDS)
        except TaskFailure as failure:        # before any student code: the grader's problem
            output = (scratch / "output.txt").read_text(errors="replace")[-2000:] \
                if (scratch / "output.txt").exists() else ""
            raise WorkerStartError(f"the sandboxed worker did not start ({failure}):\n{output}") from None
        self.confinement = hello["confinement"]

    def stop(self):
        """Kill the worker and everything it started (its process group)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for fd in (self.requests, self.replies):
            os.close(fd)
        self.process = None

    def _death(self):
        code = self.process.wait()
        self.stop()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if -code == signal.SIGXCPU:
                return TaskFailure("timeout", "used up its CPU time (killed by SIGXCPU)")
            return TaskFailure("exit", f"the worker was killed by {name}: did it run out of the "
                                       f"{self.memory_mb} MB memory limit or crash?")
        return TaskFailure("exit", f"exited with code {code} (os._exit or a crash) instead of returning")

    def _reply(self, deadline, seconds):
        try:
            reply = protocol.receive(self.replies, deadline)
        except TimeoutError:
            self.stop()
            raise TaskFailure("timeout", f"timed out after {seconds:g} s") from None
        except EOFError:
            raise self._death() from None
        except protocol.ProtocolError as error:
            self.stop()
            raise TaskFailure("error", f"the worker sent something unreadable ({error})") from None
        if not isinstance(reply, dict) or ("value" not in reply and "confinement" not in reply
                                           and reply.get("ok")):
            self.stop()                  # what came is not the worker's own: trust it no more
            raise TaskFailure("error", "the worker sent a reply that is not one")
        if not reply.get("ok"):
            kind = reply.get("kind", "error")
            message = str(reply.get("message", ""))[:MESSAGE_LIMIT]
            if kind == "memory":
                message = f"exceeded {self.memory_mb} MB of memory ({message})"
            raise TaskFailure(kind, message)
        return reply

    def _load(self, deadline, seconds):
        """Import the student's file in the fresh worker; a failure (which would recur in
        every worker) is kept and answers every later request."""
        try:
            protocol.send(self.requests, {"op": "load", "file": self.file})
            self._reply(deadline, seconds)
        except BrokenPipeError:
            self.load_error = self._death()
        except TaskFailure as failure:
            self.load_error = failure
        if self.load_error and not self.load_error.args[0].startswith("importing"):
            self.load_error = TaskFailure(self.load_error.kind,
                                          f"importing {self.file}: {self.load_error.args[0]}")

    def load(self, file):
        """Name the student's file (relative to the assignment folder); each worker imports it."""
        self.file = file

    def run(self, driver, args, deadline, seconds, forbidden=(), targets=()):
        """The value of drivers.<driver>(student module, **args); TaskFailure when it fails."""
        if self.load_error:
            raise self.load_error
        if self.process is None:
            self._start(cpu_seconds=max(seconds, 1) * 4 + START_SECONDS)
            self._load(deadline, seconds)
            if self.load_error:
                raise self.load_error
        try:
            protocol.send(self.requests, {"op": "run", "driver": driver, "args": args,
                                          "forbidden": list(forbidden), "targets": list(targets)})
        except BrokenPipeError:
            raise self._death() from None
        return self._reply(deadline, seconds)["value"]
