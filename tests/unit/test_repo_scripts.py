"""Build scripts: docker build lines, variables, loops, functions, order, and sed rewrites of FROM lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.repo.scripts import BuildScript, load_script, sed_regex

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "ml-pipeline"


def _script(tmp_path: Path, text: str, *files: str) -> BuildScript:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("FROM alpine:3.20\n")
    path = tmp_path / "build.sh"
    path.write_text(text)
    return load_script(path, tmp_path)


def test_example_build_all() -> None:
    """The order of scripts/build_all.sh as it runs: asr and diarize before the ml base they need."""
    script = load_script(EXAMPLE / "scripts" / "build_all.sh", EXAMPLE)
    built = [(b.line, b.dockerfile.split("/")[-2], b.order) for b in script.builds]
    assert built == [
        (11, "cpu", 0),
        (12, "cuda", 1),
        (19, "ingest", 3),
        (19, "align", 4),
        (19, "asr", 5),
        (19, "diarize", 6),
        (23, "ml", 7),
        (27, "summarize", 8),
        (27, "train", 9),
        (27, "export", 10),
    ]
    ml = script.builds[6]
    # REGISTRY=${REGISTRY:-localhost:5000}; BASE_TAG=$(grep '^BASE_TAG=' docker/versions.txt | cut -d= -f2)
    assert ml.tags == ("localhost:5000/pipeline-ml-base:2024.06",)
    assert ml.args == {"REGISTRY": "localhost:5000", "BASE_TAG": "2024.06"}
    assert ml.context == "."
    # GIT_SHA=$(git rev-parse --short HEAD ...) cannot be known
    assert script.builds[8].args["GIT_SHA"] == "${GIT_SHA}"
    [rewrite] = script.rewrites
    assert (rewrite.line, rewrite.order) == (15, 2)
    assert rewrite.pattern == "FROM .*pipeline-base:.*"
    assert rewrite.replacement == "FROM localhost:5000/pipeline-base:2024.06"
    assert rewrite.targets == ("docker/stages/*/Dockerfile",)
    assert len(rewrite.files) == 7
    regex = rewrite.regex()
    assert regex is not None
    froms = [line for f in rewrite.files for line in (EXAMPLE / f).read_text().splitlines() if line.startswith("FROM")]
    assert froms
    assert not any(regex.search(line) for line in froms)  # the rewrite matches nothing


def test_fixture_script() -> None:
    root = REPOS / "scripted"
    script = load_script(root / "build.sh", root)
    assert script.warnings == ()
    base, api, worker, debug = script.builds
    # functions report the line that calls them; "$@" passes each argument on
    assert (base.line, base.order, base.conditional) == (21, 0, False)
    assert base.dockerfile == "images/base/Dockerfile"
    assert base.context == "images"
    assert base.tags == ("registry.local:5000/shop-base:1.4",)  # ${VERSION#v}, TAG from `source ./versions.env`
    assert base.args == {"REGISTRY": "registry.local:5000", "TAG": "1.4", "PY_VERSION": "3.12"}
    # the glob loop in file order, `case` skipping base
    assert [(b.line, b.dockerfile, b.target) for b in (api, worker)] == [
        (26, "images/api/Dockerfile", "runtime"),
        (26, "images/worker/Dockerfile", "runtime"),
    ]
    assert (debug.line, debug.conditional, debug.context, debug.dockerfile) == (
        31,
        True,
        ".",
        "images/debug.Dockerfile",
    )
    [rewrite] = script.rewrites
    assert rewrite.extended
    assert rewrite.order == 4
    assert rewrite.replacement == "FROM \\1/shop-base:1.4"
    assert rewrite.files == ("images/api/Dockerfile", "images/base/Dockerfile", "images/worker/Dockerfile")
    regex = rewrite.regex()
    assert regex is not None
    assert regex.search("FROM registry/shop-base:1.2")
    assert not regex.search("FROM ${REGISTRY}/shop-base:${TAG} AS runtime")


def test_build_command_forms(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "docker image build --tag=a:1 --file=app/Dockerfile.prod --build-arg=X=1 --target=final app\n"
        "sudo -E docker build -tb:1 app\n"
        "env DOCKER_BUILDKIT=1 docker --context remote build --build-context base=docker-image://alpine ./app\n"
        "podman build -t c:1 --pull --no-cache --platform linux/arm64 app\n"
        "docker build -t d:1 - < app/Dockerfile\n"
        "docker build -t e:1 https://github.com/acme/app.git\n"
        "docker push a:1\n"
        "docker build -t f:1 -f - app <<EOF\nFROM alpine\nEOF\n",
        "app/Dockerfile",
        "app/Dockerfile.prod",
    )
    a, b, c, d = script.builds
    assert (a.tags, a.dockerfile, a.args, a.target, a.context) == (
        ("a:1",),
        "app/Dockerfile.prod",
        {"X": "1"},
        "final",
        "app",
    )
    assert (b.tags, b.dockerfile) == (("b:1",), "app/Dockerfile")
    assert c.contexts == {"base": "docker-image://alpine"}
    assert (d.tags, d.line) == (("c:1",), 4)


def test_variables(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        'VERSION="v2.3.1-rc1"\n'
        "NAME=My_App\n"
        "A=${VERSION#v} B=${VERSION%%-*} C=${VERSION:1:3} D=${NAME,,} E=${VERSION//./_}\n"
        ': "${DEFAULTED:=set-by-default}"\n'
        "unset NAME\n"
        "docker build -t x:$A -t x:$B -t x:$C -t x:$D -t x:$E -t x:$DEFAULTED -t x:${NAME:-none} -t x:${#VERSION} .\n",
        "Dockerfile",
    )
    [build] = script.builds
    assert build.tags == (
        "x:2.3.1-rc1",
        "x:v2.3.1",
        "x:2.3",
        "x:my_app",
        "x:v2_3_1-rc1",
        "x:set-by-default",
        "x:none",
        "x:10",
    )


def test_unknown_values_stay_visible(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "SHA=$(git rev-parse HEAD)\n"
        "docker build -t app:$SHA -t app:$UNSET -t app:${OTHER:-fallback} --build-arg FROM_ENV --build-arg B=$SHA .\n"
        "docker build -f $WHERE/Dockerfile .\n",
        "Dockerfile",
    )
    [build] = script.builds
    assert build.tags == ("app:${SHA}", "app:${UNSET}", "app:fallback")
    assert build.args == {"B": "${SHA}"}  # FROM_ENV has no value in the script: not passed
    [warning] = script.warnings
    assert (warning.line, warning.message) == (3, "docker build: cannot resolve the path ${WHERE}/Dockerfile")


def test_loops_and_word_splitting(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        'IMAGES="api worker"\n'
        'for image in $IMAGES "two words"; do\n'
        '  docker build -t "acme/$image" "services/$image"\n'
        "done\n"
        "set -- cli\n"
        "for image; do docker build -t acme/$image services/$image; done\n"
        "while read -r line; do docker build -t looped services/api; done < list.txt\n",
        "services/api/Dockerfile",
        "services/worker/Dockerfile",
        "services/cli/Dockerfile",
    )
    assert [(b.tags, b.conditional) for b in script.builds] == [
        (("acme/api",), False),
        (("acme/worker",), False),
        (("acme/two words",), False),
        (("acme/cli",), False),
        (("looped",), True),
    ]
    assert script.builds[2].dockerfile == "services/two words/Dockerfile"


def test_conditions(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "docker build -t a . || docker build -t b .\n"
        "if docker build -t c .; then docker build -t d .; else docker build -t e .; fi\n"
        'case "$MODE" in\n  gpu) docker build -t f . ;;\nesac\n'
        "MODE=cpu\n"
        "case $MODE in\n  gpu) docker build -t g . ;;\n  cpu|*) docker build -t h . ;;\nesac\n",
        "Dockerfile",
    )
    assert [(b.tags[0], b.conditional) for b in script.builds] == [
        ("a", False),
        ("b", True),
        ("c", False),
        ("d", True),
        ("e", True),
        ("f", True),
        ("h", False),
    ]


def test_directories(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    for name in ("docker/app/Dockerfile", "scripts/local/Dockerfile"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("FROM alpine\n")
    script_path = tmp_path / "scripts" / "build.sh"
    script_path.write_text(
        # before any cd: from the root, or from the script's directory when only that has the Dockerfile
        "docker build -t root-relative docker/app\n"
        "docker build -t script-relative local\n"
        'ROOT=$(cd "$(dirname "$0")/.." && pwd)\n'
        'pushd "$ROOT/docker" >/dev/null\n'
        "docker build -t pushed app\n"
        "popd\n"
        '(cd "$(git rev-parse --show-toplevel)/docker/app" && docker build -t sub .)\n'
        "docker build -t unknown-cwd docker/app\n"
    )
    script = load_script(script_path, tmp_path)
    assert [(b.tags[0], b.context) for b in script.builds] == [
        ("root-relative", "docker/app"),
        ("script-relative", "scripts/local"),
        ("pushed", "docker/app"),
        ("sub", "docker/app"),
        ("unknown-cwd", "docker/app"),
    ]


def test_command_substitutions(tmp_path: Path) -> None:
    (tmp_path / "VERSION").write_text("1.2.3\n")
    (tmp_path / "versions.txt").write_text("# pins\nPY=3.12\nTORCH=2.3.1\n")
    script = _script(
        tmp_path,
        "V=$(cat VERSION)\n"
        "PY=$(grep '^PY=' versions.txt | cut -d= -f2)\n"
        "T=$(grep -E '^TORCH' versions.txt | head -n1 | cut -d '=' -f 2 | tr -d '.')\n"
        'N=$(basename "$(pwd)")\n'
        "E=$(echo hi)\n"
        "docker build -t x:$V -t x:$PY -t x:$T -t x:$E --build-arg DIR=$N .\n",
        "Dockerfile",
    )
    [build] = script.builds
    assert build.tags == ("x:1.2.3", "x:3.12", "x:231", "x:hi")
    assert build.args == {"DIR": "${N}"}  # pwd is unknown before any cd


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("sed -i 's/FROM a/FROM b/' Dockerfile", [("", "FROM a", "FROM b", "")]),
        (
            "sed -i.bak -e 's|x|y|g' -e '/^FROM/s#a\\#b#c#' Dockerfile",
            [("", "x", "y", "g"), ("/^FROM/", "a\\#b", "c", "")],
        ),
        ("sed -i '' 's/a/b/' Dockerfile", [("", "a", "b", "")]),
        (
            "sed --in-place --expression='1,/x/s/a/b/2;s/c/d/' Dockerfile",
            [("1,/x/", "a", "b", "2"), ("", "c", "d", "")],
        ),
        ("sed 's/a/b/' Dockerfile", []),  # not in place: prints, changes nothing
        ("sed -i 's/a/b/' README.md", []),  # not a Dockerfile
        ("sed -i 's/a/b/' no/such/Dockerfile", [("", "a", "b", "")]),  # recorded: it matches no file
    ],
)
def test_sed_forms(tmp_path: Path, command: str, expected: list[tuple[str, str, str, str]]) -> None:
    script = _script(tmp_path, command + "\n", "Dockerfile", "README.md")
    assert [(r.address, r.pattern, r.replacement, r.flags) for r in script.rewrites] == expected
    if expected and "no/such" in command:
        assert script.rewrites[0].files == ()


@pytest.mark.parametrize(
    ("pattern", "extended", "matches", "misses"),
    [
        ("FROM .*pipeline-base:.*", False, ["FROM r/pipeline-base:1"], ["FROM r/pipeline-ml-base:1"]),
        (r"^FROM \(.*\):[0-9]\+$", False, ["FROM a:12"], ["FROM a:b", "FROM a:1 AS x"]),
        (r"^FROM (.*):[0-9]+$", True, ["FROM a:12"], ["FROM a:b"]),
        ("a{2}", False, ["a{2}"], ["aa"]),
        (r"a\{2\}", False, ["aa"], ["a"]),
        ("[[:digit:]]\\.[0-9]", False, ["3.1"], ["3x1"]),
        ("*star", False, ["*star"], ["star"]),
        ("[]x]y", False, ["]y", "xy"], ["zy"]),
        (r"\<word\>", False, ["a word here"], ["swordfish"]),
        ("x|y", True, ["x", "y"], ["z"]),
        (r"x\|y", False, ["x", "y"], ["z"]),
        ("from", False, [], ["FROM"]),
    ],
)
def test_sed_regex(pattern: str, extended: bool, matches: list[str], misses: list[str]) -> None:
    regex = sed_regex(pattern, extended=extended)
    assert regex is not None
    for text in matches:
        assert regex.search(text), text
    for text in misses:
        assert not regex.search(text), text


def test_sed_regex_options() -> None:
    regex = sed_regex(r"a\|b", delimiter="|")  # \| is the delimiter itself, a literal bar
    assert regex is not None and regex.search("a|b") and not regex.search("a")
    regex = sed_regex("from", ignore_case=True)
    assert regex is not None and regex.search("FROM x")
    assert sed_regex("a\\(b") is None  # an unbalanced group does not compile


def test_scripts_without_builds_are_not_parsed(tmp_path: Path) -> None:
    script = _script(tmp_path, "echo hello\n")
    assert (script.builds, script.rewrites, script.errors) == ((), (), ())


def test_unreadable_script(tmp_path: Path) -> None:
    path = tmp_path / "build.sh"
    path.write_bytes(b"docker build \xff\n")
    [error] = load_script(path, tmp_path).errors
    assert error.message.startswith("cannot read script")


def test_recursion_is_bounded(tmp_path: Path) -> None:
    script = _script(tmp_path, "f() { f; docker build -t x .; }\nf\n. ./build.sh\n", "Dockerfile")
    assert script.builds  # it ends
