"""DO301: base image not pinned by digest."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.rules._pins import ImageReference, external_bases
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


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
        Safe where the digest is known (from the local engine's RepoDigests of that tag, or from
        the registry when online): it names the image the tag points to now, so the build does
        not change. The finding carries no fix when the digest is not known.
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
            yield self.finding(
                ctx,
                base.where,
                f"base image {shown} is not pinned by digest: the tag can be moved to another image, so two "
                f"builds of this file can start from different bases; write {base.reference}@sha256:<digest>",
            )
