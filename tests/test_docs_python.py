"""docs/python.md's blocks run as written, in order, in one namespace (tiny sizes)."""

import re
from pathlib import Path

import pandas as pd

PAGE = Path(__file__).parents[1] / "docs" / "python.md"


def test_the_python_page_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102
    toy, lora, mine = namespace["toy"], namespace["lora"], namespace["mine"]
    assert len(toy.rows) == 20 and sorted(toy.summary) == ["2", "3"]
    assert "progress: 1/" in capsys.readouterr().out  # the progress lines were printed
    assert list(lora.summary) == ["1"] and len(lora.rows) == 1
    assert isinstance(mine.rows, pd.DataFrame) and list(mine.summary) == [2, 8]
    assert (tmp_path / "runs" / "py-pairs" / "report.html").exists()
