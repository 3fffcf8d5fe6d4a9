"""The LoRA config (torch-free, so the CLI builds its options from it): ``LoraConfig``, every
field with its default and help, validated on construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ncnet.models.settings import Pooling
from ncnet.runtime.devices import check_device_name
from ncnet.tasks.suites import get_suite

if TYPE_CHECKING:
    from ncnet.models.multitask import LoraSpec


class LoraConfig(BaseModel):
    """Everything one LoRA sweep needs. ``model=None`` takes the suite's model.

    Defaults are the offline-mixed budget measured in docs/lora-notes.md (MiniLM, 600 train /
    300 test items per task, 12 epochs, batch 32 + 32, lr 2e-3, alpha 16, dropout 0.1): the
    16 pair models of `--ranks 1,2,4,8` take about 36 min on one CPU thread.

    Each field's description is also the help of its ``ncnet lora`` option where the option
    is the field itself. ``targets`` match a module's last name part (query, key, value,
    dense for BERT). ``alpha_scaling = "fixed"`` keeps alpha = lora_alpha at every rank
    (scale lora_alpha / r); ``"rank"`` sets alpha = lora_alpha * r (scale lora_alpha at every
    rank, as fixed has at r = 1). ``trace_every`` traces per layer and overall, at step 1 and
    every k training steps. ``precision = "bf16"`` autocasts on CUDA; on the CPU fp32 is the
    only choice.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    suite: str = Field(default="offline-mixed", description="task suite (ncnet.tasks.suites)")
    tasks_a: tuple[str, ...] | None = Field(
        default=None, description="Alice's two tasks, comma-separated, instead of the "
        "suite's (packaged tasks or folders of --data-dir)")
    tasks_b: tuple[str, ...] | None = Field(
        default=None, description="Bob's two tasks, as --tasks-a")
    model: str | None = Field(default=None,
                              description="HF name or local path (default: the suite's)")
    ranks: tuple[int, ...] = Field(default=(1, 2, 4, 8),
                                   description="LoRA ranks, comma-separated")
    epochs: int = Field(default=12, gt=0, description="training epochs per model")
    seeds: tuple[int, ...] = Field(default=(1,),
                                   description="the seeds: each trains four pair models per rank")
    lr: float = Field(default=2e-3, gt=0, description="AdamW learning rate")
    batch_size: int = Field(default=32, gt=0,
                            description="batch per task (each step: one of each)")
    lora_alpha: float = Field(default=16.0, gt=0, description="LoRA alpha (scale alpha / r)")
    lora_dropout: float = Field(default=0.1, ge=0, lt=1, description="LoRA dropout")
    pooling: Pooling = Field(default="mean", description="mean | cls | pooler")
    max_len: int = Field(default=48, gt=2, description="max tokens per text")
    threads: int | None = Field(default=None, gt=0, description="torch CPU threads per model")
    device: str = Field(default="auto", description="auto | cpu | cuda | cuda:N")
    precision: Literal["fp32", "bf16"] = Field(
        default="fp32", description="fp32 | bf16 (autocast, CUDA only)")
    train_size: int = Field(default=600, gt=0, description="train items per task")
    test_size: int = Field(default=300, gt=0, description="test items per task")
    data_seed: int = 0
    data_dir: str | None = Field(
        default=None, description="local task files: DIR/<task>/{train,test}"
        ".{csv,jsonl,parquet}")
    cache_dir: str | None = Field(default=None,
                                  description="dataset cache (default ~/.cache/ncnet)")
    pretrained: bool = True
    targets: tuple[str, ...] = Field(
        default=("query", "value"),
        description="modules that get adapters, e.g. value or query,key,value,dense")
    layers: tuple[int, ...] | None = Field(
        default=None, description="encoder layers that get adapters (0-based; None: all)")
    alpha_scaling: Literal["fixed", "rank"] = Field(
        default="fixed", description="fixed (alpha as given) | rank (alpha = lora_alpha * r: "
        "same scale at every rank)")
    trace_every: int = Field(
        default=0, ge=0, description="store the cosine of Alice's and Bob's gradients on the "
        "LoRA parameters every k steps (0: off)")

    @field_validator("ranks")
    @classmethod
    def _ranks(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [r for r in v if r < 0]
        if bad or not v:
            raise ValueError(f"ranks must be whole numbers >= 0 (0: heads only), got {list(v)}")
        return v

    @field_validator("device")
    @classmethod
    def _device_name(cls, v: str) -> str:
        return check_device_name(v)

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        names = sorted({t.strip() for t in v})
        if not v or not all(names):
            raise ValueError(f"targets must be module names such as query,value, got {list(v)}")
        return tuple(names)

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is None:
            return None
        if not v or any(k < 0 for k in v):
            raise ValueError(f"layers must be whole numbers >= 0, got {list(v)}")
        return tuple(sorted(set(v)))

    @field_validator("tasks_a", "tasks_b")
    @classmethod
    def _two_tasks(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is None:
            return None
        names = tuple(t.strip() for t in v)
        if len(names) != 2 or not all(names) or len(set(names)) != 2:
            raise ValueError(f"give two distinct task names a side; got {list(v)}")
        return names

    @model_validator(mode="after")
    def _both_sides(self) -> LoraConfig:
        if (self.tasks_a is None) != (self.tasks_b is None):
            raise ValueError("give both --tasks-a and --tasks-b (tasks_a and tasks_b), or "
                             "neither to use the suite's")
        return self

    @field_validator("suite")
    @classmethod
    def _suite(cls, v: str) -> str:
        get_suite(v)
        return v

    @property
    def model_name(self) -> str:
        return self.model or get_suite(self.suite).model

    def spec(self, rank: int) -> LoraSpec:
        """The adapter of one rank; with ``alpha_scaling = "rank"`` alpha is lora_alpha * r."""
        if rank < 0:
            raise ValueError(f"rank must be a whole number >= 0, got {rank}")
        from ncnet.models.multitask import LoraSpec  # torch: only where a model is built

        alpha = self.lora_alpha * rank if self.alpha_scaling == "rank" and rank else self.lora_alpha
        return LoraSpec(rank=rank, alpha=alpha, dropout=self.lora_dropout,
                        target_modules=self.targets, layers=self.layers)

    @property
    def own_tasks(self) -> bool:
        """Whether the tasks are the user's (``tasks_a``/``tasks_b``), not the suite's."""
        return self.tasks_a is not None

    @property
    def tasks(self) -> tuple[str, ...]:
        """The four tasks: Alice's A1, A2, Bob's B1, B2."""
        if self.tasks_a is not None and self.tasks_b is not None:
            return (*self.tasks_a, *self.tasks_b)
        return get_suite(self.suite).tasks

    @property
    def paper_suite(self) -> str | None:
        """The paper suite whose Table 2 values go beside this sweep's: only for a suite that
        declares one (:attr:`ncnet.tasks.suites.Suite.paper`) and its own tasks."""
        return None if self.own_tasks else get_suite(self.suite).paper

    def task(self, head: Literal["A", "B"], index: int) -> str:
        """Task name of Alice's (``A``) or Bob's (``B``) setting ``index`` in {1, 2}."""
        if index not in (1, 2):
            raise ValueError(f"setting index must be 1 or 2, got {index}")
        return self.tasks[(0 if head == "A" else 2) + index - 1]
