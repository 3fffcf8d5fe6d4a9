"""Rendering only, knowing no experiment: the one table type for the terminal, Markdown and
HTML (:mod:`~ncnet.report.table`), report blocks and the self-contained HTML page
(:mod:`~ncnet.report.render`), number and interval formats and strict JSON
(:mod:`~ncnet.report.format`), and what every figure shares (:mod:`~ncnet.report.figures`)."""
