"""Grade a whole class: one folder per student, a gradebook (CSV), a feedback file each.

    python -m coursework grade-class SUBMISSIONS/ --csv gradebook.csv --feedback FEEDBACK/ --jobs 4

Students are graded in parallel with joblib (processes on this machine, or a dask.distributed
cluster with --scheduler ADDRESS, through joblib's dask backend). Every student's results are
written to FEEDBACK/<student>.json and .txt as soon as they are known, so an interrupted run
picks up where it stopped; the class's grading seed is kept in FEEDBACK/seed.txt so that a
resumed run draws the same inputs. The gradebook has one row per student, one column per
task (assignment.task) and the total.
"""
import csv
import json
import os
import secrets
from pathlib import Path

from coursework.grade import MEMORY_MB, TIMEOUT, find_bundle, grade_folder, score_table


def _grade_one(student, folder, bundle, assignments, seed, timeout, memory_mb, hidden):
    try:
        return student, grade_folder(folder, bundle, assignments, seed, timeout, memory_mb, hidden)
    except Exception as error:          # one student's failure must not stop the class
        return student, {"error": f"{type(error).__name__}: {error}"}


def _write_atomically(path, text):
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(text)
    os.replace(temporary, path)


def _class_seed(feedback, seed):
    path = feedback / "seed.txt"
    if path.exists():
        kept = int(path.read_text())
        if seed is not None and seed != kept:
            raise ValueError(f"{feedback} holds results graded with seed {kept}; resume with "
                             f"--seed {kept} or use a new feedback folder")
        return kept
    seed = secrets.randbits(32) if seed is None else seed
    path.write_text(f"{seed}\n")
    return seed


def _backend(jobs, scheduler):
    import joblib
    if scheduler is None:
        return joblib.parallel_config(n_jobs=jobs), None
    try:
        from dask.distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs dask.distributed: pip install 'minnet[grading]'") from None
    client = Client(scheduler)
    return joblib.parallel_config(backend="dask", n_jobs=jobs), client


def grade_class(submissions, csv_path, feedback, jobs=1, scheduler=None, bundle=None, seed=None,
                timeout=TIMEOUT, memory_mb=MEMORY_MB, assignments=None, progress=True):
    """Grade every student folder under `submissions`; write the gradebook and the feedback.
    Returns {student: results} (a dict with "error" for a student who could not be graded)."""
    import joblib
    from tqdm.auto import tqdm

    submissions, feedback = Path(submissions).resolve(), Path(feedback).resolve()
    bundle = find_bundle(bundle)
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise ValueError(f"{submissions} holds no student folders")
    feedback.mkdir(parents=True, exist_ok=True)
    seed = _class_seed(feedback, seed)
    done = {s: json.loads((feedback / f"{s}.json").read_text()) for s in students
            if (feedback / f"{s}.json").exists()}
    todo = [s for s in students if s not in done]
    hidden = [str(submissions), str(feedback)]
    config, client = _backend(jobs, scheduler)
    try:
        with config, tqdm(total=len(students), initial=len(done), unit="student",
                          disable=not progress) as bar:
            run = joblib.Parallel(return_as="generator_unordered")(
                joblib.delayed(_grade_one)(s, str(submissions / s), str(bundle), assignments, seed, timeout,
                                           memory_mb, hidden) for s in todo)
            for student, results in run:
                _write_feedback(feedback, student, results)
                done[student] = results
                bar.update()
    finally:
        if client is not None:
            client.close()
    write_gradebook(csv_path, done)
    return done


def _write_feedback(feedback, student, results):
    if isinstance(results, dict):
        text = f"{student}: could not be graded: {results['error']}\n"
    else:
        text = f"{student}\n\n{score_table(results)[0]}\n"
    _write_atomically(feedback / f"{student}.txt", text)
    _write_atomically(feedback / f"{student}.json", json.dumps(results, indent=1))


def write_gradebook(path, graded):
    """One row per student: points per task (assignment.task), total, out of, and a note."""
    columns = []
    for results in graded.values():
        if isinstance(results, list):
            columns += [f"{r['assignment']}.{r['name']}" for r in results]
    columns = list(dict.fromkeys(columns))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", *columns, "total", "out_of", "note"])
        for student in sorted(graded):
            results = graded[student]
            if isinstance(results, dict):
                writer.writerow([student, *[""] * len(columns), "", "", results["error"]])
                continue
            by_column = {f"{r['assignment']}.{r['name']}": r for r in results}
            cells = [f"{by_column[c]['earned']:g}" if c in by_column else "" for c in columns]
            writer.writerow([student, *cells, f"{sum(r['earned'] for r in results):g}",
                             sum(r["points"] for r in results), ""])
