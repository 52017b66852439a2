"""python -m coursework COMMAND ...  (python -m coursework COMMAND --help for its options)

release DIR [--format ipynb]      the student version: statements, starters, public tests
grade DIR [ASSIGNMENT ...]        grade one student's folder with the teacher's bundle; a score
                                  table per assignment and task; exit 0 only when all pass
grade-class SUBMISSIONS --csv F   grade a class (one folder per student): a gradebook and
                                  a feedback file per student, in parallel, resumable
teacher-bundle DIR                copy the teacher's bundle (hidden graders, references) out of
                                  a checkout of minnet, to keep it where students cannot see it
build-starters                    regenerate coursework/assignments from the bundle (maintainers)
"""
import argparse
import shutil
import sys
from pathlib import Path

from coursework.grade import MEMORY_MB, TIMEOUT, BundleError, find_bundle, grade
from coursework.release import MarkerError, build_starters, release

HERE = Path(__file__).resolve().parent


def _grading_options(parser):
    parser.add_argument("--teacher", metavar="DIR", help="the teacher's bundle (default: "
                        "$COURSEWORK_TEACHER, else coursework/teacher in a checkout)")
    parser.add_argument("--seed", type=int, help="the grading seed (default: drawn now, printed)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds per task (default {TIMEOUT})")
    parser.add_argument("--memory", type=int, default=MEMORY_MB, help=f"MB per worker (default {MEMORY_MB})")


def _parser():
    parser = argparse.ArgumentParser(prog="python -m coursework", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("release", help="write the student version to DIR")
    command.add_argument("folder")
    command.add_argument("--format", choices=("py", "ipynb"), default="py",
                         help="ipynb: each starter also as a paired notebook (jupytext)")
    command = commands.add_parser("grade", help="grade one student's folder")
    command.add_argument("folder")
    command.add_argument("assignments", nargs="*", help="e.g. 01_autograd (default: all)")
    command.add_argument("--json", action="store_true", help="print the results as JSON")
    _grading_options(command)
    command = commands.add_parser("grade-class", help="grade a class into a gradebook")
    command.add_argument("submissions")
    command.add_argument("assignments", nargs="*", help="e.g. 01_autograd (default: all)")
    command.add_argument("--csv", required=True, help="the gradebook to write")
    command.add_argument("--feedback", default=None, help="feedback folder (default: next to the CSV)")
    command.add_argument("--jobs", type=int, default=1, help="students graded at once")
    command.add_argument("--scheduler", metavar="ADDRESS", help="a dask.distributed scheduler")
    _grading_options(command)
    command = commands.add_parser("teacher-bundle", help="copy the teacher's bundle to DIR")
    command.add_argument("folder")
    commands.add_parser("build-starters", help="regenerate coursework/assignments from the bundle")
    return parser


def main(argv=None):
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "release":
            written = release(HERE / "assignments", args.folder, notebooks=args.format == "ipynb")
            print(f"released {len(written)} files to {args.folder}")
            return 0
        if args.command == "grade":
            return grade(args.folder, args.assignments, args.teacher, args.seed, args.timeout,
                         args.memory, as_json=args.json)
        if args.command == "grade-class":
            from coursework.gradebook import grade_class
            feedback = args.feedback or Path(args.csv).resolve().parent / "feedback"
            graded = grade_class(args.submissions, args.csv, feedback, args.jobs, args.scheduler,
                                 args.teacher, args.seed, args.timeout, args.memory,
                                 args.assignments or None)
            failed = [s for s, r in graded.items() if isinstance(r, dict)]
            print(f"graded {len(graded) - len(failed)} students into {args.csv}; feedback in {feedback}"
                  + (f"; could not grade {', '.join(failed)}" if failed else ""))
            return 1 if failed else 0
        if args.command == "teacher-bundle":
            shutil.copytree(find_bundle(), args.folder, ignore=shutil.ignore_patterns("__pycache__"))
            print(f"copied the teacher's bundle to {args.folder}; keep it private, and grade with "
                  f"--teacher {args.folder}")
            return 0
        written = build_starters(find_bundle(), HERE / "assignments")
        print(f"wrote {len(written)} starters to {HERE / 'assignments'}")
        return 0
    except (FileExistsError, MarkerError, BundleError, ValueError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"{args.command}: {error.name or error} is needed: pip install 'minnet[grading]'",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
