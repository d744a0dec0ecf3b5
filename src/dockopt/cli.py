"""The command line: parses arguments, calls commands/, maps errors to exit codes in one place."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from dockopt import __version__
from dockopt.errors import DockoptError
from dockopt.findings import Severity

_FORMATS = ("text", "json", "sarif", "github")


def _csv(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _guard(action: Callable[[], int]) -> None:
    try:
        code = action()
    except DockoptError as exc:
        click.echo(f"dockopt: error: {exc.message}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("dockopt: interrupted", err=True)
        code = 130
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dockopt")
def main() -> None:
    """Audit, fix, build and verify the Docker images of Python and ML projects."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(_FORMATS), default="text", show_default=True)
@click.option("--select", multiple=True, help="Only these rules (ids or prefixes, comma-separated; ALL).")
@click.option("--extend-select", multiple=True, help="Add rules to the selection (e.g. DO305).")
@click.option("--ignore", multiple=True, help="Skip these rules (ids or prefixes).")
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Exit 1 when a finding is at least this severe (default: warning).",
)
@click.option("--config", "config_path", help="Configuration file (default: nearest .dockopt.toml or pyproject.toml).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: CPU count).")
@click.option("--color/--no-color", default=None, help="Force colour on or off in text output.")
def lint(
    paths: tuple[str, ...],
    output_format: str,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    config_path: str | None,
    isolated: bool,
    output: str | None,
    jobs: int | None,
    color: bool | None,
) -> None:
    """Report problems in Dockerfiles; directories are searched recursively."""
    from dockopt.commands.lint import LintOptions, run_lint

    options = LintOptions(
        paths=paths,
        output_format=output_format,
        select=_csv(select) or None,
        extend_select=_csv(extend_select),
        ignore=_csv(ignore),
        fail_on=Severity.parse(fail_on) if fail_on else None,
        config_path=config_path,
        isolated=isolated,
        jobs=jobs,
        color=color,
    )

    def action() -> int:
        if output:
            with Path(output).open("w", encoding="utf-8") as stream:
                return run_lint(options, stream)
        return run_lint(options)

    _guard(action)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff (the default unless --write).")
@click.option("--write", is_flag=True, help="Write the fixed files (atomically, file mode kept).")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that may change behaviour.")
@click.option(
    "--verify-build",
    is_flag=True,
    help="Build each file before and after fixing and compare the images' files; write only what passes.",
)
@click.option(
    "--context",
    "build_context",
    type=click.Path(file_okay=False),
    help="Build context for --verify-build (default: each Dockerfile's directory).",
)
@click.option("--select", multiple=True, help="Only fix these rules (ids or prefixes).")
@click.option("--extend-select", multiple=True, help="Add rules to the selection.")
@click.option("--ignore", multiple=True, help="Do not fix these rules.")
@click.option("--config", "config_path", help="Configuration file.")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
def fix(
    paths: tuple[str, ...],
    show_diff: bool,
    write: bool,
    unsafe_fixes: bool,
    verify_build: bool,
    build_context: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: str | None,
    isolated: bool,
) -> None:
    """Apply fixes. Without --write, print the diff and change nothing."""
    from dockopt.commands.fix import FixOptions, run_fix
    from dockopt.commands.lint import LintOptions

    lint_options = LintOptions(
        paths=paths,
        select=_csv(select) or None,
        extend_select=_csv(extend_select),
        ignore=_csv(ignore),
        config_path=config_path,
        isolated=isolated,
    )
    options = FixOptions(
        lint_options,
        write=write,
        unsafe=unsafe_fixes,
        show_diff=show_diff or not write,
        verify_build=verify_build,
        context=build_context,
    )
    _guard(lambda: run_fix(options))


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: id, name, severity, summary."""
    from dockopt.commands.rules import list_rules

    _guard(lambda: list_rules(sys.stdout, output_format))


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Show the full documentation of one rule."""
    from dockopt.commands.rules import explain as explain_rule

    _guard(lambda: explain_rule(rule, sys.stdout))


@main.command()
@click.argument("root")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("tree", "mermaid", "dot", "json", "bake")),
    default="tree",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
@click.option("--color/--no-color", default=None, help="Force colour on or off in the tree.")
def graph(root: str, output_format: str, output: str | None, color: bool | None) -> None:
    """The image hierarchy of a repository: bases, build order, heavy packages."""
    from dockopt.commands.graph import GraphOptions, run_graph

    _guard(lambda: run_graph(GraphOptions(root, output_format, output, color)))


@main.command()
@click.argument("root")
@click.option("--only", multiple=True, help="Build only these images (names as `dockopt graph` shows them).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Images built at once.")
@click.option("--no-cache", is_flag=True, help="Build without the layer cache.")
@click.option("--results", type=click.Path(dir_okay=False), help="Write the results to this JSON file (merged).")
@click.option(
    "--rebuild-after-change",
    "rebuild_after_change",
    metavar="PATH",
    help="Also time each image: cold, warm, after a comment is added to PATH, and to a dependency manifest.",
)
@click.option("--manifest", help="The dependency manifest to change (default: found in the Dockerfile's COPY).")
@click.option("--color/--no-color", default=None, help="Force colour on or off.")
def build(
    root: str,
    only: tuple[str, ...],
    jobs: int,
    no_cache: bool,
    results: str | None,
    rebuild_after_change: str | None,
    manifest: str | None,
    color: bool | None,
) -> None:
    """Build every image of a repository in dependency order with BuildKit; record timings and cache hits."""
    from dockopt.commands.build import BuildOptions, run_build

    options = BuildOptions(root, _csv(only), jobs, no_cache, results, rebuild_after_change, manifest, color)
    _guard(lambda: run_build(options))


@main.command()
@click.argument("images", nargs=-1, required=True)
@click.option("--results", type=click.Path(dir_okay=False), help="Write the results to this JSON file (merged).")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Largest entries shown.")
@click.option("--color/--no-color", default=None, help="Force colour on or off in text output.")
def measure(images: tuple[str, ...], results: str | None, output_format: str, top: int, color: bool | None) -> None:
    """Size, layers, wasted bytes (and dive's figures), largest files, Python packages per layer, duplicates."""
    from dockopt.commands.measure import MeasureOptions, run_measure

    _guard(lambda: run_measure(MeasureOptions(images, results, output_format, top, color)))


@main.command()
@click.argument("before")
@click.argument("after")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "markdown", "json")),
    default="text",
    show_default=True,
)
def compare(before: str, after: str, output_format: str) -> None:
    """The before/after table of two results files: sizes, waste, heavy packages, build and rebuild times."""
    from dockopt.commands.compare import CompareOptions, run_compare

    _guard(lambda: run_compare(CompareOptions(before, after, output_format)))


@main.command()
@click.argument("directory")
@click.option("--dockerfile", help="The Dockerfile whose COPY/ADD and ignore file count (default: DIR/Dockerfile).")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Force colour on or off in text output.")
def context(directory: str, dockerfile: str | None, output_format: str, color: bool | None) -> None:
    """What a build context sends: size, largest entries, unused files, secrets, ignore lines to add."""
    from dockopt.commands.context import ContextOptions, run_context

    _guard(lambda: run_context(ContextOptions(directory, dockerfile, output_format, color)))


@main.command()
@click.argument("directory", default=".")
@click.option("--variants", default="cpu", show_default=True, help="Images: cpu, cuda, rocm (comma-separated).")
@click.option("--python", "python_version", default="3.11", show_default=True, help="Python version of the images.")
@click.option("--app-module", help="What to run: MODULE (python -m) or MODULE:APP (served); found when not given.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port the app listens on (EXPOSE and HEALTHCHECK).")
@click.option("--force", is_flag=True, help="Replace files that exist (otherwise nothing is written).")
@click.option(
    "--base-image",
    metavar="IMAGE:TAG",
    help="Base of the cpu image instead of python:<version>-slim, e.g. your registry's mirror of it; "
    "pinned by the digest the local engine knows for it.",
)
def init(
    directory: str,
    variants: str,
    python_version: str,
    app_module: str | None,
    port: int | None,
    force: bool,
    base_image: str | None,
) -> None:
    """Write Dockerfiles, .dockerignore, docker-bake.hcl and a CI workflow for a Python project."""
    from dockopt.commands.init import InitOptions, run_init

    _guard(lambda: run_init(InitOptions(directory, variants, python_version, app_module, port, force, base_image)))


@main.command()
@click.argument("root")
@click.option("--policy", "policy_path", help="Policy file (TOML; default: the built-in policy, docs/policy.md).")
@click.option("--results", "results_path", help="Results file of `dockopt build`/`measure` for the measured limits.")
@click.option("--format", "output_format", type=click.Choice(("md", "html", "json")), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--fail-under", type=float, help="Exit 1 when the overall score (0-100) is below this.")
def verify(
    root: str,
    policy_path: str | None,
    results_path: str | None,
    output_format: str,
    output: str | None,
    fail_under: float | None,
) -> None:
    """Check a repository against a policy: status, evidence and score per requirement, gaps."""
    from dockopt.commands.verify import VerifyOptions, run_verify

    _guard(lambda: run_verify(VerifyOptions(root, policy_path, results_path, output_format, output, fail_under)))
