"""Analyses of stored sweeps, for any experiment that provides their inputs: gradient
competition (:mod:`~ncnet.studies.competition`, its report in
:mod:`~ncnet.studies.competition_report`), the implicit-communication test
(:mod:`~ncnet.studies.mechanism`) and S as a metric (:mod:`ncnet.studies.s_metric`). No study
imports an experiment: an experiment hands a study its cells or records."""
