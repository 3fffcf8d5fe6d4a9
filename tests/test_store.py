import sqlite3

import pytest

from ncnet.engine.store import Store, StoreError, export_tables, records_frame
from ncnet.report.format import strict_json


def test_put_and_read_back(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_config("toy", "abc", {"lr": 0.1})
        assert store.put_runs("toy", "abc", [{"key": "k1", "S": 2.5}, {"key": "k2", "S": 1.0}]) == 2
        assert store.put_runs("toy", "abc", [{"key": "k1", "S": 9.9}]) == 0  # kept as it was
        assert store.done_keys("toy", "abc") == {"k1", "k2"}
        assert store.done_keys("toy", "other") == set()
        assert store.records("toy", "abc")["k1"]["S"] == 2.5
        assert store.latest() == ("toy", "abc")
        assert store.config("toy", "abc") == {"lr": 0.1}
    with Store(tmp_path / "s.sqlite") as again:  # reopen
        assert again.done_keys("toy", "abc") == {"k1", "k2"}


def test_failed_write_is_rolled_back(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(KeyError):
            store.put_runs("toy", "h", [{"key": "a"}, {"no key": 1}])
        assert store.done_keys("toy", "h") == set()


def test_corrupt_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a usable ncnet store"):
        Store(path)
    assert path.read_bytes() == before


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "results.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="other tables"):
        Store(path)


def test_directory_in_place_of_the_file(tmp_path):
    (tmp_path / "results.sqlite").mkdir()
    with pytest.raises(StoreError, match="is not a file"):
        Store(tmp_path / "results.sqlite")


def test_export(tmp_path):
    recs = [{"key": "x", "hidden": 3, "S": 2.25, "outcomes": {"11": "+"}, "experiment": "toy"}]
    frame = export_tables(recs, {"a": float("nan"), "b": [float("inf"), 1.0]}, tmp_path,
                          ("experiment", "hidden"))
    assert list(frame.columns) == ["experiment", "hidden", "S"]
    assert (tmp_path / "results.csv").read_text().splitlines()[0] == "experiment,hidden,S"
    assert (tmp_path / "summary.json").read_text().count("null") == 2
    assert (tmp_path / "results.parquet").exists()
    assert records_frame([], ("experiment",)).columns.tolist() == ["experiment"]
    assert strict_json({"x": [float("nan")]}) == {"x": [None]}


def test_latest_config_of_a_hash_wins(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put_config("toy", "h", {"runs": 50})
        store.put_config("toy", "h", {"runs": 100})
        assert store.config("toy", "h") == {"runs": 100}
