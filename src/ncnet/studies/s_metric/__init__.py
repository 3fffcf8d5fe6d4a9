"""S as a metric of generalisation (the paper's closing claims): the claims and their
verdicts (:mod:`~ncnet.studies.s_metric.claims`), the section ``ncnet analyze`` writes
(:mod:`~ncnet.studies.s_metric.section`) and its figure (:mod:`~ncnet.studies.s_metric.figure`).
The cells (one row per level and unit) come from the experiment
(``experiment.metric_cells``)."""
