"""Your own model through the paper's pair design (issue 23): you supply one function that
trains one pair model (Alice's head on task ``task_a``, Bob's on ``task_b``, at one level of
the resource you sweep and one seed) and returns its test outcomes; ncnet runs the design.

- :mod:`~ncnet.experiments.pairs.config`: ``PairsConfig`` (a ``[pairs]`` TOML table);
- :mod:`~ncnet.experiments.pairs.experiment`: loading and checking your function, one unit per
  pair model, the rows and summary per level, the seam class;
- :mod:`~ncnet.experiments.pairs.report`: console tables, the report and its figure;
- :mod:`~ncnet.experiments.pairs.api`: ``run_pairs`` from Python.
"""
