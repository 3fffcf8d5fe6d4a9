"""The task suites of Section 5 by name: which four tasks (Alice A1, A2; Bob B1, B2) and which
base model. Plain data, so that listing them (CLI help, errors) imports no data stack."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Suite(BaseModel):
    """Four tasks (Alice A1, A2; Bob B1, B2) and the base model they are run with."""

    model_config = ConfigDict(frozen=True)

    name: str
    model: str
    alice: tuple[str, str]
    bob: tuple[str, str]
    paper: str | None = None
    """The paper suite (Table 2) whose S per rank this suite's report shows beside its own:
    the paper's suites themselves, and a suite built to stand in for one; None otherwise."""

    @property
    def tasks(self) -> tuple[str, str, str, str]:
        return (*self.alice, *self.bob)


SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            name="paper-mixed",
            model="bert-base-uncased",
            alice=("sst2", "commonsenseqa"),
            bob=("mrpc", "mathqa"),
            paper="paper-mixed",
        ),
        Suite(
            name="paper-multilingual",
            model="bert-base-multilingual-cased",
            alice=("pawsx-en", "pawsx-fr"),
            bob=("pawsx-ja", "pawsx-ko"),
            paper="paper-multilingual",
        ),
        Suite(
            name="offline-mixed",
            model="minilm",
            alice=("lexicon-sentiment", "negation"),
            bob=("bbc-topic", "contrast"),
            paper="paper-mixed",  # built as the offline stand-in of the mixed suite
        ),
        Suite(
            name="offline-clauses",
            model="minilm",
            alice=("lexicon-sentiment", "first-clause"),
            bob=("bbc-topic", "last-clause"),
        ),
        Suite(
            name="offline-easy",
            model="minilm",
            alice=("lexicon-sentiment", "tense"),
            bob=("bbc-topic", "noun-kind"),
        ),
        Suite(
            name="offline-compete",
            model="minilm",
            alice=("tense", "food-clause"),
            bob=("noun-kind", "staff-clause"),
        ),
    )
}


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ValueError naming the allowed ones otherwise."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; allowed: {', '.join(SUITES)}")
    return SUITES[name]
