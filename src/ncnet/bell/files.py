"""Bell expressions from TOML or JSON files, and names that are either a preset or a file.

A file holds either the correlator form::

    correlators = [[1, 1, 0], [1, 0, 1], [0, 1, -1]]   # m_A rows x m_B columns: <A_x B_y>
    alice = [0, 0, 0]                                    # optional, <A_x>
    bob = [0, 0, 0]                                      # optional, <B_y>
    constant = 0                                         # optional

or the Collins–Gisin form ``cg = [[...]]``: the (m_A + 1) x (m_B + 1) table over
p(+1|x) (column 0), p(+1|y) (row 0) and p(+1,+1|x,y), entry [0][0] the constant. Optional
``name`` and ``description`` strings label it. Anything else is a one-line error.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ncnet.bell.errors import BellInputError
from ncnet.bell.expression import BellExpression
from ncnet.bell.presets import PRESETS, preset

CORRELATOR_KEYS = ("correlators", "alice", "bob", "constant")
LABEL_KEYS = ("name", "description")
SUFFIXES = (".toml", ".json")


def expression_from_mapping(data: Any, source: str = "expression") -> BellExpression:
    """A :class:`BellExpression` from a parsed file (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise BellInputError(f"{source}: expected a table of keys (correlators = ... or "
                             f"cg = ...); got {type(data).__name__}")
    allowed = ("cg", *CORRELATOR_KEYS, *LABEL_KEYS)
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise BellInputError(f"{source}: key {unknown[0]!r} is not allowed; allowed: "
                             f"{', '.join(allowed)}")
    labels = {}
    for key in LABEL_KEYS:
        if key in data:
            if not isinstance(data[key], str):
                raise BellInputError(f"{source}: {key} = {data[key]!r} must be a string")
            labels[key] = data[key]
    name = labels.get("name", Path(source).stem)
    description = labels.get("description", f"from {source}")
    try:
        if "cg" in data:
            extra = [k for k in CORRELATOR_KEYS if k in data]
            if extra:
                raise BellInputError(f"give either cg or correlators (with alice, bob, "
                                     f"constant), not both: found cg and {extra[0]}")
            return BellExpression.from_cg(data["cg"], name, description)
        if "correlators" not in data:
            raise BellInputError("no coefficients: give correlators = [[...]] or cg = [[...]]")
        return BellExpression.from_correlators(
            data["correlators"], data.get("alice"), data.get("bob"), data.get("constant", 0.0),
            name, description)
    except BellInputError as err:
        raise BellInputError(f"{source}: {err}") from None


def load_expression(path: str | Path) -> BellExpression:
    """Read a ``.toml`` or ``.json`` expression file (see the module docstring)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise BellInputError(f"{path}: unknown file type {path.suffix!r}; allowed: "
                             f"{', '.join(SUFFIXES)}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BellInputError(f"{path} could not be read ({err.strerror})") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise BellInputError(f"{path} is not valid {path.suffix[1:].upper()} ({err})") from None
    return expression_from_mapping(data, str(path))


def resolve_expression(name_or_path: str) -> BellExpression:
    """A preset by name, else a file by path; neither is a one-line error listing presets."""
    if name_or_path.strip().lower() in PRESETS:
        return preset(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() in SUFFIXES:
        if not path.exists():
            raise BellInputError(f"file {path} does not exist")
        return load_expression(path)
    return preset(name_or_path)  # raises: unknown name, with the list
