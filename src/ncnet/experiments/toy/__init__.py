"""Section 4 of the paper, NCnet on four bits (Figure 2), and its m-task generalisation:

- :mod:`~ncnet.experiments.toy.config`: ``ToyConfig``, the fields and their help;
- :mod:`~ncnet.experiments.toy.experiment`: units, training, rows and the seam class;
- :mod:`~ncnet.experiments.toy.summary` and :mod:`~ncnet.experiments.toy.tables`: the summary
  per hidden size with the learnability gate, and the console tables;
- :mod:`~ncnet.experiments.toy.bell`: Bell expressions scored per run (m-task designs);
- :mod:`~ncnet.experiments.toy.report` and :mod:`~ncnet.experiments.toy.figures`: the report
  (verdicts against the paper's Figure-2 claims) and Figures 2a, 2b and the signalling gaps;
- :mod:`~ncnet.experiments.toy.metric_cells`: the cells of 'S as a metric' (hidden size or
  training budget);
- :mod:`~ncnet.experiments.toy.bench`: ``ncnet bench toy``.
"""
