"""NeuralNetClassifier / NeuralNetRegressor against scikit-learn's MLPClassifier / MLPRegressor,
both with their default settings, cross-validated on four datasets.

    iris         3-fold accuracy   (150 x 4, 3 classes)
    digits       5-fold accuracy   (1797 x 64, 10 classes)
    diabetes     5-fold R^2        (442 x 10, the raw target: disease progression 25-346)
    regression   5-fold R^2        (make_regression: 1000 x 20, 10 informative, noise 10;
                                    the raw target, standard deviation in the hundreds)

Each estimator sits in make_pipeline(StandardScaler(), estimator): X is scaled, the target is
not. Each row is the mean over SEEDS random_state values of the mean cross-validated score,
with the lowest and highest seed's score, the median seconds per fit, the mean number of
epochs (n_iter_) and how many fits ran out of max_iter (ConvergenceWarning).

    python -m benchmarks.bench_estimators
    MINNET_BENCH_SEEDS=10 python -m benchmarks.bench_estimators iris     # more seeds, one dataset
    MINNET_QUICK=1 python -m benchmarks.bench_estimators                 # one seed

Both libraries train with numpy's BLAS limited to MINNET_BENCH_THREADS threads (2 by default;
use 1 on a busy machine, where a 2-thread BLAS call waiting for a core takes many times longer).
"""
import os
import statistics
import sys
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks._timing import limit_blas_threads, print_header
from minnet.estimators import NeuralNetClassifier, NeuralNetRegressor

QUICK = os.environ.get("MINNET_QUICK") == "1"
SEEDS = 1 if QUICK else int(os.environ.get("MINNET_BENCH_SEEDS", "3"))


def datasets():
    """name -> (X, y, folds, kind) with kind "classification" or "regression"."""
    return {
        "iris": (*load_iris(return_X_y=True), 3, "classification"),
        "digits": (*load_digits(return_X_y=True), 5, "classification"),
        "diabetes": (*load_diabetes(return_X_y=True), 5, "regression"),
        "regression": (*make_regression(n_samples=1000, n_features=20, n_informative=10,
                                        noise=10.0, random_state=0), 5, "regression"),
    }


def estimators(kind):
    """label -> make(random_state): minnet's and scikit-learn's estimator with defaults."""
    if kind == "classification":
        return {"minnet": NeuralNetClassifier, "scikit-learn": MLPClassifier}
    return {"minnet": NeuralNetRegressor, "scikit-learn": MLPRegressor}


def cross_validate_seeds(make, X, y, folds):
    """Mean CV score per seed, seconds per fit, epochs per fit, fits that hit max_iter."""
    scores, fit_seconds, epochs, unconverged = [], [], [], 0
    for seed in range(SEEDS):
        model = make_pipeline(StandardScaler(), make(random_state=seed))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            result = cross_validate(model, X, y, cv=folds, return_estimator=True)
        unconverged += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        scores.append(result["test_score"].mean())
        fit_seconds.extend(result["fit_time"])
        epochs.extend(pipeline[-1].n_iter_ for pipeline in result["estimator"])
    return scores, fit_seconds, epochs, unconverged


def main(wanted):
    print_header(f"scikit-learn estimators with default settings, {SEEDS} seed(s) each: mean "
                 f"CV score (lowest, highest seed), median s/fit, mean epochs, fits out of budget")
    print(f"  {'dataset':<11} {'estimator':<13} {'score':>7} {'lowest':>7} {'highest':>7} "
          f"{'s/fit':>7} {'epochs':>7} {'no conv.':>9}")
    with limit_blas_threads():
        for name, (X, y, folds, kind) in datasets().items():
            if wanted and name not in wanted:
                continue
            for label, make in estimators(kind).items():
                scores, seconds, epochs, unconverged = cross_validate_seeds(make, X, y, folds)
                print(f"  {name:<11} {label:<13} {np.mean(scores):7.4f} {min(scores):7.4f} "
                      f"{max(scores):7.4f} {statistics.median(seconds):7.3f} "
                      f"{np.mean(epochs):7.1f} {unconverged:>4}/{len(seconds):<4}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
