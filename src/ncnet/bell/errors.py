"""The errors of the Bell package: bad input is one line naming the value and what is allowed."""

from __future__ import annotations


class BellInputError(ValueError):
    """An expression, a file or a request that cannot be used; the message is one line."""


class SolverError(RuntimeError):
    """A convex solver did not reach its optimum (the message names the solver's status)."""
