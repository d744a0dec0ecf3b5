"""DO501: CMD/ENTRYPOINT in shell form."""

from __future__ import annotations

import json
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Form, Instruction


class ShellFormCmd(Rule):
    """CMD or ENTRYPOINT in shell form: PID 1 is a shell and signals are lost.

    What it does:
        Flags `CMD` and `ENTRYPOINT` written as plain text instead of a JSON array. A command
        that starts with `exec` is not flagged: the shell replaces itself with the program.

    Why is this bad?
        The shell form runs `/bin/sh -c "<command>"`, so PID 1 is the shell, not your program.
        `docker stop` sends SIGTERM to the shell, which does not forward it; the program is
        killed after the 10-second grace period without a chance to finish requests or flush
        work. A shell-form ENTRYPOINT also ignores `CMD` and `docker run` arguments.

    Example:
        ```dockerfile
        CMD uvicorn app.main:app --host 0.0.0.0 --port 8000
        ```

    Use instead:
        ```dockerfile
        CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
        ```

    Fix safety:
        Safe when the command is a plain list of words (no variables, globs, pipes, redirects,
        `&&` or other shell syntax): the exec form runs the same program with the same
        arguments. Otherwise there is no fix: wrap the command in a script that ends with `exec`.

    Deliberate differences:
        hadolint's DL3025 also reports `HEALTHCHECK CMD` in shell form. A health check is a
        short-lived probe that Docker runs and waits for; it receives no signals, so the shell
        form costs nothing there and `CMD curl -f http://localhost/ || exit 1` is idiomatic.
        DL3025 also reports a shell form that starts with `exec` (`ENTRYPOINT exec celery …`):
        the shell replaces itself with the program, which then is PID 1 and gets the signals.
        In a file whose escape directive sets the backtick (Windows style), DL3025 takes a JSON
        array with an escaped quote (`CMD ["python", "a\\"b"]`) for shell form; BuildKit
        decodes it as JSON (the escape character does not apply inside it), and so does dockopt.
    """

    id = "DO501"
    name = "shell-form-cmd"
    severity = Severity.WARNING
    groups = ("runtime",)
    equivalents = ("hadolint:DL3025",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword not in ("CMD", "ENTRYPOINT") or ins.form is not Form.SHELL:
                continue
            script = ctx.script(ins)
            if script is not None and len(script.commands) == 1 and "exec" in script.commands[0].wrappers:
                continue
            fix = self._fix(ctx, ins)
            yield self.finding(
                ctx,
                ins,
                f"{ins.keyword} in shell form runs under /bin/sh -c, so the program is not PID 1 and "
                f'does not receive SIGTERM; use the JSON form {ins.keyword} ["..."]',
                fix,
            )

    @staticmethod
    def _fix(ctx: FileContext, ins: Instruction) -> Fix | None:
        script = ctx.script(ins)
        if script is None or ins.arguments_span is None or script.has_error or len(script.commands) != 1:
            return None
        command = script.commands[0]
        plain = (
            not command.wrappers
            and not command.assignments
            and not command.redirects
            and not script.has_pipe
            and not command.in_subshell
            and not command.negated
            and all(not word.dynamic for word in command.argv)
        )
        if not plain or len(ins.lines) != 1:
            return None
        if ctx.df.source(ins.arguments_span).strip() != ins.arguments:
            return None
        exec_form = json.dumps([word.text for word in command.argv], ensure_ascii=False)
        return Fix(
            FixSafety.SAFE,
            f"rewrite {ins.keyword} in exec form",
            (Edit(ins.arguments_span.start, ins.arguments_span.end, exec_form),),
        )
