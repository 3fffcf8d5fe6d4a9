"""Presets: names, the chained family's tables, and one-line errors for unknown names."""

import numpy as np
import pytest

from ncnet.bell import PRESETS, BellInputError, chained, preset, preset_names


def test_preset_names_and_sizes():
    assert preset_names()[:3] == ["chsh", "ch", "i3322"]
    assert [n for n in preset_names() if n.startswith("chained-")] == [
        f"chained-{m}" for m in range(2, 11)]
    for name in PRESETS:
        e = preset(name)
        assert e.name == name and e.description
        assert (e.m_a, e.m_b) == ({"chsh": 2, "ch": 2, "i3322": 3}.get(name)
                                  or int(name.split("-")[1]),) * 2


def test_chained_is_braunstein_caves():
    for m in range(2, 11):
        corr = chained(m).correlators
        # Σ_k <A_k B_k> + Σ_{k<M} <A_{k+1} B_k> - <A_1 B_M>
        expected = np.zeros((m, m))
        for k in range(m):
            expected[k, k] += 1
        for k in range(m - 1):
            expected[k + 1, k] += 1
        expected[0, m - 1] -= 1
        np.testing.assert_array_equal(corr, expected)
        assert chained(m).is_correlator_only and chained(m).constant == 0


def test_i3322_is_collins_gisin():
    e = preset("i3322")
    assert e.cg.tolist() == [[0, -2, -1, 0], [-1, 1, 1, 1], [0, 1, 1, -1], [0, 1, -1, 0]]
    assert not e.is_correlator_only


def test_an_unknown_preset_lists_the_allowed_names():
    with pytest.raises(BellInputError) as err:
        preset("chained-11")
    assert str(err.value) == (
        "unknown Bell expression 'chained-11'; presets: chsh, ch, i3322, chained-2, chained-3, "
        "chained-4, chained-5, chained-6, chained-7, chained-8, chained-9, chained-10 (or a "
        ".toml / .json file)")
    assert preset(" CHSH ").name == "chsh"
