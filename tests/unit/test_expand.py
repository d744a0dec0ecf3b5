"""Variable expansion: BuildKit's word lexer, and its ARG/ENV scoping over a Dockerfile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockopt.syntax import parse
from dockopt.syntax.expand import (
    DEFAULT_PATH,
    ExpandedInstruction,
    Origin,
    expand_word,
    expand_words,
    resolve,
)

ENV = {
    "NAME": "value",
    "EMPTY": "",
    "SPACED": "a  b",
    "PATHLIKE": "/usr/local/lib/python3.11/site.tar.gz",
    "DASHES": "--x--",
    "LETTERS": "aabbccdd",
    "STAR": "a*b",
}

# (word, expected) with ENV and the default escape character.
WORD_CASES = [
    # plain references
    ("$NAME", "value"),
    ("${NAME}", "value"),
    ("pre-${NAME}-post", "pre-value-post"),
    ("$NAME.txt", "value.txt"),
    ("$NAMEX", ""),
    ("${NAME}X", "valueX"),
    ("$UNSET", ""),
    ("${UNSET}", ""),
    ("a${UNSET}b", "ab"),
    ("$SPACED", "a  b"),
    # a lone or unusable $ stays
    ("$", "$"),
    ("a$ b", "a$ b"),
    ("$/x", "$/x"),
    ("cost: 5$", "cost: 5$"),
    # positional and special parameters are names too (never set here)
    ("$1x", "x"),
    ("$12x", "x"),
    ("$$", ""),
    ("${#}", ""),
    # :- and -
    ("${NAME:-default}", "value"),
    ("${UNSET:-default}", "default"),
    ("${EMPTY:-default}", "default"),
    ("${NAME-default}", "value"),
    ("${UNSET-default}", "default"),
    ("${EMPTY-default}", ""),
    ("${UNSET:-}", ""),
    ("${UNSET:-a b}", "a b"),
    # :+ and +
    ("${NAME:+alt}", "alt"),
    ("${UNSET:+alt}", ""),
    ("${EMPTY:+alt}", ""),
    ("${NAME+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    # :? and ? when the variable is usable
    ("${NAME:?must be set}", "value"),
    ("${NAME?must be set}", "value"),
    ("${EMPTY?must be set}", ""),
    # nested expansions in the operand
    ("${UNSET:-$NAME}", "value"),
    ("${UNSET:-${NAME}/x}", "value/x"),
    ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
    ("${NAME:+[${NAME}]}", "[value]"),
    ("${UNSET:-'$NAME'}", "$NAME"),
    ('${UNSET:-"a}b"}', "a}b"),
    ("${UNSET:-a\\}b}", "a}b"),
    # prefix removal
    ("${PATHLIKE#*/}", "usr/local/lib/python3.11/site.tar.gz"),
    ("${PATHLIKE##*/}", "site.tar.gz"),
    ("${DASHES#*-}", "-x--"),
    ("${DASHES##*-}", ""),
    ("${LETTERS#*b}", "bccdd"),
    ("${LETTERS##*b}", "ccdd"),
    ("${LETTERS#a?}", "bbccdd"),
    ("${LETTERS#zz}", "aabbccdd"),
    ("${UNSET#x}", ""),
    ("${STAR#a\\*}", "b"),
    ("${LETTERS#[a]}", "aabbccdd"),
    # suffix removal
    ("${PATHLIKE%.*}", "/usr/local/lib/python3.11/site.tar"),
    ("${PATHLIKE%%.*}", "/usr/local/lib/python3"),
    ("${DASHES%-*}", "--x-"),
    ("${DASHES%%-*}", ""),
    ("${LETTERS%c*}", "aabbc"),
    ("${LETTERS%%c*}", "aabb"),
    ("${LETTERS%abcd}", "aabbccdd"),
    ("${LETTERS%ccdd}", "aabb"),
    ("${STAR%\\*b}", "a"),
    # substitution
    ("${PATHLIKE/lib/LIB}", "/usr/local/LIB/python3.11/site.tar.gz"),
    ("${PATHLIKE//l/L}", "/usr/LocaL/Lib/python3.11/site.tar.gz"),
    ("${LETTERS/b*c/X}", "aaXdd"),
    ("${LETTERS//?/.}", "........"),
    ("${LETTERS//b/}", "aaccdd"),
    ("${LETTERS/#a/X}", "aabbccdd"),
    ("${DASHES//*/x}", "x"),
    ("${PATHLIKE/\\/usr/opt}", "opt/local/lib/python3.11/site.tar.gz"),
    ("${UNSET/a/b}", ""),
    # single quotes: literal
    ("'$NAME'", "$NAME"),
    ("'a \\ b'", "a \\ b"),
    ("'${'", "${"),
    # double quotes: expand inside, escape only \" \$ \\
    ('"$NAME"', "value"),
    ('"$NAME and ${UNSET:-d}"', "value and d"),
    ('"it\'s"', "it's"),
    ('"a\\"b"', 'a"b'),
    ('"\\$NAME"', "$NAME"),
    ('"a\\\\b"', "a\\b"),
    ('"a\\nb"', "a\\nb"),
    ('a"b c"d', "ab cd"),
    ('""', ""),
    # the escape character outside quotes
    ("\\$NAME", "$NAME"),
    ("\\${NAME}", "${NAME}"),
    ("a\\ b", "a b"),
    ("\\'a\\'", "'a'"),
    ('\\"a', '"a'),
    ("C:\\\\dir", "C:\\dir"),
    ("a\\", "a"),
    # unicode names are names
    ("$ÉTÉ-x", "-x"),
]

# (word, expected) with ENV and the backtick escape of `# escape=``.
BACKTICK_CASES = [
    ("`$NAME", "$NAME"),
    ("C:\\Windows\\$NAME", "C:\\Windows\\value"),
    ('"a`"b"', 'a"b'),
    ('"`$NAME"', "$NAME"),
    ("a` b", "a b"),
    ("``", "`"),
    ("${UNSET:-`}}", "}"),
]

# (word, part of the error message)
ERROR_CASES = [
    ("${NAME", "missing '}'"),
    ("${", "missing '}'"),
    ("${UNSET:-abc", "missing '}'"),
    ("${}", "bad substitution"),
    ("${:-x}", "bad substitution"),
    ("${{NAME}}", "bad substitution"),
    ("${NAME x}", "unsupported modifier"),
    ("${NAME:x}", "unsupported modifier (:x)"),
    ("${NAME^^}", "unsupported modifier"),
    ("${UNSET:?must be set}", "UNSET: must be set"),
    ("${UNSET?}", "UNSET: is not allowed to be unset"),
    ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
    ("'open", "single-quote"),
    ('"open', "double-quote"),
    ('"open\\', "double-quote"),
    ("${NAME/a}", "missing '/'"),
    ("${NAME/a/b", "missing '}'"),
    ("${NAME#a\\b}", "invalid escape"),
    ("${UNSET:-${a:-" * 70, "nested too deeply"),
]

# (word, names referenced while set, names referenced while unset)
REFERENCE_CASES = [
    ("$NAME", {"NAME"}, set()),
    ("$UNSET ${OTHER}", set(), {"UNSET", "OTHER"}),
    ("${UNSET:-$NAME}", {"NAME"}, {"UNSET"}),
    ("${NAME:-$UNSET}", {"NAME"}, {"UNSET"}),
    ("${EMPTY:-x}", {"EMPTY"}, set()),
    ("'$QUOTED' \\$ESCAPED", set(), set()),
    ('"$INSIDE"', set(), {"INSIDE"}),
    ("${PATHLIKE##*/}", {"PATHLIKE"}, set()),
    ("${UNSET/a/$NAME}", {"NAME"}, {"UNSET"}),
]

# (text, expected words) for expand_words
WORDS_CASES = [
    ("a b  c", ("a", "b", "c")),
    ("  a  ", ("a",)),
    ("$SPACED c", ("a", "b", "c")),
    ('"$SPACED" c', ("a  b", "c")),
    ("'a b' \"c d\"", ("a b", "c d")),
    ("a\\ b c", ("a b", "c")),
    ('a "" b', ("a", "b")),
    ("x$SPACED", ("xa", "b")),
    ("${UNSET:-80 443}", ("80", "443")),
    ("$UNSET", ()),
    ("", ()),
]


@pytest.mark.parametrize(("word", "expected"), WORD_CASES)
def test_expand_word(word: str, expected: str) -> None:
    result = expand_word(word, ENV)
    assert result.error is None
    assert result.value == expected


@pytest.mark.parametrize(("word", "expected"), BACKTICK_CASES)
def test_expand_word_with_backtick_escape(word: str, expected: str) -> None:
    result = expand_word(word, ENV, escape="`")
    assert result.error is None
    assert result.value == expected


@pytest.mark.parametrize(("word", "message"), ERROR_CASES)
def test_expand_word_reports_errors_as_values(word: str, message: str) -> None:
    result = expand_word(word, ENV)
    assert result.error is not None
    assert message in result.error
    assert result.value == ""


@pytest.mark.parametrize(("word", "used", "unset"), REFERENCE_CASES)
def test_expand_word_reports_references(word: str, used: set[str], unset: set[str]) -> None:
    result = expand_word(word, ENV)
    assert result.used == used
    assert result.unset == unset


@pytest.mark.parametrize(("text", "expected"), WORDS_CASES)
def test_expand_words(text: str, expected: tuple[str, ...]) -> None:
    result = expand_words(text, ENV)
    assert result.error is None
    assert result.value == expected


def test_expand_words_reports_errors_as_values() -> None:
    result = expand_words("a ${b", ENV)
    assert result.value == ()
    assert result.error is not None


_LEXER_TEXT = st.text(alphabet=st.sampled_from(list("$ {}:-+?#%/\\`'\"aZ_1*.\n\t")))


@given(text=_LEXER_TEXT | st.text(), escape=st.sampled_from(["\\", "`"]))
def test_expansion_never_raises(text: str, escape: str) -> None:
    result = expand_word(text, ENV, escape)
    words = expand_words(text, ENV, escape)
    assert (result.error is None) == (words.error is None)
    assert result.error is not None or isinstance(result.value, str)


# -- scoping -----------------------------------------------------------------------------------


def at_line(
    src: str, line: int, build_args: dict[str, str] | None = None, platform: str = "linux/amd64"
) -> ExpandedInstruction:
    """The expansion of the instruction that starts on ``line`` (1-based)."""
    expansion = resolve(parse(src), build_args, platform)
    (found,) = [e for e in expansion.instructions if e.instruction.start_line == line]
    return found


# (name, Dockerfile, build args, line of the instruction, its expected expanded values)
SCOPE_CASES = [
    (
        "global ARG is not visible in a stage without redeclaration",
        "ARG V=1\nFROM a\nWORKDIR /$V\n",
        {},
        3,
        ("/",),
    ),
    (
        "redeclared global ARG takes the global value",
        "ARG V=1\nFROM a\nARG V\nWORKDIR /$V\n",
        {},
        4,
        ("/1",),
    ),
    (
        "redeclared global ARG takes the build arg",
        "ARG V=1\nFROM a\nARG V\nWORKDIR /$V\n",
        {"V": "2"},
        4,
        ("/2",),
    ),
    (
        "a stage ARG default wins over the global value",
        "ARG V=1\nFROM a\nARG V=3\nWORKDIR /$V\n",
        {},
        4,
        ("/3",),
    ),
    (
        "a build arg overrides a stage ARG default",
        "FROM a\nARG V=1\nWORKDIR /$V\n",
        {"V": "9"},
        3,
        ("/9",),
    ),
    (
        "a build arg not declared by ARG is not visible",
        "FROM a\nWORKDIR /$V\n",
        {"V": "9"},
        2,
        ("/",),
    ),
    (
        "ARG is visible only from its declaration",
        "FROM a\nWORKDIR /$V\nARG V=1\n",
        {},
        2,
        ("/",),
    ),
    (
        "ARG without value and without build arg is unset",
        "FROM a\nARG V\nWORKDIR /${V-unset}\n",
        {},
        3,
        ("/unset",),
    ),
    (
        "ARG of a previous stage from an image does not leak",
        "FROM a AS one\nARG V=1\nENV E=2\nFROM b\nWORKDIR /$V$E\n",
        {},
        5,
        ("/",),
    ),
    (
        "ENV is inherited by a stage built FROM an earlier stage",
        "FROM a AS base\nENV E=1\nFROM base\nWORKDIR /$E\n",
        {},
        4,
        ("/1",),
    ),
    (
        "ARG values are inherited by FROM <stage> too (BuildKit carries the build state)",
        "FROM a AS base\nARG V=1\nFROM base\nWORKDIR /$V\n",
        {},
        4,
        ("/1",),
    ),
    (
        "inheritance goes through a chain of stages",
        "FROM a AS one\nENV E=1\nFROM one AS two\nENV F=$E-2\nFROM two\nWORKDIR /$E/$F\n",
        {},
        6,
        ("/1/1-2",),
    ),
    (
        "a stage named later is not a base",
        "FROM base\nWORKDIR /$E\nFROM a AS base\nENV E=1\n",
        {},
        2,
        ("/",),
    ),
    (
        "ENV shadows an ARG of the same name",
        "FROM a\nARG V=1\nENV V=2\nWORKDIR /$V\n",
        {"V": "5"},
        4,
        ("/2",),
    ),
    (
        "an ARG with a value after ENV wins in BuildKit's state",
        "FROM a\nENV V=2\nARG V=1\nWORKDIR /$V\n",
        {},
        4,
        ("/1",),
    ),
    (
        "an ARG without value after ENV keeps the ENV value",
        "FROM a\nENV V=2\nARG V\nWORKDIR /$V\n",
        {},
        4,
        ("/2",),
    ),
    (
        "ENV values see the environment before the instruction",
        "FROM a\nENV A=old\nENV A=new B=$A\n",
        {},
        3,
        ("A", "new", "B", "old"),
    ),
    (
        "each ARG on a line sees the ones before it",
        "FROM a\nARG A=1 B=$A\n",
        {},
        2,
        ("A=1", "B=1"),
    ),
    (
        "a global ARG default sees earlier global ARGs",
        "ARG A=1\nARG B=${A}2\nFROM a\nARG B\nWORKDIR /$B\n",
        {},
        5,
        ("/12",),
    ),
    (
        "quotes are removed from ENV values",
        "FROM a\nENV A=\"a b\" B='$c' C=d\\ e\n",
        {},
        2,
        ("A", "a b", "B", "$c", "C", "d e"),
    ),
    (
        "legacy ENV form keeps the spaces",
        "FROM a\nENV A value with  spaces\n",
        {},
        2,
        ("A", "value with  spaces"),
    ),
    (
        "LABEL keys and values are expanded",
        'FROM a\nARG V=1\nLABEL "key $V"="v$V" plain=x\n',
        {},
        3,
        ("key 1", "v1", "plain", "x"),
    ),
    (
        "EXPOSE splits the expanded words",
        'FROM a\nARG PORTS="80 443/tcp"\nEXPOSE $PORTS 8080\n',
        {},
        3,
        ("80", "443/tcp", "8080"),
    ),
    (
        "COPY sources and destination are expanded, exec form too",
        'FROM a\nARG APP=/app\nCOPY ["$APP/a b", "${APP}/"]\n',
        {},
        3,
        ("/app/a b", "/app/"),
    ),
    (
        "USER, STOPSIGNAL and VOLUME are expanded",
        "FROM a\nARG U=1000\nUSER ${U}:${G:-100}\n",
        {},
        3,
        ("1000:100",),
    ),
    (
        "ENV PATH extends BuildKit's default PATH",
        "FROM a\nENV PATH=/venv/bin:$PATH\n",
        {},
        2,
        ("PATH", f"/venv/bin:{DEFAULT_PATH}"),
    ),
    (
        "ARG records the resolved value",
        "ARG G=g\nFROM a\nARG G\nARG D=$G-d\nARG N\n",
        {"N": "n"},
        4,
        ("D=g-d",),
    ),
    (
        "RUN, CMD and ENTRYPOINT bodies are left to the shell",
        "FROM a\nARG V=1\nRUN echo $V\n",
        {},
        3,
        None,
    ),
    (
        "ONBUILD is not expanded",
        "FROM a\nARG V=1\nONBUILD WORKDIR /$V\n",
        {},
        3,
        None,
    ),
]


@pytest.mark.parametrize(
    ("src", "build_args", "line", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in SCOPE_CASES],
)
def test_scoping(src: str, build_args: dict[str, str], line: int, expected: tuple[str, ...] | None) -> None:
    found = at_line(src, line, build_args=build_args)
    assert found.values == expected
    assert found.errors == ()


# (Dockerfile, build args, expected FROM image)
FROM_CASES = [
    ("ARG REGISTRY=docker.io\nARG TAG=3.11\nFROM ${REGISTRY}/base:${TAG}\n", {}, "docker.io/base:3.11"),
    ("ARG REGISTRY=docker.io\nARG TAG=3.11\nFROM ${REGISTRY}/base:${TAG}\n", {"TAG": "3.12"}, "docker.io/base:3.12"),
    ("ARG REGISTRY=r.io\nARG TAG\nFROM ${REGISTRY}/base:${TAG:-latest}\n", {}, "r.io/base:latest"),
    ("ARG REGISTRY\nFROM ${REGISTRY:-ghcr.io}/base\n", {"REGISTRY": "quay.io"}, "quay.io/base"),
    ("ARG BASE=python:3.11-slim\nFROM $BASE AS runtime\n", {}, "python:3.11-slim"),
    ("ARG VERSION=3.11.4\nFROM python:${VERSION%.*}-slim\n", {}, "python:3.11-slim"),
    ("FROM python:${PYTHON_VERSION:-3.12}-slim\n", {}, "python:3.12-slim"),
    ("FROM img:$TARGETARCH\n", {}, "img:amd64"),
    ("FROM img:$TARGETARCH\n", {"TARGETARCH": "arm64"}, "img:arm64"),
    ("FROM a AS base\nENV V=1\nFROM base:$V\n", {}, "base:"),
]


@pytest.mark.parametrize(("src", "build_args", "image"), FROM_CASES)
def test_from_image_is_expanded_with_global_args(src: str, build_args: dict[str, str], image: str) -> None:
    last_from = [e for e in resolve(parse(src), build_args).instructions if e.instruction.keyword == "FROM"][-1]
    assert last_from.values is not None
    assert last_from.values[0] == image


def test_from_keeps_the_stage_name_and_expands_platform() -> None:
    found = at_line("ARG P=linux/arm64\nFROM --platform=$P img AS Build\n", 2)
    assert found.values == ("img", "AS", "Build")
    assert found.flags == (("platform", "linux/arm64"),)
    assert found.stage == 0


def test_from_platform_with_buildplatform_needs_no_declaration() -> None:
    found = at_line("FROM --platform=$BUILDPLATFORM img\n", 1, platform="linux/arm/v7")
    assert found.flags == (("platform", "linux/arm/v7"),)
    assert found.env["BUILDVARIANT"].value == "v7"


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("ARG BASE\nFROM $BASE\n", "should not be blank"),
        ("FROM --platform=$UNSET img\n", "empty platform"),
        ("FROM ${BAD\n", "missing '}'"),
    ],
)
def test_from_errors(src: str, message: str) -> None:
    found = at_line(src, src.count("\n"))
    assert any(message in error for error in found.errors)


# (platform, declared name, expected value)
AUTOMATIC_ARG_CASES = [
    ("linux/amd64", "TARGETARCH", "amd64"),
    ("linux/amd64", "TARGETOS", "linux"),
    ("linux/amd64", "TARGETPLATFORM", "linux/amd64"),
    ("linux/amd64", "TARGETVARIANT", ""),
    ("linux/arm64", "TARGETARCH", "arm64"),
    ("linux/arm/v7", "TARGETVARIANT", "v7"),
    ("linux/arm64", "BUILDPLATFORM", "linux/arm64"),
    ("linux/arm64", "BUILDARCH", "arm64"),
]


@pytest.mark.parametrize(("platform", "name", "value"), AUTOMATIC_ARG_CASES)
def test_automatic_platform_args_need_a_bare_arg_in_a_stage(platform: str, name: str, value: str) -> None:
    src = f"FROM a\nARG {name}\nWORKDIR /${{{name}-unset}}\n"
    assert at_line(src, 3, platform=platform).values == (f"/{value}",)
    undeclared = at_line(f"FROM a\nWORKDIR /${name}\n", 2, platform=platform)
    assert undeclared.values == ("/",)
    assert undeclared.undeclared == {name}


def test_proxy_args_come_from_build_args_once_declared() -> None:
    src = "FROM a\nARG HTTP_PROXY\nENV P=${HTTP_PROXY:-none}\n"
    assert at_line(src, 3).values == ("P", "none")
    assert at_line(src, 3, build_args={"HTTP_PROXY": "http://proxy:3128"}).values == ("P", "http://proxy:3128")


def test_env_records_origin_and_declaring_instruction() -> None:
    df = parse("ARG G=1\nFROM a\nARG V=1\nENV E=2\nWORKDIR /\n")
    workdir = resolve(df).instructions[-1]
    assert workdir.env["V"].origin is Origin.ARG
    assert workdir.env["E"].origin is Origin.ENV
    assert workdir.env["E"].instruction is df.instructions[3]
    assert workdir.env["PATH"].origin is Origin.IMAGE
    assert "G" not in workdir.env
    assert workdir.environment()["E"] == "2"


def test_env_at_an_instruction_is_before_its_own_effect() -> None:
    found = at_line("FROM a\nENV E=1\n", 2)
    assert "E" not in found.env


def test_global_scope() -> None:
    expansion = resolve(parse("ARG A=1\nARG B\nFROM a\n"))
    first = expansion.instructions[0]
    assert first.stage is None
    assert first.values == ("A=1",)
    assert expansion.global_env["A"].value == "1"
    assert "B" not in expansion.global_env
    assert expansion.instructions[2].declared >= {"A", "B"}


def test_unset_and_undeclared_names() -> None:
    src = "ARG G\nFROM a\nARG D\nCOPY $D $NEVER ${DEFAULTED:-x} /dst/\n"
    found = at_line(src, 4)
    assert found.unset == {"D", "NEVER", "DEFAULTED"}
    assert found.undeclared == {"NEVER", "DEFAULTED"}


def test_from_reports_args_used_without_default() -> None:
    found = at_line("ARG TAG\nFROM img:$TAG$OTHER\n", 2)
    assert found.unset == {"TAG", "OTHER"}
    assert found.undeclared == {"OTHER"}


def test_backtick_escape_directive() -> None:
    src = "# escape=`\nFROM a\nENV A=`$B C=x\\y\nWORKDIR C:\\app\\$A\n"
    assert at_line(src, 3).values == ("A", "$B", "C", "x\\y")
    assert at_line(src, 4).values == ("C:\\app\\$B",)


# (Dockerfile, line, expected flags)
FLAG_CASES = [
    (
        "FROM a\nARG U=app\nCOPY --chown=$U:$U --chmod=${MODE:-755} --from=builder a /b\n",
        3,
        (("chown", "app:app"), ("chmod", "755"), ("from", "builder")),
    ),
    (
        "FROM a\nARG SUM=sha256:abc\nADD --checksum=$SUM --chown=$U https://x/y /y\n",
        3,
        (("checksum", "sha256:abc"), ("chown", "")),
    ),
    (
        "FROM a\nENV CACHE=/root/.cache\nRUN --mount=type=cache,target=$CACHE/pip,sharing=locked pip install x\n",
        3,
        (("mount", "type=cache,target=/root/.cache/pip,sharing=locked"),),
    ),
    (
        'FROM a\nARG SRC=/src\nRUN --mount=type=bind,"source=$SRC",ro make\n',
        3,
        (("mount", "type=bind,source=/src,ro"),),
    ),
    (
        "FROM a\nARG I=5\nHEALTHCHECK --interval=${I}s CMD true\n",
        3,
        (("interval", "${I}s"),),
    ),
]


@pytest.mark.parametrize(("src", "line", "flags"), FLAG_CASES)
def test_flags(src: str, line: int, flags: tuple[tuple[str, str], ...]) -> None:
    assert at_line(src, line).flags == flags


def test_copy_from_does_not_support_variables() -> None:
    found = at_line("FROM a AS b\nARG S=b\nFROM c\nCOPY --from=$S /x /x\n", 4)
    assert found.flags == (("from", "$S"),)
    assert any("not supported for --from" in error for error in found.errors)


def test_expansion_errors_are_reported_per_instruction() -> None:
    found = at_line("FROM a\nWORKDIR /${A\n", 2)
    assert found.values == ("",)
    assert found.errors == ("syntax error: missing '}'",)


def test_lookup_by_instruction() -> None:
    df = parse("FROM a\nENV E=1\nWORKDIR /$E\n")
    expansion = resolve(df)
    assert expansion.at(df.instructions[2]).values == ("/1",)
    with pytest.raises(KeyError):
        expansion.at(parse("FROM other\n").instructions[0])


@given(st.text(alphabet=st.characters(blacklist_characters="$'\"\\`")))
def test_fast_path_matches_the_lexer(text: str) -> None:
    from dockopt.syntax import expand as module

    lexer = module._Lexer(text, {}, "\\")
    expected_word, expected_words, _ = lexer.run()
    assert module.expand_word(text, {}).value == expected_word
    assert module.expand_words(text, {}).value == expected_words
