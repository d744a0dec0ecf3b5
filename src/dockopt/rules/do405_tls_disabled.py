"""DO405: TLS verification disabled."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Word

# Environment variables that switch certificate checks off, and the values that do it.
_ENV_OFF = {
    "PYTHONHTTPSVERIFY": ("0",),
    "GIT_SSL_NO_VERIFY": ("1", "true", "yes", "on"),
    "NODE_TLS_REJECT_UNAUTHORIZED": ("0",),
    "NPM_CONFIG_STRICT_SSL": ("false", "0"),
    "CURL_INSECURE": ("1", "true"),
}
_ENV_ANY = frozenset({"PIP_TRUSTED_HOST", "UV_INSECURE_HOST"})


class TlsDisabled(Rule):
    """TLS certificate verification switched off.

    What it does:
        Reports downloads and installs that skip certificate checks: `curl -k`/`--insecure`,
        `wget --no-check-certificate`, `pip --trusted-host`, `uv --allow-insecure-host`,
        `git -c http.sslVerify=false` or `git config http.sslVerify false`, `npm config set
        strict-ssl false`, `apk --allow-untrusted`, `apt-get --allow-unauthenticated`,
        `dnf`/`yum --nogpgcheck`, and ENV or inline settings `PYTHONHTTPSVERIFY=0`,
        `GIT_SSL_NO_VERIFY=1`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PIP_TRUSTED_HOST`.

    Why is this bad?
        Without verification anyone on the network path (a proxy, a compromised mirror, a
        hostile Wi-Fi in CI) can serve a different file, and the build installs it. A package
        signature check switched off has the same effect for packages. ENV settings persist in
        the image and weaken every connection the application makes at run time.

    Example:
        ```dockerfile
        RUN pip install --trusted-host pypi.internal -i http://pypi.internal/simple mylib
        ```

    Use instead:
        ```dockerfile
        COPY internal-ca.crt /usr/local/share/ca-certificates/
        RUN update-ca-certificates \\
         && pip install -i https://pypi.internal/simple mylib
        ```
    """

    id = "DO405"
    name = "tls-verification-disabled"
    severity = Severity.ERROR
    groups = ("security",)
    equivalents = tuple(f"checkov:CKV2_DOCKER_{n}" for n in range(2, 17))

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins
            if target.keyword in ("ENV", "ARG"):
                pairs = zip(target.values[0::2], target.values[1::2], strict=False) if target.keyword == "ENV" else (
                    tuple(word.partition("=")[::2]) for word in target.values if "=" in word
                )
                for name, value in pairs:
                    reason = _env_reason(name, value)
                    if reason:
                        yield self.finding(ctx, ins, f"{target.keyword} {name}={value} {reason}")
            elif target.keyword == "RUN":
                script = ctx.script(ins)
                if script is None:
                    continue
                for command in script.commands:
                    reason = _command_reason(command)
                    if reason:
                        yield self.finding(ctx, (command.start, command.end), reason)


def _env_reason(name: str, value: str) -> str | None:
    value = value.strip("\"'").lower()
    upper = name.upper()
    if upper in _ENV_ANY and value:
        return "turns off certificate checks for that host: a man in the middle can serve any package"
    if upper in _ENV_OFF and value in _ENV_OFF[upper]:
        return "turns off TLS certificate verification for everything that reads it, at build and at run time"
    return None


def _command_reason(command: Command) -> str | None:
    for name, value in command.assignments:
        reason = _env_reason(name, value)
        if reason:
            return f"{name}={value} {reason}"
    name = command.name
    if name == "curl" and command.has_flag("-k", "--insecure"):
        return "curl -k/--insecure downloads without checking the server certificate"
    if name == "wget" and command.has_flag("--no-check-certificate"):
        return "wget --no-check-certificate downloads without checking the server certificate"
    is_pip = name in ("pip", "pip3") or (name.startswith("python") and "pip" in _texts(command.args[:2]))
    if is_pip and command.has_flag("--trusted-host"):
        return "pip --trusted-host skips certificate checks for that index: a man in the middle can serve any package"
    if name == "uv" and command.has_flag("--allow-insecure-host"):
        return "uv --allow-insecure-host skips certificate checks for that index"
    if name == "git":
        texts = _texts(command.args)
        for i, text in enumerate(texts):
            following = texts[i + 1] if i + 1 < len(texts) else ""
            switched_off = text.endswith(("=false", "=0")) or following in ("false", "0")
            if text.startswith("http.sslverify") and switched_off:
                return "git with http.sslVerify=false clones without checking the server certificate"
    if name in ("npm", "yarn", "pnpm") and {"strict-ssl", "false"} <= set(_texts(command.args)):
        return f"{name} strict-ssl false turns off certificate checks for every package download"
    if name == "apk" and command.has_flag("--allow-untrusted"):
        return "apk --allow-untrusted installs packages whose signature is not checked"
    if name in ("apt-get", "apt") and (
        command.has_flag("--allow-unauthenticated")
        or any("allowunauthenticated=true" in text for text in _texts(command.args))
    ):
        return f"{name} --allow-unauthenticated installs packages whose signature is not checked"
    if name in ("dnf", "yum", "microdnf", "rpm") and command.has_flag("--nogpgcheck", "--nosignature"):
        return f"{name} installs packages without checking their signatures"
    return None


def _texts(words: Sequence[Word]) -> list[str]:
    """The words in lower case (asked only for the commands whose switches are spelt in any case)."""
    return [w.text.lower() for w in words]
