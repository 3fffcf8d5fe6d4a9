"""NCnet: many small shared-hidden-layer networks trained at once along a leading model axis.

One model maps the 16 encoded inputs ``x`` (16, 4) through ``n`` ReLU units to ``K`` logits
(``K = 2`` for an Alice/Bob pair model, ``K = 4`` for the joint-measurement control).

``M`` models of different hidden sizes share one batch: every model is padded to the largest
hidden size ``H`` with exact zeros. A padded unit has zero in- and out-weights, so its
activation, its gradients and its Adam moments stay exactly zero for the whole run; no
mask is needed. Each model owns its initial weights (drawn from its own seed) and its own
optimizer state, so a model's trajectory does not depend on the other models in the batch.

Parameters of model ``m`` live in one flat row ``theta[m]`` of length ``P = 5H + (H+1)K``:
``W1`` (5, H) is the input layer with its bias as the last row (the inputs carry a
constant-1 column), ``W2`` (H+1, K) the heads with their biases as the last row.

Two trainers share these conventions:

- :func:`train_batched`: forward, backward and Adam/SGD written out as ~16 batched tensor
  operations per epoch (the fast path).
- :func:`train_reference`: one ``torch.nn`` module and one ``torch.optim`` optimizer per
  model, autograd, a Python loop (the readable reference, and the naive baseline of
  ``ncnet bench toy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ncnet.models.settings import (
    INITS,
    N_BITS,
    Init,
    Loss,
    TrainSettings,
)


def layout(hidden_max: int, n_heads: int) -> tuple[int, int]:
    """Sizes (len(W1), len(W2)) of the two blocks of a flat parameter row."""
    return (N_BITS + 1) * hidden_max, (hidden_max + 1) * n_heads


def split_params(theta: torch.Tensor, hidden_max: int, n_heads: int):
    """Views ``W1`` (M, 5, H) and ``W2`` (M, H+1, K) into ``theta`` (M, P)."""
    n1, n2 = layout(hidden_max, n_heads)
    m = theta.shape[0]
    w1 = theta[:, :n1].view(m, N_BITS + 1, hidden_max)
    w2 = theta[:, n1 : n1 + n2].view(m, hidden_max + 1, n_heads)
    return w1, w2


def _draw_raw(fan_in: int, fan_out: int, init: Init, gen: torch.Generator) -> list[torch.Tensor]:
    """The generator draws of one layer, in order: the weights as (fan_out, fan_in) flat, then
    the bias where the init draws one; unscaled."""
    if init == "torch":
        return [torch.rand(fan_out * fan_in, generator=gen, dtype=torch.float64),
                torch.rand(fan_out, generator=gen, dtype=torch.float64)]
    if init == "xavier":
        return [torch.rand(fan_out * fan_in, generator=gen, dtype=torch.float64)]
    if init == "he":
        return [torch.randn(fan_out * fan_in, generator=gen, dtype=torch.float64)]
    raise ValueError(f"unknown init {init!r}; allowed: {', '.join(INITS)}")


def _shape_layer(raw: list[torch.Tensor], fan_in: int, fan_out: int, init: Init):
    """One layer's weights (M, fan_in, fan_out) and biases (M, fan_out) in float64 from the
    draws of :func:`_draw_raw`, each stacked with a leading model axis. ``torch`` is
    nn.Linear's default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both; ``xavier`` uniform with
    zero bias; ``he`` Kaiming normal with zero bias."""
    m = raw[0].shape[0]
    w = raw[0].view(m, fan_out, fan_in)
    if init == "torch":
        bound = 1.0 / math.sqrt(fan_in)
        return (w * 2 - 1).mul(bound).transpose(1, 2), (raw[1] * 2 - 1).mul(bound)
    if init == "xavier":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return (w * 2 - 1).mul(bound).transpose(1, 2), torch.zeros(m, fan_out,
                                                                 dtype=torch.float64)
    return w.transpose(1, 2) * math.sqrt(2.0 / fan_in), torch.zeros(m, fan_out,
                                                                    dtype=torch.float64)


def init_params(
    hidden: Sequence[int], n_heads: int, seeds: Sequence[int], init: Init = "torch"
) -> torch.Tensor:
    """Initial flat parameters, shape (M, P) float64, padded to ``max(hidden)`` with zeros.

    Model ``m`` draws its weights from a generator seeded with ``seeds[m]`` alone (input
    layer, then head layer); the scaling and placement run once per hidden size over all its
    models, the same bits as drawing and scaling each model on its own (tested).
    """
    if len(hidden) != len(seeds):
        raise ValueError("hidden and seeds must have the same length")
    hmax = max(hidden)
    n1, n2 = layout(hmax, n_heads)
    theta = torch.zeros(len(hidden), n1 + n2, dtype=torch.float64)
    w1, w2 = split_params(theta, hmax, n_heads)
    gen = torch.Generator()
    for h in sorted(set(hidden)):
        models = [m for m, hm in enumerate(hidden) if hm == h]
        first: list[list[torch.Tensor]] = []
        second: list[list[torch.Tensor]] = []
        for m in models:
            gen.manual_seed(int(seeds[m]))
            first.append(_draw_raw(N_BITS, h, init, gen))
            second.append(_draw_raw(h, n_heads, init, gen))
        index = torch.tensor(models)
        w, b = _shape_layer([torch.stack(t) for t in zip(*first, strict=True)], N_BITS, h, init)
        w1[index, :N_BITS, :h], w1[index, N_BITS, :h] = w, b
        w, b = _shape_layer([torch.stack(t) for t in zip(*second, strict=True)], h, n_heads,
                            init)
        w2[index, :h, :], w2[index, hmax, :] = w, b
    return theta


def with_bias_column(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Inputs (N, 4) -> (N, 5) float64 with a trailing column of ones."""
    x = torch.as_tensor(x, dtype=torch.float64)
    return torch.cat([x, torch.ones(x.shape[0], 1, dtype=torch.float64)], dim=1)


@dataclass
class GradientTrace:
    """Alice's and Bob's gradients on the shared layer (W1 with its bias), compared at
    ``epochs`` (T,): ``cos`` (T, M) the cosine of the two whole gradients, ``cos_units``
    (T, M, H) per hidden unit (its 5 in-weights), ``norms`` (T, M, 2) the two gradients'
    Euclidean norms. A cosine is NaN where a gradient is exactly zero (padded or dead units).
    Alice = the first half of the heads, Bob = the second (one head each in a pair model)."""

    epochs: np.ndarray
    cos: np.ndarray
    cos_units: np.ndarray
    norms: np.ndarray


@dataclass
class TrainResult:
    """Final state of a batch: ``theta`` (M, P), ``logits`` (M, N, K), ``correct`` (M, N, K) bool,
    and, when recorded, ``loss_curves`` (T, M, K) per-head training loss at ``curve_epochs``
    and the :class:`GradientTrace` ``trace``."""

    theta: torch.Tensor
    logits: torch.Tensor
    correct: torch.Tensor
    curve_epochs: np.ndarray
    loss_curves: np.ndarray | None
    trace: GradientTrace | None = None


def cosine(a: torch.Tensor, b: torch.Tensor, dim: int | tuple[int, ...] = -1) -> torch.Tensor:
    """Cosine similarity of ``a`` and ``b`` along ``dim``; NaN where either vector is zero.

    >>> cosine(torch.tensor([1.0, 2.0]), torch.tensor([-2.0, -4.0])).item()
    -1.0
    """
    dot = (a * b).sum(dim)
    norm = torch.sqrt((a * a).sum(dim) * (b * b).sum(dim))
    return torch.where(norm > 0, dot / norm, torch.full_like(dot, math.nan))


def head_losses(logits: torch.Tensor, targets: torch.Tensor, loss: Loss) -> torch.Tensor:
    """Per-head training loss, shape (M, K): mean over the N inputs of BCE or squared error."""
    if loss == "bce":
        per_item = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    else:
        per_item = (logits - targets) ** 2
    return per_item.mean(dim=1)


def train_batched(
    theta0: torch.Tensor,
    hidden_max: int,
    x: np.ndarray | torch.Tensor,
    targets: np.ndarray | torch.Tensor,
    settings: TrainSettings,
    *,
    dtype: torch.dtype = torch.float64,
    device: str = "cpu",
    record_every: int = 0,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 250,
    trace_every: int = 0,
) -> TrainResult:
    """Train ``M`` models at once with hand-written gradients; full batch on all inputs.

    ``theta0`` (M, P) initial parameters (see :func:`init_params`), ``x`` (N, 4) inputs,
    ``targets`` (M, N, K) 0/1 labels. ``record_every`` > 0 stores every head's loss every
    that many epochs (and at the last); ``progress(k)`` is called with epochs done so far.
    ``trace_every`` > 0 compares Alice's and Bob's gradients on the shared layer at epoch 1
    and every that many epochs (:class:`GradientTrace`), from the gradient of that epoch's
    step. It reads the step's tensors and writes none of them, so it changes no result.

    Internally the model axis is the last, fastest one: the input layer of all models is one
    matrix product with the shared inputs, and the per-model head contractions (over at most
    ``H + 1`` hidden values and ``K`` heads) are unrolled into broadcast multiply-adds.
    """
    s = settings
    dev = torch.device(device)
    targets = torch.as_tensor(targets)
    m, n, k = targets.shape
    hm = hidden_max
    y = torch.as_tensor(targets, dtype=dtype).permute(1, 2, 0).contiguous().to(dev)  # (N, K, M)
    theta = theta0.to(dtype).T.contiguous().to(dev)  # (P, M)
    n1, _ = layout(hm, k)
    w1 = theta[:n1].view(N_BITS + 1, hm * m)  # (5, H*M): row i, column (h, m)
    w2 = theta[n1:].view(hm + 1, k, m)
    grad = torch.zeros_like(theta)
    g1 = grad[:n1].view(N_BITS + 1, hm * m)
    g2 = grad[n1:].view(hm + 1, k, m)
    xb = with_bias_column(x).to(device=dev, dtype=dtype)  # (N, 5)
    xb_t = xb.T.contiguous()
    pre = torch.empty(n, hm * m, dtype=dtype, device=dev)
    h = torch.empty(n, hm, m, dtype=dtype, device=dev)
    z = torch.empty(n, k, m, dtype=dtype, device=dev)
    err = torch.empty_like(z)
    prod = torch.empty(n, hm, k, m, dtype=dtype, device=dev)
    dh = torch.empty(n, hm, m, dtype=dtype, device=dev)
    scale = (1.0 if s.loss == "bce" else 2.0) / n
    exp_avg = torch.zeros_like(theta)
    exp_avg_sq = torch.zeros_like(theta)
    denom = torch.empty_like(theta)
    b1, b2 = s.betas
    curve_epochs: list[int] = []
    curves: list[np.ndarray] = []
    # views built once: unit u's activations (N, 1, M) and out-weights (K, M); head c's error
    # (N, 1, M) and in-weights from the hidden units (1, H, M)
    h_unit = [h[:, u, None, :] for u in range(hm)]
    w2_unit = [w2[u] for u in range(hm)]
    bias = w2[hm]
    err_head = [err[:, c, None, :] for c in range(k)]
    w2_head = [w2[None, :hm, c, :] for c in range(k)]
    h_col, err_row = h[:, :, None, :], err[:, None]
    g2_hidden, g2_bias = g2[:hm], g2[hm]
    pre3 = pre.view(n, hm, m)
    dh_flat = dh.view(n, hm * m)
    threshold_backward = torch.ops.aten.threshold_backward.grad_input
    traced: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
    if trace_every and k > 1:
        per_head = torch.empty(k, n, hm, m, dtype=dtype, device=dev)
        err_by_head = err.permute(1, 0, 2)[:, :, None, :]  # (K, N, 1, M) view
        w2_by_head = w2[:hm].permute(1, 0, 2)[:, None]  # (K, 1, H, M) view

    def trace(epoch: int) -> None:
        """Each side's gradient on W1 from its own heads' errors alone: Alice's heads are the
        first half, Bob's the second; one batched matrix product for all heads and models."""
        torch.mul(err_by_head, w2_by_head, out=per_head)  # (K, N, H, M)
        for c in range(k):
            threshold_backward(per_head[c], h, 0.0, grad_input=per_head[c])  # ReLU'
        g = torch.matmul(xb_t, per_head.view(k, n, hm * m))  # (K, 5, H*M)
        g = g.view(2, k // 2, N_BITS + 1, hm, m).sum(1)  # (2 sides, 5, H, M)
        sq = (g * g).sum(1)  # (2, H, M)
        dot = (g[0] * g[1]).sum(0)  # (H, M)
        unit_norm = torch.sqrt(sq[0] * sq[1])
        nan = torch.full_like(dot, math.nan)
        cos_units = torch.where(unit_norm > 0, dot / unit_norm, nan)
        side_sq = sq.sum(1)  # (2, M)
        all_norm = torch.sqrt(side_sq[0] * side_sq[1])
        cos_all = torch.where(all_norm > 0, dot.sum(0) / all_norm, nan[0])
        traced.append((epoch, cos_all, cos_units, side_sq.sqrt() * scale))

    def forward() -> None:
        torch.mm(xb, w1, out=pre)
        torch.clamp_min(pre3, 0.0, out=h)
        torch.mul(h_unit[0], w2_unit[0], out=z)
        for u in range(1, hm):
            z.addcmul_(h_unit[u], w2_unit[u])
        z.add_(bias)

    for epoch in range(1, s.epochs + 1):
        forward()
        if s.loss == "bce":
            torch.sigmoid(z, out=err)
            err.sub_(y)
        else:
            torch.sub(z, y, out=err)
        torch.mul(h_col, err_row, out=prod)
        torch.sum(prod, dim=0, out=g2_hidden)
        torch.sum(err, dim=0, out=g2_bias)
        torch.mul(err_head[0], w2_head[0], out=dh)
        for c in range(1, k):
            dh.addcmul_(err_head[c], w2_head[c])
        threshold_backward(dh, h, 0.0, grad_input=dh)  # ReLU': zero where the unit is off
        torch.mm(xb_t, dh_flat, out=g1)
        grad.mul_(scale)
        if trace_every and k > 1 and (epoch == 1 or epoch % trace_every == 0):
            trace(epoch)
        if s.optimizer == "adam":  # the arithmetic of torch.optim.Adam (single-tensor path)
            exp_avg.lerp_(grad, 1 - b1)
            exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            step_size = s.lr / (1 - b1**epoch)
            torch.sqrt(exp_avg_sq, out=denom)
            denom.div_(math.sqrt(1 - b2**epoch)).add_(s.eps)
            theta.addcdiv_(exp_avg, denom, value=-step_size)
        elif s.momentum:
            if epoch == 1:
                exp_avg.copy_(grad)
            else:
                exp_avg.mul_(s.momentum).add_(grad)
            theta.add_(exp_avg, alpha=-s.lr)
        else:
            theta.add_(grad, alpha=-s.lr)
        if record_every and (epoch % record_every == 0 or epoch == s.epochs):
            forward()
            curve_epochs.append(epoch)
            curves.append(head_losses(z.permute(2, 0, 1), y.permute(2, 0, 1), s.loss).cpu().numpy())
        if progress is not None and (epoch % progress_every == 0 or epoch == s.epochs):
            progress(epoch)
    forward()
    logits = z.permute(2, 0, 1).to("cpu", torch.float64)  # (M, N, K)
    labels = y.permute(2, 0, 1).cpu() > 0.5
    gradient_trace = None
    if traced:
        gradient_trace = GradientTrace(
            epochs=np.array([t[0] for t in traced], dtype=np.int64),
            cos=torch.stack([t[1] for t in traced]).cpu().double().numpy(),
            cos_units=torch.stack([t[2] for t in traced]).permute(0, 2, 1).cpu().double().numpy(),
            norms=torch.stack([t[3] for t in traced]).permute(0, 2, 1).cpu().double().numpy(),
        )
    return TrainResult(
        theta=theta.T.to("cpu", torch.float64).contiguous(),
        logits=logits,
        correct=(logits > s.threshold) == labels,
        curve_epochs=np.array(curve_epochs, dtype=np.int64),
        loss_curves=np.stack(curves) if curves else None,
        trace=gradient_trace,
    )


def to_module(theta_row: torch.Tensor, hidden: int, hidden_max: int, n_heads: int):
    """One model as ``nn.Sequential(Linear(4, hidden), ReLU, Linear(hidden, K))`` (float64)."""
    w1, w2 = split_params(theta_row[None], hidden_max, n_heads)
    net = torch.nn.Sequential(
        torch.nn.Linear(N_BITS, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_heads)
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(w1[0, :N_BITS, :hidden].T)
        net[0].bias.copy_(w1[0, N_BITS, :hidden])
        net[2].weight.copy_(w2[0, :hidden, :].T)
        net[2].bias.copy_(w2[0, hidden_max, :])
    return net


def from_module(net: torch.nn.Sequential, hidden_max: int) -> torch.Tensor:
    """Inverse of :func:`to_module`: the flat parameter row (P,), padded to ``hidden_max``."""
    hidden, n_heads = net[0].out_features, net[2].out_features
    n1, n2 = layout(hidden_max, n_heads)
    theta = torch.zeros(1, n1 + n2, dtype=torch.float64)
    w1, w2 = split_params(theta, hidden_max, n_heads)
    with torch.no_grad():
        w1[0, :N_BITS, :hidden] = net[0].weight.T
        w1[0, N_BITS, :hidden] = net[0].bias
        w2[0, :hidden, :] = net[2].weight.T
        w2[0, hidden_max, :] = net[2].bias
    return theta[0]


def train_reference(
    theta0: torch.Tensor,
    hidden: Sequence[int],
    x: np.ndarray | torch.Tensor,
    targets: np.ndarray | torch.Tensor,
    settings: TrainSettings,
    *,
    dtype: torch.dtype = torch.float64,
) -> TrainResult:
    """The naive loop: one ``nn.Module`` and one ``torch.optim`` optimizer per model, autograd.

    Same inputs and outputs as :func:`train_batched` (``hidden`` gives each model's size).
    """
    s = settings
    y_all = torch.as_tensor(targets, dtype=dtype)
    xt = torch.as_tensor(x, dtype=dtype)
    hm = max(hidden)
    k = y_all.shape[2]
    thetas, logits = [], []
    for m, h in enumerate(hidden):
        net = to_module(theta0[m], h, hm, k).to(dtype)
        if s.optimizer == "adam":
            opt = torch.optim.Adam(
                net.parameters(), lr=s.lr, betas=s.betas, eps=s.eps, foreach=False
            )
        else:
            opt = torch.optim.SGD(net.parameters(), lr=s.lr, momentum=s.momentum, foreach=False)
        y = y_all[m]
        for _ in range(s.epochs):
            opt.zero_grad()
            loss = head_losses(net(xt)[None], y[None], s.loss).sum()
            loss.backward()
            opt.step()
        with torch.no_grad():
            logits.append(net(xt).to(torch.float64))
        thetas.append(from_module(net.double(), hm))
    out = torch.stack(logits)
    return TrainResult(
        theta=torch.stack(thetas),
        logits=out,
        correct=(out > s.threshold) == (y_all > 0.5),
        curve_epochs=np.zeros(0, dtype=np.int64),
        loss_curves=None,
    )
