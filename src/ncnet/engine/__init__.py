"""What runs any experiment: the seam an experiment implements (:mod:`~ncnet.engine.seam`),
the registry of experiments by name (:mod:`~ncnet.engine.registry`), the sweep that resumes
from the store and exports (:mod:`~ncnet.engine.sweep`), the executors (inline, pool, Ray;
:mod:`~ncnet.engine.executors`), the SQLite store (:mod:`~ncnet.engine.store`), clean stopping
(:mod:`~ncnet.engine.lifecycle`) and progress lines (:mod:`~ncnet.engine.progress`). Nothing
here imports an experiment's module: experiments are found by name through the registry."""
