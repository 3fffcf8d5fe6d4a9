"""``ncnet bench lora``: ncnet's LoRA training step against the loop a user would write from
the PEFT and transformers docs, measured in one process.
"""

from __future__ import annotations

import time
from typing import Any

import torch


def plain_peft_loop(config: Any, rank: int, texts: list[list[str]], labels: list[torch.Tensor],
                    steps: int) -> None:
    """The loop a user would write from the PEFT and transformers docs: ``AutoModel`` +
    ``get_peft_model`` (query, value), every text padded to ``max_len`` (``padding=
    "max_length"``), CLS pooling, two linear heads, AdamW; ``steps`` steps of one batch per
    task."""
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model
    from transformers import AutoModel, AutoTokenizer

    from ncnet.models.multitask import resolve_model
    from ncnet.runtime.hub import hub_offline

    with hub_offline():
        path = resolve_model(config.model_name)
        tokenizer = AutoTokenizer.from_pretrained(path)
        encoder = AutoModel.from_pretrained(path)
    model = get_peft_model(encoder, PeftLoraConfig(
        r=rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=["query", "value"]))
    hidden = encoder.config.hidden_size
    heads = torch.nn.ModuleList([torch.nn.Linear(hidden, 2), torch.nn.Linear(hidden, 2)])
    params = [p for p in model.parameters() if p.requires_grad] + list(heads.parameters())
    opt = torch.optim.AdamW(params, lr=config.lr)
    batches = [tokenizer(t, padding="max_length", truncation=True, max_length=config.max_len,
                         return_tensors="pt") for t in texts]
    bs = config.batch_size
    model.train()
    for step in range(steps):
        loss = torch.zeros(())
        for h in range(2):
            lo, hi = (step * bs) % len(texts[h]), (step * bs) % len(texts[h]) + bs
            out = model(input_ids=batches[h]["input_ids"][lo:hi],
                        attention_mask=batches[h]["attention_mask"][lo:hi])
            logits = heads[h](out.last_hidden_state[:, 0])
            loss = loss + torch.nn.functional.cross_entropy(logits, labels[h][lo:hi])
        opt.zero_grad()
        loss.backward()
        opt.step()


def bench_lora(config: Any, rank: int = 4) -> dict[str, Any]:
    """Training examples per second of ncnet's LoRA loop (one epoch of the hard-hard pair
    model, dynamic padding) and of :func:`plain_peft_loop` on the same data and steps."""
    import math

    from ncnet.experiments.lora import experiment as lora
    from ncnet.tasks.text import load_task

    if config.threads:
        torch.set_num_threads(config.threads)
    one_epoch = config.model_copy(update={"epochs": 1})
    tokenizer = lora.load_tokenizer(config.model_name)
    names = [config.task("A", 2), config.task("B", 2)]
    data = [lora.load_task_data(config, n, tokenizer) for n in names]
    steps = math.ceil(max(len(d.train.ids) for d in data) / config.batch_size)
    examples = steps * config.batch_size * 2
    start = time.perf_counter()
    for _ in lora.train_heads(one_epoch, rank, config.seeds[0], data,
                              tokenizer.pad_token_id or 0):
        pass
    ours = time.perf_counter() - start
    frames = [load_task(n, "train", size=config.train_size, data_dir=config.data_dir,
                        cache_dir=config.cache_dir, seed=config.data_seed,
                        n_train=config.train_size, n_test=config.test_size) for n in names]
    texts = [f["text"].tolist() if "text_b" not in f else
             list(zip(f["text"], f["text_b"], strict=True)) for f in frames]
    labels = [torch.tensor(f["label"].to_numpy()) for f in frames]
    start = time.perf_counter()
    plain_peft_loop(config, rank, texts, labels, steps)
    plain = time.perf_counter() - start
    return {"tasks": names, "rank": rank, "steps": steps, "examples": examples,
            "ours_seconds": ours, "plain_seconds": plain,
            "ours_examples_per_s": examples / ours, "plain_examples_per_s": examples / plain,
            "speedup": plain / ours, "threads": torch.get_num_threads()}
