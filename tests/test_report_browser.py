"""The toy and LoRA reports in headless Chromium, at phone, tablet and laptop width.

Checks that each page loads with no console error, shows its headline table and every figure
(decoded, non-zero natural width, within the viewport, displayed at no less than half the
natural width of the variant the browser chose: the narrow one on a phone), that no table has
an empty header cell, and that nothing but a table's own scrolling box is wider than the
screen. Besides phone (400 px) and laptop (1280 px) it opens a 660 px window, just wider than
where the two-panel figures switch back to their laptop variant: their tightest fit.
Screenshots are kept in ``NCNET_ARTIFACTS`` (default ``runs/browser-test/``). Without Chromium
the test skips, except under ``CI=true``, where it fails: `make test` and `.ci/run` install
Debian's ``chromium``.
"""

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncnet.cli import app

from .cdp import Browser, find_chromium
from .conftest import TEXT_FIXTURES

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = {"phone": (400, 860), "tablet": (660, 900), "laptop": (1280, 800)}
MIN_SCALE = 0.5  # a figure shows at least at half its natural width (labels >= ~6 px)

CHECK = """
(async () => {
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  const box = el => el.getBoundingClientRect();
  const shown = el => { const r = box(el), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.display !== 'none' && s.visibility !== 'hidden'; };
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    viewport: (document.querySelector('meta[name=viewport]') || {}).content || null,
    // every shown element outside a table's scrolling box lies within the viewport
    overflow: [...document.body.querySelectorAll('*')]
      .filter(el => !(el.parentElement.closest('.scroll')) && shown(el) &&
                    (box(el).left < -0.5 || box(el).right > window.innerWidth + 0.5))
      .map(el => `${el.tagName}: ${el.textContent.trim().slice(0, 60)}`),
    tables: [...document.querySelectorAll('table')].map(t => ({
      shown: shown(t),
      headers: [...t.querySelectorAll('th')].map(th => th.textContent.trim()),
      rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0,
      scroller: getComputedStyle(t.parentElement).overflowX,
      right: box(t.parentElement).right, width: box(t).width })),
    // naturalWidth is that of currentSrc, the variant the browser chose
    images: [...document.images].map(i => ({
      alt: i.alt.slice(0, 40), complete: i.complete, naturalWidth: i.naturalWidth,
      width: box(i).width, shown: shown(i), right: box(i).right,
      inPicture: i.parentElement.tagName === 'PICTURE', narrow: i.currentSrc !== i.src })),
  };
})()
"""


def chromium_or_skip() -> str:
    path = find_chromium()
    if path is None:
        reason = ("chromium is not installed (Debian: apt-get install chromium; `make test` and "
                  ".ci/run install it where they may)")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must not skip the browser test: {reason}")
        pytest.skip(reason)
    return path


def artifacts() -> Path:
    path = Path(os.environ.get("NCNET_ARTIFACTS", ROOT / "runs" / "browser-test"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def chromium():
    return chromium_or_skip()


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy-report")
    invoke("toy", "--hidden", "2,3", "--runs", "3", "--epochs", "200", "--out", out)
    return out / "report.html"


@pytest.fixture(scope="module")
def lora_report(tiny_bert, tmp_path_factory):
    out = tmp_path_factory.mktemp("lora-report")
    invoke("lora", "--model", tiny_bert, "--data-dir", TEXT_FIXTURES / "data", "--ranks", "1,2",
           "--epochs", "1", "--batch-size", "4", "--train-size", "8", "--test-size", "8",
           "--max-len", "16", "--threads", "1", "--device", "cpu",
           "--cache-dir", out / "cache", "--out", out)
    return out / "report.html"


def check_page(browser: Browser, page: Path, name: str, headline: str, figures: int) -> dict:
    seen = {}
    for label, (width, height) in WIDTHS.items():
        browser.open(page.as_uri(), width, height)
        state = browser.evaluate(CHECK)
        shot = artifacts() / f"{name}-{label}.png"
        browser.screenshot(shot)
        browser.screenshot(artifacts() / f"{name}-{label}-full.png", full_page=True)
        where = f"{name} at {width} px ({shot})"
        assert browser.errors == [], f"{where}: console errors {browser.errors}"
        assert state["viewport"] == "width=device-width, initial-scale=1", where
        assert state["innerWidth"] == width, where
        # the page itself never scrolls sideways: wide tables scroll in their own box
        assert state["scrollWidth"] <= width, f"{where}: page is {state['scrollWidth']} px wide"
        assert state["overflow"] == [], f"{where}: wider than the screen: {state['overflow']}"
        tables, images = state["tables"], state["images"]
        assert tables and tables[0]["shown"] and tables[0]["rows"] >= 1, where
        assert headline in tables[0]["headers"], (where, tables[0]["headers"])
        for t in tables:
            assert t["shown"] and t["scroller"] == "auto" and t["right"] <= width + 0.5, (where, t)
            assert "" not in t["headers"], f"{where}: empty header cell in {t['headers']}"
        assert len(images) == figures, where
        for img in images:
            assert img["complete"] and img["naturalWidth"] > 0 and img["shown"], (where, img)
            assert img["right"] <= width + 0.5, (where, img)
            assert img["width"] >= MIN_SCALE * img["naturalWidth"], (
                f"{where}: {img['alt']!r} shows at {img['width'] / img['naturalWidth']:.2f} of "
                f"its natural {img['naturalWidth']} px")
            # every figure has a phone variant: chosen on a phone, never on a laptop
            assert img["inPicture"] and img["narrow"] == (label == "phone") or (
                label == "tablet"), (where, img)
        seen[label] = state
    return seen


def test_reports_render_in_chromium_at_phone_and_laptop_width(chromium, toy_report,
                                                                lora_report):
    start = time.perf_counter()
    with Browser(chromium) as browser:
        toy = check_page(browser, toy_report, "toy-report", "mean S [95% CI]", figures=5)
        lora = check_page(browser, lora_report, "lora-report", "mean S", figures=3)
    # at phone width the headline tables are wider than the screen and scroll in their box
    assert toy["phone"]["tables"][0]["width"] > WIDTHS["phone"][0]
    assert lora["phone"]["tables"][0]["width"] > WIDTHS["phone"][0]
    (artifacts() / "browser-check.json").write_text(json.dumps(
        {"seconds": round(time.perf_counter() - start, 2), "toy": toy, "lora": lora}, indent=1))


def test_without_chromium_the_test_skips_but_ci_fails(monkeypatch):
    import sys

    module = sys.modules[chromium_or_skip.__module__]
    monkeypatch.setattr(module, "find_chromium", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must not skip the browser test"):
        chromium_or_skip()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        chromium_or_skip()
