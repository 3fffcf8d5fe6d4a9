"""Validation numbers of the ``offline-compete`` suite (issue 9, part 4).

Prints, for the four tasks (tense, food-clause, noun-kind, staff-clause): the
correlation of the two hard labels on the shared sentences, and the test accuracy of a
bag-of-words logistic regression and of a logistic regression on frozen, mean-pooled MiniLM
features. Usage::

    PYTHONPATH=src python scripts/compete_probe.py [--train 600] [--test 600] [--seed 1]

CPU, about a minute for 600 + 600 items per task (the frozen features dominate).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from ncnet.tasks import offline
from ncnet.tasks.suites import get_suite

HARD = ("food-clause", "staff-clause")


def bow_probe(train, test) -> float:
    vec = CountVectorizer(token_pattern=r"[a-z]+")
    x_tr = vec.fit_transform(train["text"])
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(x_tr, train["label"])
    return float(clf.score(vec.transform(test["text"]), test["label"]))


def frozen_features(texts: list[str], tokenizer, model) -> np.ndarray:
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            enc = tokenizer(texts[i : i + 64], padding=True, truncation=True, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            out.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(out)


def frozen_probe(train, test, tokenizer, model) -> float:
    x_tr = frozen_features(train["text"].tolist(), tokenizer, model)
    x_te = frozen_features(test["text"].tolist(), tokenizer, model)
    clf = LogisticRegression(max_iter=5000, C=1.0).fit(x_tr, train["label"])
    return float(clf.score(x_te, test["label"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--test", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-frozen", action="store_true", help="skip the MiniLM probe")
    args = parser.parse_args()
    torch.set_num_threads(1)
    suite = get_suite("offline-compete")
    data = {t: offline.BUILDERS[t](args.train, args.test, args.seed) for t in suite.tasks}
    (a_tr, a_te), (b_tr, b_te) = data[HARD[0]], data[HARD[1]]
    assert (a_tr["text"] == b_tr["text"]).all() and (a_te["text"] == b_te["text"]).all()
    print(f"hard-label correlation: train {a_tr['label'].corr(b_tr['label']):+.4f}, "
          f"test {a_te['label'].corr(b_te['label']):+.4f}")
    tokenizer = model = None
    if not args.no_frozen:
        from transformers import AutoModel, AutoTokenizer

        from ncnet.models.multitask import resolve_model

        path = resolve_model(suite.model)
        tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
        model.eval()
    print(f"{'task':<18} {'BoW probe':>10} {'frozen probe':>13}")
    for task, (train, test) in data.items():
        frozen = "-" if model is None else f"{frozen_probe(train, test, tokenizer, model):.3f}"
        print(f"{task:<18} {bow_probe(train, test):>10.3f} {frozen:>13}")


if __name__ == "__main__":
    main()
