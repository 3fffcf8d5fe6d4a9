"""CbD: the cyclic closed form agrees with the linear program on random systems, contextual
and not; hand-computed cases; the reduction to Bell/Fine without direct influences."""

import itertools

import numpy as np
import pytest

from ncnet.bell import cbd


def random_context(rng, contextual_push=0.0):
    """(<xy>, <x>, <y>) of one ±1 pair with a valid joint law: P(x=+1), P(y=+1) and P(++)
    inside its Fréchet bounds."""
    px, py = rng.uniform(0.05, 0.95, 2)
    lo, hi = max(0.0, px + py - 1), min(px, py)
    pp = rng.uniform(lo, hi)
    ex, ey = 2 * px - 1, 2 * py - 1
    exy = 4 * pp - 2 * px - 2 * py + 1
    return exy, ex, ey


def random_cycle(rng, n, boost, consistent=False):
    """A rank-n cycle; ``boost`` pulls the products toward a PR-box pattern (contextual);
    ``consistent``: every content has one expectation in both its contexts."""
    products, first, second = [], [], []
    shared = rng.uniform(-0.4, 0.4, n)
    for k in range(n):
        exy, ex, ey = random_context(rng)
        if consistent:
            ex, ey = shared[k], shared[(k + 1) % n]
            px, py = (1 + ex) / 2, (1 + ey) / 2
            pp = rng.uniform(max(0.0, px + py - 1), min(px, py))
            exy = 4 * pp - 2 * px - 2 * py + 1
        target = -1.0 if k == n - 1 else 1.0
        # mix with the extreme joint of the same marginals (keeps the law valid)
        px, py = (1 + ex) / 2, (1 + ey) / 2
        ext = (4 * min(px, py) - 2 * px - 2 * py + 1 if target > 0
               else 4 * max(0.0, px + py - 1) - 2 * px - 2 * py + 1)
        products.append((1 - boost) * exy + boost * ext)
        first.append(ex)
        second.append(ey)
    return products, first, second


@pytest.mark.parametrize("n", [4, 6])
def test_the_closed_form_agrees_with_the_lp_on_random_cycles(n):
    rng = np.random.default_rng(n)
    seen = {True: 0, False: 0}
    for trial in range(120):
        boost = [0.0, 0.9, 1.0][trial % 3]
        products, first, second = random_cycle(rng, n, boost, consistent=trial % 2 == 0)
        closed = cbd.cyclic(products, first, second)
        if abs(closed.excess) < 1e-6:
            continue  # on the boundary either answer is rounding
        contents = [f"q{k}" for k in range(n)]
        contexts = [(contents[k], contents[(k + 1) % n]) for k in range(n)]
        lp = cbd.noncontextual_lp(contexts, products, first, second)
        assert lp == (not closed.contextual), (trial, closed)
        seen[closed.contextual] += 1
    assert seen[True] >= 10 and seen[False] >= 10  # both kinds were checked


def test_chsh_by_hand_and_against_the_lp():
    """A PR box without signalling is contextual (excess 2); S = 3 built from signalling
    alone (independent heads whose accuracies move with the partner's task) is not (excess
    -2); the LP says the same on both."""
    pr = cbd.chsh([[1, 1], [1, -1]], np.ones((2, 2)), np.ones((2, 2)))
    assert (pr.s_odd, pr.delta, pr.excess, pr.contextual) == (4.0, 0.0, 2.0, True)
    signalling = cbd.chsh([[1, 0.5], [0.5, -1]], [[1, 0.5], [1, 1]], [[1, 1], [0.5, -1]])
    assert (signalling.s_odd, signalling.delta, signalling.excess) == (3.0, 3.0, -2.0)
    contexts = [("A1", "B1"), ("A1", "B2"), ("A2", "B1"), ("A2", "B2")]
    assert not cbd.noncontextual_lp(contexts, [1, 1, 1, -1], [1] * 4, [1] * 4)
    # the same signalling system, contexts (1,1), (1,2), (2,1), (2,2): <A>, <B> per context
    assert cbd.noncontextual_lp(contexts, [1, 0.5, 0.5, -1], [1, 0.5, 1, 1],
                                [1, 1, 0.5, -1])


def test_without_direct_influences_the_criterion_is_the_chsh_bound():
    """Consistent connections (Delta = 0): contextual exactly when some CHSH form exceeds 2."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        c = rng.uniform(-1, 1, (2, 2))
        r = cbd.chsh(c, np.zeros((2, 2)), np.zeros((2, 2)))
        forms = [c[0, 0] * s0 + c[0, 1] * s1 + c[1, 0] * s2 + c[1, 1] * s3
                 for s0, s1, s2, s3 in itertools.product((1, -1), repeat=4)
                 if (s0, s1, s2, s3).count(-1) % 2 == 1]
        assert r.delta == 0 and r.contextual == (max(forms) > 2 + cbd.TOLERANCE)


def test_s_odd_enumerates_the_odd_sign_patterns():
    rng = np.random.default_rng(3)
    for n in (2, 3, 4, 6):
        for _ in range(50):
            x = rng.uniform(-1, 1, n)
            brute = max(float(np.dot(s, x)) for s in itertools.product((1, -1), repeat=n)
                        if s.count(-1) % 2 == 1)
            assert cbd.s_odd(x) == pytest.approx(brute, abs=1e-12)


def _items(rng, n, same_prob, sign):
    a = rng.choice([-1, 1], n)
    agree = rng.random(n) < same_prob
    return a, np.where(agree, sign * a, -sign * a)


def test_score_reports_the_excess_of_a_contextual_and_a_signalling_file():
    """ncnet score's cbd block: a PR-box-like file (S about 3, marginals near 0) has a
    positive excess, a signalling-only one (independent heads whose accuracies move with the
    partner's task) a negative one; both equal bell.cbd.chsh on the score's own C and
    accuracies."""
    from ncnet import chsh

    rng = np.random.default_rng(5)
    pr = [_items(rng, 200, 0.9, 1 if (i, j) != (2, 2) else -1) for i, j in chsh.PAIRS]
    score = chsh.score_items([a for a, _ in pr], [b for _, b in pr], n_boot=200)
    d = score.to_dict()["cbd"]
    assert score.S > 2.8 and d["excess"] > 0.5
    want = cbd.chsh(score.C, 2 * score.acc_a - 1, 2 * score.acc_b - 1)
    assert (d["delta"], d["s_odd"], d["excess"]) == (want.delta, want.s_odd, want.excess)
    accuracy = {(1, 1): (1.0, 1.0), (1, 2): (0.75, 1.0), (2, 1): (1.0, 0.75), (2, 2): (1.0, 0.0)}
    sig = [(np.where(rng.random(200) < pa, 1, -1), np.where(rng.random(200) < pb, 1, -1))
           for pa, pb in (accuracy[p] for p in chsh.PAIRS)]
    score = chsh.score_items([a for a, _ in sig], [b for _, b in sig], n_boot=200)
    d = score.to_dict()["cbd"]
    assert score.S > 2.5 and d["excess"] < -1 and d["verdict"].startswith("undecided")


def test_the_batch_form_equals_the_one_system_form():
    rng = np.random.default_rng(11)
    c, ea, eb = (rng.uniform(-1, 1, (300, 2, 2)) for _ in range(3))
    delta, s, excess = cbd.chsh_batch(c, ea, eb)
    one = [cbd.chsh(c[r], ea[r], eb[r]) for r in range(300)]
    assert delta.tolist() == [o.delta for o in one]
    assert s.tolist() == [o.s_odd for o in one]
    assert excess.tolist() == [o.excess for o in one]
