"""python -m coursework release DIR | grade DIR [ASSIGNMENT ...]

release DIR   write the student version of every assignment to DIR (solutions replaced by
              NotImplementedError stubs with hints; statements and graders copied)
grade DIR     grade the starter files in DIR with the teacher's graders; prints a score
              table per assignment and task; exit status 0 only when every task passes
"""
import sys
from pathlib import Path

from coursework.grade import grade
from coursework.release import MarkerError, release

HERE = Path(__file__).resolve().parent


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("release", "grade"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, folder, rest = argv[0], argv[1], argv[2:]
    if command == "release":
        try:
            written = release(HERE, folder)
        except (FileExistsError, MarkerError) as error:
            print(f"release: {error}", file=sys.stderr)
            return 2
        print(f"released {len(written)} files to {folder}")
        return 0
    return grade(folder, rest or None)


if __name__ == "__main__":
    sys.exit(main())
