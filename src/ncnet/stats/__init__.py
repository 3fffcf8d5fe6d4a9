"""Statistics that know no Bell expression: the lowest layer of ncnet besides the runtime.

- :mod:`~ncnet.stats.bounded`: small-sample score tests and inverted intervals for the mean
  of a bounded variable (``bounded_mean_test``) and for a weighted sum of independent
  proportions (``binomial_sum_test``), never p = 0 or a point interval from zero spread;
- :mod:`~ncnet.stats.resampling`: percentile bootstrap intervals over replicates;
- :mod:`~ncnet.stats.runs`: Student-t and Welch over a few runs or seeds, Holm, slopes,
  and the exact (Clopper–Pearson) interval of a fraction of runs;
- :mod:`~ncnet.stats.verdicts`: a claim's ``Region`` and ``verdict`` from an interval, with
  the fewest units a verdict is drawn on;
- :mod:`~ncnet.stats.outcomes`: ±1 outcome checks and the '+-' strings stores keep;
- :mod:`~ncnet.stats.learnability`: the learnability gate (did a head learn its task?).

Import each name from its module (``from ncnet.stats.runs import t_interval``): this package
re-exports nothing. :mod:`ncnet.chsh` and :mod:`ncnet.bell.score` apply these to Bell values.
"""
