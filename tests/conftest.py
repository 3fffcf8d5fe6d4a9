import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import sqlite3  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

TEXT_FIXTURES = Path(__file__).parent / "fixtures" / "text"


def stored_count(out: Path) -> int:
    """Records in the store of output directory ``out`` (0 before it or its tables exist)."""
    if not (out / "results.sqlite").exists():
        return 0
    db = sqlite3.connect(out / "results.sqlite")
    try:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # the tables do not exist yet
        return 0
    finally:
        db.close()


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """A randomly initialised 2-layer BERT (hidden 32) with a local WordPiece vocabulary,
    saved as a local model directory: the whole LoRA pipeline runs on it in seconds."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    path = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    tok = BertTokenizer(str(TEXT_FIXTURES / "vocab.txt"))
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)
