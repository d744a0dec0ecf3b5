"""Each check kind of `dockopt verify` on small repositories written in tmp_path: status, fraction, evidence,
actions, and the presence-vs-effect list (the construct is there, the rule or fact says it does nothing)."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.trees import write_tree
from dockopt.results import empty_results
from dockopt.verify.evaluate import evaluate
from dockopt.verify.policy import parse_policy
from dockopt.verify.report import PresenceGap, RequirementResult, Status, VerifyReport

DIGEST = "sha256:" + "ab" * 32


def _verify(root: Path, check: str, results: dict[str, object] | None = None) -> VerifyReport:
    policy = parse_policy(f'[[requirements]]\nid = "r"\ntitle = "R"\ncategory = "C"\ncheck = {check}\n', "policy.toml")
    return evaluate(root, str(root), policy, results, "results.json" if results is not None else None)


def _one(root: Path, check: str, results: dict[str, object] | None = None) -> tuple[RequirementResult, list[PresenceGap]]:
    report = _verify(root, check, results)
    return report.requirements[0], report.presence_gaps


def _places(items: object) -> set[tuple[str | None, int | None, bool]]:
    return {(e.file, e.line, e.ok) for e in items}  # type: ignore[attr-defined]


# A base image that switches pip's cache off, and a child built FROM it (the build script names both).
INHERITED_NO_CACHE = {
    "build.sh": (
        "docker build -t registry/base:1 -f base/Dockerfile .\n"
        "docker build -t registry/app:1 -f app/Dockerfile .\n"
    ),
    "base/Dockerfile": "FROM python:3.11-slim\nENV PYTHONUNBUFFERED=1 \\\n    PIP_NO_CACHE_DIR=1\n",
    "app/Dockerfile": (
        "FROM registry/base:1\n"
        "WORKDIR /app\n"
        "COPY requirements.txt .\n"
        "RUN --mount=type=cache,target=/root/.cache/pip \\\n"
        "    pip install -r requirements.txt\n"
        "COPY . .\n"
    ),
    "requirements.txt": "six==1.16.0\n",
}


def test_cache_mount_disabled_by_env_inherited_across_from(tmp_path: Path) -> None:
    result, presence = _one(write_tree(tmp_path, INHERITED_NO_CACHE), '{ kind = "cache_mounts" }')
    assert result.status is Status.NOT
    assert result.fraction == "0/1 package installs"
    assert ("app/Dockerfile", 5, False) in _places(result.evidence)  # DO103 at the install
    assert [a.rule for a in result.actions] == ["DO103"]
    (gap,) = presence
    assert gap.requirement == "r"
    assert _places(gap.present) == {("app/Dockerfile", 4, True)}  # the RUN with the mount
    # why it does nothing: DO103's finding, and the ENV in the base's Dockerfile, line 3
    assert ("app/Dockerfile", 5, False) in _places(gap.ineffective)
    assert ("base/Dockerfile", 3, False) in _places(gap.ineffective)
    assert any("PIP_NO_CACHE_DIR=1 inherited" in e.message for e in gap.ineffective)


def test_cache_mount_in_effect_without_the_env(tmp_path: Path) -> None:
    files = dict(INHERITED_NO_CACHE, **{"base/Dockerfile": "FROM python:3.11-slim\nENV PYTHONUNBUFFERED=1\n"})
    result, presence = _one(write_tree(tmp_path, files), '{ kind = "cache_mounts" }')
    assert result.status is Status.COMPLIANT
    assert result.score == 1.0
    assert _places(result.evidence) == {("app/Dockerfile", 5, True)}
    assert presence == []


def test_install_without_mount_under_switched_off_cache(tmp_path: Path) -> None:
    files = dict(INHERITED_NO_CACHE)
    files["app/Dockerfile"] = "FROM registry/base:1\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    result, presence = _one(write_tree(tmp_path, files), '{ kind = "cache_mounts", managers = ["pip"] }')
    assert result.status is Status.NOT
    assert ("base/Dockerfile", 3, False) in _places(result.evidence)  # where the cache is switched off
    assert any("remove PIP_NO_CACHE_DIR" in a.advice for a in result.actions)
    assert presence == []  # no mount: nothing present that fails to work


def test_rules_per_dockerfile_final_image_and_repository(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "build.sh": "docker build -t base -f base/Dockerfile .\ndocker build -t app -f app/Dockerfile .\n",
            "base/Dockerfile": "FROM python:3.11-slim\nCMD python -m base\n",
            "app/Dockerfile": "FROM base\nCMD [\"python\", \"-m\", \"app\"]\n",
            "other/Dockerfile": "FROM python:3.11-slim\nCMD python -m other\n",
        },
    )
    per_file, _ = _one(tmp_path, '{ kind = "rules", rules = ["DO501"] }')
    assert per_file.fraction == "1/3 Dockerfiles"
    assert per_file.status is Status.PARTLY
    assert ("base/Dockerfile", 2, False) in _places(per_file.evidence)
    assert ("app/Dockerfile", None, True) in _places(per_file.evidence)
    (action,) = per_file.actions
    assert (action.rule, action.findings, action.fix.value, action.fixable) == ("DO501", 2, "safe", 2)
    assert "dockopt fix --select DO501 --write" in action.advice
    # final images: app (built on base, which sets a shell-form CMD... that app overrides: the base's
    # Dockerfile still has the finding, and it is in app's image) and other
    per_image, _ = _one(tmp_path, '{ kind = "rules", rules = ["DO501"], per = "final-image" }')
    assert per_image.fraction == "0/2 final images"
    whole, _ = _one(tmp_path, '{ kind = "rules", rules = ["DO5"], per = "repository" }')
    assert whole.status is Status.NOT
    assert whole.fraction == "0/1 repository"


def test_base_digests(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "a/Dockerfile": f"FROM python:3.11-slim@{DIGEST}\n",
            "b/Dockerfile": "FROM debian:bookworm-slim\nCOPY --from=busybox:1.36 /bin/busybox /busybox\n",
        },
    )
    result, _ = _one(tmp_path, '{ kind = "base_digests" }')
    assert result.fraction == "1/3 external image references"
    assert ("a/Dockerfile", 1, True) in _places(result.evidence)
    assert ("b/Dockerfile", 1, False) in _places(result.evidence)
    assert ("b/Dockerfile", 2, False) in _places(result.evidence)
    assert result.actions[0].rule == "DO301"


def test_base_hierarchy(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "one/Dockerfile": "FROM python:3.11-slim\nRUN pip install six==1.16.0\n",
            "two/Dockerfile": "FROM python:3.11-slim\nRUN pip install six==1.16.0\n",
        },
    )
    result, _ = _one(tmp_path, '{ kind = "base_hierarchy" }')
    assert result.status is Status.NOT
    assert result.fraction == "0/2 final images"
    assert "build one base image FROM python:3.11-slim" in result.actions[0].advice
    single = write_tree(tmp_path / "single", {"Dockerfile": "FROM python:3.11-slim\n"})
    alone, _ = _one(single, '{ kind = "base_hierarchy" }')
    assert alone.status is Status.NOT_APPLICABLE
    assert alone.score is None


HEAVY = {
    "build.sh": (
        "docker build -t ml-base -f base/Dockerfile .\n"
        "docker build -t asr -f asr/Dockerfile .\n"
        "docker build -t tts -f tts/Dockerfile .\n"
    ),
    "base/Dockerfile": "FROM python:3.11-slim\nRUN pip install torch==2.2.2\n",
    "asr/Dockerfile": "FROM ml-base\nRUN pip install torch==2.1.0\n",
    "tts/Dockerfile": "FROM ml-base\nRUN pip install six==1.16.0\n",
}


def test_heavy_package_reinstalled_below_the_base(tmp_path: Path) -> None:
    result, presence = _one(write_tree(tmp_path, HEAVY), '{ kind = "heavy_packages_once" }')
    assert result.status is Status.NOT
    assert result.fraction == "0/1 heavy packages"  # torch, in the ml-base hierarchy
    assert ("asr/Dockerfile", 2, False) in _places(result.evidence)  # DO603
    (gap,) = presence
    assert _places(gap.present) == {("base/Dockerfile", 2, True)}  # the base installs it
    assert _places(gap.ineffective) == {("asr/Dockerfile", 2, False)}


def test_heavy_package_satisfied_by_the_base_is_installed_once(tmp_path: Path) -> None:
    """The text names torch twice, but the base's 2.2.2 satisfies the child's pin: pip installs nothing."""
    files = dict(HEAVY, **{"asr/Dockerfile": "FROM ml-base\nRUN pip install torch==2.2.2\n"})
    result, presence = _one(write_tree(tmp_path, files), '{ kind = "heavy_packages_once" }')
    assert result.status is Status.COMPLIANT
    assert presence == []


def test_no_heavy_package_is_not_applicable(tmp_path: Path) -> None:
    result, _ = _one(write_tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\n"}), '{ kind = "heavy_packages_once" }')
    assert result.status is Status.NOT_APPLICABLE


def test_versions_file_missing(tmp_path: Path) -> None:
    result, _ = _one(write_tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\n"}), '{ kind = "versions_file" }')
    assert result.status is Status.NOT
    assert result.score == 0.0
    assert "create docker/versions.txt" in result.actions[0].advice


def test_versions_file_that_the_repository_contradicts(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docker/versions.txt": (
                "# central versions\nPYTHON_VERSION=3.11\nTORCH_VERSION=2.2.2\nBASE_TAG=2024.06\nSIX_VERSION=1.16.0\n"
            ),
            "docker/app/Dockerfile": (
                "ARG BASE_TAG=2024.05\nFROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            ),
            "requirements.txt": "torch==2.1.0\nsix==1.16.0\n",
        },
    )
    result, presence = _one(tmp_path, '{ kind = "versions_file", path = "docker/versions.txt" }')
    assert result.fraction == "1/4 versions-file entries"  # only SIX_VERSION agrees
    assert ("docker/versions.txt", 5, True) in _places(result.evidence)
    wrong = {(e.file, e.line) for e in result.evidence if not e.ok}
    assert wrong == {("docker/app/Dockerfile", 2), ("requirements.txt", 1), ("docker/app/Dockerfile", 1)}
    titles = {gap.title for gap in presence}
    assert "docker/versions.txt pins TORCH_VERSION=2.2.2, but the repository uses another version" in titles
    assert len(presence) == 3


def test_versions_file_digest_pins(tmp_path: Path) -> None:
    other = "sha256:" + "cd" * 32
    write_tree(
        tmp_path,
        {
            "docker/versions.txt": f"PYTHON_IMAGE=python:3.11-slim@{DIGEST}\n",
            "a/Dockerfile": f"FROM python:3.11-slim@{other}\n",
        },
    )
    result, presence = _one(tmp_path, '{ kind = "versions_file" }')
    assert result.status is Status.NOT
    assert ("a/Dockerfile", 1, False) in _places(result.evidence)
    assert len(presence) == 1


BUILD_ORDER = {
    "build.sh": (
        "set -e\n"
        "docker build -t app -f app/Dockerfile .\n"
        "docker build -t base -f base/Dockerfile .\n"
        "docker build -t tool -f tool/Dockerfile .\n"
        "sed -i 's|FROM .*old-base.*|FROM base:2|' app/Dockerfile\n"
    ),
    "base/Dockerfile": "FROM python:3.11-slim\n",
    "app/Dockerfile": "FROM base\n",
    "tool/Dockerfile": "FROM base\n",
}


def test_build_order_and_a_rewrite_that_matches_nothing(tmp_path: Path) -> None:
    result, presence = _one(write_tree(tmp_path, BUILD_ORDER), '{ kind = "build_order" }')
    assert result.fraction == "1/3 script builds and FROM rewrites"
    assert ("build.sh", 2, False) in _places(result.evidence)  # app before its base
    assert ("build.sh", 4, True) in _places(result.evidence)  # tool after it
    (gap,) = presence
    assert _places(gap.present) == {("build.sh", 5, True)}


def test_build_order_without_scripts_is_not_applicable(tmp_path: Path) -> None:
    result, _ = _one(write_tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\n"}), '{ kind = "build_order" }')
    assert result.status is Status.NOT_APPLICABLE


def test_dockerignore_missing_ineffective_and_effective(tmp_path: Path) -> None:
    deep = {"src/pkg/__pycache__/mod.cpython-311.pyc": "x" * 100, "src/pkg/mod.py": "", "Dockerfile": "FROM python:3.11-slim\nCOPY src/ /app/src/\n"}
    missing, _ = _one(write_tree(tmp_path / "none", deep), '{ kind = "dockerignore" }')
    assert missing.status is Status.NOT
    assert any("has no .dockerignore" in e.message for e in missing.evidence)
    ineffective, presence = _one(write_tree(tmp_path / "root-only", {**deep, ".dockerignore": "__pycache__/\n"}), '{ kind = "dockerignore" }')
    assert ineffective.status is Status.NOT
    (gap,) = presence
    assert _places(gap.present) == {(".dockerignore", None, True)}
    assert _places(gap.ineffective) == {(".dockerignore", 1, False)}  # DO602 at the pattern
    effective, presence = _one(write_tree(tmp_path / "deep", {**deep, ".dockerignore": "**/__pycache__\n"}), '{ kind = "dockerignore" }')
    assert effective.status is Status.COMPLIANT
    assert presence == []


def test_system_packages_and_lists_removed_in_a_later_layer(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                "FROM debian:bookworm-slim\n"
                "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
                "RUN rm -rf /var/lib/apt/lists/*\n"
                "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \\\n"
                "    && rm -rf /var/lib/apt/lists/*\n"
            )
        },
    )
    result, presence = _one(tmp_path, '{ kind = "system_packages" }')
    assert result.fraction == "1/2 system package installs"
    assert ("Dockerfile", 2, False) in _places(result.evidence)
    assert ("Dockerfile", 4, True) in _places(result.evidence)
    (gap,) = presence
    assert _places(gap.present) == {("Dockerfile", 3, True)}
    assert [a.rule for a in result.actions] == ["DO202"]


def test_non_root_with_a_user_that_is_never_created(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "good/Dockerfile": "FROM python:3.11-slim\nRUN useradd --system app\nUSER app\nCMD [\"python\"]\n",
            "ghost/Dockerfile": "FROM python:3.11-slim\nUSER app\nCMD [\"python\"]\n",
        },
    )
    result, presence = _one(tmp_path, '{ kind = "non_root" }')
    assert result.fraction == "1/2 final images"
    assert ("good/Dockerfile", 3, True) in _places(result.evidence)
    (gap,) = presence
    assert _places(gap.present) == {("ghost/Dockerfile", 2, True)}
    assert all(e.rule == "DO401" for e in gap.ineffective)


SERVICE = "FROM python:3.11-slim\nRUN pip install uvicorn==0.30.0\nEXPOSE 8000\n{extra}CMD [\"uvicorn\", \"app:app\"]\n"


def test_healthcheck_kinds_of_failure(tmp_path: Path) -> None:
    probe = 'HEALTHCHECK CMD ["curl", "-f", "http://localhost:8000/health"]\n'
    write_tree(
        tmp_path,
        {
            "none/Dockerfile": SERVICE.format(extra=""),
            "nocurl/Dockerfile": SERVICE.format(extra=probe),
            "curl/Dockerfile": SERVICE.format(
                extra="RUN apt-get update && apt-get install -y --no-install-recommends curl\n" + probe
            ),
            "port/Dockerfile": SERVICE.format(
                extra='HEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen(\'http://localhost:9000/\')"]\n'
            ),
            "off/Dockerfile": SERVICE.format(extra="HEALTHCHECK NONE\n"),
            "shell/Dockerfile": (
                "FROM gcr.io/distroless/python3-debian12\nEXPOSE 8000\n"
                "HEALTHCHECK CMD python -c 'import urllib.request as u; u.urlopen(\"http://localhost:8000/\")'\n"
                'CMD ["-m", "uvicorn", "app:app"]\n'
            ),
            "batch/Dockerfile": "FROM python:3.11-slim\nCMD [\"python\", \"-m\", \"job\"]\n",
        },
    )
    result, presence = _one(tmp_path, '{ kind = "healthcheck" }')
    assert result.fraction == "1/6 service images"  # batch is no service
    assert ("curl/Dockerfile", 5, True) in _places(result.evidence)
    assert ("none/Dockerfile", 3, False) in _places(result.evidence)  # the EXPOSE that makes it a service
    problems = {gap.ineffective[0].file: gap.ineffective[0].message for gap in presence}
    assert set(problems) == {"nocurl/Dockerfile", "port/Dockerfile", "off/Dockerfile", "shell/Dockerfile"}
    assert "needs /bin/sh, which gcr.io/distroless/python3-debian12 does not have" in problems["shell/Dockerfile"]
    assert "curl, which python:3.11-slim does not ship" in problems["nocurl/Dockerfile"]
    assert "port 9000" in problems["port/Dockerfile"]
    assert "switches the check off" in problems["off/Dockerfile"]


def test_healthcheck_without_services_is_not_applicable(tmp_path: Path) -> None:
    result, _ = _one(write_tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\n"}), '{ kind = "healthcheck" }')
    assert result.status is Status.NOT_APPLICABLE


def test_layer_order_with_the_manifest_copied_first_but_a_broad_copy_before_the_install(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nCOPY . .\n"
                "RUN pip install -r requirements.txt\n"
            ),
            "requirements.txt": "six==1.16.0\n",
        },
    )
    result, presence = _one(tmp_path, '{ kind = "layer_order" }')
    assert result.status is Status.NOT
    (gap,) = presence
    assert _places(gap.present) == {("Dockerfile", 3, True)}
    assert {e.rule for e in gap.ineffective} == {"DO101"}


def test_requirement_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --upgrade pip\n"
                "RUN pip install -r requirements.txt\nRUN pip install idna==3.7\n"
            ),
            "requirements.txt": "six==1.16.0\n",
        },
    )
    result, _ = _one(tmp_path, '{ kind = "requirement_files" }')
    assert result.fraction == "1/2 Python installs"  # upgrading pip itself does not count
    assert ("Dockerfile", 5, False) in _places(result.evidence)


def _results(images: dict[str, dict[str, object]]) -> dict[str, object]:
    document = empty_results()
    document["images"] = images
    return json.loads(json.dumps(document))


def test_measured_limits(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"Dockerfile": "FROM python:3.11-slim\n"})
    results = _results(
        {
            "app": {"measure": {"size": 150_000_000, "wasted_bytes": 2_000_000}, "rebuild": {"code_change": 4.2}},
            "big": {"measure": {"size": 2_500_000_000}, "build": {"seconds": 80.0}},
        }
    )
    size, _ = _one(root, '{ kind = "max_size_mb", limit = 1000 }', results)
    assert size.fraction == "1/2 images"
    over = next(e for e in size.evidence if not e.ok)
    assert over.measurement is not None
    assert (over.measurement.image, over.measurement.value, over.measurement.unit) == ("big", 2500.0, "MB")
    assert over.measurement.source == "results.json: images.big.measure.size"
    wasted, _ = _one(root, '{ kind = "max_wasted_mb", limit = 1 }', results)
    assert wasted.fraction == "0/1 images"  # big has no wasted_bytes
    rebuild, _ = _one(root, '{ kind = "max_code_change_rebuild_s", limit = 60, images = ["app"] }', results)
    assert rebuild.status is Status.COMPLIANT
    build, _ = _one(root, '{ kind = "max_build_s", limit = 60, images = ["app"] }', results)
    assert build.status is Status.NOT_APPLICABLE  # app has no build time
    absent, _ = _one(root, '{ kind = "max_size_mb", limit = 1000 }')
    assert absent.status is Status.NOT_APPLICABLE
    assert "no results file" in absent.summary


def test_unreadable_files_are_listed_and_the_rest_is_verified(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "a/Dockerfile": "FROM python:3.11-slim\nRUN <<EOF\necho\n",
            "b/Dockerfile": "FROM python:3.11-slim\nCMD python -m b\n",
            "docker-compose.yml": "services:\n  x: [\n",
        },
    )
    report = _verify(tmp_path, '{ kind = "rules", rules = ["DO501"] }')
    assert {(e.file, e.line, e.rule) for e in report.problems} == {
        ("a/Dockerfile", 2, "DO900"),
        ("docker-compose.yml", 3, None),
    }
    assert report.requirements[0].fraction == "1/2 Dockerfiles"  # b's shell-form CMD


def test_measure_entries_join_the_image_built_under_their_tag(tmp_path: Path) -> None:
    """`build` files figures under the image's name, `measure` under the reference it was given."""
    root = write_tree(
        tmp_path,
        {"build.sh": "docker build -t reg/app:1 -f Dockerfile .\n", "Dockerfile": "FROM python:3.11-slim\n"},
    )
    results = _results(
        {
            "app": {"tag": "reg/app:1", "build": {"ok": True, "seconds": 12.5, "tags": ["reg/app:1"]}},
            "reg/app:1": {"measure": {"size": 150_000_000, "wasted_bytes": 0}},
        }
    )
    report = _verify(root, '{ kind = "max_size_mb", limit = 100 }', results)
    (result,) = report.requirements
    assert result.status is Status.NOT
    (evidence,) = result.evidence
    assert evidence.measurement is not None
    assert evidence.measurement.image == "app"
    assert evidence.measurement.source == "results.json: images.reg/app:1.measure.size"
    (image,) = report.images
    assert (image.name, image.size_bytes, image.build_s) == ("app", 150_000_000, 12.5)
