"""The README's CHSHScore example runs (shortened) and its S is chsh.score_table's."""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ncnet import chsh

pytest.importorskip("torchmetrics")

README = Path(__file__).resolve().parents[1] / "README.md"


def example_code() -> str:
    text = README.read_text()
    after = text.split("<!-- metric-example", 1)[1]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_readme_metric_example_runs_and_matches_score_table(monkeypatch):
    code = example_code()
    assert "EPOCHS, EVAL_EVERY = 2000, 500" in code
    code = code.replace("EPOCHS, EVAL_EVERY = 2000, 500", "EPOCHS, EVAL_EVERY = 60, 20")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = io.StringIO()
    namespace: dict = {}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(README), "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 20", "epoch 40", "epoch 60"]
    # the last score, recomputed from the trained models without the metric
    rows = []
    with torch.no_grad():
        for (i, j), model in namespace["models"].items():
            pred = (model(namespace["x"]) > 0).numpy()
            truth = namespace["targets"][i, j].numpy() > 0.5
            correct = pred == truth
            rows += [(i, j, int(a), int(b)) for a, b in correct]
    want = chsh.score_table(pd.DataFrame(rows, columns=["i", "j", "A", "B"]), n_boot=2000)
    got = namespace["score"]
    assert got.S == want.S and got.ci == want.ci and got.test == want.test
    assert np.array_equal(got.C, want.C) and got.s_product == want.s_product
    assert lines[-1].startswith(f"epoch 60: S = {want.S:.3f}")
