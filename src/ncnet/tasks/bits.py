"""The NCnet truth tables (paper Section 4): four input bits, two tasks per side.

Alice: alpha1 = X1, alpha2 = X1 xor X2.  Bob: beta1 = X3, beta2 = X3 xor X4.

More tasks per side (the Bell-family option set): each party computes a boolean function of
its own two bits (Alice X1, X2; Bob X3, X4), one of :data:`TASKS`; the paper's design is
:data:`PAPER_TASKS` on both sides.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np

Encoding = Literal["01", "pm1"]
ENCODINGS: tuple[str, ...] = ("01", "pm1")
N_INPUTS = 16


def input_bits() -> np.ndarray:
    """All 16 combinations of (X1, X2, X3, X4) as 0/1 ints, shape (16, 4), X1 most significant."""
    return np.array(list(itertools.product((0, 1), repeat=4)), dtype=np.int64)


def encode_inputs(encoding: Encoding = "pm1") -> np.ndarray:
    """Network inputs, shape (16, 4) float64: bits as 0/1 (``"01"``) or -1/+1 (``"pm1"``)."""
    bits = input_bits().astype(np.float64)
    if encoding == "01":
        return bits
    if encoding == "pm1":
        return 2.0 * bits - 1.0
    raise ValueError(f"unknown encoding {encoding!r}; allowed: {', '.join(ENCODINGS)}")


#: The boolean functions a party can compute of its own two bits (u, v) = (first, second).
TASKS = {
    "bit1": lambda u, v: u,
    "bit2": lambda u, v: v,
    "xor": lambda u, v: u ^ v,
    "xnor": lambda u, v: 1 - (u ^ v),
    "and": lambda u, v: u & v,
    "or": lambda u, v: u | v,
    "nand": lambda u, v: 1 - (u & v),
    "nor": lambda u, v: 1 - (u | v),
}
#: The paper's tasks per side: setting 1 is the first bit, setting 2 the xor of both.
PAPER_TASKS: tuple[str, ...] = ("bit1", "xor")


def check_tasks(tasks: object, side: str = "tasks") -> tuple[str, ...]:
    """Task names as a tuple; an unknown or repeated name is a ``ValueError`` of one line
    listing the allowed ones."""
    names = tuple(str(t).strip().lower() for t in tasks)  # type: ignore[attr-defined]
    bad = [t for t in names if t not in TASKS]
    if bad:
        raise ValueError(f"{side}: unknown task {bad[0]!r}; allowed: {', '.join(TASKS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{side}: a task is named twice in {', '.join(names)}")
    return names


def side_targets(tasks: tuple[str, ...] | list[str], side: str) -> np.ndarray:
    """Labels of one side's tasks, shape (m, 16) 0/1: Alice (``side="A"``) computes each task
    of (X1, X2), Bob (``"B"``) of (X3, X4).

    >>> bool((side_targets(PAPER_TASKS, "A") == alice_targets()).all())
    True
    """
    x = input_bits()
    u, v = (x[:, 0], x[:, 1]) if side == "A" else (x[:, 2], x[:, 3])
    return np.stack([TASKS[t](u, v) for t in check_tasks(tasks)]).astype(np.int64)


def alice_targets() -> np.ndarray:
    """Alice's labels, shape (2, 16) 0/1: row 0 is alpha1 = X1, row 1 is alpha2 = X1 xor X2."""
    x = input_bits()
    return np.stack([x[:, 0], x[:, 0] ^ x[:, 1]])


def bob_targets() -> np.ndarray:
    """Bob's labels, shape (2, 16) 0/1: row 0 is beta1 = X3, row 1 is beta2 = X3 xor X4."""
    x = input_bits()
    return np.stack([x[:, 2], x[:, 2] ^ x[:, 3]])


def pair_targets(i: int, j: int) -> np.ndarray:
    """Labels of the pair model (i, j), i, j in {1, 2}: shape (16, 2), columns (Alice, Bob)."""
    if i not in (1, 2) or j not in (1, 2):
        raise ValueError(f"setting pair ({i}, {j}) is not allowed; i and j must be 1 or 2")
    return np.stack([alice_targets()[i - 1], bob_targets()[j - 1]], axis=1)


def joint_targets() -> np.ndarray:
    """Labels of the four-head control, shape (16, 4), columns (alpha1, alpha2, beta1, beta2)."""
    return np.concatenate([alice_targets(), bob_targets()]).T
