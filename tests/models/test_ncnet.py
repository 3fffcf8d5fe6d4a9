import math

import numpy as np
import pytest
import torch

from ncnet.models.ncnet_trainer import (
    from_module,
    init_params,
    layout,
    split_params,
    to_module,
    train_batched,
    train_reference,
)
from ncnet.models.settings import INITS, N_BITS, TrainSettings
from ncnet.tasks.bits import encode_inputs, joint_targets, pair_targets

PAIRS = [(1, 1), (1, 2), (2, 1), (2, 2)]


def _batch(hidden, seeds, heads=2):
    if heads == 2:
        y = np.stack([pair_targets(*PAIRS[m % 4]) for m in range(len(hidden))])
    else:
        y = np.stack([joint_targets() for _ in hidden])
    return init_params(hidden, heads, seeds), y.astype(np.float64)


@pytest.mark.parametrize(
    "settings",
    [
        TrainSettings(epochs=100, lr=0.01),
        TrainSettings(epochs=100, lr=0.05, loss="mse"),
        TrainSettings(epochs=100, lr=0.1, optimizer="sgd"),
        TrainSettings(epochs=100, lr=0.05, optimizer="sgd", momentum=0.9, loss="mse"),
    ],
    ids=["adam-bce", "adam-mse", "sgd-bce", "sgd-momentum-mse"],
)
@pytest.mark.parametrize("encoding", ["pm1", "01"])
def test_batched_equals_per_model_autograd_reference(settings, encoding):
    hidden = [2, 3, 4, 3, 1, 4]
    theta0, y = _batch(hidden, seeds=range(10, 16))
    x = encode_inputs(encoding)
    fast = train_batched(theta0, max(hidden), x, y, settings)
    ref = train_reference(theta0, hidden, x, y, settings)
    assert (fast.theta - ref.theta).abs().max().item() < 1e-12
    assert (fast.logits - ref.logits).abs().max().item() < 1e-12
    assert torch.equal(fast.correct, ref.correct)
    assert not torch.equal(fast.theta, theta0)  # it did train


def test_joint_four_head_model_matches_reference():
    hidden = [3, 4]
    theta0, y = _batch(hidden, seeds=[1, 2], heads=4)
    s = TrainSettings(epochs=100, lr=0.02)
    fast = train_batched(theta0, 4, encode_inputs("pm1"), y, s)
    ref = train_reference(theta0, hidden, encode_inputs("pm1"), y, s)
    assert (fast.theta - ref.theta).abs().max().item() < 1e-12


def test_result_does_not_depend_on_the_other_models_in_the_batch():
    s = TrainSettings(epochs=300, lr=0.01)
    x = encode_inputs("pm1")
    theta_big, y_big = _batch([2, 3, 4, 4, 2, 3, 3, 4], seeds=range(8))
    big = train_batched(theta_big, 4, x, y_big, s)
    # model 1 (n = 3) alone, padded only to its own size
    theta_one, y_one = _batch([3], seeds=[1])
    y_one[0] = y_big[1]
    alone = train_batched(theta_one, 3, x, y_one, s)
    _, w2 = split_params(big.theta[1:2], 4, 2)
    _, w2_alone = split_params(alone.theta, 3, 2)
    assert torch.allclose(w2[0, :3], w2_alone[0, :3], atol=1e-12, rtol=0)
    assert torch.allclose(big.logits[1], alone.logits[0], atol=1e-12, rtol=0)
    # a different set of neighbours
    theta_mix, y_mix = _batch([4, 3, 2], seeds=[99, 1, 98])
    y_mix[1] = y_big[1]
    mixed = train_batched(theta_mix, 4, x, y_mix, s)
    assert torch.allclose(mixed.logits[1], big.logits[1], atol=1e-12, rtol=0)


def test_padded_units_stay_exactly_zero():
    theta0, y = _batch([1, 4], seeds=[5, 6])
    out = train_batched(theta0, 4, encode_inputs("pm1"), y, TrainSettings(epochs=200))
    w1, w2 = split_params(out.theta, 4, 2)
    assert torch.count_nonzero(w1[0, :, 1:]) == 0
    assert torch.count_nonzero(w2[0, 1:4]) == 0
    assert torch.count_nonzero(w1[1]) == w1[1].numel()


def test_deterministic_and_seed_dependent():
    a = init_params([3, 3], 2, [7, 8])
    b = init_params([3, 3], 2, [7, 8])
    assert torch.equal(a, b)
    assert not torch.equal(a[0], a[1])


def _draw_layer(fan_in: int, fan_out: int, init: str, gen: torch.Generator):
    """One layer's (weight (fan_in, fan_out), bias (fan_out,)) in float64."""
    if init == "torch":  # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both
        bound = 1.0 / math.sqrt(fan_in)
        w = (torch.rand(fan_out, fan_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        return w.T, b
    if init == "xavier":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        w = (torch.rand(fan_out, fan_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        return w.T, torch.zeros(fan_out, dtype=torch.float64)
    if init == "he":
        w = torch.randn(fan_out, fan_in, generator=gen, dtype=torch.float64)
        return w.T * math.sqrt(2.0 / fan_in), torch.zeros(fan_out, dtype=torch.float64)
    raise ValueError(f"unknown init {init!r}; allowed: {', '.join(INITS)}")


def _init_one_model_at_a_time(hidden, n_heads, seeds, init):
    """The per-model initialisation init_params must equal bit for bit: one generator per
    model, _draw_layer (above, the original per-model arithmetic) for each layer, placed into
    the padded flat row."""
    hmax = max(hidden)
    n1, n2 = layout(hmax, n_heads)
    theta = torch.zeros(len(hidden), n1 + n2, dtype=torch.float64)
    w1, w2 = split_params(theta, hmax, n_heads)
    for m, (h, seed) in enumerate(zip(hidden, seeds, strict=True)):
        gen = torch.Generator().manual_seed(int(seed))
        w, b = _draw_layer(N_BITS, h, init, gen)
        w1[m, :N_BITS, :h], w1[m, N_BITS, :h] = w, b
        w, b = _draw_layer(h, n_heads, init, gen)
        w2[m, :h, :], w2[m, hmax, :] = w, b
    return theta


@pytest.mark.parametrize("init", ["torch", "xavier", "he"])
@pytest.mark.parametrize("heads", [2, 4])
def test_batched_init_is_bit_for_bit_the_per_model_draw(init, heads):
    hidden = [2, 3, 4, 3, 1, 5, 2] * 7
    seeds = [17 * k + 3 for k in range(len(hidden))]
    assert torch.equal(init_params(hidden, heads, seeds, init),
                       _init_one_model_at_a_time(hidden, heads, seeds, init))


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match="unknown init 'normal'"):
        init_params([2], 2, [1], "normal")


def test_torch_init_matches_nn_linear_bounds():
    theta = init_params([4] * 200, 2, range(200), "torch")
    w1, w2 = split_params(theta, 4, 2)
    assert w1.abs().max() <= 0.5 and w1.abs().max() > 0.45  # 1/sqrt(4)
    assert w2.abs().max() <= 0.5


def test_module_round_trip():
    theta = init_params([3], 2, [3], "xavier")
    assert theta.shape == (1, 5 * 3 + 4 * 2)
    net = to_module(theta[0], hidden=3, hidden_max=3, n_heads=2)
    np.testing.assert_array_equal(from_module(net, 3).numpy(), theta[0].numpy())


def test_long_training_solves_the_solvable_pair():
    """n = 4 can represent (alpha1, beta1); a converged model gets all 16 inputs right."""
    theta0, y = _batch([4], seeds=[0])
    out = train_batched(theta0, 4, encode_inputs("pm1"), y, TrainSettings(epochs=2000))
    assert bool(out.correct.all())


def test_loss_curves_are_recorded_and_fall():
    theta0, y = _batch([4, 4], seeds=[0, 1])
    out = train_batched(theta0, 4, encode_inputs("pm1"), y, TrainSettings(epochs=400),
                        record_every=100)
    assert out.curve_epochs.tolist() == [100, 200, 300, 400]
    assert out.loss_curves.shape == (4, 2, 2)
    assert (out.loss_curves[-1] < out.loss_curves[0]).all()


@pytest.mark.slow
def test_full_length_training_matches_the_reference_run_by_run():
    """5000 epochs in float64: the fast path and the autograd reference end with the same
    decisions on every input; weights drift apart only at the 1e-6 level (Adam amplifies
    ulp-level differences of the two summation orders). About 2 minutes."""
    hidden = [2, 3, 4, 3, 3, 4, 2, 3]
    theta0, y = _batch(hidden, seeds=range(100, 108))
    s = TrainSettings(epochs=5000)
    fast = train_batched(theta0, 4, encode_inputs("pm1"), y, s)
    ref = train_reference(theta0, hidden, encode_inputs("pm1"), y, s)
    assert torch.equal(fast.correct, ref.correct)
    assert (fast.theta - ref.theta).abs().max().item() < 1e-4
