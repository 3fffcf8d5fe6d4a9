"""The one table type of ncnet, rendered to the terminal (rich), to Markdown
(``report.md``, through pandas and tabulate) and to HTML (``report.html``).

Cells are strings or numbers. Markdown right-aligns a column of numbers and left-aligns one of
text, as pandas does; the terminal right-aligns every column.

>>> t = Table("S per n", ["n", "mean S"], [[2, "1.337"], [3, "2.245"]], caption="t interval")
>>> print(t.to_markdown())
|   n |   mean S |
|----:|---------:|
|   2 |    1.337 |
|   3 |    2.245 |
>>> t.column("n"), t.empty, Table.from_records([{"a": 1}, {"a": 2, "b": "x"}]).rows
([2, 3], False, [[1, nan], [2, 'x']])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Table:
    """``title``, ``columns`` (headers), ``rows`` (one list of cells per row, in column
    order), ``caption`` (printed under the terminal table); ``fold``: long terminal cells
    wrap inside their column instead of being cut."""

    title: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    caption: str = ""
    fold: bool = False

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]], title: str = "") -> Table:
        """Rows from dicts: columns in order of first appearance, NaN where a row lacks one."""
        import pandas as pd

        return cls.from_frame(pd.DataFrame(list(records)), title)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, title: str = "") -> Table:
        """The cells of a data frame (its index is dropped)."""
        return cls(title, [str(c) for c in frame.columns],
                   [list(r) for r in frame.itertuples(index=False, name=None)])

    @property
    def empty(self) -> bool:
        return not self.rows

    def column(self, name: str) -> list[Any]:
        """The cells of column ``name``, top to bottom."""
        k = self.columns.index(name)
        return [row[k] for row in self.rows]

    def frame(self) -> pd.DataFrame:
        import pandas as pd  # on first use: the terminal tables need no pandas

        return pd.DataFrame(self.rows, columns=self.columns)

    def to_markdown(self) -> str:
        return self.frame().to_markdown(index=False)

    def to_html(self) -> str:
        """A ``<table class="t">`` (escaped), as ``report.html`` embeds it."""
        return self.frame().to_html(index=False, border=0, classes="t", escape=True)

    def to_rich(self) -> Any:
        """A :class:`rich.table.Table`: every column right-aligned, the caption under it."""
        from rich.table import Table as RichTable

        table = RichTable(title=self.title)
        for col in self.columns:
            table.add_column(col, justify="right", overflow="fold" if self.fold else "ellipsis")
        for row in self.rows:
            table.add_row(*(str(c) for c in row))
        if self.caption:
            table.caption = self.caption
        return table
