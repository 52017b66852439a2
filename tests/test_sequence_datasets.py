"""The CPython documentation corpus and the synthetic sequence tasks."""
import numpy as np
import pytest

import minnet as mn
from minnet.sequence_datasets import (IGNORE_INDEX, load_python_docs, load_sequential_digits,
                                      make_adding_problem, make_copy_task, make_key_value_recall)


def test_python_docs_split_is_deterministic_and_covers_the_text():
    train, validation = load_python_docs("train"), load_python_docs("validation")
    assert train + validation == load_python_docs("all")
    assert len(load_python_docs("all")) > 100_000
    assert 0.08 < len(validation) / len(train + validation) < 0.12
    assert train.endswith("\n") and load_python_docs("train") == train


def test_a_vocabulary_of_the_training_text_encodes_the_validation_text():
    vocabulary = mn.text.CharVocabulary(load_python_docs("train"))
    assert len(vocabulary.encode(load_python_docs("validation"))) == len(load_python_docs("validation"))


def test_python_docs_is_reachable_from_mn_datasets():
    assert mn.datasets.load_python_docs is load_python_docs


@pytest.mark.parametrize("options, message", [({"split": "test"}, "'train', 'validation' or 'all'"),
                                              ({"validation_fraction": 1.0}, "0 < validation_fraction < 1")])
def test_python_docs_bad_arguments_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        load_python_docs(**options)


def test_adding_problem_target_is_the_sum_of_the_two_marked_values():
    X, y = make_adding_problem(200, length=30, seed=0)
    assert X.shape == (200, 30, 2) and X.dtype == np.float32 and y.shape == (200,)
    markers = X[:, :, 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2)
    np.testing.assert_array_equal(markers[:, :15].sum(axis=1), 1)          # one in each half
    np.testing.assert_allclose((X[:, :, 0] * markers).sum(axis=1), y, rtol=1e-6)


def test_adding_problem_is_reproducible_by_seed_and_by_manual_seed():
    np.testing.assert_array_equal(make_adding_problem(5, 8, seed=1)[0], make_adding_problem(5, 8, seed=1)[0])
    mn.manual_seed(4)
    first = make_adding_problem(5, 8)[0]
    mn.manual_seed(4)
    np.testing.assert_array_equal(make_adding_problem(5, 8)[0], first)


@pytest.mark.parametrize("reverse", [False, True])
def test_copy_task_targets_are_the_symbols_after_the_delimiter(reverse):
    X, Y = make_copy_task(50, length=6, num_symbols=4, reverse=reverse, seed=0)
    assert X.shape == Y.shape == (50, 13)
    assert X[:, :6].min() >= 1 and X[:, :6].max() <= 4 and np.all(X[:, 6] == 5) and np.all(X[:, 7:] == 0)
    np.testing.assert_array_equal(Y[:, :7], IGNORE_INDEX)
    np.testing.assert_array_equal(Y[:, 7:], X[:, 5::-1] if reverse else X[:, :6])


def test_copy_task_targets_work_with_cross_entropy_over_sequences():
    X, Y = make_copy_task(4, length=3, num_symbols=4, seed=0)
    logits = mn.Tensor(np.zeros((4, 6, 7)))                 # uniform over 6 tokens
    np.testing.assert_allclose(mn.nn.CrossEntropyLoss()(logits, Y).item(), np.log(6))


def test_key_value_recall_answers_the_value_stored_with_the_queried_key():
    X, y = make_key_value_recall(100, pairs=5, num_keys=8, num_values=6, seed=0)
    assert X.shape == (100, 12) and y.shape == (100,)
    for row, answer in zip(X, y):
        keys, values = row[0:10:2], row[1:10:2] - 8
        assert len(set(keys)) == 5 and row[10] == 14
        assert values[list(keys).index(row[11])] == answer


def test_sequential_digits_are_64_steps_of_one_pixel():
    X, y = load_sequential_digits()
    X_flat, _ = mn.datasets.load_digits()
    assert X.shape == (1797, 64, 1) and y.shape == (1797,)
    np.testing.assert_array_equal(X[:, :, 0], X_flat)


@pytest.mark.parametrize("call, message", [
    (lambda: make_adding_problem(10, length=1), "length >= 2"),
    (lambda: make_adding_problem(0), "positive integer for n"),
    (lambda: make_copy_task(10, num_symbols=0), "positive integer for num_symbols"),
    (lambda: make_key_value_recall(10, pairs=9, num_keys=8), "pairs <= num_keys"),
])
def test_bad_task_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
