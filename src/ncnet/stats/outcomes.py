"""Outcomes of a model on test items, as the rest of ncnet takes them (numpy only).

An outcome is +1 (correct) or -1 (incorrect). :func:`as_pm1` turns bool, {0, 1} and {-1, +1}
arrays into float64 ±1 and names the offending values of anything else; stores keep outcome
vectors as strings of ``+`` and ``-`` (:func:`pm_string`, :func:`pm_strings`,
:func:`from_pm_string`). Nothing here knows a Bell expression.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_pm1", "fmt_values", "from_pm_string", "frozen_array", "pm_string", "pm_strings"]


def frozen_array(x: Any, dtype: Any = np.float64) -> np.ndarray:
    """A read-only copy of ``x`` as an array of ``dtype`` (what result objects hand out, so
    that nobody edits a score's samples in place).

    >>> a = frozen_array([1, -1]); a.flags.writeable, a.dtype.name
    (False, 'float64')
    """
    arr = np.array(x, dtype=dtype)
    arr.setflags(write=False)
    return arr


def fmt_values(values: np.ndarray, limit: int = 5) -> str:
    """Short list of (unique) offending values for error messages."""
    uniq = list(dict.fromkeys(values.ravel().tolist()))
    shown = ", ".join(repr(v) for v in uniq[:limit])
    more = f", ... ({len(uniq)} distinct)" if len(uniq) > limit else ""
    return f"[{shown}{more}]"


def as_pm1(x: Any) -> np.ndarray:
    """Convert outcomes to float64 +-1.

    Accepts bool arrays, {0, 1} arrays or {-1, +1} arrays (any shape, any numeric dtype);
    ``True``/``1`` -> +1 and ``False``/``0``/``-1`` -> -1.  Raises ``ValueError`` naming the
    offending values for anything else, including NaN, and for arrays mixing 0 and -1 (an
    ambiguous encoding).
    """
    arr = np.asarray(x)
    if arr.dtype == bool:
        return np.where(arr, 1.0, -1.0)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"as_pm1: outcomes must be bool, {{0, 1}} or {{-1, +1}} numbers; got dtype "
            f"{arr.dtype} with values {fmt_values(arr)}"
        )
    vals = arr.astype(np.float64, copy=False)
    bad = ~((vals == 1.0) | (vals == 0.0) | (vals == -1.0))  # NaN is bad too
    if bad.any():
        raise ValueError(
            f"as_pm1: outcomes must be in {{-1, +1}}, {{0, 1}} or bool; got invalid value(s) "
            f"{fmt_values(vals[bad])}"
        )
    if (vals == 0.0).any() and (vals == -1.0).any():
        raise ValueError(
            "as_pm1: outcomes mix 0 and -1 (ambiguous encoding); use either {0, 1} or {-1, +1}"
        )
    return np.where(vals == 1.0, 1.0, -1.0)



def pm_string(outcomes: Any) -> str:
    """±1 outcomes (1-D) as a compact string, '+' for +1 and '-' for -1 (how stores keep them)."""
    return pm_strings(np.asarray(outcomes).ravel()).item()


def pm_strings(outcomes: Any) -> np.ndarray:
    """:func:`pm_string` of every 1-D slice along the last axis at once: ``outcomes`` shape
    ``(..., N)`` -> an object array of shape ``(...)`` of N-character strings.

    >>> pm_strings([[1, -1], [-1, -1]]).tolist()
    ['+-', '--']
    """
    arr = np.asarray(outcomes)
    n = arr.shape[-1]
    text = np.where(arr > 0, ord("+"), ord("-")).astype(np.uint8).tobytes().decode()
    count = int(np.prod(arr.shape[:-1]))
    flat = [text[k * n:(k + 1) * n] for k in range(count)]
    out = np.empty(count, dtype=object)
    out[:] = flat
    return out.reshape(arr.shape[:-1])


def from_pm_string(text: str) -> np.ndarray:
    """Inverse of :func:`pm_string`: int array of +1 / -1."""
    return np.where(np.frombuffer(text.encode(), dtype=np.uint8) == ord("+"), 1, -1)
