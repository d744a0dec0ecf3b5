"""Bake files: the HCL subset, JSON, variables, inherits, overrides and named contexts."""

from __future__ import annotations

from pathlib import Path

from dockopt.repo.bake import bake_order, load_bake
from dockopt.repo.builds import Build, is_bake_name

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"


def _builds(tmp_path: Path, text: str, name: str = "docker-bake.hcl") -> dict[str, Build]:
    path = tmp_path / name
    path.write_text(text)
    files = load_bake([path], tmp_path)
    assert files.errors == ()
    return {build.name or "": build for build in files.builds}


def test_names_and_order() -> None:
    assert is_bake_name("docker-bake.hcl")
    assert is_bake_name("docker-bake.override.json")
    assert not is_bake_name("bake.hcl")
    paths = [Path(n) for n in ("docker-bake.override.hcl", "docker-bake.hcl", "docker-bake.json")]
    assert [p.name for p in bake_order(paths)] == ["docker-bake.json", "docker-bake.hcl", "docker-bake.override.hcl"]


def test_fixture_targets() -> None:
    root = REPOS / "baked"
    files = load_bake([root / "docker-bake.hcl"], root)
    assert files.errors == ()
    builds = {b.name: b for b in files.builds}
    assert list(builds) == ["cuda", "trainer", "server"]  # _common is only inherited
    cuda = builds["cuda"]
    assert (cuda.source, cuda.line, cuda.kind) == ("docker-bake.hcl", 17, "bake")
    assert cuda.dockerfile == "docker/cuda.Dockerfile"
    assert cuda.context == "."
    assert cuda.tags == ("ghcr.io/acme/cuda-base:2.0",)
    assert cuda.args == {"PYTHON": "3.11"}
    assert builds["trainer"].contexts == {"cuda-base": "target:cuda"}
    server = builds["server"]
    assert server.target == "prod"
    assert server.args == {"PYTHON": "3.11", "BASE": "ghcr.io/acme/cuda-base:2.0"}  # inherited and own args merged
    # a conditional is read past: its value is unknown, not an error
    assert server.tags == ("ghcr.io/acme/server:2.0", '${notequal("", VERSION) ? "${REGISTRY}/server:latest" : ""}')


def test_hcl_syntax(tmp_path: Path) -> None:
    builds = _builds(
        tmp_path,
        """
/* a block
   comment */
variable "ORG" { default = "acme" }
variable "IMAGE" { default = "${ORG}/tool" }   # a variable built from another
variable "NOTHING" {}
REV = "7"
target "tool" {
  context = "tools"
  dockerfile = "../docker/tool.Dockerfile"
  tags = ["${IMAGE}:${REV}", "${NOTHING}", "$${literal}", "${upper(ORG)}"]
  args = {
    "QUOTED" = "a\\"b"
    N = 3, FLAG = true
    EMPTY = null
    LIST = [for x in ["a"] : x]
  }
  labels = {
    description = <<-EOT
      multi
      line
    EOT
  }
}
""",
    )
    tool = builds["tool"]
    assert tool.context == "tools"
    assert tool.dockerfile == "docker/tool.Dockerfile"
    assert tool.tags == ("acme/tool:7", "${NOTHING}", "${literal}", "${upper(ORG)}")
    # null leaves the arg out; an expression that is not evaluated stays visible as unresolved
    assert tool.args == {"QUOTED": 'a"b', "N": "3", "FLAG": "true", "LIST": '${[for x in ["a"] : x]}'}


def test_inherit_chain_and_override(tmp_path: Path) -> None:
    builds = _builds(
        tmp_path,
        """
target "a" { args = { X = "1", Y = "1" } }
target "b" {
  inherits = ["a"]
  args = { Y = "2" }
  tags = ["b:1"]
}
target "c" {
  inherits = ["b"]
  args = { Z = "3" }
}
target "c" { tags = ["c:1"] }
target "loop" { inherits = ["loop"] }
target "orphan" { inherits = ["nowhere"] }
group "default" { targets = ["a", "c"] }
""",
    )
    assert set(builds) == {"a", "c", "loop", "orphan"}  # b is only a parent; a is also in a group
    assert builds["c"].args == {"X": "1", "Y": "2", "Z": "3"}
    assert builds["c"].tags == ("c:1",)


def test_inherit_problems_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "docker-bake.hcl"
    path.write_text('target "loop" { inherits = ["loop"] }\ntarget "orphan" { inherits = ["nowhere"] }\n')
    files = load_bake([path], tmp_path)
    assert [(w.line, w.message) for w in files.warnings] == [
        (1, "target loop inherits itself through loop"),
        (2, "target orphan inherits unknown target nowhere"),
    ]


def test_remote_context_and_inline_are_skipped(tmp_path: Path) -> None:
    builds = _builds(
        tmp_path,
        'target "git" { context = "https://github.com/acme/x.git" }\n'
        'target "inline" { dockerfile-inline = "FROM alpine" }\n'
        'target "default" {}\n',
    )
    assert list(builds) == ["default"]
    assert builds["default"].dockerfile == "Dockerfile"


def test_json_and_override(tmp_path: Path) -> None:
    root = REPOS / "bakejson"
    paths = bake_order([root / "docker-bake.override.hcl", root / "docker-bake.json"])
    files = load_bake(paths, root)
    assert files.paths == ("docker-bake.json", "docker-bake.override.hcl")
    base, app = files.builds
    assert (base.name, base.line, base.context, base.dockerfile) == ("base", 7, "base", "base/Dockerfile")
    assert base.tags == ("example/base:1.0",)  # the override file's default wins
    assert app.args == {"BASE_TAG": "1.0"}


def test_errors_name_file_and_line(tmp_path: Path) -> None:
    hcl = tmp_path / "docker-bake.hcl"
    hcl.write_text('target "x" {\n  context = "."\n  tags = ["a"\n}\n')
    json_file = tmp_path / "docker-bake.json"
    json_file.write_text('{\n  "target": {\n    "x": {"context": "."},\n  }\n}\n')
    files = load_bake([json_file, hcl], tmp_path)
    assert [(e.file, e.line) for e in files.errors] == [("docker-bake.json", 4), ("docker-bake.hcl", 4)]
    assert files.builds == ()
    for text, line in (
        ('target "x" {\n  context = "unterminated\n}\n', 2),
        ('target "x" {\n  tags = ["a"] extra\n}\n', 2),
        ('target "x" {\n  context = "."\n', 3),
        ("target x {\n  context = @\n}\n", 2),
        ('variable "V" {\n  default = "${V"\n}\n', 2),
    ):
        hcl.write_text(text)
        [error] = load_bake([hcl], tmp_path).errors
        assert error.line == line, (text, error)
