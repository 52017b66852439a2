"""What every chapter shares: where figures go, and the quick-mode switch."""
import os
from pathlib import Path


def quick_mode() -> bool:
    """True when MINNET_QUICK=1: chapters shrink their runs to seconds (used by the tests)."""
    return os.environ.get("MINNET_QUICK") == "1"


def figure_dir(chapter: str) -> Path:
    """figures/<chapter>/ under the current folder (or under $MINNET_FIGURES), created if needed."""
    path = Path(os.environ.get("MINNET_FIGURES", "figures")) / chapter
    path.mkdir(parents=True, exist_ok=True)
    return path
