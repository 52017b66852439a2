"""Coursework: graded assignments that build a neural network from the ground up with minnet.

    01_autograd      ops with forward and backward, broadcasting, a stable log-sum-exp
    02_activations   activations and their derivatives, stable forms, a learnable one
    03_dense         a Dense layer, initialisation, and gradient flow through depth
    04_convolution   a convolution via im2col, checked against minnet's Conv2D
    05_optimizers    an optimiser with the update hook, one written PyTorch's way, an LR schedule
    06_project       a mini-project: train, diagnose and report

Each folder holds a statement (statement.md, with learning goals), a starter file whose parts
for the student lie between nbgrader's `### BEGIN SOLUTION` / `### END SOLUTION` markers
(the reference solutions live there), and a pytest grader built on minnet.testing.

    python -m coursework release DIR     student version: solutions become NotImplementedError
    python -m coursework grade DIR       score table per assignment and task; exit 0 iff all pass
"""
