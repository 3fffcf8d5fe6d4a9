"""scripts/griffe_doctests.py: the docs site shows the docstrings' doctests as code blocks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("griffe", reason="the docs extra is not installed: pip install '.[docs]'")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "griffe_doctests.py"
spec = importlib.util.spec_from_file_location("griffe_doctests", SCRIPT)
griffe_doctests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(griffe_doctests)


def test_doctest_blocks_are_fenced_up_to_the_blank_line() -> None:
    text = ("Returns ``(lo, hi)``.\n\n    >>> f(1, 50)]\n    [0.0005, 0.1065]\n\n"
            "Text.\n>>> x\n1")
    assert griffe_doctests.fence_doctests(text) == (
        "Returns ``(lo, hi)``.\n\n    ```pycon\n    >>> f(1, 50)]\n    [0.0005, 0.1065]\n"
        "    ```\n\nText.\n```pycon\n>>> x\n1\n```")


def test_existing_fences_are_left_alone() -> None:
    text = "```python\n>>> inside\n```\n"
    assert griffe_doctests.fence_doctests(text) == text


def test_sphinx_roles_become_code() -> None:
    assert griffe_doctests.plain_roles(
        "see :func:`verdict` and :data:`~ncnet.bell.score.PAIRED_SCHEME`, not `x`"
    ) == "see `verdict` and `ncnet.bell.score.PAIRED_SCHEME`, not `x`"
