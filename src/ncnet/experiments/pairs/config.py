"""The config of a pair-design sweep over a user's own models: a ``[pairs]`` TOML table.

>>> c = PairsConfig(train="my_module:train_pair", tasks_a=["even", "gt4"],
...                 tasks_b=["mod3", "pixels"], levels=[4, 8, 16], seeds=[0, 1, 2])
>>> c.identity()["train"], c.config_hash() == PairsConfig(**{**c.model_dump(),
...                                                          "levels": [4]}).config_hash()
('my_module:train_pair', True)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

EXPERIMENT = "pairs"
JOINT_EXPERIMENT = "pairs-joint"

IDENTITY_FIELDS = ("train", "tasks_a", "tasks_b", "version", "train_joint")
"""What decides a pair model's outcomes and so the store's hash; ``levels`` and ``seeds`` pick
which pair models exist (one sweep can be extended by more of either)."""


class PairsConfig(BaseModel):
    """One sweep of the pair design over a user's function: for every level and seed, one
    pair model per setting pair (i, j), trained by ``train`` and scored by ncnet.

    ``train_joint`` (optional) is called as ``train_joint(tasks_a=[...], tasks_b=[...],
    level=..., seed=...)`` and returns ``A`` and ``B`` as one outcome sequence per task, all on
    the same items: one model with four heads, whose S can never exceed 2 (the control).

    The function is called as ``train_pair(task_a=..., task_b=..., level=..., seed=...)`` and
    returns a mapping with ``A`` and ``B``: the per-item outcomes of Alice's and Bob's heads
    on their test items (±1, or 1/0 or True/False for correct/incorrect), paired by position,
    and optionally ``item``: integer item ids, which make the four pairs' items shared (the
    paired scheme), and ``chance_A`` / ``chance_B``: the majority-class rate of each head's
    test labels, the chance its accuracy must beat (default 0.5). ncnet cannot see a change
    in your function's code: set ``version`` to a new value (or use a new output directory)
    when it changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    train: str = Field(description="the function that trains one pair model, as "
                       "module:function (the module beside the TOML file or on sys.path)")
    train_joint: str | None = Field(
        default=None, description="optional: the function that trains the joint control, one "
        "model with all four heads on the same items, as module:function")
    tasks_a: list[str] = Field(description="Alice's two tasks (setting i = position)")
    tasks_b: list[str] = Field(description="Bob's two tasks (setting j = position)")
    levels: list[int | float] = Field(description="the resource swept (width, rank, budget, "
                                      "...): one set of pair models per level")
    seeds: list[int] = Field(default=[0], description="the seeds, each a full set of pair "
                             "models per level")
    version: str = Field(default="", description="bump when your function changes, so that "
                         "the store does not mix old and new pair models")
    base_dir: str | None = Field(default=None, description="where the module is looked for "
                                 "first (default: the TOML file's folder); not identity")
    n_boot: int = Field(default=2000, ge=100, description="bootstrap resamples for the item "
                        "intervals that need one; not identity")

    @field_validator("train", "train_joint")
    @classmethod
    def _module_function(cls, v: str | None) -> str | None:
        if v is None:
            return None
        module, _, func = v.partition(":")
        if not module or not func or not all(p.isidentifier() for p in
                                             [*module.split("."), *func.split(".")]):
            raise ValueError(f"train = {v!r} is not module:function (e.g. my_module:train_pair)")
        return v

    @field_validator("tasks_a", "tasks_b")
    @classmethod
    def _two_tasks(cls, v: list[str]) -> list[str]:
        names = [t.strip() for t in v]
        if len(names) != 2 or not all(names) or len(set(names)) != 2:
            raise ValueError(f"give two distinct task names a side (CHSH); got {v}")
        return names

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: list[int | float]) -> list[int | float]:
        if not v or len(set(v)) != len(v):
            raise ValueError(f"give one or more distinct levels; got {v}")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if not v or len(set(v)) != len(v) or any(s < 0 for s in v):
            raise ValueError(f"give one or more distinct seeds >= 0; got {v}")
        return v

    def identity(self) -> dict[str, Any]:
        """The identity fields; ``train_joint`` only when set."""
        return {k: getattr(self, k) for k in IDENTITY_FIELDS
                if not (k == "train_joint" and self.train_joint is None)}

    def config_hash(self) -> str:
        blob = json.dumps({"experiment": EXPERIMENT, **self.identity()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]
