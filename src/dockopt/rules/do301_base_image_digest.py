"""DO301: base image not pinned by digest."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.rules._digests import current_source
from dockopt.rules._pins import BaseImage, ImageReference, external_bases
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.syntax import Instruction


class BaseImageDigest(Rule):
    """Base image referenced by tag only, without a `@sha256:` digest.

    What it does:
        Flags a `FROM image:tag` that has no `@sha256:…` digest. ARG defaults are expanded first.
        Not flagged: `FROM scratch`, a FROM that names an earlier stage, an image the build
        arguments must supply (an ARG without a default: DO306 reports it), and an image whose
        registry or namespace comes from a build argument (`FROM ${REGISTRY}/app-base:${TAG}`):
        that is an image the project's own pipeline pushes, usually built in the same repository.
        `ARG BASE=python:3.11-slim` / `FROM ${BASE}` is judged by its default.

    Why is this bad?
        A tag is a movable label. `python:3.11-slim` is re-pushed for every patch release and
        Debian security update, and any tag can be overwritten by whoever controls the
        repository. Two builds of the same Dockerfile can therefore start from different images:
        a rebuild picks up changes nobody reviewed, a bug cannot be reproduced from the commit,
        and the cache of every later layer is lost when the base moves. A digest names exactly
        one image.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim@sha256:<digest>
        ```
        Keep the tag for readers; the digest decides. Renovate and Dependabot update pinned
        digests.

    Fix safety:
        Safe where the digest is known: `dockopt fix` (never `lint`, which does not touch the
        engine) asks the local Docker engine for the image and takes the digest it recorded when
        it pulled that tag (its RepoDigests), then writes `image:tag@sha256:…`, keeping the tag
        for readers. A build resolves a tag and a digest by the digest, and the engine has the
        image under it, so the build starts from the same image as before. No fix is offered
        when no engine answers, when the engine does not have the image, or when its image has
        no registry digest (built or loaded locally, as air-gapped stand-ins are): the message
        then says so; `docker pull image:tag` and run the fix again, or pin it by hand. Nor for a
        reference that uses build arguments (`FROM python:${PY}-slim`): one digest cannot pin
        every value the argument may take.
    """

    id = "DO301"
    name = "base-image-not-pinned"
    severity = Severity.WARNING
    groups = ("reproducibility",)
    fix = FixSafety.SAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for base in external_bases(ctx):
            if base.registry_from_build_arg or base.stage.base.known:
                continue  # an image of this repository, or one the build script chooses
            reference = ImageReference.parse(base.reference)
            if reference.digest is not None:
                continue
            shown = base.reference + (f" (from {base.written})" if base.written != base.reference else "")
            message = (
                f"base image {shown} is not pinned by digest: the tag can be moved to another image, so two "
                f"builds of this file can start from different bases; write {base.reference}@sha256:<digest>"
            )
            fix, why_not = _pin(base)
            if why_not:
                message += f"; no digest known: {why_not}: `docker pull {base.reference}` then rerun, or pin it by hand"
            yield self.finding(ctx, base.where, message, fix)


def _pin(base: BaseImage) -> tuple[Fix | None, str]:
    """The fix that appends the digest to the reference, or why none is known ("" when not asked: linting)."""
    lookup = current_source()
    span = base.where
    if lookup is None or "$" in base.written or isinstance(span, Instruction):
        return None, ""  # linting; a reference with build arguments; one not written on the FROM line
    answer = lookup(base.reference)
    if answer.digest is None:
        return None, answer.reason
    short = answer.digest.split(":", 1)[-1][:12]
    # The whole reference is rewritten, not only appended to: a fix that changes the image (DO212's -slim, DO207's
    # -runtime) then overlaps this one and is applied first, and the digest is looked up for the new tag.
    edit = Edit(span.start, span.end, f"{base.written}@{answer.digest}")
    return Fix(FixSafety.SAFE, f"pin {base.reference} to its digest {short}…", (edit,)), ""
