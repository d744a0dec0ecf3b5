"""``Command.has_flag`` answers from an index of the arguments: it must agree with reading them one by one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dockopt.shell import parse_shell

_WORDS = st.sampled_from(
    ["-y", "-qy", "-q", "--yes", "--no-cache-dir", "--no-cache-dir=1", "--index-url=x", "-", "--", "pkg", "'-y'",
     "'--yes'", '"x y"', "-1", "-y1", "--yes=no", "-Y"]
)  # fmt: skip
_NAMES = st.sampled_from(["-y", "-q", "--yes", "--no-cache-dir", "--index-url", "-1", "-Y", "--yes=no", "-qy"])


def _reference(args: tuple[str, ...], quoted: tuple[bool, ...], names: tuple[str, ...]) -> bool:
    for text, was_quoted in zip(args, quoted, strict=True):
        if was_quoted and not text.startswith("-"):
            continue
        for name in names:
            if name.startswith("--"):
                if text == name or text.startswith(name + "="):
                    return True
            elif (
                len(name) == 2
                and text.startswith("-")
                and not text.startswith("--")
                and (text == name or (text[1:].isalpha() and name[1] in text[1:]))
            ):
                return True
    return False


@given(st.lists(_WORDS, max_size=6), st.lists(_NAMES, min_size=1, max_size=3))
def test_has_flag_agrees_with_reading_every_word(words: list[str], names: list[str]) -> None:
    command = parse_shell("tool " + " ".join(words)).commands[0]
    args = tuple(word.text for word in command.args)
    quoted = tuple(word.quoted for word in command.args)
    assert command.has_flag(*names) == _reference(args, quoted, tuple(names))
