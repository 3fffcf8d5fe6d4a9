import numpy as np
import pytest

from ncnet.tasks import bits


def test_inputs_are_all_16_combinations_in_binary_order():
    x = bits.input_bits()
    assert x.shape == (16, 4)
    assert [int("".join(map(str, row)), 2) for row in x] == list(range(16))


def test_encodings():
    assert set(np.unique(bits.encode_inputs("01"))) == {0.0, 1.0}
    np.testing.assert_array_equal(bits.encode_inputs("pm1"), 2 * bits.input_bits() - 1)
    with pytest.raises(ValueError, match="allowed: 01, pm1"):
        bits.encode_inputs("bits")


def test_tasks_match_the_paper():
    x = bits.input_bits()
    np.testing.assert_array_equal(bits.alice_targets()[0], x[:, 0])
    np.testing.assert_array_equal(bits.alice_targets()[1], x[:, 0] ^ x[:, 1])
    np.testing.assert_array_equal(bits.bob_targets()[0], x[:, 2])
    np.testing.assert_array_equal(bits.bob_targets()[1], x[:, 2] ^ x[:, 3])
    # row 0b1011: X1=1, X2=0, X3=1, X4=1 -> alpha1=1, alpha2=1, beta1=1, beta2=0
    assert bits.joint_targets()[0b1011].tolist() == [1, 1, 1, 0]
    assert bits.pair_targets(2, 2)[0b1011].tolist() == [1, 0]
    assert bits.pair_targets(1, 2)[0b0110].tolist() == [0, 1]


def test_bad_pair():
    with pytest.raises(ValueError, match="i and j must be 1 or 2"):
        bits.pair_targets(3, 1)
