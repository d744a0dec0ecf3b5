"""Properties of the lossless parser on arbitrary input, and its error reporting.

Whatever the input: no exception escapes, ``render(parse(x)) == x``, the nodes tile the text,
positions agree with offsets, and every sub-part of an instruction lies inside it (see
``corpus.invariants``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus.invariants import bytes_violations, text_violations
from corpus.parity import TOKENS, token_texts
from dockopt.syntax import MAX_FILE_BYTES, load_file, parse, parse_bytes

# These checks are cheap: run more examples than the profile's default.
MANY = settings(max_examples=settings().max_examples * 5)

# Text that mixes Dockerfile tokens with arbitrary characters, so that instructions, flags and
# heredocs appear often while every character can still turn up anywhere.
mixed_texts = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=5)), max_size=40).map("".join)


@MANY
@given(st.text())
@example("\ufeff# escape=`\r\nFROM a\r\nRUN a `\r\n b")
@example("ONBUILD ONBUILD RUN --mount=x <<EOF\nEOF")
@example("\\")
@example("\r")
@example("FROM a\nRUN \ud800 --mount=\udfff")  # lone surrogates must not break encoding checks
def test_arbitrary_text_round_trips(text: str) -> None:
    assert text_violations(text) == []


@MANY
@given(st.one_of(token_texts(), mixed_texts))
def test_dockerfile_ish_text_round_trips(text: str) -> None:
    assert text_violations(text) == []


@MANY
@given(st.binary())
@example(b"FROM a\n\xff")
@example(b"\xef\xbb\xbfFROM a\r\n")
@example(b"FROM a\x00")
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    assert bytes_violations(data) == []


@MANY
@given(st.one_of(token_texts(), mixed_texts))
def test_encoded_text_parses_like_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert bytes_violations(data) == []


# -- error reporting -------------------------------------------------------------------------------


def _only_error(text: str) -> tuple[int, int, str]:
    errors = parse(text).errors
    assert len(errors) == 1, errors
    return errors[0].line, errors[0].column, errors[0].message


def test_unterminated_heredoc_names_the_delimiter_and_line() -> None:
    line, _, message = _only_error("FROM python:3.11\nRUN <<EOF\necho hi\n")
    assert line == 2
    assert "unterminated heredoc" in message
    assert "EOF" in message


def test_second_unterminated_heredoc_is_reported() -> None:
    line, _, message = _only_error("FROM a\nCOPY <<ONE <<TWO /dst/\none\nONE\ntwo\n")
    assert line == 2
    assert "TWO" in message


@pytest.mark.parametrize(
    ("keyword", "suggestion"),
    [("RUNN", "RUN"), ("COPPY", "COPY"), ("ENTRYPIONT", "ENTRYPOINT"), ("FORM", "FROM"), ("WROKDIR", "WORKDIR")],
)
def test_unknown_instruction_suggests_the_close_keyword(keyword: str, suggestion: str) -> None:
    line, column, message = _only_error(f"FROM a\n  {keyword} x\n")
    assert (line, column) == (2, 3)  # points at the keyword, after the indentation
    assert f"unknown instruction {keyword!r}" in message
    assert f"did you mean {suggestion}?" in message


def test_unknown_instruction_without_a_close_keyword_has_no_suggestion() -> None:
    _, _, message = _only_error("FROM a\nXYZZY x\n")
    assert message == "unknown instruction 'XYZZY'"


def test_unknown_onbuild_trigger_points_at_it() -> None:
    line, column, message = _only_error("FROM a\nONBUILD RUNN x\n")
    assert (line, column) == (2, 9)
    assert "did you mean RUN?" in message


def test_instruction_before_first_from() -> None:
    line, _, message = _only_error("ARG BASE=python:3.11\nRUN echo hi\nFROM $BASE\n")
    assert line == 2
    assert "RUN before the first FROM" in message


def test_arg_before_first_from_is_fine() -> None:
    assert parse("ARG BASE=python:3.11\nFROM $BASE\n").errors == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "the file is empty"), ("\n  \n", "the file is empty"), ("# only\n", "the file has no instructions")],
)
def test_empty_file(text: str, expected: str) -> None:
    line, _, message = _only_error(text)
    assert line >= 1
    assert expected in message


def test_binary_file_with_nul_bytes() -> None:
    tree = parse_bytes(b"FROM a\nRUN echo\n\x00\x01\x02", path="weights.bin")
    assert [(e.line, e.column) for e in tree.errors] == [(3, 1)]
    assert "binary file" in tree.errors[0].message
    assert tree.path == "weights.bin"


def test_non_utf8_file_reports_the_byte_and_position() -> None:
    tree = parse_bytes(b"FROM a\nRUN echo caf\xe9\n")
    assert [(e.line, e.column) for e in tree.errors] == [(2, 13)]
    assert "not valid UTF-8" in tree.errors[0].message
    assert "0xe9" in tree.errors[0].message


def test_oversized_bytes() -> None:
    tree = parse_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert [e.line for e in tree.errors] == [1]
    assert "5 MiB" in tree.errors[0].message


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no need to write 5 MB
    tree = load_file(path)
    assert [e.line for e in tree.errors] == [1]
    assert "5 MiB" in tree.errors[0].message


def test_missing_file(tmp_path: Path) -> None:
    tree = load_file(tmp_path / "nope" / "Dockerfile")
    assert [e.line for e in tree.errors] == [1]
    assert "cannot read" in tree.errors[0].message


def test_file_just_under_the_size_limit_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    padding = b"# " + b"x" * 60_000 + b"\n"  # long comment lines: few lines, within BuildKit's line limit
    path.write_bytes(b"FROM a\n" + padding * ((MAX_FILE_BYTES - 7) // len(padding)))
    tree = load_file(path)
    assert tree.errors == []
    assert [i.keyword for i in tree.instructions] == ["FROM"]


def test_line_longer_than_buildkit_reads() -> None:
    line, _, message = _only_error("FROM a\nRUN echo " + "é" * 40_000 + "\n")
    assert line == 2
    assert "bytes long" in message
    assert "65535" in message


def test_line_at_buildkit_limit_is_fine() -> None:
    assert parse("FROM a\nRUN " + "x" * (65_535 - 4) + "\n").errors == []


def test_heredoc_delimiter_that_buildkit_cannot_lex() -> None:
    errors = parse('FROM a\nRUN <<${A:-"x y"}\n').errors
    assert [e.line for e in errors] == [2]
    assert "invalid heredoc delimiter" in errors[0].message


def test_errors_do_not_stop_parsing() -> None:
    tree = parse("FROM a\nRUNN x\nCMD [1]\nRUN <<EOF\nbody\n")
    assert [e.line for e in tree.errors] == [2, 3, 4]
    assert [i.keyword for i in tree.instructions] == ["FROM", "RUNN", "CMD", "RUN"]


_WORD_CHARACTERS = st.sampled_from(list("ab =\t'\"\\`$\x1c\x1f\u00a0\u2003\n\r"))


@given(st.lists(_WORD_CHARACTERS, max_size=20).map("".join), st.sampled_from(["\\", "`"]))
@settings(max_examples=2000)
@example('a "b\\" c" \'d\\\' e', "\\")
@example("x\x1cy z\u00a0w", "`")
def test_word_pattern_splits_like_buildkits_loop(text: str, escape: str) -> None:
    """ENV/LABEL/ARG words: the one-pattern split equals parseWords's character loop (a trailing escape aside)."""
    from dockopt.syntax.parser import _WORDS, _parse_words, _parse_words_loop

    if not text.endswith(escape):
        assert _WORDS[escape].findall(text) == _parse_words_loop(text, escape)
    assert _parse_words(text, escape) == _parse_words_loop(text, escape)
