"""A worked example of your own model through ncnet's pair design (docs/example-digits.md).

scikit-learn's digits (1,797 8x8 images, shipped inside scikit-learn) and a small shared-trunk
MLP: 64 pixels -> ``level`` ReLU units -> two heads, Alice's and Bob's, each a binary task on
the digit. Alice's tasks: ``even`` (the digit is even) and ``gt4`` (it is 5 or more); Bob's:
``mod3`` (a multiple of 3) and ``loop`` (it is drawn with a closed loop: 0, 6, 8, 9). One call
trains one pair model (full-batch Adam on the sum of the two heads' losses) and returns the
two heads' correctness on the same 539 test images, with their ids (so ncnet pairs the items)
and each head's chance level (the majority-class rate its accuracy must beat).

    ncnet run docs/examples/digits.toml
"""

from __future__ import annotations

import numpy as np

TASKS = {
    "even": lambda y: y % 2 == 0,
    "gt4": lambda y: y > 4,
    "mod3": lambda y: y % 3 == 0,
    "loop": lambda y: np.isin(y, [0, 6, 8, 9]),
}
EPOCHS = 400


def digits_split(seed: int = 0, test: float = 0.3):
    """Standardized pixels and labels, split once (the same test images for every model)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order].astype(np.float32), y[order]
    n_test = int(round(test * len(y)))
    mean, sd = x[n_test:].mean(0), x[n_test:].std(0) + 1e-6
    x = (x - mean) / sd
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def train_pair(task_a: str, task_b: str, level: int, seed: int, epochs: int = EPOCHS):
    """One pair model: a trunk of ``level`` ReLU units, Alice's head on ``task_a`` and Bob's on
    ``task_b``; returns ``A``, ``B`` (correct on each test image) and ``item`` (its id)."""
    import torch

    torch.manual_seed(1000 * seed + int(level))
    (x_tr, y_tr), (x_te, y_te) = digits_split()
    xt = torch.from_numpy(x_tr)
    ta = torch.from_numpy(TASKS[task_a](y_tr).astype(np.float32))
    tb = torch.from_numpy(TASKS[task_b](y_tr).astype(np.float32))
    trunk = torch.nn.Sequential(torch.nn.Linear(64, int(level)), torch.nn.ReLU())
    heads = torch.nn.Linear(int(level), 2)
    params = [*trunk.parameters(), *heads.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(epochs):
        opt.zero_grad()
        z = heads(trunk(xt))
        (bce(z[:, 0], ta) + bce(z[:, 1], tb)).backward()
        opt.step()
    with torch.no_grad():
        z = heads(trunk(torch.from_numpy(x_te))).numpy()
    label_a, label_b = TASKS[task_a](y_te), TASKS[task_b](y_te)
    return {"A": (z[:, 0] > 0) == label_a, "B": (z[:, 1] > 0) == label_b,
            "item": np.arange(len(y_te)),   # the same test images in every pair: paired items
            "chance_A": max(label_a.mean(), 1 - label_a.mean()),   # majority-class rates
            "chance_B": max(label_b.mean(), 1 - label_b.mean())}


def train_joint(tasks_a: list[str], tasks_b: list[str], level: int, seed: int,
                epochs: int = EPOCHS):
    """The joint control: one trunk of ``level`` units and four heads (Alice's two tasks,
    Bob's two), trained together; every head's correctness on the same test images."""
    import torch

    torch.manual_seed(1000 * seed + int(level) + 500)
    (x_tr, y_tr), (x_te, y_te) = digits_split()
    tasks = [*tasks_a, *tasks_b]
    targets = torch.from_numpy(np.stack([TASKS[t](y_tr) for t in tasks], 1).astype(np.float32))
    trunk = torch.nn.Sequential(torch.nn.Linear(64, int(level)), torch.nn.ReLU())
    heads = torch.nn.Linear(int(level), len(tasks))
    opt = torch.optim.Adam([*trunk.parameters(), *heads.parameters()], lr=0.01)
    xt = torch.from_numpy(x_tr)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(heads(trunk(xt)), targets,
                                                                    reduction="sum")
        (loss / len(xt)).backward()
        opt.step()
    with torch.no_grad():
        z = heads(trunk(torch.from_numpy(x_te))).numpy()
    correct = [(z[:, k] > 0) == TASKS[t](y_te) for k, t in enumerate(tasks)]
    return {"A": correct[:len(tasks_a)], "B": correct[len(tasks_a):]}


def train_joint_quick(tasks_a: list[str], tasks_b: list[str], level: int, seed: int):
    """The joint control at 40 epochs: the test suite's tiny version."""
    return train_joint(tasks_a, tasks_b, level, seed, epochs=40)


def train_pair_quick(task_a: str, task_b: str, level: int, seed: int):
    """The same at 40 epochs: the test suite's tiny version."""
    return train_pair(task_a, task_b, level, seed, epochs=40)
