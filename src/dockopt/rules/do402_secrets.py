"""DO402: a secret in ENV/ARG, or a secret file copied into the image."""

from __future__ import annotations

import fnmatch
import itertools
import posixpath
import re
from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction

# Name parts (split on '_') that make a variable a credential.
_SECRET_WORDS = frozenset({"PASSWORD", "PASSWD", "PASS", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS", "PRIVATE"})
_SECRET_PAIRS = frozenset({("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("AUTH", "KEY")})
# Parts that say the variable holds no secret itself: a path, a switch, a length.
_HARMLESS_WORDS = frozenset({"FILE", "PATH", "DIR", "LENGTH", "LEN", "MIN", "MAX", "URL", "ENDPOINT", "TYPE", "ID"})
_SECRET_FILES = (
    ".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
    ".npmrc", ".pypirc", ".netrc", ".git-credentials", "credentials", "credentials.json", "*.keystore",
    "service-account*.json", "gcp-key*.json", "kubeconfig", ".htpasswd",
)  # fmt: skip
_NOT_SECRET_FILES = (".env.example", ".env.sample", ".env.template", "*.pub")
# fnmatchcase over each pattern, as one regular expression per list
_SECRET_FILE = re.compile("|".join(fnmatch.translate(p) for p in _SECRET_FILES))
_NOT_SECRET_FILE = re.compile("|".join(fnmatch.translate(p) for p in _NOT_SECRET_FILES))
_VALUE_PLACEHOLDER = re.compile(r"^(|changeme|change-me|xxx+|\*+|<.*>|dummy|none|null|false|true|0|1)$", re.IGNORECASE)


_NAME_SEPARATORS = re.compile(r"[_\-.]")


def is_secret_name(name: str) -> bool:
    parts = [p for p in _NAME_SEPARATORS.split(name.upper()) if p]
    if not parts or any(p in _HARMLESS_WORDS for p in parts[-1:]):
        return False
    if any(p in _SECRET_WORDS for p in parts):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(parts))


class Secrets(Rule):
    """A secret in ENV or ARG, or a secret file copied into the image.

    What it does:
        Reports `ENV` and `ARG` whose name says it holds a credential (`*_PASSWORD`,
        `*_TOKEN`, `*_SECRET`, `API_KEY`, `AWS_SECRET_ACCESS_KEY`, `HF_TOKEN`, …) and that
        get a value, and `COPY`/`ADD` of files that hold credentials (`.env`, private keys,
        `id_rsa`, `.npmrc`, `.pypirc`, `.netrc`, `credentials.json`, …). Names ending in
        `_FILE`, `_PATH`, `_URL` or `_ID` refer to a secret without holding it and are not
        reported; nor are obvious placeholders (`changeme`, empty values).

    Why is this bad?
        ENV values are stored in the image configuration and ARG values in its history: anyone
        who can pull the image reads them with `docker inspect` or `docker history`. A copied
        key file stays in its layer even if a later step deletes it.

    Example:
        ```dockerfile
        ARG HF_TOKEN
        ENV HF_TOKEN=$HF_TOKEN
        RUN python -m app.download_model
        ```

    Use instead:
        ```dockerfile
        RUN --mount=type=secret,id=hf_token,env=HF_TOKEN python -m app.download_model
        ```

    Deliberate differences:
        hadolint's DL3064 looks for the secret words anywhere in a name, so it reports
        `TOKENIZERS_PARALLELISM=false` (a Hugging Face switch); dockopt matches whole words of
        the name. DL3064 also reports names that point at a secret without holding it
        (`DB_PASSWORD_FILE=/run/secrets/db`, `TOKEN_URL`) and placeholder values (`changeme`,
        empty); dockopt does not. dockopt knows `PASS` (`DB_PASS`) and `AUTH_KEY` too, which
        DL3064 does not. DL3064 looks at ENV and ARG only: findings about copied credential
        files have no hadolint equivalent.
    """

    id = "DO402"
    name = "secret-in-image"
    severity = Severity.ERROR
    groups = ("security",)
    equivalents = ("hadolint:DL3064", "trivy:DS031")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for ins in ctx.df.instructions:
            target = ins.sub if ins.sub is not None else ins
            if target.keyword == "ENV":
                yield from self._env(ctx, ins, target)
            elif target.keyword == "ARG":
                yield from self._arg(ctx, ins, target)
            elif target.keyword in ("COPY", "ADD") and not target.flag("from"):
                yield from self._copy(ctx, ins, target)

    def _env(self, ctx: FileContext, ins: Instruction, target: Instruction) -> Iterator[Finding]:
        for name, value in zip(target.values[0::2], target.values[1::2], strict=False):
            if is_secret_name(name) and not _VALUE_PLACEHOLDER.match(value.strip("\"'")):
                yield self.finding(
                    ctx,
                    ins,
                    f"ENV {name} puts a credential into the image configuration, readable with docker inspect; "
                    "pass it to the RUN that needs it with --mount=type=secret instead",
                )

    def _arg(self, ctx: FileContext, ins: Instruction, target: Instruction) -> Iterator[Finding]:
        for word in target.values:
            name, _, value = word.partition("=")
            if not is_secret_name(name):
                continue
            if "=" in word and _VALUE_PLACEHOLDER.match(value.strip("\"'")):
                continue
            yield self.finding(
                ctx,
                ins,
                f"ARG {name} passes a credential as a build argument: its value is recorded in the image "
                "history (docker history); use RUN --mount=type=secret,id=... instead",
            )

    def _copy(self, ctx: FileContext, ins: Instruction, target: Instruction) -> Iterator[Finding]:
        sources = list(target.values[:-1]) if len(target.values) > 1 else []
        for source in sources:
            base = posixpath.basename(source.rstrip("/"))
            if _NOT_SECRET_FILE.match(base):
                continue
            if _SECRET_FILE.match(base):
                yield self.finding(
                    ctx,
                    ins,
                    f"{target.keyword} {source} copies a credentials file into a layer, where it stays even if "
                    "deleted later; mount it only where needed with RUN --mount=type=secret",
                    equivalents=("trivy:DS031",),  # hadolint's DL3064 looks at ENV and ARG only
                )
