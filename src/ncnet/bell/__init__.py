"""Two-party Bell expressions with ±1 outcomes and their local, quantum and no-signalling bounds.

One canonical form, full correlators (:mod:`ncnet.bell.expression`); Collins–Gisin input is
mapped to it exactly. Bounds: :mod:`ncnet.bell.local` (exact enumeration),
:mod:`ncnet.bell.nosignalling` (HiGHS LP), :mod:`ncnet.bell.quantum` (Tsirelson SDP, exact
for correlator-only expressions; NPA upper bounds otherwise; needs ``pip install
'ncnet[bell]'``). This package knows no torch and no experiment.

>>> e = preset("chained-3")
>>> b = e.bounds(quantum=False)
>>> b.local.value, round(b.no_signalling.value, 6)
(4.0, 6.0)
"""

from ncnet.bell.errors import BellInputError, SolverError
from ncnet.bell.expression import BellBounds, BellExpression, cg_to_fc, partner_averaged_marginals
from ncnet.bell.files import expression_from_mapping, load_expression, resolve_expression
from ncnet.bell.local import MAX_ENUMERATED_SETTINGS, LocalBound, local_bound
from ncnet.bell.nosignalling import (
    NoSignallingBound,
    behaviour_value,
    no_signalling_bound,
    no_signalling_lp,
)
from ncnet.bell.presets import PRESETS, chained, preset, preset_names
from ncnet.bell.quantum import (
    DEFAULT_NPA_LEVEL,
    QuantumBound,
    check_npa_level,
    npa_upper_bound,
    quantum_bound,
    tsirelson_bound,
)

__all__ = [
    "BellBounds",
    "BellExpression",
    "BellInputError",
    "DEFAULT_NPA_LEVEL",
    "LocalBound",
    "MAX_ENUMERATED_SETTINGS",
    "NoSignallingBound",
    "PRESETS",
    "QuantumBound",
    "SolverError",
    "behaviour_value",
    "cg_to_fc",
    "chained",
    "check_npa_level",
    "expression_from_mapping",
    "load_expression",
    "local_bound",
    "no_signalling_bound",
    "no_signalling_lp",
    "npa_upper_bound",
    "partner_averaged_marginals",
    "preset",
    "preset_names",
    "quantum_bound",
    "resolve_expression",
    "tsirelson_bound",
]
