"""`dockopt verify --format html`: the page of examples/ml-pipeline read back with html.parser.

It nests, holds every requirement with its status, fraction, evidence and actions, links evidence
relative to the file's own folder, fetches nothing, draws the hierarchy by depth, charts the
categories and (with a results file) the measured figures, escapes what the repository and the
policy say, and is the same bytes every time.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.verify import VerifyOptions, run_verify
from dockopt.report.verify_hierarchy import BOX_WIDTH, hierarchy_diagram
from dockopt.verify.evaluate import evaluate
from dockopt.verify.policy import load_policy
from dockopt.verify.report import ImageFacts, Status, VerifyReport
from verify_html_samples import ML_PIPELINE, ML_PIPELINE_FIGURES, Element, Page, write_report, write_results

STATUS_TEXT = {
    Status.COMPLIANT: "compliant",
    Status.PARTLY: "partly met",
    Status.NOT: "not met",
    Status.NOT_APPLICABLE: "not applicable",
}


@pytest.fixture(scope="module")
def model() -> VerifyReport:
    return evaluate(ML_PIPELINE, str(ML_PIPELINE), load_policy(None), None, None)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("html") / "reports" / "verify.html"
    return output, write_report(output)


@pytest.fixture(scope="module")
def page(written: tuple[Path, str]) -> Page:
    return Page(written[1])


def _words(text: str) -> str:
    """Text as the page shows it: whitespace collapsed, code spans without their backquotes."""
    return " ".join(text.replace("`", "").split())


def test_the_page_is_well_formed(page: Page) -> None:
    assert page.errors == []
    assert page.doctype.lower() == "doctype html"
    ids = [e.attrs["id"] for e in page.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    assert [e.tag for e in page.root.children if e.tag != "#text"] == ["html"]


def test_score_and_every_requirement_with_status_fraction_and_evidence(
    page: Page, model: VerifyReport, written: tuple[Path, str]
) -> None:
    assert model.score is not None
    (score,) = page.find_all(css_class="overall-score")
    assert score.all_text() == f"{model.score:.1f}"
    assert f"{model.score:.1f}" in page.find_all("svg", "gauge")[0].all_text()
    base = os.path.relpath(ML_PIPELINE, written[0].parent)  # the repository, seen from the report's folder
    for result in model.requirements:
        article = page.by_id(f"req-{result.requirement.id}")
        shown = _words(article.all_text())
        assert result.requirement.id in shown
        assert _words(result.requirement.title) in shown
        assert STATUS_TEXT[result.status] in shown
        assert result.fraction in shown
        assert _words(result.summary) in shown
        links = {a.attrs["href"] for a in _descendants(article) if a.tag == "a"}
        for evidence in result.evidence:
            assert _words(evidence.message) in shown
            if evidence.rule:
                assert evidence.rule in shown
            if evidence.file is not None:
                expected = f"{base}/{evidence.file}" + (f"#L{evidence.line}" if evidence.line else "")
                assert expected in links, (result.requirement.id, evidence.where)


def _descendants(element: Element) -> list[Element]:
    found = []
    for child in element.children:
        found.append(child)
        found.extend(_descendants(child))
    return found


def test_links_are_relative_to_the_report_and_reach_their_file_and_line(page: Page, written: tuple[Path, str]) -> None:
    folder = written[0].parent
    ids = {e.attrs["id"] for e in page.elements if "id" in e.attrs}
    file_links = 0
    for anchor in page.find_all("a"):
        href = anchor.attrs["href"]
        if href.startswith("#"):
            assert href[1:] in ids, href
            continue
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not parts.path.startswith("/"), href
        target = (folder / unquote(parts.path)).resolve()
        assert target.is_file(), href
        assert target.is_relative_to(ML_PIPELINE.resolve())
        if parts.fragment:
            line = int(re.fullmatch(r"L(\d+)", parts.fragment).group(1))  # type: ignore[union-attr]
            assert 1 <= line <= len(target.read_text(encoding="utf-8").splitlines()), href
        file_links += 1
    assert file_links > 100


def test_nothing_is_fetched(written: tuple[Path, str], page: Page) -> None:
    html = written[1]
    loaders = {"script", "link", "img", "iframe", "object", "embed", "source", "audio", "video", "base", "image"}
    assert not [e.tag for e in page.elements if e.tag in loaders]
    for element in page.elements:
        for name, value in element.attrs.items():
            assert name not in {"src", "srcset", "poster", "background", "data", "xlink:href"}, element.tag
            assert "http://" not in value and "https://" not in value, (element.tag, name, value)
            if name != "href" or element.tag != "a":
                assert all(url.startswith("#") for url in re.findall(r"url\(([^)]*)\)", value)), value
    (style,) = page.find_all("style")
    assert "url(" not in style.all_text() and "@import" not in style.all_text() and "@font-face" not in style.all_text()
    assert "<script" not in html.lower()


def test_categories_are_charted(page: Page, model: VerifyReport) -> None:
    (chart,) = [s for s in page.find_all("svg") if "per category" in s.attrs.get("aria-label", "")]
    text = chart.all_text()
    for category in model.categories:
        assert category.name in text
        counts = {k: v for k, v in category.counts.items() if v}
        for status, count in counts.items():
            assert f"{count} {STATUS_TEXT[Status(status)]}" in text
    heads = page.find_all("div", "category-head")
    titles = [next(d for d in _descendants(h) if d.tag == "h3").all_text() for h in heads]
    assert titles == [c.name for c in model.categories]
    assert all(any(d.tag == "svg" and "status-bar" in d.classes() for d in _descendants(h)) for h in heads)


def _box_positions(diagram: Element) -> dict[str, tuple[float, float]]:
    """Image name -> (x, y) of its box: the <a href="#image-NAME"> and the first <rect> in it."""
    boxes = {}
    for anchor in (d for d in _descendants(diagram) if d.tag == "a"):
        rect = next(d for d in _descendants(anchor) if d.tag == "rect")
        boxes[anchor.attrs["href"].removeprefix("#image-")] = (float(rect.attrs["x"]), float(rect.attrs["y"]))
    return boxes


def test_hierarchy_is_drawn_by_depth_with_external_bases_and_reinstalled_packages(
    page: Page, model: VerifyReport
) -> None:
    (diagram,) = page.find_all("svg", "hierarchy")
    boxes = _box_positions(diagram)
    assert set(boxes) == {image.name for image in model.images}
    for image in model.images:
        page.by_id(f"image-{image.name}")  # the box links to the image's row
        for parent in image.parents:
            assert boxes[parent][1] < boxes[image.name][1], (parent, image.name)
    externals = {base for image in model.images for base in image.external_bases}
    external_boxes = [d for d in _descendants(diagram) if d.tag == "rect" and "node-external" in d.classes()]
    assert len(external_boxes) == len(externals)
    edges = [d for d in _descendants(diagram) if d.tag == "path" and "edge" in d.classes()]
    assert len(edges) == sum(len(i.parents) + len(i.external_bases) for i in model.images)
    assert sum("edge-external" in e.classes() for e in edges) == sum(len(i.external_bases) for i in model.images)
    again = [d for d in _descendants(diagram) if d.tag == "rect" and "node-reinstalls" in d.classes()]
    assert len(again) == 1  # pipeline-asr installs torch 2.1.0 over the base's 2.2.2
    asr_box = next(d for d in _descendants(diagram) if d.tag == "a" and d.attrs["href"] == "#image-pipeline-asr")
    assert "⚠ torch==2.1.0" in asr_box.all_text()


def test_present_but_not_effective_is_highlighted(page: Page, model: VerifyReport) -> None:
    section = page.by_id("presence")
    assert "presence" in section.classes()
    items = [d for d in _descendants(section) if "presence-item" in d.classes()]
    assert len(items) == len(model.presence_gaps) >= 5
    for item, gap in zip(items, model.presence_gaps, strict=True):
        shown = _words(item.all_text())
        assert _words(gap.title) in shown
        for evidence in (*gap.present, *gap.ineffective):
            assert _words(evidence.message) in shown
    order = [e.attrs.get("id") for e in page.elements if e.tag in {"section", "header"}]
    assert order.index("presence") < order.index("gaps") < order.index("requirements")


def test_gaps_and_what_to_do(page: Page, model: VerifyReport) -> None:
    rows = [r for r in _descendants(page.by_id("gaps")) if r.tag == "tr"][1:]
    assert len(rows) == len(model.gaps)
    for number, (row, gap) in enumerate(zip(rows, model.gaps, strict=True), 1):
        cells = [_words(c.all_text()) for c in row.children if c.tag == "td"]
        assert cells[:2] == [str(number), _words(gap.title)]
        assert cells[5] == f"{gap.points:.1f}"
    text = _words(page.by_id("requirements").all_text())
    assert "dockopt fix --select DO102 --write" in text  # a safe fix, for 2 of its 3 findings
    assert "safe fix for 2 of 3" in text
    assert "dockopt fix --select DO101 --unsafe-fixes --write" in text
    assert "by hand dockopt explain DO103 shows how" in text


def test_measurements_without_results_say_so(page: Page) -> None:
    section = page.by_id("measurements")
    assert any("no-results" in d.classes() for d in _descendants(section))
    assert not [d for d in _descendants(section) if d.tag == "svg"]
    assert "No results file was given" in section.all_text()


def test_measurements_with_results_are_charted_against_their_limits(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results.json")
    page = Page(write_report(tmp_path / "verify.html", results))
    assert page.errors == []
    section = page.by_id("measurements")
    charts = {d.attrs["aria-label"]: d for d in _descendants(section) if d.tag == "svg"}
    sizes = charts["Image size and wasted bytes per image, in MB"]
    times = charts["Build time and code-change rebuild time per image, in seconds"]
    size_text = sizes.all_text()
    assert "12,400.0 MB (over limit 5,000 MB)" in size_text
    assert "412.0 MB (within limit 5,000 MB)" in size_text
    assert "2,300.0 MB wasted (over limit 100 MB)" in size_text
    measured_sizes = [n for n, f in ML_PIPELINE_FIGURES.items() if "measure" in f]
    assert [n for n in measured_sizes if n in size_text] == measured_sizes
    assert "pipeline-ingest" not in size_text  # no size for it: left out of the size chart
    over = [d for d in _descendants(sizes) if d.tag == "rect" and "over" in d.classes()]
    assert len(over) == 5  # cuda, ml and asr sizes; cuda and asr waste
    limits = [d for d in _descendants(sizes) if d.tag == "line" and "limit" in d.classes()]
    assert len(limits) == 8  # every size and wasted figure, all limits inside the scale
    time_text = times.all_text()
    assert "284.0 s rebuild (over limit 60 s)" in time_text
    assert "3.1 s rebuild (within limit 60 s)" in time_text
    assert "code-change rebuild: not measured" in time_text
    assert "388.5 s build" in time_text
    (asr_row,) = [r for r in page.find_all("tr") if r.attrs.get("id") == "image-pipeline-asr"]
    assert "12,400.0 MB" in asr_row.all_text() and "284.0 s" in asr_row.all_text()
    asr_box = next(
        a
        for a in page.find_all("a")
        if a.attrs.get("href") == "#image-pipeline-asr" and a.parent and a.parent.tag == "svg"
    )
    assert "12.40 GB" in asr_box.all_text()


def test_policy_text_is_escaped(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM python:3.11-slim\nCMD python -m app\n", encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "[[requirements]]\n"
        'id = "exec"\n'
        """title = "<script>alert('x')</script> & <img src=x onerror=y>"\n"""
        'category = "<b>Runtime</b>"\n'
        'description = "`<i>` is not markup"\n'
        'check = { kind = "rules", rules = ["DO501"] }\n',
        encoding="utf-8",
    )
    output = tmp_path / "verify.html"
    options = VerifyOptions(str(repo), policy=str(policy), output_format="html", output=str(output))
    assert run_verify(options, log=io.StringIO()) == 0
    page = Page(output.read_text(encoding="utf-8"))
    assert page.errors == []
    assert (
        not page.find_all("script") and not page.find_all("img") and not page.find_all("b") and not page.find_all("i")
    )
    article = page.by_id("req-exec")
    assert "<script>alert('x')</script> & <img src=x onerror=y>" in article.all_text()
    codes = [d.all_text() for d in _descendants(article) if d.tag == "code"]
    assert "<i>" in codes
    assert "<b>Runtime</b>" in page.by_id("categories").all_text()


def test_the_same_report_is_the_same_bytes(tmp_path: Path, written: tuple[Path, str]) -> None:
    again = tmp_path / "reports" / "verify.html"
    assert write_report(again) == written[1]
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", written[1])


def test_command_line(tmp_path: Path) -> None:
    output = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(main, ["verify", str(ML_PIPELINE), "--format", "html", "-o", str(output)])
    assert result.exit_code == 0
    assert f"report written to {output}" in result.stderr
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    result = CliRunner().invoke(main, ["verify", str(ML_PIPELINE), "--format", "html", "--fail-under", "90"])
    assert result.exit_code == 1
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "below the threshold" in _words(Page(result.stdout).by_id("summary").all_text())


def test_unreadable_files_are_listed_with_links(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "broken").mkdir(parents=True)
    (repo / "Dockerfile").write_text('FROM python:3.11-slim\nCMD ["python"]\n', encoding="utf-8")
    (repo / "broken" / "Dockerfile").write_bytes(b"\xff\xfe\x00not a dockerfile")
    page = Page(write_report(tmp_path / "verify.html", root=repo))
    assert page.errors == []
    section = page.by_id("problems")
    assert "DO900" in section.all_text()
    assert {a.attrs["href"] for a in _descendants(section) if a.tag == "a"} == {"repo/broken/Dockerfile#L1"}


def _image(
    name: str, parents: tuple[str, ...] = (), external: tuple[str, ...] = (), heavy: tuple[str, ...] = ()
) -> ImageFacts:
    return ImageFacts(name, f"docker/{name}/Dockerfile", parents, external, (), heavy)


def test_hierarchy_layout_of_wide_deep_and_cyclic_graphs() -> None:
    long_name = "a-service-with-a-name-much-longer-than-any-box"
    images = [
        _image("base", external=("nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04",), heavy=("torch==2.2.2",)),
        *(_image(f"svc{i:02}", parents=("base",)) for i in range(14)),
        _image(
            long_name, parents=("svc03",), heavy=("torch==2.1.0", "torchaudio==2.1.0", "nvidia-cudnn-cu12==8.9.2.26")
        ),
        _image("loop-a", parents=("loop-b",)),
        _image("loop-b", parents=("loop-a",)),
    ]
    diagram = Page(str(hierarchy_diagram(images, {"base": "2.10 GB"})))
    assert diagram.errors == []
    (svg,) = diagram.find_all("svg")
    boxes = _box_positions(svg)
    assert set(boxes) == {i.name for i in images}
    rows = sorted({y for _, y in boxes.values()})
    assert len(rows) == 5  # base (the external base is above it); fifteen boxes on lines of six; the long one
    assert [sum(1 for _, y in boxes.values() if y == row) for row in rows] == [2, 6, 6, 3, 1]  # base, loop-b; ...
    for image in images[:16]:
        for parent in image.parents:
            assert boxes[parent][1] < boxes[image.name][1]
    width = float(svg.attrs["viewbox"].split()[2])  # html.parser lowercases attribute names
    assert all(0 <= x <= width - BOX_WIDTH for x, _ in boxes.values())
    assert len({(x, y) for x, y in boxes.values()}) == len(boxes)  # no two boxes on one place
    long_box = next(d for d in _descendants(svg) if d.tag == "a" and d.attrs["href"] == f"#image-{long_name}")
    texts = [d for d in _descendants(long_box) if d.tag == "text"]
    assert any(
        t.all_text().startswith(long_name) and "…" in t.all_text() for t in texts
    )  # shortened; title has it whole
    assert "⚠ torch==2.1.0" in long_box.all_text()  # base (two levels up) has torch
    assert "2.10 GB" in svg.all_text()
    edges = [d for d in _descendants(svg) if d.tag == "path" and "edge" in d.classes()]
    assert len(edges) == 1 + 14 + 1 + 2
