"""DO406: a downloaded script run without being checked (`curl | sh`)."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Download, classify


class PipeToShell(Rule):
    """A remote script piped into a shell or interpreter (`curl … | sh`).

    What it does:
        Reports `curl`/`wget` whose output goes straight into `sh`, `bash`, `python` or
        another interpreter — through a pipe (`curl -fsSL URL | sh`) or a process
        substitution (`bash <(curl -fsSL URL)`).

    Why is this bad?
        Whatever the server returns at build time is executed as root in your image, with no
        checksum and no record of what ran. The script can change between two builds of the
        same Dockerfile, and a truncated download runs half a script.

    Example:
        ```dockerfile
        RUN curl -fsSL https://sh.rustup.rs | sh -s -- -y
        ```

    Use instead:
        ```dockerfile
        ARG RUSTUP_URL=https://static.rust-lang.org/rustup/archive/1.27.1/x86_64-unknown-linux-gnu/rustup-init
        ARG RUSTUP_SHA256=6aeece6993e902708983b209d04c0d1dbb14ebb405ddb87def578d41f920f56d
        RUN curl -fsSLo /tmp/rustup-init "$RUSTUP_URL" \\
         && echo "${RUSTUP_SHA256}  /tmp/rustup-init" | sha256sum -c - \\
         && chmod +x /tmp/rustup-init && /tmp/rustup-init -y && rm /tmp/rustup-init
        ```
    """

    id = "DO406"
    name = "pipe-to-shell"
    severity = Severity.WARNING
    groups = ("security",)
    equivalents = ()

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            if ins.keyword != "RUN":
                continue
            script = ctx.script(ins)
            if script is None:
                continue
            for command in script.find("curl", "wget"):
                found = classify(command, script)
                if isinstance(found, Download) and found.runs_remote_script:
                    url = found.urls[0] if found.urls else "a URL"
                    yield self.finding(
                        ctx,
                        (command.start, command.end),
                        f"the script downloaded from {url} is run by {found.piped_into} unchecked: download it to "
                        "a file, verify its checksum, then run it",
                    )
