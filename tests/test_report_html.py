"""report.html at phone width: each figure's narrow variant in a <picture>, and tables without
empty header cells. (The page in a real browser: tests/test_report_browser.py.)"""

import base64
import struct
import zlib

import numpy as np
import pandas as pd
import pytest

from ncnet import chsh
from ncnet.experiments.toy.figures import figure_2b
from ncnet.experiments.toy.report import communication_table
from ncnet.report.figures import NARROW_WIDTH, draw_both
from ncnet.report.render import Block, narrow_breakpoint, png_width, render_html, render_markdown
from ncnet.report.table import Table
from ncnet.studies import mechanism
from ncnet.studies.competition_report import competition_correlation_table


def _png(width: int, height: int = 1) -> bytes:
    """A minimal valid greyscale PNG of ``width`` x ``height`` white pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_png_width_reads_the_header():
    assert png_width(_png(1248)) == 1248
    with pytest.raises(ValueError, match="not a PNG"):
        png_width(b"GIF89a" + b"\x00" * 30)


@pytest.mark.parametrize(("wide", "breakpoint"), [
    (832, "40rem"),    # 832/2 px + 2rem padding = 28rem: the 40rem floor
    (1248, "41rem"),   # 1248/2 px = 39rem, + 2rem
    (1620, "53rem"),   # 50.625rem + 2rem = 52.625, up to the next half rem
])
def test_narrow_breakpoint_keeps_the_wide_figure_at_half_size_or_more(wide, breakpoint):
    assert narrow_breakpoint(wide) == breakpoint
    # one pixel above the breakpoint the column (viewport - 2rem) holds half the wide figure
    first_wide_viewport = float(breakpoint.removesuffix("rem")) * 16 + 1
    assert (first_wide_viewport - 32) / wide >= 0.5


def test_render_html_serves_the_narrow_variant_in_a_picture(tmp_path):
    wide, narrow, plain = _png(1248, 2), _png(546, 3), _png(600)
    (tmp_path / "fig.png").write_bytes(wide)
    (tmp_path / "one.png").write_bytes(plain)
    blocks = [Block("img", "Two panels.", path="fig.png"),
              Block("img", "No variant.", path="one.png")]
    page = render_html(blocks, tmp_path, "t", {"fig.png": narrow})
    assert (f'<figure><picture><source media="(max-width: 41rem)" srcset="{_uri(narrow)}">'
            f'<img alt="Two panels." src="{_uri(wide)}"></picture>'
            "<figcaption>Two panels.</figcaption></figure>") in page
    assert (f'<figure><img alt="No variant." src="{_uri(plain)}">'
            "<figcaption>No variant.</figcaption></figure>") in page
    assert page.count("<picture>") == 1
    # report.md keeps linking the laptop figure's file
    assert "![Two panels.](fig.png)" in render_markdown(blocks)


def _communication_records() -> list[dict]:
    t = 5
    records = []
    for k in range(6):
        loss = np.full((4, 2, t), 0.5 + 0.01 * k)
        loss[1, 0] = 0.9
        records.append({"hidden": 3, "loss_curves": {"epochs": list(range(t)),
                                                      "loss": loss.tolist()}})
    return records


def test_pivoted_tables_have_no_empty_header_cell(tmp_path):
    comm = communication_table(_communication_records())
    assert list(comm.columns) == ["n", "observer", "own task", "runs", *mechanism.FEATURES]
    corr = competition_correlation_table([
        {"hidden": 3, "measure": "competition_mean", "against": "S", "r": 0.25,
         "ci": (-0.1, 0.5), "p": 0.2},
        {"hidden": 3, "measure": "competition_w_22", "against": "S", "r": -0.5,
         "ci": (-0.8, -0.1), "p": 0.01}])
    assert list(corr.columns) == ["n", "competition_mean vs S", "competition_w_22 vs S"]
    pivoted = pd.DataFrame({"n": [2, 2], "feature": ["a", "b"], "v": [1, 2]}).pivot_table(
        index="n", columns="feature", values="v", aggfunc="first").reset_index()
    assert pivoted.columns.name == "feature"  # what pandas leaves: Table.from_frame drops it
    page = render_html([Block("table", table=t) for t in (comm, corr, Table.from_frame(pivoted))],
                              tmp_path, "t")
    assert page.count("<table") == 3
    assert "<th></th>" not in page and "<th>feature</th>" not in page
    assert "<th>n</th>\n      <th>a</th>\n      <th>b</th>" in page


def test_two_panel_figures_stack_in_a_narrow_variant(tmp_path):
    """Figure 2b on a laptop keeps its size (9.6 in at 130 dpi); the phone variant is 4.2 in
    wide with the panels stacked, so it is taller than wide. (Every figure of both reports is
    checked at phone width in tests/test_report_browser.py.)"""
    entry = {chsh.c_column(i, j): {"mean": 0.5, "ci": [0.4, 0.6]} for i, j in chsh.PAIRS}
    summary = {n: {**entry, "S": {"mean": 1.5, "ci": [1.2, 1.8]}, "S_product": {"mean": 1.0}}
               for n in ("2", "3")}
    narrow = draw_both(figure_2b, tmp_path / "fig2b.png", summary)
    assert png_width((tmp_path / "fig2b.png").read_bytes()) == round(9.6 * 130)
    width, height = struct.unpack(">II", narrow[16:24])
    assert width == round(NARROW_WIDTH * 130) == 546 and height > width
