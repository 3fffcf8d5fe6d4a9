"""Statistics that know no Bell expression: the lowest layer of ncnet.

- :mod:`~ncnet.inference.bounded`: small-sample score tests and inverted intervals for the mean
  of a bounded variable (:func:`bounded_mean_test`) and for a weighted sum of independent
  proportions (:func:`binomial_sum_test`), never p = 0 or a point interval from zero spread;
- :mod:`~ncnet.inference.resampling`: percentile bootstrap intervals over replicates;
- :mod:`~ncnet.inference.runs`: Student-t and Welch over a few runs or seeds, Holm, slopes,
  and the exact (Clopper–Pearson) interval of a fraction of runs;
- :mod:`~ncnet.inference.verdicts`: a claim's :class:`Region` and :func:`verdict` from an
  interval, with the fewest units a verdict is drawn on.

:mod:`ncnet.chsh` and :mod:`ncnet.bell_score` apply these to Bell values; the names also stay
importable from :mod:`ncnet.chsh`, where they lived before.
"""

from ncnet.inference.bounded import (
    binomial_sum_interval,
    binomial_sum_test,
    bounded_mean_interval,
    bounded_mean_test,
)
from ncnet.inference.resampling import (
    bootstrap_ci,
    bootstrap_mean_ci,
    bootstrap_mean_cis,
    check_level,
    discrete_mean_bootstrap,
    percentile_ci,
)
from ncnet.inference.runs import (
    describe_fraction,
    fraction_ci,
    holm,
    ols_slope,
    slope_over_seeds,
    t_interval,
    welch_test,
)
from ncnet.inference.verdicts import FEW_ITEMS, MIN_ITEMS, MIN_RUNS, MIN_SEEDS, Region, verdict

__all__ = [
    "FEW_ITEMS",
    "MIN_ITEMS",
    "MIN_RUNS",
    "MIN_SEEDS",
    "Region",
    "binomial_sum_interval",
    "binomial_sum_test",
    "bootstrap_ci",
    "bootstrap_mean_ci",
    "bootstrap_mean_cis",
    "bounded_mean_interval",
    "bounded_mean_test",
    "check_level",
    "describe_fraction",
    "discrete_mean_bootstrap",
    "fraction_ci",
    "holm",
    "ols_slope",
    "percentile_ci",
    "slope_over_seeds",
    "t_interval",
    "verdict",
    "welch_test",
]
