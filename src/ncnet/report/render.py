"""Reports people read: ``report.md`` and a self-contained ``report.html`` from blocks.

A report is a list of blocks (headings, paragraphs, tables, figures) rendered twice, to
Markdown and to HTML with the figures embedded as base64 PNG. The HTML also embeds each
figure's phone-width variant (:func:`ncnet.report.figures.draw_both`) and serves it to narrow
screens. Nothing here knows an experiment.
"""

from __future__ import annotations

import base64
import html
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ncnet.report.table import Table


@dataclass
class Block:
    kind: str  # "h1" | "h2" | "p" | "table" | "img"
    text: str = ""
    table: Table | None = None
    path: str = ""


def _inline_html(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def render_markdown(blocks: Sequence[Block]) -> str:
    parts = []
    for b in blocks:
        if b.kind == "h1":
            parts.append(f"# {b.text}")
        elif b.kind == "h2":
            parts.append(f"## {b.text}")
        elif b.kind == "p":
            parts.append(b.text)
        elif b.kind == "table" and b.table is not None:
            parts.append(b.table.to_markdown())
        elif b.kind == "img":
            parts.append(f"![{b.text}]({b.path})\n\n*{b.text}*")
    return "\n\n".join(parts) + "\n"


def png_width(png: bytes) -> int:
    """The pixel width of a PNG image, from its IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">I", png[16:20])[0]


def narrow_breakpoint(wide_width: int) -> str:
    """The widest viewport, as a CSS length, that gets a figure's narrow variant: below it the
    ``wide_width``-pixel laptop figure would show at under half its natural width in the
    page's column (viewport − 2rem of padding, at most 60rem); never below 40rem (640 px)."""
    rem = max(40.0, math.ceil((wide_width / 2 / 16 + 2) * 2) / 2)
    return f"{rem:g}rem"


def _png_uri(png: bytes) -> str:
    return f"data:image/png;base64,{base64.b64encode(png).decode()}"


def render_html(blocks: Sequence[Block], root: Path, title: str,
                narrow: Mapping[str, bytes] | None = None) -> str:
    """One self-contained page: figures are read from ``root`` / ``Block.path`` and embedded;
    ``narrow`` maps a figure's path to the PNG bytes of its phone-width variant, served by a
    ``<picture>`` source below :func:`narrow_breakpoint`."""
    narrow = narrow or {}
    body = []
    for b in blocks:
        if b.kind in ("h1", "h2"):
            body.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            body.append(f"<p>{_inline_html(b.text)}</p>")
        elif b.kind == "table" and b.table is not None:
            table = b.table.to_html()
            body.append(f'<div class="scroll">{table}</div>')  # wide tables scroll, not the page
        elif b.kind == "img":
            wide = (root / b.path).read_bytes()
            img = f'<img alt="{html.escape(b.text)}" src="{_png_uri(wide)}">'
            if b.path in narrow:
                media = f"(max-width: {narrow_breakpoint(png_width(wide))})"
                img = (f'<picture><source media="{media}" srcset="{_png_uri(narrow[b.path])}">'
                       f"{img}</picture>")
            body.append(f"<figure>{img}<figcaption>{_inline_html(b.text)}</figcaption></figure>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.45;color:#222;overflow-wrap:break-word}"
        "h1{font-size:1.7rem;line-height:1.2}"
        ".scroll{overflow-x:auto;margin:1rem 0;-webkit-overflow-scrolling:touch}"
        "table.t{border-collapse:collapse;font-size:.9rem}"
        "table.t td,table.t th{padding:.25rem .6rem;border-bottom:1px solid #ddd;"
        "text-align:left;vertical-align:top}"
        "table.t td:first-child,table.t th:first-child{position:sticky;left:0;background:#fff}"
        "figure{margin:1.5rem 0}img{max-width:100%;height:auto;display:block}"
        "figcaption{font-size:.9rem;color:#555}"
        "code{background:#f3f3f3;overflow-wrap:anywhere}"
        "@media (max-width:40rem){body{margin:1rem auto;font-size:.95rem}"
        "h1{font-size:1.35rem}table.t{font-size:.85rem}}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_report(out: Path, blocks: Sequence[Block], title: str,
                 narrow: Mapping[str, bytes] | None = None) -> list[str]:
    """``report.md`` (linking the figures' files) and the self-contained ``report.html``
    (``narrow``: the figures' phone-width variants, see :func:`render_html`)."""
    (out / "report.md").write_text(render_markdown(blocks))
    (out / "report.html").write_text(render_html(blocks, out, title, narrow))
    return ["report.md", "report.html"]


