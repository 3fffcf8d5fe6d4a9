"""CHSH S as a torchmetrics ``Metric``, for a user's own evaluation loop or LightningModule.

``CHSHScore`` collects per-item outcomes of Alice's and Bob's heads with their setting pair
(i, j). Its results are exactly what ``ncnet score`` and :func:`ncnet.chsh.score_table` give
on the same items (they come from :func:`ncnet.chsh.score_items`):

- :meth:`CHSHScore.compute` returns S as a 0-dim float64 tensor, the torchmetrics way, so
  ``self.log("val_S", metric)`` in Lightning works like for any metric (Lightning computes
  and resets it at epoch end);
- :meth:`CHSHScore.score` returns the full :class:`ncnet.chsh.ChshScore` (C, CI, test, ...);
- :meth:`CHSHScore.compute_dict` returns S, its CI, the p-value of S > 2 and the four
  correlators as 0-dim tensors, for ``self.log_dict``.

States are lists concatenated across processes (``dist_reduce_fx="cat"``), so the metric
works under DDP. Needs the ``metrics`` extra (``pip install 'ncnet[metrics]'``).

>>> import torch
>>> from ncnet.metrics import CHSHScore
>>> m = CHSHScore(n_boot=200)
>>> for i, j in [(1, 1), (1, 2), (2, 1)]:
...     m.update(torch.tensor([True, True]), torch.tensor([True, True]), i, j)
>>> m.update(torch.tensor([1, 1]), torch.tensor([-1, -1]), 2, 2)
>>> m.compute()
tensor(4., dtype=torch.float64)
>>> m.score().C.tolist()
[[1.0, 1.0], [1.0, -1.0]]
>>> sorted(m.compute_dict(prefix="val_"))[:4]
['val_C11', 'val_C12', 'val_C21', 'val_C22']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ncnet import chsh
from ncnet.bell import score as bell_score
from ncnet.runtime.extras import require
from ncnet.stats.outcomes import as_pm1

Metric = require("torchmetrics").Metric

__all__ = ["BellScore", "CHSHScore"]

# Item ids travel as float64 state (one dtype for every state, also on a rank with no data);
# whole numbers up to 2**53 are exact there.
_MAX_ITEM_ID = 2**53

# The keys of CHSHScore.compute_dict, in order (before the prefix).
DICT_KEYS = ("S", "ci_low", "ci_high", "p_value", "C11", "C12", "C21", "C22")


def _outcomes(name: str, x: Any) -> torch.Tensor:
    """Bool, {0, 1} or {-1, +1} outcomes -> 1-D float64 +-1 on CPU (``as_pm1`` rules)."""
    arr = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    try:
        pm1 = as_pm1(arr)
    except ValueError as err:
        raise ValueError(f"CHSHScore.update: {name}: {str(err).removeprefix('as_pm1: ')}") from None
    return torch.from_numpy(np.ascontiguousarray(pm1, dtype=np.float64).ravel())


def _setting(name: str, x: Any, n: int, m: int = 2, owner: str = "CHSHScore") -> torch.Tensor:
    """Setting ``i`` or ``j`` in 1..m (CHSH: 1 or 2): an int for the whole batch or one per
    item; ValueError naming ``owner``'s update and the allowed values otherwise."""
    arr = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x)
    if arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, np.arange(1, m + 1))):
        allowed = "1 or 2" if owner == "CHSHScore" else f"a setting 1..{m}"
        raise ValueError(f"{owner}.update: {name} must be {allowed} (an int or one per item); "
                         f"got {arr.ravel()[:5].tolist()}")
    arr = np.broadcast_to(arr.astype(np.int64), (n,)) if arr.ndim == 0 else arr.ravel()
    if arr.size != n:
        raise ValueError(f"{owner}.update: {name} has {arr.size} values for {n} items")
    return torch.from_numpy(arr.astype(np.int64))


def _check_unique_ids(ids: np.ndarray, pair: tuple[int, int]) -> None:
    """An id twice in one pair since the last reset: almost always a missing ``reset()``."""
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        twice = uniq[counts > 1]
        shown = ", ".join(str(int(v)) for v in twice[:5]) + (", ..." if twice.size > 5 else "")
        raise ValueError(
            f"CHSHScore.compute: item id(s) {shown} of pair (i={pair[0]}, j={pair[1]}) were "
            "given more than once since the last reset(); call metric.reset() after each "
            "evaluation (Lightning does when you self.log the metric object itself)")


def _collected(metric: Any, name: str) -> tuple[np.ndarray, ...]:
    """The metric's states ``a``, ``b``, ``pair``, ``item`` (synced by torchmetrics) as numpy
    arrays; ValueError naming ``name`` when nothing was collected or ids cover only some
    items."""

    def gathered(state: Any) -> np.ndarray:
        if isinstance(state, list):
            state = torch.cat(state) if state else torch.empty(0, dtype=torch.float64)
        return state.detach().cpu().numpy()

    a, b, pair, item = (gathered(s) for s in (metric.a, metric.b, metric.pair, metric.item))
    if a.size == 0:
        raise ValueError(f"{name}.compute: no items yet; call update() first")
    if item.size not in (0, a.size):
        raise ValueError(f"{name}.compute: item ids were given for only some items")
    return a, b, pair, item


class _PairOutcomes(Metric):
    """The states and the bookkeeping that :class:`BellScore` and its 2 x 2 case
    :class:`CHSHScore` share: per item the outcomes A and B, the index of its setting pair
    (row-major over the m_A x m_B pairs) and, optionally, its id. Not a metric by itself."""

    is_differentiable = False
    higher_is_better = None
    full_state_update = False

    def __init__(self, n_boot: int = 10_000, level: float = 0.95, seed: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(n_boot) < 1 or not 0.0 < float(level) < 1.0:
            raise ValueError(f"{type(self).__name__}: need n_boot >= 1 and 0 < level < 1; got "
                             f"n_boot={n_boot}, level={level}")
        self.n_boot, self.level, self.seed = int(n_boot), float(level), int(seed)
        for name in ("a", "b", "pair", "item"):
            self.add_state(name, default=[], dist_reduce_fx="cat")
        # Every state is float64, so is the empty tensor torchmetrics sends for a rank with no
        # data; gathering then never mixes dtypes across ranks.
        self.set_dtype(torch.float64)
        self._score: Any = None  # set with compute()'s cached score


    def _append(self, correct_a: Any, correct_b: Any, pair: torch.Tensor, item: Any) -> None:
        """Store one batch: outcomes, pair indices ``pair`` (one per item) and ids."""
        owner = type(self).__name__
        a = _outcomes("correct_a", correct_a)
        b = _outcomes("correct_b", correct_b)
        if a.numel() != b.numel():
            raise ValueError(f"{owner}.update: correct_a has {a.numel()} items but "
                             f"correct_b has {b.numel()}; A and B are paired by position")
        n = a.numel()
        if (item is None) != (len(self.item) == 0) and len(self.a) > 0:
            raise ValueError(f"{owner}.update: give item ids in every update or in none")
        self.a.append(a.to(self.device))
        self.b.append(b.to(self.device))
        self.pair.append(pair.to(device=self.device, dtype=torch.float64))
        if item is not None:
            ids = np.asarray(item.detach().cpu().numpy() if isinstance(item, torch.Tensor)
                             else item).ravel()
            if ids.dtype.kind not in "iu" or ids.size != n or np.any(np.abs(ids) > _MAX_ITEM_ID):
                raise ValueError(f"{owner}.update: item must hold {n} whole-number ids "
                                 f"(|id| <= 2**53); got {ids.size} of dtype {ids.dtype}")
            self.item.append(torch.from_numpy(ids.astype(np.float64)).to(self.device))

    def _tensors(self, prefix: str, keys: Sequence[str],
                 values: Sequence[float]) -> dict[str, torch.Tensor]:
        """``{prefix + key: 0-dim float64 tensor}`` on this metric's device."""
        return {prefix + key: torch.tensor(float(v), dtype=torch.float64, device=self.device)
                for key, v in zip(keys, values, strict=True)}

    def reset(self) -> None:
        super().reset()
        self._score = None

    def forward(self, *args: Any, **kwargs: Any) -> None:
        """Update only (S needs all four pairs, which one batch rarely holds)."""
        self.update(*args, **kwargs)


class BellScore(_PairOutcomes):
    """Any Bell expression's value V on paired per-item outcomes of two heads, over the
    m_A x m_B setting pairs (:mod:`ncnet.bell.score`); ``CHSHScore`` is its CHSH case and
    ``BellScore("chsh")`` gives the same numbers.

    ``expression``: a :class:`ncnet.bell.BellExpression`, a preset name or an expression
    file. ``update(correct_a, correct_b, i, j, item=None)`` as for :class:`CHSHScore`, with
    ``i`` in 1..m_A and ``j`` in 1..m_B. ``compute()``: V as a 0-dim float64 tensor;
    ``score()``: the :class:`ncnet.bell.score.ExpressionScore` (C, CI, test of V > local
    bound, partner-averaged marginals, signalling spread and gaps); ``compute_dict(prefix)``:
    ``V``, ``ci_low``, ``ci_high``, ``p_value`` and ``C{x}{y}``. Expressions with marginal
    terms need item ids shared by all pairs (the paired scheme). The three bounds are not
    computed here (``score().bounds`` holds the local one); see ``expression.bounds()``.

    >>> import torch
    >>> from ncnet.metrics import BellScore
    >>> m = BellScore("chained-3", n_boot=100)
    >>> for i in (1, 2, 3):
    ...     for j in (1, 2, 3):
    ...         m.update(torch.tensor([1, 1]), torch.tensor([1, 1]), i, j)
    >>> m.compute()
    tensor(4., dtype=torch.float64)
    """

    def __init__(self, expression: Any, n_boot: int = 10_000, level: float = 0.95,
                 seed: int = 0, **kwargs: Any) -> None:
        super().__init__(n_boot=n_boot, level=level, seed=seed, **kwargs)
        from ncnet.bell.expression import BellExpression
        from ncnet.bell.files import resolve_expression

        self.expression = (expression if isinstance(expression, BellExpression)
                           else resolve_expression(str(expression)))
        self._bell: bell_score.ExpressionScore | None = None

    def update(self, correct_a: Any, correct_b: Any, i: Any, j: Any, item: Any = None) -> None:
        n = _outcomes("correct_a", correct_a).numel()
        m_a, m_b = self.expression.m_a, self.expression.m_b
        x = _setting("i", i, n, m_a, "BellScore")
        y = _setting("j", j, n, m_b, "BellScore")
        self._append(correct_a, correct_b, m_b * (x - 1) + (y - 1), item)

    def compute(self) -> torch.Tensor:
        """V of the items collected since the last reset, a 0-dim float64 tensor."""
        a, b, pair, item = _collected(self, "BellScore")
        pairs = bell_score.setting_pairs(self.expression.m_a, self.expression.m_b)
        masks = [pair == k for k in range(len(pairs))]
        ids = None
        if item.size:
            ids = [item[m].astype(np.int64) for m in masks]
            for k, p in zip(ids, pairs, strict=True):
                _check_unique_ids(k, p)
        self._bell = bell_score.score_pairs(
            self.expression, [a[m] for m in masks], [b[m] for m in masks], items=ids,
            n_boot=self.n_boot, level=self.level, seed=self.seed, with_bounds=False)
        return torch.tensor(self._bell.value, dtype=torch.float64, device=self.device)

    def score(self) -> bell_score.ExpressionScore:
        """The full :class:`ncnet.bell.score.ExpressionScore` of the items since the last
        reset."""
        self.compute()
        assert self._bell is not None
        return self._bell

    def compute_dict(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """``V``, ``ci_low``, ``ci_high``, ``p_value`` (V > local bound) and ``C{x}{y}`` as
        0-dim float64 tensors keyed ``prefix + name``."""
        s = self.score()
        keys = ["V", "ci_low", "ci_high", "p_value"] + [
            f"C{x}{y}" for x, y in bell_score.setting_pairs(s.expression.m_a, s.expression.m_b)]
        values = [s.value, s.ci[0], s.ci[1], s.test["p_value"], *np.asarray(s.C).ravel()]
        return self._tensors(prefix, keys, values)

    def reset(self) -> None:
        super().reset()
        self._bell = None


class CHSHScore(_PairOutcomes):
    """CHSH statistic of paired per-item outcomes of two heads, over the four setting pairs.

    ``update(correct_a, correct_b, i, j, item=None)``:

    - ``correct_a``, ``correct_b``: per-item correctness of Alice's and Bob's heads, any shape
      (flattened), as bool, {0, 1} or {-1, +1}; A and B of one item at the same position.
    - ``i``, ``j``: the setting pair, 1 or 2: one int for the whole batch (one pair model per
      setting) or a tensor with one value per item (one model evaluated under all four).
    - ``item``: optional integer item ids (one per item). Give them in every update or in
      none; when given they reach ``chsh.score_items(..., items=...)``, which resamples items
      shared by the four pairs jointly. An id may occur once per pair between two resets.

    Results (all four pairs must have items by then; computed once per accumulation, cached
    until the next ``update`` or ``reset``, and gathered across processes under DDP):

    - ``compute()``: S, a 0-dim float64 tensor on the metric's device.
    - ``score()``: the :class:`ncnet.chsh.ChshScore` that ``chsh.score_items`` returns on the
      collected items: ``C``, ``S``, ``ci``, ``test`` (of S > 2), ``n_items``,
      ``acc_a``/``acc_b``, ``gap_a``/``gap_b``, ``c_product`` and ``s_product``.
    - ``compute_dict(prefix="")``: 0-dim float64 tensors keyed ``S``, ``ci_low``, ``ci_high``
      (the CI of S at ``level``), ``p_value`` (one-sided test of S > 2) and ``C11``, ``C12``,
      ``C21``, ``C22``, each key after ``prefix``.

    ``n_boot``, ``level`` and ``seed`` are passed on to the bootstrap. Like every torchmetrics
    metric, the states pool until ``reset()``: call it after each evaluation (Lightning does
    for a metric logged with ``self.log(name, metric)``).

    The CHSH case of :class:`BellScore` (``BellScore("chsh")`` gives the same numbers),
    with CHSH's names: ``S`` for V, :class:`ncnet.chsh.ChshScore` for the score.

    Calling the metric (``forward``) only updates it and returns ``None``: S needs all four
    pairs, which one batch rarely holds. Memory: four float64 numbers per item.
    """

    def update(self, correct_a: Any, correct_b: Any, i: Any, j: Any, item: Any = None) -> None:
        n = _outcomes("correct_a", correct_a).numel()
        pair = 2 * (_setting("i", i, n) - 1) + (_setting("j", j, n) - 1)  # index into PAIRS
        self._append(correct_a, correct_b, pair, item)

    def compute(self) -> torch.Tensor:
        """S of the items collected since the last reset, a 0-dim float64 tensor."""
        a, b, pair, item = _collected(self, "CHSHScore")
        masks = [pair == k for k in range(len(chsh.PAIRS))]
        kwargs: dict[str, Any] = {}
        if item.size:
            kwargs["items"] = [item[m].astype(np.int64) for m in masks]
            for ids, p in zip(kwargs["items"], chsh.PAIRS, strict=True):
                _check_unique_ids(ids, p)
        self._score = chsh.score_items([a[m] for m in masks], [b[m] for m in masks],
                                       n_boot=self.n_boot, level=self.level, seed=self.seed,
                                       **kwargs)
        return torch.tensor(self._score.S, dtype=torch.float64, device=self.device)

    def score(self) -> chsh.ChshScore:
        """The full :class:`ncnet.chsh.ChshScore` of the items since the last reset."""
        self.compute()  # torchmetrics' wrapper: gathered across processes, cached with S
        assert self._score is not None
        return self._score

    def compute_dict(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """S, ``ci_low``, ``ci_high``, ``p_value`` (S > 2) and ``C11`` .. ``C22`` as 0-dim
        float64 tensors keyed ``prefix + name``, e.g. for Lightning's ``self.log_dict``."""
        s = self.score()
        values = [s.S, s.ci[0], s.ci[1], s.test["p_value"], *np.asarray(s.C).ravel()]
        return self._tensors(prefix, DICT_KEYS, values)
