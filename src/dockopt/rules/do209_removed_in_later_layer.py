"""DO209: files removed in a later layer than the one that added them."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext


class RemovedInLaterLayer(Rule):
    """Files removed in a later layer than the one that added them.

    What it does:
        In the final stage and the stages it is built FROM, flags an `rm` (or a package
        manager's clean command such as `conda clean -a`, `yum clean all`, `pip cache purge`) in
        a `RUN` that deletes what an earlier instruction of the same image added: the
        destination of a `COPY`/`ADD`, a file written by `curl -o`/`wget`, a directory an archive
        was extracted into, a `git clone`, a model download, `apt-get update`'s package lists, or
        the cache of a package install that ran without a cache mount. The finding names the
        line that added the files. Paths that are only probably there (a file inside a copied
        directory, a cache behind a `--no-cache-dir`) are not flagged, nor a single small text
        file such as `requirements.txt` or a script, where the waste is a few kilobytes.

    Why is this bad?
        Every instruction is a layer, and a layer cannot change the ones below it: the deletion
        only hides the files, their bytes stay in the image, are pushed, pulled and stored. The
        `rm` gives the impression that the image was cleaned up when it is exactly as large.

    Example:
        ```dockerfile
        COPY wheels/ /tmp/wheels/
        RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels
        RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg
        RUN rm -rf /var/lib/apt/lists/*
        ```

    Use instead:
        ```dockerfile
        RUN --mount=type=bind,source=wheels,target=/tmp/wheels \\
            pip install /tmp/wheels/*.whl
        RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \\
            && rm -rf /var/lib/apt/lists/*
        ```
    """

    id = "DO209"
    name = "removed-in-later-layer"
    severity = Severity.WARNING
    groups = ("size",)

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for state, script, added in _layers.image_runs_after_additions(ctx):
            removals = [*_layers.targets(script, state, ("rm",)), *_layers.cleaned(ctx, state, script)]
            reported: set[int] = set()
            for target in removals:
                if target.command.start in reported or _layers.under_mount(state, target.path):
                    continue
                earlier = [a for a in added if not a.small and _layers.removes(target, a)]
                if not earlier:
                    continue
                here = _layers.created_by_run(ctx, state, before=target.command.start)
                if any(_layers.removes(target, a) for a in here):
                    continue  # this RUN writes there again first: the rm keeps its own layer clean
                reported.add(target.command.start)
                yield self.finding(ctx, (target.command.start, target.command.end), _message(target, earlier))


def _message(target: _layers.Target, earlier: list[_layers.Added]) -> str:
    first = earlier[0]
    source = _layers.lines([a.instruction for a in earlier])
    what = _layers.short(first.what)
    if first.by_copy:
        instead = (
            "copy only what the image needs, or use the files through "
            "RUN --mount=type=bind (or a multi-stage build) so they never enter a layer"
        )
    else:
        instead = "delete them in the same RUN that creates them, or keep them in a cache mount"
    words = target.command.argv
    command = words[0].text if target.command.name == "rm" else " ".join(w.text for w in words[:2])
    verb = f"where {source} put files" if first.contents else f"added by {source}"
    return (
        f"`{command}` deletes {target.path}, {verb} (`{what}`) in an earlier layer: the files stay in that "
        f"layer and the image is no smaller; {instead}"
    )
