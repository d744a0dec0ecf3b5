"""DO900: the file could not be read or parsed."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class ParseError(Rule):
    """The file could not be read or parsed.

    What it does:
        Reports a Dockerfile that dockopt cannot read or that BuildKit would refuse to parse:
        an unterminated heredoc, an unknown instruction, an instruction other than ARG before
        the first FROM, an empty or binary file, a file that is not UTF-8 or is over 5 MB,
        invalid JSON arguments, a bad parser directive. The message says where and why.

    Why is this bad?
        The build fails at this line, and no other rule can judge what the file means there.
        Other files of the same run are still checked.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        RUNN pip install -r requirements.txt
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        RUN pip install -r requirements.txt
        ```
    """

    id = "DO900"
    name = "input-error"
    severity = Severity.ERROR
    groups = ("input",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:  # noqa: ARG002
        # Parse errors are turned into findings by the engine, before any rule runs.
        return iter(())
