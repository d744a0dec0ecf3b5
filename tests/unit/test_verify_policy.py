"""Verification policies: the built-in one, docs/policy.md's example, and errors that name file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dockopt.errors import ConfigError
from dockopt.verify.checks import KINDS, rules_needed
from dockopt.verify.policy import BUILT_IN, CACHE_MANAGERS, CHECK_KINDS, load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "policy.md"
SHIPPED = ROOT / "src" / "dockopt" / "verify" / "default_policy.toml"

VALID = """\
name = "team policy"

[[requirements]]
id = "cache"
title = "Cache mounts"
category = "Build cache"
weight = 2
check = { kind = "cache_mounts", managers = ["pip"] }

[[requirements]]
id = "size"
title = "Small images"
category = "Size"
[requirements.check]
kind = "max_size_mb"
limit = 900
images = ["app-*"]
"""


def _error(text: str, tmp_path: Path) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    return caught.value.message


def test_valid_policy_with_inline_and_table_checks(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(VALID, encoding="utf-8")
    policy = load_policy(path)
    assert policy.name == "team policy"
    assert policy.source == str(path)
    cache, size = policy.requirements
    assert cache.requirement.weight == 2.0
    assert cache.check.kind == "cache_mounts"
    assert cache.check.get("managers") == ("pip",)
    assert size.requirement.weight == 1.0  # the default
    assert size.check.get("limit") == 900
    assert size.check.get("images") == ("app-*",)


def test_defaults_fill_the_check_fields() -> None:
    policy = parse_policy(
        '[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "cache_mounts" }\n'
        '[[requirements]]\nid = "b"\ntitle = "B"\ncategory = "C"\ncheck = { kind = "rules", rules = ["DO5"] }\n',
        "p.toml",
    )
    assert policy.requirements[0].check.get("managers") == CACHE_MANAGERS
    assert policy.requirements[1].check.get("per") == "dockerfile"
    assert {"DO501", "DO503"} <= rules_needed(policy)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('name = "x"\n[[requirements]\nid = "a"\n', 2, "invalid TOML"),
        ('nmae = "x"\n', 1, "unknown key 'nmae'"),
        ('name = "x"\n\n[[requirements]]\nid = "a"\ntitle = "A"\ncheck = { kind = "rules", rules = ["DO501"] }\n', 3,
         "missing 'category'"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\nweight = -1\ncheck = { kind = "healthcheck" }\n', 5,
         "weight must be a positive number"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\n\ncheck = { kind = "healthchek" }\n', 6,
         "check kind 'healthchek' is not one of"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "rules", rules = ["XX1"] }\n', 5,
         "matches no rule"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "rules" }\n', 5,
         "needs 'rules'"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\n[requirements.check]\nkind = "max_size_mb"\n'
         'limit = 10\nlimmit = 3\n', 8, "has no field 'limmit'"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "healthcheck" }\n'
         '[[requirements]]\nid = "a"\ntitle = "B"\ncategory = "C"\ncheck = { kind = "non_root" }\n', 7,
         "used twice (first at line 2)"),
        ('[[requirements]]\nid = "Bad Id"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "non_root" }\n', 2,
         "id must be lower case"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncolour = "red"\ncheck = { kind = "non_root" }\n',
         5, "unknown key 'colour'"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "cache_mounts", managers = ["pipx"] }\n',
         5, "known package managers"),
        ('[[requirements]]\nid = "a"\ntitle = "A"\ncategory = "C"\ncheck = { kind = "rules", rules = ["DO501"], per = "layer" }\n',
         5, "per must be one of"),
        ('name = "empty"\n', 1, "no requirements"),
    ],
)  # fmt: skip
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    message = _error(text, tmp_path)
    assert message.startswith(f"{tmp_path / 'policy.toml'}:{line}:"), message
    assert words in message


def test_unreadable_policy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read policy"):
        load_policy(tmp_path / "missing.toml")


def test_every_check_kind_has_a_function_and_rules_exist() -> None:
    assert set(KINDS) == set(CHECK_KINDS)
    from dockopt.rules.registry import all_rules

    for kind in KINDS.values():
        assert kind.rules <= set(all_rules())


def test_built_in_policy_loads_and_covers_every_kind_but_build_time() -> None:
    policy = load_policy(None)
    assert policy.source == BUILT_IN
    kinds = {item.check.kind for item in policy.requirements}
    assert kinds == set(CHECK_KINDS) - {"max_build_s"}
    assert len({item.id for item in policy.requirements}) == len(policy.requirements)


def test_docs_show_the_built_in_policy_whole() -> None:
    """docs/policy.md's full example is the shipped default policy, byte for byte."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    assert SHIPPED.read_text(encoding="utf-8") in blocks


def test_docs_describe_every_check_kind_and_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind, fields in CHECK_KINDS.items():
        assert f"`{kind}`" in text, kind
        for name in fields:
            assert f"`{name}`" in text, (kind, name)
