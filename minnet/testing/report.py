"""The report every check_* function returns: one row per check, passed or failed, and why.

A check is a small function that either returns (passed, optionally with a note) or raises
`CheckFailure` with a message that names the worst element and where it is. Any other
exception, and any warning, also fails the check, with its type and message: the kit reports
a student's crash as a failed row instead of crashing itself.
"""
import warnings
from dataclasses import dataclass

import numpy as np

from minnet import config


class CheckFailure(Exception):
    """Raised inside a check: the message says what was expected, what came and where."""


@dataclass
class Check:
    """One row of a Report: `passed` is True, False, or None for a check that did not apply."""
    name: str
    passed: object
    detail: str = ""


class Report:
    """What a check_* call found: `report.passed`, `report.failures`, and a table as its str.

        >>> report = mn.testing.check_activation(mn.nn.Tanh(), raise_on_failure=False)
        >>> report.passed
        True
        >>> print(report)            # one line per check: ok / FAIL / skip, and the worst element
    """

    def __init__(self, subject):
        self.subject = subject
        self.checks = []

    @property
    def passed(self):
        return all(check.passed is not False for check in self.checks)

    @property
    def failures(self):
        return [check for check in self.checks if check.passed is False]

    def run(self, name, check, *args, **kwargs):
        """Run `check(*args, **kwargs)` as the row `name`; a note it returns goes in the row."""
        state = config.rng().bit_generator.state
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                note = check(*args, **kwargs)
            except CheckFailure as failure:
                self.checks.append(Check(name, False, str(failure)))
                return False
            except Exception as error:       # the student's code crashed: a failed row, not a crash
                self.checks.append(Check(name, False, f"raised {type(error).__name__}: {error}"))
                return False
            finally:
                config.rng().bit_generator.state = state
        if caught:
            first = caught[0]
            more = f" (and {len(caught) - 1} more warnings)" if len(caught) > 1 else ""
            self.checks.append(Check(name, False,
                                     f"warned {first.category.__name__}: {first.message}{more}"))
            return False
        self.checks.append(Check(name, True, note or ""))
        return True

    def skip(self, name, why):
        self.checks.append(Check(name, None, why))

    def __str__(self):
        width = max([len(c.name) for c in self.checks] + [5])
        lines = [f"{self.subject}", f"  {'result':6}  {'check':{width}}  details"]
        for c in self.checks:
            mark = {True: "ok", False: "FAIL", None: "skip"}[c.passed]
            lines.append(f"  {mark:6}  {c.name:{width}}  {c.detail}".rstrip())
        failed, ran = len(self.failures), sum(c.passed is not None for c in self.checks)
        lines.append(f"  {ran - failed} of {ran} checks passed" + (f", {failed} failed" if failed else ""))
        return "\n".join(lines)

    __repr__ = __str__

    def raise_if_failed(self):
        """AssertionError carrying the whole table when any check failed; else the report."""
        if not self.passed:
            raise AssertionError("\n" + str(self))
        return self


def _index(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def compare(what, got, expected, atol, rtol, where=None):
    """Raise CheckFailure naming the worst element unless |got - expected| <= atol + rtol |expected|.

    `where` (an array of expected's shape, e.g. the input) is quoted at the worst element.
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise CheckFailure(f"{what}: expected shape {expected.shape}, got {got.shape}")
    both_nan = np.isnan(got) & np.isnan(expected)
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(got - expected) - (atol + rtol * np.abs(expected))
    excess = np.where(both_nan | (got == expected), -np.inf, np.nan_to_num(excess, nan=np.inf))
    if excess.size == 0 or excess.max() <= 0:
        return
    worst = np.unravel_index(np.argmax(excess), expected.shape)
    at = f" (input {where[worst]:.6g})" if where is not None else ""
    raise CheckFailure(f"{what}: worst at {_index(worst)}{at}: got {got[worst]:.8g}, expected "
                       f"{expected[worst]:.8g} (tolerance {atol:g} + {rtol:g} * |expected|)")


def require_finite(what, array, where=None):
    """Raise CheckFailure at the first NaN or infinite element of `array`."""
    array = np.asarray(array)
    bad = ~np.isfinite(array)
    if bad.any():
        first = np.unravel_index(np.argmax(bad), array.shape)
        at = f" at input {where[first]:.6g}" if where is not None else ""
        raise CheckFailure(f"{what} is {array[first]} at {_index(first)}{at} "
                           f"({int(bad.sum())} of {array.size} elements not finite)")
