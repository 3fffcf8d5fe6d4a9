"""Training and evaluation core of the LoRA CHSH experiment (paper Section 5).

One call of :func:`train_pair` trains ONE model for one ``(rank, i, j, seed)``: Alice's head on
task ``A_i``, Bob's on ``B_j``, jointly (each step one batch of each task, loss = CE_A + CE_B).
After every epoch both heads are evaluated on their test sets and a plain dict is yielded:

    rank, i, j, seed, epoch, outcomes_A, outcomes_B, acc_A, acc_B, loss_A, loss_B, train_s

``outcomes_*`` are lists of +1 (correct) / -1 (wrong), paired by index and truncated to the
shorter test set; ``acc_*`` use the full test sets; ``loss_*`` are mean training losses of the
epoch. No store, no CLI: plain functions and dicts. Everything is seeded: model init by
``torch.manual_seed(seed)``, the batch order of epoch ``e`` by a generator seeded from
``(seed, e)``, so a rerun of the same config reproduces every epoch on the same device.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from ncnet.experiments.lora.config import LoraConfig
from ncnet.models.multitask import MultiTaskLora, build_model, resolve_model
from ncnet.runtime.extras import require
from ncnet.runtime.hub import hub_offline, hub_switch
from ncnet.tasks.text import TASKS, check_data_dir, has_local, load_task

CHECKPOINT_WEIGHTS = "trainable.safetensors"
CHECKPOINT_META = "meta.json"


@dataclass
class Encoded:
    """Token ids of one split: ``ids[k]`` is a list of at most ``max_len`` ints;
    ``type_ids[k]`` the tokenizer's segment ids of the same row (0 for the first text, 1 for
    the second of a pair), ``None`` for tokenizers without segments."""

    ids: list[list[int]]
    labels: torch.Tensor
    type_ids: list[list[int]] | None = None

    def batch(self, idx: list[int], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
        """Rows ``idx`` padded to their longest: the model's keyword inputs."""
        ids, mask = collate([self.ids[k] for k in idx], pad_id, device)
        inputs = {"input_ids": ids, "attention_mask": mask}
        if self.type_ids is not None:
            inputs["token_type_ids"] = collate([self.type_ids[k] for k in idx], 0, device)[0]
        return inputs


@dataclass
class TaskData:
    name: str
    train: Encoded
    test: Encoded


def check_model(cfg: LoraConfig) -> None:
    """ValueError (one line) when the config's targets or layers do not fit its encoder;
    the encoder is built from its config on the meta device (no weights, no memory)."""
    build_model(cfg.model_name, cfg.spec(max(cfg.ranks)), pooling=cfg.pooling, pretrained=False,
                device="meta")


def torch_device(device: str) -> torch.device:
    """``auto`` -> cuda when available, else cpu."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_tokenizer(model: str):
    """The encoder's tokenizer from a local path / ``minilm``; clear error when unreachable."""
    require("transformers")
    require("peft")  # Section 5 needs both: fail here, before anything is written
    from transformers import AutoTokenizer

    try:
        with hub_offline():
            return AutoTokenizer.from_pretrained(resolve_model(model))
    except Exception as exc:
        raise ValueError(
            f"tokenizer of model {model!r} cannot be loaded offline: give a local directory "
            f"or 'minilm', or {hub_switch()} ({type(exc).__name__})"
        ) from exc


def encode(tokenizer, frame, max_len: int) -> Encoded:
    """Tokenize ``text`` [+ ``text_b``] without padding, truncated to ``max_len`` tokens. The
    tokenizer's segment ids are kept, so BERT reads a pair's second text as segment B."""
    texts = frame["text"].tolist()
    pairs = frame["text_b"].tolist() if "text_b" in frame.columns else None
    enc = tokenizer(texts, pairs, truncation=True, max_length=max_len)
    return Encoded(ids=enc["input_ids"], labels=torch.tensor(frame["label"].to_numpy()),
                   type_ids=enc.get("token_type_ids"))


def _task_options(cfg: LoraConfig) -> dict[str, Any]:
    return {"data_dir": cfg.data_dir, "cache_dir": cfg.cache_dir, "seed": cfg.data_seed,
            "n_train": cfg.train_size, "n_test": cfg.test_size}


def load_task_data(cfg: LoraConfig, name: str, tokenizer) -> TaskData:
    """Train and test of task ``name`` at the config's sizes, tokenized."""
    train = load_task(name, "train", size=cfg.train_size, **_task_options(cfg))
    test = load_task(name, "test", size=cfg.test_size, **_task_options(cfg))
    return TaskData(
        name, encode(tokenizer, train, cfg.max_len), encode(tokenizer, test, cfg.max_len)
    )


def label_counts(labels: torch.Tensor) -> list[int]:
    """Items per class of binary labels ``(n,)``: ``[n_0, n_1]``."""
    return torch.bincount(labels.long(), minlength=2).tolist()


def reload_label_counts(cfg: LoraConfig, tasks: list[str]) -> dict[str, list[int]]:
    """Class counts of each task's test labels, reloaded from the task data with the rows
    training used (:func:`load_task_data`'s sizes and seed, no tokenizer); a task whose data
    cannot be loaded here is left out (its chance is then taken as 0.5). For records stored
    before they kept their labels."""
    out: dict[str, list[int]] = {}
    for name in dict.fromkeys(tasks):
        try:
            frame = load_task(name, "test", size=cfg.test_size, **_task_options(cfg))
        except (ValueError, RuntimeError, OSError, ImportError):
            continue
        out[name] = label_counts(torch.tensor(frame["label"].tolist()))
    return out


def collate(ids: list[list[int]], pad_id: int, device: torch.device):
    """Pad to the longest row: ``(input_ids, attention_mask)``, both ``(len(ids), max len)``."""
    width = max(len(x) for x in ids)
    out = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for k, row in enumerate(ids):
        out[k, : len(row)] = torch.tensor(row)
        mask[k, : len(row)] = 1
    return out.to(device), mask.to(device)


@torch.no_grad()
def predict(
    model: MultiTaskLora,
    data: Encoded,
    head: int,
    pad_id: int,
    device: torch.device,
    batch_size: int = 128,
    precision: str = "fp32",
) -> torch.Tensor:
    """Predicted class per item ``(n,)``, batches formed in length order for speed."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(data.ids)), key=lambda k: len(data.ids[k]))
    preds = torch.empty(len(order), dtype=torch.long)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        inputs = data.batch(idx, pad_id, device)
        with autocast(precision, device):
            preds[idx] = model(head=head, **inputs).argmax(-1).cpu()
    model.train(was_training)
    return preds


def autocast(precision: str, device: torch.device):
    """bf16 autocast on CUDA for ``precision == "bf16"``; otherwise a no-op context."""
    import contextlib

    if precision == "bf16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def outcomes(preds: torch.Tensor, labels: torch.Tensor) -> list[int]:
    """+1 where ``preds == labels``, else -1."""
    return [1 if ok else -1 for ok in (preds == labels).tolist()]


def _epoch_batches(n: int, steps: int, batch: int, gen: torch.Generator) -> list[list[int]]:
    order: list[int] = []
    while len(order) < steps * batch:
        order += torch.randperm(n, generator=gen).tolist()
    return [order[s * batch : (s + 1) * batch] for s in range(steps)]


def gradient_cosines(grads_a: dict[str, torch.Tensor | None],
                     grads_b: dict[str, torch.Tensor | None]) -> dict[str, Any]:
    """Cosine of two heads' gradients on the LoRA parameters, per encoder layer (keyed by
    its index) and overall, with both norms; ``None`` where a gradient is zero. Parameters
    are matched by name; a missing gradient counts as zero.

    >>> g = {"encoder.layer.0.q.lora_A.weight": torch.tensor([1.0, 2.0])}
    >>> gradient_cosines(g, {k: -v for k, v in g.items()})["layers"]
    {'0': -1.0}
    """
    import re

    sums: dict[str, list[float]] = {}
    for name in grads_a.keys() | grads_b.keys():
        a, b = grads_a.get(name), grads_b.get(name)
        if a is None and b is None:
            continue
        a = a.double() if a is not None else torch.zeros_like(b, dtype=torch.float64)
        b = b.double() if b is not None else torch.zeros_like(a)
        found = re.search(r"\.layer\.(\d+)\.", f".{name}")
        acc = sums.setdefault(found.group(1) if found else "other", [0.0, 0.0, 0.0])
        acc[0] += float((a * b).sum())
        acc[1] += float((a * a).sum())
        acc[2] += float((b * b).sum())

    def cos(dot: float, aa: float, bb: float) -> float | None:
        return dot / math.sqrt(aa * bb) if aa > 0 and bb > 0 else None

    total = [sum(v[k] for v in sums.values()) for k in range(3)]
    return {"cos": cos(*total), "norm_A": math.sqrt(total[1]), "norm_B": math.sqrt(total[2]),
            "layers": {k: cos(*v) for k, v in sorted(sums.items(), key=lambda kv: (
                not kv[0].isdigit(), int(kv[0]) if kv[0].isdigit() else 0))}}


def _traced_backward(model: MultiTaskLora, ces: list[torch.Tensor]) -> dict[str, Any]:
    """Backward of ``sum(ces)`` one head at a time: the parameters' gradients end up the
    same as ``sum(ces).backward()`` (each is the sum of the two heads' parts, and the
    heads' graphs share only parameters); returns :func:`gradient_cosines` of the heads'
    LoRA gradients."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    parts = []
    for ce in ces:
        for _, p in params:
            p.grad = None
        ce.backward()
        parts.append([p.grad for _, p in params])
    for (_, p), ga, gb in zip(params, *parts, strict=True):
        p.grad = ga if gb is None else gb if ga is None else ga + gb
    lora = [k for k, (n, _) in enumerate(params) if "lora_" in n]
    return gradient_cosines({params[k][0]: parts[0][k] for k in lora},
                            {params[k][0]: parts[1][k] for k in lora})


def train_heads(
    cfg: LoraConfig,
    rank: int,
    seed: int,
    tasks: list[TaskData],
    pad_id: int,
    *,
    model: MultiTaskLora | None = None,
    trace: list[dict[str, Any]] | None = None,
) -> Iterator[tuple[int, MultiTaskLora, list[float]]]:
    """Train head ``h`` on ``tasks[h]`` (one or two tasks) jointly; yield after each epoch.

    Yields ``(epoch, model, mean training loss per head)``; the model is in train mode. The
    first yield is epoch 0, the untrained model (losses NaN), so curves over epochs start
    where the paper's μ∇S window starts. With ``cfg.trace_every`` and a ``trace`` list, two
    heads and LoRA adapters, step 1 and every ``trace_every``-th step append
    ``{"epoch", "step", **gradient_cosines(...)}`` to ``trace``; training is unchanged.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch_device(cfg.device)
    torch.manual_seed(seed)
    if model is None:
        model = build_model(
            cfg.model_name, cfg.spec(rank), pooling=cfg.pooling, pretrained=cfg.pretrained
        )
    model.to(device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr)
    steps = math.ceil(max(len(t.train.ids) for t in tasks) / cfg.batch_size)
    tracing = (trace is not None and cfg.trace_every > 0 and len(tasks) == 2
               and any("lora_" in n for n, p in model.named_parameters() if p.requires_grad))
    yield 0, model, [math.nan] * len(tasks)
    for epoch in range(1, cfg.epochs + 1):
        gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
        plans = [_epoch_batches(len(t.train.ids), steps, cfg.batch_size, gen) for t in tasks]
        totals = [0.0] * len(tasks)
        for s in range(steps):
            loss = torch.zeros((), device=device)
            ces = []
            for h, task in enumerate(tasks):
                idx = plans[h][s]
                inputs = task.train.batch(idx, pad_id, device)
                with autocast(cfg.precision, device):
                    logits = model(head=h, **inputs)
                ce = F.cross_entropy(logits.float(), task.train.labels[idx].to(device))
                totals[h] += float(ce.detach())
                loss = loss + ce
                ces.append(ce)
            opt.zero_grad(set_to_none=True)
            step = (epoch - 1) * steps + s + 1
            if tracing and (step == 1 or step % cfg.trace_every == 0):
                assert trace is not None
                trace.append({"epoch": epoch, "step": step, **_traced_backward(model, ces)})
            else:
                loss.backward()
            opt.step()
        yield epoch, model, [t / steps for t in totals]


def train_pair(
    cfg: LoraConfig,
    rank: int,
    i: int,
    j: int,
    seed: int,
    *,
    callback: Callable[[dict[str, Any]], None] | None = None,
    checkpoint_dir: str | Path | None = None,
    tokenizer=None,
    data: dict[str, TaskData] | None = None,
    artifacts: dict[str, bytes] | None = None,
) -> Iterator[dict[str, Any]]:
    """Train the model of setting pair ``(i, j)`` and yield one result dict per epoch.

    ``data`` may hold already tokenized tasks by name (reused across pairs and ranks).
    With ``checkpoint_dir`` the final adapter + heads are saved there (:func:`save_checkpoint`);
    ``artifacts`` receives the same files as {name: bytes} (:func:`checkpoint_files`).
    """
    cfg.spec(rank)
    tokenizer = tokenizer or load_tokenizer(cfg.model_name)
    data = data if data is not None else {}
    names = [cfg.task("A", i), cfg.task("B", j)]
    for name in names:
        if name not in data:
            data[name] = load_task_data(cfg, name, tokenizer)
    tasks = [data[n] for n in names]
    device = torch_device(cfg.device)
    pad_id = tokenizer.pad_token_id or 0
    start = time.perf_counter()
    model = None
    trace: list[dict[str, Any]] | None = [] if cfg.trace_every else None
    for epoch, model, losses in train_heads(cfg, rank, seed, tasks, pad_id, trace=trace):
        train_s = time.perf_counter() - start
        out_a, out_b = (
            outcomes(predict(model, t.test, h, pad_id, device, precision=cfg.precision),
                     t.test.labels)
            for h, t in enumerate(tasks)
        )
        n = min(len(out_a), len(out_b))
        row = {
            "rank": rank,
            "i": i,
            "j": j,
            "seed": seed,
            "epoch": epoch,
            "outcomes_A": out_a[:n],
            "outcomes_B": out_b[:n],
            "acc_A": out_a.count(1) / len(out_a),
            "acc_B": out_b.count(1) / len(out_b),
            "loss_A": losses[0],
            "loss_B": losses[1],
            "train_s": train_s,
        }
        if trace is not None:
            row["grad_trace"] = trace[:]
            trace.clear()
        if callback is not None:
            callback(row)
        yield row
    meta = {"rank": rank, "i": i, "j": j, "seed": seed, "epoch": cfg.epochs}
    if checkpoint_dir is not None and model is not None:
        save_checkpoint(model, checkpoint_dir, cfg, meta)
    if artifacts is not None and model is not None:
        artifacts.update(checkpoint_files(model, cfg, meta))


def run_pair(cfg: LoraConfig, rank: int, i: int, j: int, seed: int, **kw: Any) -> list[dict]:
    """All epochs of :func:`train_pair` as a list."""
    return list(train_pair(cfg, rank, i, j, seed, **kw))


def train_single(
    cfg: LoraConfig,
    rank: int,
    task: str,
    seed: int,
    *,
    tokenizer=None,
    data: dict[str, TaskData] | None = None,
) -> Iterator[dict[str, Any]]:
    """Single-task baseline: only Alice's head, on ``task``; yields epoch, acc, loss."""
    tokenizer = tokenizer or load_tokenizer(cfg.model_name)
    data = data if data is not None else {}
    if task not in data:
        data[task] = load_task_data(cfg, task, tokenizer)
    device = torch_device(cfg.device)
    pad_id = tokenizer.pad_token_id or 0
    start = time.perf_counter()
    for epoch, model, losses in train_heads(cfg, rank, seed, [data[task]], pad_id):
        train_s = time.perf_counter() - start
        out = outcomes(predict(model, data[task].test, 0, pad_id, device), data[task].test.labels)
        yield {
            "task": task,
            "rank": rank,
            "seed": seed,
            "epoch": epoch,
            "acc": out.count(1) / len(out),
            "loss": losses[0],
            "train_s": train_s,
        }


def save_checkpoint(
    model: MultiTaskLora, directory: str | Path, cfg: LoraConfig, meta: dict[str, Any]
) -> Path:
    """Write the trainable tensors (LoRA + heads) and ``meta.json`` (config + run keys)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for name, blob in checkpoint_files(model, cfg, meta).items():
        (path / name).write_bytes(blob)
    return path


def checkpoint_files(model: MultiTaskLora, cfg: LoraConfig, meta: dict[str, Any]):
    """The files of a checkpoint as {name: bytes}: the trainable tensors (LoRA + heads) in
    safetensors format and ``meta.json`` (config + run keys)."""
    from safetensors.torch import save

    state = {k: v.contiguous() for k, v in model.trainable_state().items()}
    doc = {"config": cfg.model_dump(mode="json"), **meta}
    return {CHECKPOINT_WEIGHTS: save(state),
            CHECKPOINT_META: json.dumps(doc, indent=2, sort_keys=True).encode()}


def load_checkpoint(directory: str | Path) -> tuple[MultiTaskLora, LoraConfig, dict[str, Any]]:
    """Rebuild the model of a :func:`save_checkpoint` directory: ``(model, config, meta)``."""
    from safetensors.torch import load_file

    path = Path(directory)
    if not (path / CHECKPOINT_META).exists() or not (path / CHECKPOINT_WEIGHTS).exists():
        raise ValueError(
            f"no checkpoint in {path}: need {CHECKPOINT_META} and {CHECKPOINT_WEIGHTS}"
        )
    meta = json.loads((path / CHECKPOINT_META).read_text())
    cfg = LoraConfig(**meta.pop("config"))
    torch.manual_seed(int(meta["seed"]))
    model = build_model(
        cfg.model_name, cfg.spec(int(meta["rank"])), pooling=cfg.pooling, pretrained=cfg.pretrained
    )
    state = load_file(str(path / CHECKPOINT_WEIGHTS))
    missing = set(model.trainable_state()) - set(state)
    if missing:
        raise ValueError(f"checkpoint {path} lacks {len(missing)} trainable tensors")
    model.load_state_dict(state, strict=False)
    return model, cfg, meta


# --------------------------------------------------------------------------------------------
# The sweep seam (ncnet.engine.seam): one unit per pair model
# --------------------------------------------------------------------------------------------

LORA_EXPERIMENT = "lora"
LORA_ID_COLUMNS = ("experiment", "run", "seed", "rank")
LORA_RUNTIME_FIELDS = {"ranks", "seeds", "threads", "device", "cache_dir"}
LORA_OPTIONAL_FIELDS = ("targets", "layers", "alpha_scaling", "trace_every", "precision",
                        "tasks_a", "tasks_b")
"""Identity fields added later: hashed only when set, so older stores keep their hashes."""


def lora_identity(config: LoraConfig) -> dict[str, Any]:
    """The fields of a LoRA config that decide a model's record (not which models exist). A
    field left at a default that predates it is left out, so old hashes stay."""
    fields = type(config).model_fields
    unset = {k for k in LORA_OPTIONAL_FIELDS
             if k in fields and getattr(config, k) == fields[k].default}
    data = config.model_dump(mode="json", exclude=LORA_RUNTIME_FIELDS | unset)
    data["model"] = config.model_name
    return data


def lora_hash(config: LoraConfig) -> str:
    import hashlib

    blob = json.dumps(lora_identity(config), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


@dataclass
class LoraInputs:
    """The tokenizer and the four tokenized tasks of a LoRA config."""

    tokenizer: Any
    data: dict[str, Any]


def prepare_lora(config: LoraConfig) -> LoraInputs:
    """Load the tokenizer and all four tasks; any bad model or data file raises ValueError
    here, before a store or output directory is touched."""
    check_model(config)
    if config.data_dir is not None:
        owner = "--tasks-a/--tasks-b" if config.own_tasks else f"suite {config.suite}"
        check_data_dir(config.data_dir, owner, config.tasks)
    missing = [t for t in dict.fromkeys(config.tasks)
               if t not in TASKS and not has_local(config.data_dir, t)]
    if missing:
        where = (f"no folder {Path(config.data_dir) / missing[0]} (with train and test as "
                 ".csv, .jsonl or .parquet)" if config.data_dir else "no --data-dir given")
        raise ValueError(f"task {missing[0]!r} is neither a packaged task nor a local one: "
                         f"{where}")
    tokenizer = load_tokenizer(config.model_name)
    data: dict[str, Any] = {}
    for head in ("A", "B"):
        for index in (1, 2):
            name = config.task(head, index)
            if name not in data:
                data[name] = load_task_data(config, name, tokenizer)
    return LoraInputs(tokenizer, data)


_INPUTS: dict[str, LoraInputs] = {}  # per process: what prepare_lora loaded, by config


def inputs_for(config: LoraConfig) -> LoraInputs:
    """:func:`prepare_lora` once per process and config (workers reuse it across units)."""
    key = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    if key not in _INPUTS:
        _INPUTS.clear()
        _INPUTS[key] = prepare_lora(config)
    return _INPUTS[key]


def check_runtime(config: LoraConfig) -> str:
    """The resolved device; ``ValueError`` if it is missing here or the precision needs CUDA."""
    from ncnet.runtime.devices import resolve_device as checked_device

    device = checked_device(config.device)
    if config.precision == "bf16" and not device.startswith("cuda"):
        raise ValueError(f"precision bf16 needs a CUDA device; this run is on {device}, where "
                         "fp32 is the only choice")
    return device


def collect_lora(config: LoraConfig, stored: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored model records of the ranks and seeds ``config`` asks for."""
    wanted_ranks, wanted_seeds = set(config.ranks), set(config.seeds)
    return [r for r in stored.values() if r["rank"] in wanted_ranks and r["seed"] in wanted_seeds]


class LoraExperiment:
    """Section 5 on the sweep seam: a unit is one pair model (rank, seed, i, j); its record
    holds every epoch's outcomes, and its adapter and heads come back as checkpoint files."""

    name = LORA_EXPERIMENT
    config_type = LoraConfig
    stores = (LORA_EXPERIMENT,)
    id_columns = LORA_ID_COLUMNS
    options: dict[str, Any] = {"slope_window": 80}

    def __init__(self, slope_window: int = 80):
        if slope_window < 1:
            raise ValueError(f"slope window {slope_window} must be a whole number >= 1")
        self.slope_window = slope_window

    def config_hash(self, config: LoraConfig) -> str:
        return lora_hash(config)

    def prepare(self, config: LoraConfig) -> None:
        check_runtime(config)
        inputs_for(config)

    def planned(self, config: LoraConfig) -> list[str]:
        from ncnet.experiments.lora.summary import model_key

        return [model_key(rank, i, j, seed) for rank in config.ranks for seed in config.seeds
                for i, j in ((1, 1), (1, 2), (2, 1), (2, 2))]

    def units(self, config: LoraConfig, done: dict[str, set[str]]) -> list:
        from ncnet.engine.seam import Unit
        from ncnet.experiments.lora.summary import model_key

        have = done.get(LORA_EXPERIMENT, set())
        return [Unit(store=LORA_EXPERIMENT, key=model_key(rank, i, j, seed),
                     keys=(model_key(rank, i, j, seed),), work=config.epochs + 1,
                     label=f"r={rank} seed={seed} pair ({i},{j})", spec=(rank, seed, i, j))
                for rank in config.ranks for seed in config.seeds
                for i, j in ((1, 1), (1, 2), (2, 1), (2, 2))
                if model_key(rank, i, j, seed) not in have]

    def train(self, config: LoraConfig, unit: Any,
              progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        from ncnet.engine.seam import FILES
        from ncnet.experiments.lora.summary import model_record

        rank, seed, i, j = unit.spec
        inputs = inputs_for(config)
        files: dict[str, bytes] = {}
        epochs = list(train_pair(
            config, rank, i, j, seed, tokenizer=inputs.tokenizer, data=inputs.data,
            artifacts=files, callback=(lambda _row: progress(1)) if progress else None,
        ))
        labels = {side: label_counts(inputs.data[config.task(side, k)].test.labels)
                  for side, k in (("A", i), ("B", j))}
        record = model_record(rank, i, j, seed, epochs, test_labels=labels)
        folder = f"checkpoints/{lora_hash(config)}/{record['key']}"
        record[FILES] = {f"{folder}/{name}": blob for name, blob in files.items()}
        return [record]

    def collect(self, config: LoraConfig, stored: dict[str, Any]) -> list[dict[str, Any]]:
        return collect_lora(config, stored.get(LORA_EXPERIMENT, {}))

    def reload(self, config_json: dict[str, Any], stored: dict[str, Any]) -> LoraConfig:
        """The stored config, widened to every rank and seed stored under its hash (e.g. from
        sweeps of disjoint ranks into one directory)."""
        config = LoraConfig.model_validate(config_json)
        records = list(stored.get(LORA_EXPERIMENT, {}).values())
        if records:
            config = config.model_copy(update={
                "ranks": tuple(sorted({r["rank"] for r in records})),
                "seeds": tuple(sorted({r["seed"] for r in records})),
            })
        return config

    def summarize(self, config: LoraConfig, digest: str, records: Any):
        from ncnet.engine.seam import Outputs
        from ncnet.experiments.lora import summary as ls

        tasks = {f"{h}{k}": config.task(h, k) for h in ("A", "B") for k in (1, 2)}
        old = [r for r in records if "test_labels" not in r]
        gate = ls.rank_seed_gate(
            records, tasks, reload_label_counts(config, list(tasks.values())) if old else None)
        rows = ls.final_rows(records)
        ls.mark_learned(rows, gate)
        epochs = ls.epoch_rows(records)
        summary = ls.summarize_ranks(rows, epochs, self.slope_window, gate=gate)
        doc = {"experiment": LORA_EXPERIMENT, "config_hash": digest,
               "config": config.model_dump(mode="json"), "slope_window": self.slope_window,
               "by_rank": summary, "rank_trend": ls.gated_rank_trend(records, rows, gate),
               "learnability": gate}
        return Outputs(rows=rows, summary=summary, doc=doc,
                       tables={"epochs.csv": (epochs, ("rank", "seed", "epoch"))})

    def headline(self, result: Any) -> str:
        return (f"{result.trained.get(LORA_EXPERIMENT, 0)} pair models trained, "
                f"{result.complete_before} already in the store (config {result.config_hash})")

    def console_tables(self, summary: dict[str, Any]) -> list:
        from ncnet.experiments.lora.tables import console_tables

        return console_tables(summary)

    def metric_cells(self, config: LoraConfig, digest: str,
                     records: Any) -> tuple[Any, list[str]]:
        """The cells of 'S as a metric' (rank, seed) and notes (rank 0 left out)."""
        from ncnet.experiments.lora.metric_cells import lora_cells

        return lora_cells(self, config, digest, records)

    def write_report(self, out: Any, config: LoraConfig, result: Any) -> list[str]:
        from types import SimpleNamespace

        from ncnet.experiments.lora.report import write_lora_report
        from ncnet.models.multitask import param_table

        view = SimpleNamespace(summary=result.summary, epochs=result.tables["epochs.csv"][0],
                               slope_window=self.slope_window, config_hash=result.config_hash,
                               trend=result.doc.get("rank_trend"),
                               gate=result.doc.get("learnability"))
        return write_lora_report(out, config, view, param_table(config.model_name,
                                                                list(config.ranks)))
