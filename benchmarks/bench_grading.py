"""Seconds per graded submission: every assignment, each in its sandboxed workers.

A class of MINNET_BENCH_STUDENTS submissions (4 by default; half the reference solutions,
half the unwritten starters) is graded with `grade_class`, once with one job and once with
--jobs 2; each row is the wall time divided by the number of students. Per assignment, the
seconds for one reference submission show where the time goes (worker start-up, the
checks, assignment 6's training).

    python -m benchmarks.bench_grading
    MINNET_BENCH_STUDENTS=10 python -m benchmarks.bench_grading
"""
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.grade import grade_assignment  # noqa: E402
from coursework.gradebook import grade_class  # noqa: E402
from coursework.release import assignment_folders, release  # noqa: E402

TEACHER = ROOT / "coursework" / "teacher"
STUDENTS = int(os.environ.get("MINNET_BENCH_STUDENTS", "4"))
SEED = 2024


def make_class(root):
    """STUDENTS folders: even ones the references, odd ones the released starters."""
    for number in range(STUDENTS):
        student = root / f"student{number:02d}"
        if number % 2 == 0:
            shutil.copytree(TEACHER, student, ignore=shutil.ignore_patterns("grade_*", "__pycache__"))
        else:
            release(ROOT / "coursework" / "assignments", student)


def main():
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        make_class(scratch / "class")
        print(f"{'assignment':<18} {'seconds (reference)':>20}")
        for assignment in assignment_folders(TEACHER):
            start = time.perf_counter()
            grade_assignment(TEACHER, assignment, scratch / "class" / "student00" / assignment.name, SEED)
            print(f"{assignment.name:<18} {time.perf_counter() - start:>20.2f}")
        print(f"\n{STUDENTS} submissions, all {len(assignment_folders(TEACHER))} assignments ({os.cpu_count()} CPUs)")
        print(f"{'jobs':<6} {'seconds per submission':>24} {'total seconds':>14}")
        for jobs in (1, 2):
            start = time.perf_counter()
            grade_class(scratch / "class", scratch / f"book{jobs}.csv", scratch / f"feedback{jobs}",
                        jobs=jobs, seed=SEED, progress=False)
            seconds = time.perf_counter() - start
            print(f"{jobs:<6} {seconds / STUDENTS:>24.2f} {seconds:>14.1f}")


if __name__ == "__main__":
    main()
