"""The chapters: runnable tutorials, one question each. `python -m chapters` runs them all."""
