"""DO302: `latest` or missing tag in FROM or in COPY --from=image."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules._pins import ImageReference, external_bases, image_span, is_stage_reference
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction, Span


class ImageTag(Rule):
    """Image used with the `latest` tag or with no tag at all.

    What it does:
        Flags `FROM image`, `FROM image:latest`, `COPY --from=image` and
        `RUN --mount=…,from=image` where the image has no tag or the tag `latest`, and no
        digest. ARG defaults are expanded first: `FROM python:${PY}` with `ARG PY=3.11` has a
        tag, and `FROM base-${VARIANT}` that expands to an earlier stage's name is that stage.
        Not flagged: `scratch`, earlier stages (by name or index), a reference with a digest, a
        FROM that depends on a build arg without a default (DO306) unless its tag is written
        as `latest` (`FROM ${REGISTRY}/app:latest`), and a `--from` with a variable. A bare
        `--from=name` that is neither a stage nor contains `:`, `/`, `.` or `@` is left to
        DO507 (most likely a misspelt stage).

    Why is this bad?
        Without a tag Docker uses `latest`, and `latest` is whatever was pushed last: a new
        major version arrives in the next build without any change to the Dockerfile, the build
        or the application breaks, and the image cannot be rebuilt as it was. It also says
        nothing to a reader about which version the image was tested with.

    Example:
        ```dockerfile
        FROM ghcr.io/astral-sh/uv:latest AS uv
        FROM debian
        COPY --from=nginx /etc/nginx/mime.types /etc/mime.types
        ```

    Use instead:
        ```dockerfile
        FROM ghcr.io/astral-sh/uv:0.4.18 AS uv
        FROM debian:bookworm-slim
        COPY --from=nginx:1.27 /etc/nginx/mime.types /etc/mime.types
        ```

    Deliberate differences:
        hadolint's DL3006 skips every FROM that starts with a variable and does not expand ARG
        defaults: dockopt judges the expanded reference, so `ARG BASE=debian` / `FROM ${BASE}` is
        reported (DL3006 is silent), and `FROM base-${VARIANT}` with `ARG VARIANT=cpu` and a stage
        `base-cpu` is that stage, not an untagged image (DL3006 reports it). DL3006 takes the port
        of `FROM registry:5000/app` for a tag; dockopt reads it as an untagged image on a registry
        with a port. DL3006 and DL3007 look at FROM only; dockopt also checks the images named in
        `COPY --from` and `RUN --mount=from=`, and those findings have no hadolint equivalent.
    """

    id = "DO302"
    name = "image-latest-or-untagged"
    severity = Severity.WARNING
    groups = ("reproducibility",)
    equivalents = ("hadolint:DL3006", "hadolint:DL3007", "trivy:DS001")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        judged = set()
        for base in external_bases(ctx):
            judged.add(base.stage.index)
            problem = _tag_problem(base.reference)
            if problem:
                shown = base.reference + (f" (from {base.written})" if base.written != base.reference else "")
                yield self.finding(ctx, base.where, f"FROM {shown} {problem}", equivalents=_peers(base.reference))
        for model in ctx.model.stages:
            # `FROM ${REGISTRY}/app:latest` with REGISTRY unset: whatever the registry, the tag is latest
            written = model.stage.base
            if model.parent is None and model.stage.index not in judged and _literal_latest(written):
                where = image_span(ctx, model.stage.from_instruction) or model.stage.from_instruction
                yield self.finding(ctx, where, f"FROM {written} {_tag_problem(written)}", equivalents=_peers(written))
        for ins in ctx.df.instructions:
            for reference, span, written in _image_references(ins):
                if "$" in reference or is_stage_reference(reference, ctx.stages):
                    continue
                if not any(ch in reference for ch in ":/.@"):
                    continue  # a bare name: DO507 says it is no stage
                problem = _tag_problem(reference)
                if problem:
                    # hadolint checks FROM only
                    yield self.finding(ctx, span, f"{written}={reference} {problem}", equivalents=_NOT_HADOLINT)


_NOT_HADOLINT = tuple(peer for peer in ImageTag.equivalents if not peer.startswith("hadolint:"))


def _peers(reference: str) -> tuple[str, ...]:
    """DL3006 is about a missing tag, DL3007 about `latest`."""
    other = "hadolint:DL3006" if ImageReference.parse(reference).tag == "latest" else "hadolint:DL3007"
    return tuple(peer for peer in ImageTag.equivalents if peer != other)


def _literal_latest(written: str) -> bool:
    """A reference whose name holds a variable but whose tag is literally `latest` (and no digest)."""
    image = ImageReference.parse(written)
    return "$" in image.name and image.digest is None and image.tag == "latest"


def _tag_problem(reference: str) -> str | None:
    image = ImageReference.parse(reference)
    if image.digest is not None:
        return None
    if image.tag is None:
        return (
            "has no tag, so it means :latest, whatever was pushed last: a new version arrives without a change to "
            f"this file; name a release tag ({image.name}:<version>)"
        )
    if image.tag == "latest":
        return (
            "uses :latest, whatever was pushed last: a new version arrives without a change to this file; "
            f"name a release tag ({image.name}:<version>)"
        )
    return None


def _image_references(ins: Instruction) -> Iterator[tuple[str, Span, str]]:
    """``(reference, where, how it is written)`` for COPY --from and RUN --mount=from= (also under ONBUILD)."""
    target = ins.sub if ins.sub is not None else ins
    if target.keyword == "COPY":
        for flag in target.flags_named("from"):
            if flag.value:
                yield flag.value, flag.span, "COPY --from"
    if target.keyword == "RUN":
        for flag in target.flags_named("mount"):
            source = flag.key_values().get("from")
            if source:
                yield source, flag.span, "RUN --mount=from"
