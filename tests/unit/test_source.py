"""Go's white space: the fast str.strip() path must agree with the character-by-character definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dockopt.syntax import source

SPACES = [*list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2000\u3000"), "a", "b", "#"]


def _slow_lstrip(text: str) -> str:
    i = 0
    while i < len(text) and source.is_go_space(text[i]):
        i += 1
    return text[i:]


def _slow_rstrip(text: str) -> str:
    j = len(text)
    while j > 0 and source.is_go_space(text[j - 1]):
        j -= 1
    return text[:j]


@given(st.text(alphabet=st.sampled_from(SPACES)))
def test_go_strip_matches_the_definition(text: str) -> None:
    assert source.go_lstrip(text) == _slow_lstrip(text)
    assert source.go_rstrip(text) == _slow_rstrip(text)
    assert source.go_strip(text) == _slow_rstrip(_slow_lstrip(text))


def test_separators_are_not_go_space() -> None:
    assert source.go_lstrip("\x1c RUN") == "\x1c RUN"
    assert source.go_rstrip("RUN \x1f") == "RUN \x1f"
