"""Requirements files read as pip reads them: comments dropped, continuations joined."""

from __future__ import annotations

from dockopt.shell.requirements import logical_lines


def test_logical_lines_join_continuations_and_drop_comments() -> None:
    text = "# pins\ntorch==2.2.2  # cuda 12.1\n\nnumpy==1.26.4 \\\n  --hash=sha256:abc\nurl#frag==1\n"
    assert list(logical_lines(text)) == [
        (2, 2, "torch==2.2.2  # cuda 12.1", "torch==2.2.2"),
        (4, 5, "  --hash=sha256:abc", "numpy==1.26.4    --hash=sha256:abc"),
        (6, 6, "url#frag==1", "url#frag==1"),
    ]
