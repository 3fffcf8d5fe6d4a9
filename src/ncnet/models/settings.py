"""What the models train with: the optimiser, loss and init choices of a batch of NCnet
models and :class:`TrainSettings`, and the pooling choices of the LoRA encoder. Kept free of
torch so that configs validate without importing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Optimizer = Literal["adam", "sgd"]
Loss = Literal["bce", "mse"]
Init = Literal["torch", "xavier", "he"]
Pooling = Literal["mean", "cls", "pooler"]
"""How the LoRA encoder's token states become one vector per text (models.multitask)."""

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
LOSSES: tuple[str, ...] = ("bce", "mse")
INITS: tuple[str, ...] = ("torch", "xavier", "he")
N_BITS = 4


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings shared by every model of a batch.

    ``lr`` > 0; ``betas`` and ``eps`` are Adam's (ignored by SGD); ``momentum`` is SGD's.
    Loss ``bce``: binary cross-entropy on logits, prediction ``logit > 0``. Loss ``mse``:
    squared error of the raw output against the 0/1 label, prediction ``output > 0.5``.
    The training loss is the sum over heads of each head's mean over the 16 inputs.
    """

    epochs: int = 5000
    lr: float = 0.01
    optimizer: Optimizer = "adam"
    loss: Loss = "bce"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    momentum: float = 0.0

    @property
    def threshold(self) -> float:
        """Decision threshold on the head output."""
        return 0.0 if self.loss == "bce" else 0.5
