"""Text helpers: the character vocabulary, next-token windows, sampling with temperature and top-k."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minnet as mn
from minnet.text import CharVocabulary, generate, next_token_windows, random_windows, sample_next


def test_encode_then_decode_gives_the_text_back():
    vocabulary = CharVocabulary("the quick brown fox")
    assert vocabulary.decode(vocabulary.encode("quick fox")) == "quick fox"
    assert len(vocabulary) == len(set("the quick brown fox"))
    assert vocabulary.encode("").shape == (0,) and vocabulary.decode([]) == ""


def test_ids_follow_the_sorted_characters():
    np.testing.assert_array_equal(CharVocabulary("cab").encode("abc"), [0, 1, 2])


def test_unknown_characters_are_named_in_the_error():
    with pytest.raises(ValueError, match=r"cannot encode 'x', 'z': not in the text"):
        CharVocabulary("abc").encode("axbz")


@pytest.mark.parametrize("ids, message", [([0, 3], "ids from 0 to 2, got 3"), ([-1], "got -1"),
                                          ([[0]], "1-D sequence of integer ids"), ([0.5], "integer ids")])
def test_bad_ids_are_clear_errors_in_decode(ids, message):
    with pytest.raises(ValueError, match=message):
        CharVocabulary("abc").decode(ids)


def test_an_empty_text_has_no_vocabulary():
    with pytest.raises(ValueError, match="non-empty string"):
        CharVocabulary("")


def test_windows_and_targets_are_shifted_by_one():
    ids = np.arange(11)
    inputs, targets = next_token_windows(ids, length=4)
    np.testing.assert_array_equal(inputs, [[0, 1, 2, 3], [4, 5, 6, 7]])
    np.testing.assert_array_equal(targets, inputs + 1)
    inputs, _ = next_token_windows(ids, length=4, stride=1)
    assert inputs.shape == (7, 4) and inputs[-1, -1] == 9


def test_random_windows_are_reproducible_and_shifted():
    ids = np.arange(100)
    a, b = random_windows(ids, 8, 16, seed=3), random_windows(ids, 8, 16, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], a[0] + 1)
    assert a[0].shape == (16, 8) and a[1].max() <= 99


@pytest.mark.parametrize("call, message", [
    (lambda: next_token_windows(np.arange(4), 4), "at least length \\+ 1 = 5 ids"),
    (lambda: next_token_windows(np.arange(9.0), 4), "1-D array of integer ids"),
    (lambda: next_token_windows(np.arange(9), 0), "positive integer length"),
    (lambda: next_token_windows(np.arange(9), 2, stride=0), "positive integer stride"),
])
def test_bad_window_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_temperature_zero_is_greedy():
    logits = np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    np.testing.assert_array_equal(sample_next(logits, temperature=0), [1, 0])
    assert sample_next(logits[0], temperature=0) == 1


def test_samples_follow_the_softmax_at_temperature_one():
    logits = np.log(np.array([0.5, 0.3, 0.2]))
    draws = sample_next(np.tile(logits, (20000, 1)), seed=0)
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, [0.5, 0.3, 0.2], atol=0.015)


def test_low_temperature_sharpens_and_high_flattens():
    logits = np.tile(np.log(np.array([0.5, 0.3, 0.2])), (20000, 1))
    cold = np.mean(sample_next(logits, temperature=0.2, seed=1) == 0)
    hot = np.mean(sample_next(logits, temperature=5.0, seed=1) == 0)
    assert cold > 0.9 and hot < 0.4


def test_top_k_never_draws_outside_the_k_most_likely():
    logits = np.tile(np.array([1.0, 4.0, 3.0, 2.0, 0.0]), (5000, 1))
    assert set(sample_next(logits, top_k=2, temperature=10.0, seed=2).tolist()) == {1, 2}


@pytest.mark.parametrize("options, message", [({"temperature": -1.0}, "temperature >= 0"),
                                              ({"top_k": 0}, "top_k from 1 to 3"), ({"top_k": 4}, "top_k from 1 to 3")])
def test_bad_sampling_arguments_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        sample_next(np.zeros(3), **options)


def test_generate_extends_the_prompt_with_a_models_choices():
    # A "model" that always predicts the id after the last one (mod 5): greedy decoding counts.
    def next_logits(ids):
        assert ids.shape[0] == 1 and ids.shape[1] <= 3          # the context window is honoured
        return mn.Tensor(np.eye(5)[(ids[:, -1:] + 1) % 5] * 10)   # (1, 1, V)
    ids = generate(next_logits, [0], 7, temperature=0, context=3)
    np.testing.assert_array_equal(ids, [0, 1, 2, 3, 4, 0, 1, 2])
    with pytest.raises(ValueError, match="prompt of at least one id"):
        generate(next_logits, [], 3)


def test_generate_reads_the_class_axis_of_a_model_in_cross_entropy_layout():
    def next_logits(ids):                                        # (1, V, t), as for the loss
        return np.eye(5)[(ids + 1) % 5].transpose(0, 2, 1) * 10
    np.testing.assert_array_equal(generate(next_logits, [3], 3, temperature=0, class_axis=1), [3, 4, 0, 1])


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_text_encodes_and_decodes_back(text):
    vocabulary = CharVocabulary(text)
    ids = vocabulary.encode(text)
    assert vocabulary.decode(ids) == text and ids.max() < len(vocabulary)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 60), st.integers(1, 10), st.integers(1, 7))
def test_windows_cover_the_ids_and_each_target_is_the_next_id(size, length, stride):
    ids = np.arange(size) * 3
    if size < length + 1:
        return
    inputs, targets = next_token_windows(ids, length, stride)
    assert inputs.shape == targets.shape == ((size - 1 - length) // stride + 1, length)
    np.testing.assert_array_equal(targets, inputs + 3)
    assert inputs[0, 0] == 0 and targets.max() <= ids[-1]
