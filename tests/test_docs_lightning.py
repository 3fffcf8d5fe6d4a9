"""docs/lightning.md's CHSHScore examples run (shortened) and give chsh.score_table's values.

The plain-loop block and the Lightning blocks are read from the page itself, so the page
cannot drift from the API.
"""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ncnet import chsh
from ncnet.bell.score import PAIRED_SCHEME

pytest.importorskip("torchmetrics")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lightning.md"


def block(marker: str) -> str:
    """The first ```python block after ``<!-- marker``."""
    after = PAGE.read_text().split(f"<!-- {marker}", 1)[1]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def run(code: str, namespace: dict) -> str:
    """Exec ``code`` in ``namespace`` with one torch thread; its stdout."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(PAGE), "exec"), namespace)
    finally:
        torch.set_num_threads(threads)
    return out.getvalue()


def test_plain_loop_example_runs_and_matches_score_table():
    code = block("metric-example")
    assert "EPOCHS, EVAL_EVERY = 2000, 500" in code
    code = code.replace("EPOCHS, EVAL_EVERY = 2000, 500", "EPOCHS, EVAL_EVERY = 60, 20")
    namespace: dict = {}
    lines = run(code, namespace).splitlines()
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
    assert namespace["metric"].compute().item() == want.S
    assert lines[-1].startswith(f"epoch 60: S = {want.S:.3f}")


def outcomes_table(module, data) -> pd.DataFrame:
    """The module's per-item outcomes on ``data`` as score_table rows, without the metric."""
    x, y, item = data.tensors
    rows = []
    with torch.no_grad():
        for k, (i, j) in enumerate(module.models_pairs):
            correct = ((module.models[k](x) > 0) == y[:, k].bool()).numpy()
            rows += [(i, j, int(n), int(a), int(b))
                     for n, (a, b) in zip(item.tolist(), correct, strict=True)]
    return pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])


@pytest.mark.filterwarnings("ignore:The number of training batches")  # 10 steps an epoch
@pytest.mark.filterwarnings("ignore:`isinstance.treespec, LeafSpec.` is deprecated")  # Lightning's
def test_lightning_example_logs_score_table_values(tmp_path, monkeypatch):
    pytest.importorskip("lightning")
    monkeypatch.chdir(tmp_path)  # the example's CSVLogger writes under ./runs
    module_code, fit_code = block("lightning-module"), block("lightning-fit")
    assert "EPOCHS, STEPS_PER_EPOCH = 3, 200" in module_code
    module_code = module_code.replace("STEPS_PER_EPOCH = 3, 200", "STEPS_PER_EPOCH = 3, 10")
    namespace: dict = {}
    run(module_code, namespace)
    seen = []

    class Recorded(namespace["PairModels"]):
        """The page's module, recording after each validation what Lightning logged and
        what score_table gives on the same outcomes of the same weights."""

        models_pairs = namespace["PAIRS"]

        def on_validation_end(self):
            if not self.trainer.sanity_checking:
                logged = {k: v.item() for k, v in self.trainer.callback_metrics.items()}
                want = chsh.score_table(outcomes_table(self, namespace["data"]), n_boot=2000)
                seen.append((logged, want))

    namespace["PairModels"] = Recorded
    printed = run(fit_code, namespace)
    assert len(seen) == 3  # three validation epochs, each after its own reset
    for logged, want in seen:
        assert want.scheme == PAIRED_SCHEME  # the ids reached the metric
        assert logged["val_S"] == want.S
        assert (logged["val_ci_low"], logged["val_ci_high"]) == want.ci
        assert logged["val_p_value"] == want.test["p_value"]
        assert [logged[f"val_C{i}{j}"] for i, j in chsh.PAIRS] == want.C.ravel().tolist()
    # what the page prints is what the CSV logger stored, one row per validation epoch
    table = pd.read_csv(next((tmp_path / "runs").rglob("metrics.csv")))
    assert table["val_S"].tolist() == [logged["val_S"] for logged, _ in seen]
    header, *rows = printed.splitlines()[-4:]  # after Lightning's own model summary
    assert header.split() == ["epoch", "val_S", "val_ci_low", "val_ci_high", "val_p_value"]
    assert [float(r.split()[1]) for r in rows] == [logged["val_S"] for logged, _ in seen]
