"""The toy's config (torch-free, so the CLI builds its options from it): ``ToyConfig``, every
field with its default and help, the fields that make a run's identity and hash, and the store
names of the pair and joint models.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ncnet.models.settings import Init, Loss, Optimizer, TrainSettings
from ncnet.runtime.devices import check_device_name, resolve_device
from ncnet.tasks.bits import (
    PAPER_TASKS,
    Encoding,
    check_tasks,
)

#: Most tasks per side (the Bell-family option set).


#: Most tasks per side (the Bell-family option set).
MAX_TASKS = 8


EXPERIMENT = "toy"


JOINT_EXPERIMENT = "toy-joint"


JOINT_CODE = (0, 0)


IDENTITY_FIELDS = (
    "epochs", "optimizer", "lr", "momentum", "loss", "encoding", "init", "seed", "dtype",
    "record_every",  # changes what a record holds (loss curves), not its CHSH numbers
    "trace_every",  # likewise (gradient cosines); hashed only when on, so old hashes hold
    "tasks_a", "tasks_b",  # hashed only when not the paper's, so old hashes hold
)


OPTIONAL_IDENTITY = {"trace_every": 0, "tasks_a": list(PAPER_TASKS),
                     "tasks_b": list(PAPER_TASKS)}
"""Identity fields added later, left out of the hash at these default values."""


class ToyConfig(BaseModel):
    """Everything that defines a Figure-2 sweep. Defaults are the documented reproduction.

    Only the fields in ``IDENTITY_FIELDS`` decide a run's record and go into its hash;
    ``hidden`` and ``runs`` pick which runs exist, the rest says how to compute them. Each
    field's description is also the help of its ``ncnet toy`` option. ``tasks_a`` and
    ``tasks_b`` take 2 to 8 tasks each (setting x = position); ``expression`` is not part of
    a run's identity and may name any expression whose settings fit the tasks.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    hidden: list[int] = Field(default=[2, 3, 4], min_length=1,
                              description="hidden sizes n, comma-separated")
    runs: int = Field(default=50, ge=1, le=100_000,
                      description="independent runs per hidden size")
    epochs: int = Field(default=5000, ge=1, le=10_000_000,
                        description="full-batch training epochs")
    optimizer: Optimizer = Field(default="adam", description="adam | sgd")
    lr: float = Field(default=0.01, gt=0, le=100, description="learning rate")
    momentum: float = Field(default=0.0, ge=0, lt=1, description="SGD momentum")
    loss: Loss = Field(default="bce", description="bce (logits) | mse")
    encoding: Encoding = Field(default="pm1", description="input bits as pm1 (-1/+1) | 01")
    init: Init = Field(default="he",
                       description="he (Kaiming normal) | torch (nn.Linear's) | xavier")
    seed: int = Field(default=0, ge=0, lt=2**63,
                      description="base seed; every model's seed derives from it")
    joint: bool = Field(default=True, description="also train the 4-head control")
    dtype: Literal["float64", "float32"] = Field(default="float64",
                                                 description="float64 | float32")
    device: str = Field(default="cpu", description="cpu | cuda | cuda:N | auto")
    threads: int = Field(default=1, ge=1, le=256,
                         description="torch CPU threads (1 is fastest for these tiny tensors)")
    chunk_runs: int | None = Field(default=None, ge=1, description="runs trained per batch "
                                   "(default: 100 on CPU; on CUDA as many as memory allows)")
    record_every: int = Field(default=50, ge=0,
                              description="store per-head losses every k epochs (0: off)")
    trace_every: int = Field(
        default=0, ge=0, description="store the cosine of Alice's and Bob's gradients on the "
        "shared layer at epoch 1 and every k epochs (0: off)")
    tasks_a: list[str] = Field(
        default=list(PAPER_TASKS), description="Alice's tasks of (X1, X2), comma-separated: "
        "bit1, bit2, xor, xnor, and, or, nand, nor")
    tasks_b: list[str] = Field(default=list(PAPER_TASKS),
                               description="Bob's tasks of (X3, X4), as --tasks-a")
    expression: list[str] = Field(
        default=["chsh"], description="Bell expressions scored per run, comma-separated "
        "(`ncnet bell list`, or .toml / .json)")

    @field_validator("tasks_a", "tasks_b")
    @classmethod
    def _known_tasks(cls, v: list[str]) -> list[str]:
        names = list(check_tasks(v, "tasks"))
        if not 2 <= len(names) <= MAX_TASKS:
            raise ValueError(f"give 2 to {MAX_TASKS} tasks per side; got {len(names)}")
        return names

    @field_validator("expression")
    @classmethod
    def _known_expressions(cls, v: list[str]) -> list[str]:
        from ncnet.bell.files import resolve_expression

        names = [n.strip() for n in v if n.strip()]
        if not names or len(set(names)) != len(names):
            raise ValueError("give one or more distinct Bell expressions")
        for name in names:
            resolve_expression(name)  # BellInputError is a ValueError: one line
        return names

    @model_validator(mode="after")
    def _expressions_fit_the_tasks(self) -> ToyConfig:
        for e in self.expressions():
            if e.m_a > len(self.tasks_a) or e.m_b > len(self.tasks_b):
                raise ValueError(
                    f"expression {e.name} needs {e.m_a} tasks for Alice and {e.m_b} for Bob; "
                    f"the run has {len(self.tasks_a)} and {len(self.tasks_b)} (--tasks-a, "
                    "--tasks-b)")
        if self.trace_every and not self.paper_design:
            raise ValueError("trace_every works with the paper's tasks (bit1,xor) only")
        return self

    @property
    def paper_design(self) -> bool:
        """The paper's two tasks per side (the default), whose records are today's."""
        return tuple(self.tasks_a) == PAPER_TASKS and tuple(self.tasks_b) == PAPER_TASKS

    def expressions(self) -> list[Any]:
        """The Bell expressions of ``expression``, resolved."""
        from ncnet.bell.files import resolve_expression

        return [resolve_expression(n) for n in self.expression]

    @property
    def scores_expressions(self) -> bool:
        """Whether rows get expression columns (``E``, ``E_joint``): all but the paper's
        design scored by CHSH alone, whose S is already the CHSH column."""
        return not (self.paper_design and self.expression == ["chsh"])

    def pair_codes(self) -> list[tuple[int, int]]:
        """The pair models (x, y), row-major; the paper's design: :data:`ncnet.chsh.PAIRS`."""
        return [(x, y) for x in range(1, len(self.tasks_a) + 1)
                for y in range(1, len(self.tasks_b) + 1)]

    @field_validator("hidden")
    @classmethod
    def _positive_hidden(cls, v: list[int]) -> list[int]:
        bad = [h for h in v if h < 1 or h > 4096]
        if bad:
            raise ValueError(f"hidden size {bad[0]} must be a whole number from 1 to 4096")
        return sorted(dict.fromkeys(v))

    @field_validator("device")
    @classmethod
    def _device_name(cls, v: str) -> str:
        return check_device_name(v)

    def identity(self) -> dict[str, Any]:
        """The fields that decide a run's outcome."""
        return {k: getattr(self, k) for k in IDENTITY_FIELDS
                if OPTIONAL_IDENTITY.get(k, object()) != getattr(self, k)}

    def config_hash(self) -> str:
        """12-hex-digit identity of a run's settings (not of which runs exist)."""
        blob = json.dumps(self.identity(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def settings(self) -> TrainSettings:
        return TrainSettings(
            epochs=self.epochs, lr=self.lr, optimizer=self.optimizer, loss=self.loss,
            momentum=self.momentum,
        )

    def resolved_device(self) -> str:
        """The torch device of this run; ``ValueError`` if it does not exist here."""
        return resolve_device(self.device)
