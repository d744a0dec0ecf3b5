"""DO304: unquoted version specifier that the shell reads as a redirect."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import PackageOperation, SpecifierRedirect, classify
from dockopt.shell.requirements import parse_requirement

# As the shell reads what follows the package word: `>` or `<`, then the target word up to a metacharacter.
_REDIRECTS = re.compile(r"(?:[<>][^\s;&|<>()]+)+")
_REDIRECT = re.compile(r"([<>])([^\s;&|<>()]+)")
# What the fix quotes must mean the same inside double quotes: no $, `, \, " or quotes of any kind.
_PLAIN_PACKAGE = re.compile(r"[A-Za-z0-9._\[\],-]+")
_PLAIN_CHAIN = re.compile(r"(?:[<>][A-Za-z0-9._,=!~*+-]+)+")
_WORD_END = frozenset(" \t\r\n;&|)")


class UnquotedSpecifier(Rule):
    """A version specifier written without quotes, which the shell turns into a redirect.

    What it does:
        Flags a package argument of a package manager (pip, uv, conda…) followed directly by
        `>`, `>=`, `<` or `<=` and a version, without quotes: `pip install numpy>=1.26`,
        `pip install "torch" torchvision<0.20`. Quoted forms (`"numpy>=1.26"`, `'numpy<2'`),
        requirement files and exact pins (`numpy==1.26.4`) are not affected. Applies to RUN and
        to shell-form CMD/ENTRYPOINT, not to exec form or a non-POSIX SHELL.

    Why is this bad?
        The shell reads `>` and `<` before the program sees its arguments. `pip install
        numpy>=1.26` runs `pip install numpy` with its output written to a file named `=1.26`:
        numpy is installed without the constraint (the newest version, or whatever is already
        there), a stray file lands in the working directory of the image, and the build log
        loses pip's output. `pip install "numpy<2"` unquoted becomes `pip install numpy` reading
        its input from a file named `2`, and the RUN fails. `pkg>1,<2` does both.

    Example:
        ```dockerfile
        RUN pip install numpy>=1.26 pandas
        ```

    Use instead:
        ```dockerfile
        RUN pip install "numpy>=1.26" pandas
        ```

    Fix safety:
        Safe: the fix puts double quotes around the package and its specifier, exactly as
        written (`"numpy>=1.26"`), which is what the author meant pip to receive; nothing else
        changes. No fix is offered when the argument contains quotes, variables or characters
        that mean something inside double quotes, or when the result would not be a valid
        requirement.
    """

    id = "DO304"
    name = "unquoted-version-specifier"
    severity = Severity.ERROR
    groups = ("reproducibility", "correctness")
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins
            if target.keyword not in ("RUN", "CMD", "ENTRYPOINT"):
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            env = ctx.state(ins).env  # the state's own mapping: classify's memo knows it by identity
            for command in script.commands:
                operation = classify(command, script, env=env)
                if not isinstance(operation, PackageOperation):
                    continue
                for redirect in operation.unquoted_specifier_redirects:
                    yield self._finding(ctx, operation.manager, redirect)

    def _finding(self, ctx: FileContext, manager: str, redirect: SpecifierRedirect) -> Finding:
        word = redirect.package
        text = ctx.df.text
        chain = _REDIRECTS.match(text, word.end)
        end = chain.end() if chain else redirect.redirects[0].end
        written = text[word.start : end]
        parts = _REDIRECT.findall(text, word.end, end)
        redirected = written[len(word.raw) :]
        inputs = [target for operator, target in parts if operator == "<"]
        outputs = [target for operator, target in parts if operator == ">"]
        if inputs:
            consequence = (
                f"the command reads its input from a file named {inputs[0]!r} and fails when there is no such file"
            )
        elif outputs:
            consequence = (
                f"{manager} installs {word.text!r} without the version constraint and writes its output to a stray "
                f"file named {outputs[0]!r}"
            )
        else:
            consequence = f"{manager} installs {word.text!r} without the version constraint"
        fix = _quote(ctx, redirect, end)
        quoted = fix.edits[0].text if fix else f'"{word.text}{redirected}"'
        return self.finding(
            ctx,
            (word.start, end),
            f"unquoted {written}: the shell reads {redirected} as a redirect, so {consequence}; quote it: {quoted}",
            fix,
        )


def _quote(ctx: FileContext, redirect: SpecifierRedirect, end: int) -> Fix | None:
    """``numpy>=1.26`` -> ``"numpy>=1.26"`` when quoting keeps every character literal."""
    word = redirect.package
    text = ctx.df.text
    if text[word.start : word.end] != word.raw or not _PLAIN_PACKAGE.fullmatch(word.raw):
        return None
    chain = _PLAIN_CHAIN.match(text, word.end)
    if chain is None or chain.end() != end or (end < len(text) and text[end] not in _WORD_END):
        return None
    meant = text[word.start : end]
    if parse_requirement(meant) is None:
        return None
    quoted = f'"{meant}"'
    return Fix(FixSafety.SAFE, f"quote {quoted}", (Edit(word.start, end, quoted),))
