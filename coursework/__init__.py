"""Coursework: graded assignments that build a neural network from the ground up with minnet.

    01_autograd      ops with forward and backward, broadcasting, a stable log-sum-exp
    02_activations   activations and their derivatives, stable forms, a learnable one
    03_dense         a Dense layer, initialisation, and gradient flow through depth
    04_convolution   a convolution via im2col, checked against minnet's Conv2D
    05_optimizers    an optimiser with the update hook, one written PyTorch's way, an LR schedule
    06_project       a mini-project: train, diagnose and report
    07_sequences     an LSTM cell over time and causal attention, held to minnet's own

assignments/NN_topic/ is what students get (statement, starter, public tests; installed with
minnet); teacher/NN_topic/ is the teacher's bundle (the reference solution between nbgrader's
`### BEGIN SOLUTION` / `### END SOLUTION` markers, and the hidden grader; not installed).

    release.py    the student version; starters rebuilt from the references
    grade.py      one student's folder: every task judged here, the score table
    grader.py     what a hidden grader is written with: @task, Check, compare
    sandbox.py    the grader's side of a sandboxed worker; _worker.py the worker itself,
                  landlock.py its file system confinement, protocol.py their messages,
                  drivers.py the calls the worker makes on a student's code
    gradebook.py  a whole class: gradebook, feedback, parallel and resumable

    python -m coursework release DIR       the student version
    python -m coursework grade DIR         score table per assignment and task; exit 0 iff all pass
    python -m coursework grade-class DIR --csv gradebook.csv
"""
