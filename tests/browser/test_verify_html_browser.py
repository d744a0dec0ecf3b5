"""The HTML report in a real browser (headless Chromium, as Debian ships it): examples/ml-pipeline's report,
without and with a results file, renders without console errors, its DOM has the score and every
requirement, and a screenshot at laptop size shows the page with its charts drawn."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from png_pixels import read_png

from dockopt.results import load_results
from dockopt.verify.evaluate import evaluate
from dockopt.verify.policy import load_policy
from verify_html_samples import ML_PIPELINE, Page, write_report, write_results

WINDOW = "1366,900"
BROWSER_TIMEOUT = 180
# Colours of the report's stylesheet that only SVG drawings fill: the score band of the example's
# 53.6 (fair, --fair) and the "not met" segments of the category chart (--poor).
FAIR = (0xD6, 0x8A, 0x00)
POOR = (0xC6, 0x28, 0x28)
BACKGROUND = (0xF5, 0xF7, 0xFA)


def _browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False)
    assert proc.returncode == 0, f"chromium failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


def _console_messages(stderr: str) -> list[str]:
    """What the page wrote to the console, and uncaught errors (Chromium logs both as CONSOLE lines)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _dump_dom(chromium: str, page: Path, profile: Path) -> tuple[str, list[str]]:
    proc = _browse(chromium, profile, "--dump-dom", page.as_uri())
    return proc.stdout, _console_messages(proc.stderr)


def _screenshot(chromium: str, page: Path, profile: Path, shot: Path) -> list[str]:
    proc = _browse(chromium, profile, f"--screenshot={shot}", f"--window-size={WINDOW}", page.as_uri())
    return _console_messages(proc.stderr)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    results = write_results(folder / "results.json")
    plain, measured = folder / "reports" / "verify.html", folder / "reports" / "measured.html"
    write_report(plain)
    write_report(measured, results)
    return {"plain": plain, "measured": measured, "results": results}


def test_the_console_check_sees_errors(chromium: str, tmp_path: Path) -> None:
    """A page with a script error is caught by the same check, so "no messages" below means something."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); missing();</script>", encoding="utf-8")
    _, messages = _dump_dom(chromium, broken, tmp_path / "profile")
    assert any("boom" in m for m in messages)
    assert any("Uncaught ReferenceError" in m for m in messages)


@pytest.mark.parametrize("name", ["plain", "measured"])
def test_the_dom_has_the_score_and_every_requirement_and_no_console_error(
    chromium: str, reports: dict[str, Path], name: str, tmp_path: Path
) -> None:
    dom, messages = _dump_dom(chromium, reports[name], tmp_path / "profile")
    assert messages == []
    page = Page(dom)
    results = reports["results"] if name == "measured" else None
    document = load_results(results) if results else None
    model = evaluate(ML_PIPELINE, str(ML_PIPELINE), load_policy(None), document, str(results) if results else None)
    assert model.score is not None
    (score,) = page.find_all(css_class="overall-score")
    assert score.all_text() == f"{model.score:.1f}"
    ids = {e.attrs.get("id") for e in page.elements}
    assert {f"req-{r.requirement.id}" for r in model.requirements} <= ids
    labels = {e.attrs.get("aria-label", "") for e in page.find_all("svg")}
    assert "Score and requirements by status, per category" in labels
    assert any(label.startswith("Image hierarchy: 10 images") for label in labels)
    measured = {
        "Image size and wasted bytes per image, in MB",
        "Build time and code-change rebuild time per image, in seconds",
    }
    assert (measured <= labels) is (name == "measured")


@pytest.mark.parametrize("name", ["plain", "measured"])
def test_a_screenshot_at_laptop_size_shows_the_page_and_its_charts(
    chromium: str, reports: dict[str, Path], name: str, tmp_path: Path
) -> None:
    shot = tmp_path / f"{name}.png"
    messages = _screenshot(chromium, reports[name], tmp_path / "profile", shot)
    assert messages == []
    assert shot.stat().st_size > 20_000
    pixels = read_png(shot)
    assert (pixels.width, pixels.height) == (1366, 900)
    colours = pixels.colours()
    total = pixels.width * pixels.height
    assert len(colours) > 200  # text, anti-aliasing, charts: not a blank or flat page
    assert colours.most_common(1)[0][1] < 0.9 * total
    assert colours[BACKGROUND] > 0.05 * total  # the page's own stylesheet applies
    assert colours[FAIR] > 1_000  # the score gauge and the category bars are drawn (inline SVG)
    assert colours[POOR] > 200  # "not met" segments of the category chart
