"""The tasks: truth tables of the bits (:mod:`~ncnet.tasks.bits`), text tasks and their
loaders (:mod:`~ncnet.tasks.text`), the offline task builders (:mod:`~ncnet.tasks.offline`)
and the Section 5 suites by name (:mod:`~ncnet.tasks.suites`)."""
