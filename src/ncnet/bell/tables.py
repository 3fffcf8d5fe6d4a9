"""Checks for the coefficient tables users give: rectangular, numeric, finite.

Every failure is a :class:`~ncnet.bell.errors.BellInputError` whose one-line message names
the table, the position and the value, e.g. ``correlators[1][0] = 'x' is not a number``.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError


def _number(value: Any, where: str) -> float:
    """``value`` as a finite float; booleans, strings, NaN and infinities are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise BellInputError(f"{where} = {value!r} is not a number; use plain numbers")
    number = float(value)
    if not math.isfinite(number):
        raise BellInputError(f"{where} = {number!r} is not finite; use finite numbers")
    return number


def number(value: Any, name: str) -> float:
    """One coefficient (e.g. ``constant``) as a finite float."""
    return _number(value, name)


def vector(values: Any, name: str, length: int | None = None) -> np.ndarray:
    """A list of numbers as a float64 array of shape ``(length,)``."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, (list, tuple)):
        raise BellInputError(f"{name} = {values!r} is not a list of numbers")
    out = np.array([_number(v, f"{name}[{i}]") for i, v in enumerate(values)], dtype=np.float64)
    if length is not None and out.size != length:
        raise BellInputError(f"{name} has {out.size} entries; it needs {length} (one per setting)")
    return out


def table(rows: Any, name: str, min_shape: tuple[int, int] = (1, 1)) -> np.ndarray:
    """A list of equally long rows of numbers as a float64 array ``(n_rows, n_cols)``.

    ``min_shape``: the smallest allowed ``(n_rows, n_cols)``.
    """
    if isinstance(rows, np.ndarray):
        if rows.ndim != 2:
            raise BellInputError(f"{name} must be a table (a list of rows); got shape {rows.shape}")
        rows = rows.tolist()
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in rows):
        raise BellInputError(f"{name} must be a table: a list of rows, each a list of numbers")
    if not rows:
        raise BellInputError(f"{name} is empty; it needs at least {min_shape[0]} row(s)")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise BellInputError(
                f"{name} is ragged: row {i} has {len(row)} entries but row 0 has {width}")
    out = np.array([[_number(v, f"{name}[{i}][{j}]") for j, v in enumerate(row)]
                    for i, row in enumerate(rows)], dtype=np.float64).reshape(len(rows), width)
    if out.shape[0] < min_shape[0] or out.shape[1] < min_shape[1]:
        raise BellInputError(f"{name} has shape {out.shape[0]} x {out.shape[1]}; it needs at "
                             f"least {min_shape[0]} x {min_shape[1]}")
    return out
