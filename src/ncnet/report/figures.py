"""What every figure shares (matplotlib, Agg backend): colours, the phone-width variant, the
legend and layout helpers and the CHSH bounds as lines.

Every figure function draws a laptop-width figure by default and, with ``narrow=True``, a
phone-width variant: :data:`NARROW_WIDTH` inches wide, side-by-side panels stacked, long titles
wrapped. At the figures' 120-130 dpi that is at most 546 px, so a 400 px phone (368 px of
column) shows it at two thirds of its natural size or more; ``report.html`` serves it below
:func:`ncnet.report.render.narrow_breakpoint`. ``path`` is a file name or a binary file
object.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from ncnet import chsh

PAIR_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b2")

NARROW_WIDTH = 4.2
"""Width in inches of every phone-width figure variant (546 px at 130 dpi)."""

NARROW_LEGEND = 8
"""Legend font size (pt) of the phone-width variants (the laptop figures use 7)."""

Target = Path | IO[bytes]
"""Where a figure is saved: a file name or a binary file object (PNG either way)."""


def wrap_title(text: str, narrow: bool, width: int = 32) -> str:
    """``text`` broken into lines of at most ``width`` characters for a narrow figure."""
    return textwrap.fill(text, width) if narrow else text


def finish_runs_figure(fig: Any, ax: Any, path: Path, narrow: bool) -> None:
    """Legend (under the axes when narrow), layout, save at 130 dpi, close."""
    if narrow:
        legend_below(ax)
    else:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def legend_below(ax: plt.Axes, *handles_labels: Any, below: float = -0.1) -> None:
    """The phone layout's legend: two columns under the axes (``below``: its top edge, in
    axes fractions), where it hides no data; ``handles_labels`` as for ``ax.legend``."""
    ax.legend(*handles_labels, fontsize=NARROW_LEGEND, ncol=2, loc="upper center",
              frameon=False, bbox_to_anchor=(0.5, below))


def draw_both(draw: Callable[..., None], path: Path, *args: Any, **kwargs: Any) -> bytes:
    """Save the laptop-width figure ``draw(*args, path=path, **kwargs)`` (any figure function
    of this module) and return its phone-width variant (``narrow=True``) as PNG bytes."""
    draw(*args, path=path, **kwargs)
    buffer = io.BytesIO()
    draw(*args, path=buffer, narrow=True, **kwargs)
    return buffer.getvalue()


def plain_log_ticks(axis: Any) -> None:
    """Label a log axis's decades as plain numbers (0.01, 1, 8) instead of matplotlib's
    default 10^k mathtext, whose parser costs about half a second on first use."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def draw_chsh_bounds(ax: plt.Axes, with_no_signalling: bool = False) -> None:
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1.2, label="local bound 2")
    ax.axhline(chsh.TSIRELSON_BOUND, color="blue", ls="-.", lw=1.2, label="Tsirelson 2√2")
    if with_no_signalling:
        ax.axhline(chsh.NO_SIGNALLING_BOUND, color="grey", ls=":", lw=1, label="no-signalling 4")


