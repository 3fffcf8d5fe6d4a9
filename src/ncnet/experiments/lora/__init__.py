"""Section 5 of the paper: multi-task LoRA on a frozen BERT-type encoder, S per rank.

- :mod:`~ncnet.experiments.lora.config`: ``LoraConfig`` (torch-free), the fields and their help;
- :mod:`~ncnet.experiments.lora.experiment`: data, training of one pair model, checkpoints and
  the seam class;
- :mod:`~ncnet.experiments.lora.tables`: the console tables;
- :mod:`~ncnet.experiments.lora.summary`: stored models -> C, S, epochs, μ∇S per rank, the
  learnability gate per (rank, seed);
- :mod:`~ncnet.experiments.lora.report` and :mod:`~ncnet.experiments.lora.figures`: Tables 2
  and 4, Figures 3-5;
- :mod:`~ncnet.experiments.lora.metric_cells`: the cells of 'S as a metric' (rank);
- :mod:`~ncnet.experiments.lora.bench`: ``ncnet bench lora``.
"""
