"""A griffe extension for the docs site: show the docstrings' doctests as code, roles as code.

The package's docstrings carry doctests (``>>>`` lines and their output) in running text,
which pytest runs (``--doctest-modules``). Markdown would read them as paragraphs, and
outputs such as ``[0.9289, 1.0]`` after a line ending in ``]`` as reference links, which
``mkdocs build --strict`` rejects. This wraps each doctest block (from a ``>>>`` line to the
next blank line, as doctest itself reads it) in a ``pycon`` fence, and shows Sphinx roles such
as ``:func:`verdict``` as plain code (``verdict``). Docstrings in the source are unchanged.
mkdocs.yml loads it: ``extensions: [scripts/griffe_doctests.py]``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

SPHINX_ROLE = re.compile(r":(?:func|mod|data|class|meth|attr|exc|obj):`~?([^`]+)`")


def plain_roles(text: str) -> str:
    """Return ``text`` with each Sphinx role ``:func:`name``` written as the code ``name``."""
    return SPHINX_ROLE.sub(lambda m: f"`{m.group(1)}`", text)


def fence_doctests(text: str) -> str:
    """Return ``text`` with every doctest block outside a code fence inside a ``pycon`` fence
    of the same indentation (tested in tests/test_docs_site.py)."""
    out: list[str] = []
    in_fence = in_doctest = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if in_doctest and not stripped:
            out.append(indent + "```")
            in_doctest = False
        elif not in_doctest and not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "```pycon")
            in_doctest = True
        elif not in_doctest and stripped.startswith("```"):
            in_fence = not in_fence
        out.append(line)
    if in_doctest:
        out.append(indent + "```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctests of every object's docstring as griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(fence_doctests(obj.docstring.value))
