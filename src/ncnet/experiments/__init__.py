"""The experiments ncnet ships, one folder each: :mod:`ncnet.experiments.toy` (Section 4,
Figure 2), :mod:`ncnet.experiments.lora` (Section 5) and :mod:`ncnet.experiments.pairs` (your
own function through the pair design). Each folder holds everything about its
experiment: config, training, summary, console tables, report sections, figures and its
benchmark. They implement the seam of :mod:`ncnet.engine.seam`; the registry that names them
is :mod:`ncnet.engine.registry`. Neither imports the other."""
