"""The command the image runs, found in the project (or given with --app-module).

In this order: an application given with ``--app-module`` (``pkg.main:app`` is served,
``pkg.cli`` runs as ``python -m pkg.cli``); a web application object (``app = FastAPI()``,
``Starlette()``, ``Flask()``, ``Quart()``) in a module, served by the server package the project
depends on (uvicorn, hypercorn, gunicorn, waitress); a console script of an installable project;
a package with ``__main__.py``; a top-level script with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from dockopt.errors import UsageError
from dockopt.scaffold.project import Project

DEFAULT_PORT = 8000  # what uvicorn, gunicorn and hypercorn listen on unless told otherwise
SCRIPT_NAMES = ("main.py", "app.py", "server.py", "worker.py", "run.py", "cli.py", "serve.py")
_APP_OBJECT = re.compile(
    r"^(?P<attr>[A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*(?:[\w.]+\.)?(?P<cls>FastAPI|Starlette|Flask|Quart)\(",
    re.MULTILINE,
)
_ASGI = frozenset({"FastAPI", "Starlette", "Quart"})
_ROUTE = re.compile(r"@\w+\.(?:get|route|api_route|head)\(\s*[\"'](/[^\"']*)[\"']")
_HEALTH = re.compile(r"^/(?:health|healthz|livez|livenessz?|readyz|ready|ping|status)/?$")
_PATH_LITERAL = re.compile(r"[\"'](/[A-Za-z]+/?)[\"']")
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*[\"']__main__[\"']\s*:", re.MULTILINE)
_SKIPPED_DIRS = frozenset({"tests", "test", "docs", "build", "dist", "node_modules", "site-packages", "examples"})
_SEARCH_DEPTH = 3  # src/package/module.py


@dataclass(frozen=True)
class Entry:
    """How the container starts. ``argv`` goes in ENTRYPOINT when ``takes_arguments`` (a CLI or a
    script: `docker run IMAGE --help` passes --help to it), else in CMD (a server)."""

    argv: tuple[str, ...]
    takes_arguments: bool
    description: str  # for the Dockerfile's comment
    port: int | None = None
    health_path: str = "/"
    health_route_found: bool = False  # the app declares the health path (else any answer below 500 is healthy)
    needs_source: bool = False  # the runtime stage needs the project's files (not only the virtualenv)
    python_path: str | None = None  # a directory to put on PYTHONPATH ("src"), relative to the project
    notes: tuple[str, ...] = ()


def find_entry(project: Project, app_module: str | None = None, port: int | None = None) -> Entry:
    """The entry point of ``project``; UsageError when there is none to find."""
    modules = _ModuleIndex(project)
    if app_module:
        return _given(project, modules, app_module, port)
    app = modules.find_app()
    if app is not None:
        file, attr, cls = app
        return _server(project, modules, file, attr, cls, port)
    if project.installable and project.scripts:
        name = project.name if project.name in project.scripts else next(iter(project.scripts))
        others = [s for s in project.scripts if s != name]
        notes = (f"other console scripts: {', '.join(others)} (run them with --entrypoint)",) if others else ()
        entry = Entry((name,), True, f"the console script `{name}` ({project.scripts[name]})", notes=notes)
        return _with_port(entry, port, None)
    package = modules.main_package()
    if package is not None:
        module, directory = package
        entry = Entry(
            ("python", "-m", module),
            True,
            f"the package `{module}` ({directory}/__main__.py)",
            needs_source=not modules.installed(directory),
            python_path=modules.python_path(directory),
        )
        return _with_port(entry, port, modules.health_path(f"{directory}/__main__.py"))
    script = modules.script()
    if script is not None:
        entry = Entry(("python", script), True, f"the script {script}", needs_source=True)
        return _with_port(entry, port, modules.health_path(script))
    raise UsageError(
        f"{project.root}: no entry point found (no web app object, console script, __main__.py, or top-level "
        'script with `if __name__ == "__main__":`); pass --app-module MODULE (run with python -m) or MODULE:APP '
        "(served)"
    )


def _given(project: Project, modules: _ModuleIndex, app_module: str, port: int | None) -> Entry:
    module, _, attr = app_module.partition(":")
    if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", module) or (attr and not attr.isidentifier()):
        raise UsageError(f"--app-module {app_module}: expected MODULE or MODULE:APP (e.g. app.main:app)")
    file = modules.file_of(module)
    if attr:
        cls = modules.app_class(file, attr) if file else None
        if cls is None:
            cls = "Flask" if project.depends_on("flask") and not project.depends_on("fastapi") else "FastAPI"
        return _server(project, modules, file, attr, cls, port, module=module)
    directory = file.rsplit("/", 1)[0] if file and "/" in file else None
    entry = Entry(
        ("python", "-m", module),
        True,
        f"the module `{module}`",
        needs_source=directory is None or not modules.installed(directory),
        python_path=modules.python_path(directory) if directory else None,
    )
    return _with_port(entry, port, modules.health_path(file) if file else None)


def _server(
    project: Project,
    modules: _ModuleIndex,
    file: str | None,
    attr: str,
    cls: str,
    port: int | None,
    module: str | None = None,
) -> Entry:
    module = module or modules.module_of(file or "")
    target = f"{module}:{attr}"
    listen = port or DEFAULT_PORT
    argv, server, notes = _server_command(project, cls, target, listen)
    routes = modules.routes(file) if file else []
    health = next((r for r in routes if _HEALTH.match(r)), None)
    where = f" in {file}" if file else ""
    directory = file.rsplit("/", 1)[0] if file and "/" in file else ""
    return Entry(
        argv,
        False,
        f"the {cls} app `{attr}`{where}, served by {server}",
        port=listen,
        health_path=health or "/",
        health_route_found=health is not None,
        needs_source=file is None or not directory or not modules.installed(directory),
        python_path=modules.python_path(directory) if directory else None,
        notes=notes,
    )


def _server_command(project: Project, cls: str, target: str, port: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The server's argv, its name, and what to tell the user."""
    if cls in _ASGI:
        has_uvicorn = project.depends_on("uvicorn") or any(
            project.depends_on_extra("fastapi", extra) for extra in ("standard", "all")
        )
        if project.depends_on("hypercorn") and not has_uvicorn:
            return ("hypercorn", target, "--bind", f"0.0.0.0:{port}"), "hypercorn", ()
        notes = () if has_uvicorn else ("no ASGI server among the dependencies: add uvicorn, which the image runs",)
        return ("uvicorn", target, "--host", "0.0.0.0", "--port", str(port)), "uvicorn", notes
    if project.depends_on("gunicorn"):
        return ("gunicorn", "--bind", f"0.0.0.0:{port}", target), "gunicorn", ()
    if project.depends_on("waitress"):
        return ("waitress-serve", f"--listen=0.0.0.0:{port}", target), "waitress", ()
    note = "no WSGI server among the dependencies: the image runs Flask's development server; add gunicorn"
    return ("flask", "--app", target, "run", "--host", "0.0.0.0", "--port", str(port)), "flask run", (note,)


def _with_port(entry: Entry, port: int | None, health_path: str | None) -> Entry:
    """A program that is not a known server listens on ``port`` (--port): it gets a health check too."""
    if port is None:
        return entry
    return replace(entry, port=port, health_path=health_path or "/", health_route_found=health_path is not None)


class _ModuleIndex:
    """The project's Python files (up to src/package/module.py), read once."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.root = project.root
        self.files = sorted(self._walk(), key=lambda f: (f.count("/"), f))
        self._texts: dict[str, str] = {}

    def _walk(self) -> list[str]:
        found = []
        for directory, dirs, files in os.walk(self.root):
            relative = Path(directory).relative_to(self.root).as_posix()
            depth = 0 if relative == "." else relative.count("/") + 1
            dirs[:] = [
                d
                for d in dirs
                if depth + 1 < _SEARCH_DEPTH
                and not d.startswith((".", "_"))
                and d not in _SKIPPED_DIRS
                and not (Path(directory) / d / "pyvenv.cfg").exists()
            ]
            prefix = "" if relative == "." else relative + "/"
            found += [prefix + f for f in files if f.endswith(".py")]
        return found

    def text(self, file: str) -> str:
        if file not in self._texts:
            try:
                self._texts[file] = (self.root / file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[file] = ""
        return self._texts[file]

    def find_app(self) -> tuple[str, str, str] | None:
        """(file, attribute, class) of the first web app object, preferring the usual module names."""
        ranked = sorted(self.files, key=lambda f: (f.rsplit("/", 1)[-1] not in SCRIPT_NAMES, f.count("/"), f))
        for file in ranked:
            match = _APP_OBJECT.search(self.text(file))
            if match is not None:
                return file, match["attr"], match["cls"]
        return None

    def app_class(self, file: str, attr: str) -> str | None:
        for match in _APP_OBJECT.finditer(self.text(file)):
            if match["attr"] == attr:
                return match["cls"]
        return None

    def routes(self, file: str) -> list[str]:
        return _ROUTE.findall(self.text(file))

    def health_path(self, file: str) -> str | None:
        """A health path the module names (``"/health"``), for programs that route by hand."""
        return next((p for p in _PATH_LITERAL.findall(self.text(file)) if _HEALTH.match(p)), None)

    def main_package(self) -> tuple[str, str] | None:
        """(module, directory) of the shallowest package with a __main__.py."""
        for file in self.files:
            if file.endswith("/__main__.py"):
                directory = file.rsplit("/", 1)[0]
                return self.module_of(directory + "/__init__.py").removesuffix(".__init__"), directory
        return None

    def script(self) -> str | None:
        """A top-level script with a __main__ guard, preferring the usual names."""
        top = [f for f in self.files if "/" not in f and _MAIN_GUARD.search(self.text(f))]
        return min(
            top, key=lambda f: (SCRIPT_NAMES.index(f) if f in SCRIPT_NAMES else len(SCRIPT_NAMES), f), default=None
        )

    def module_of(self, file: str) -> str:
        """``app/main.py`` -> ``app.main``; ``src/pkg/api.py`` -> ``pkg.api``."""
        path = file.removesuffix(".py").removeprefix("src/") if file.startswith("src/") else file.removesuffix(".py")
        return path.replace("/", ".")

    def file_of(self, module: str) -> str | None:
        """The file of a dotted module name, at the top or under src/."""
        base = module.replace(".", "/")
        for candidate in (f"{base}.py", f"{base}/__init__.py", f"src/{base}.py", f"src/{base}/__init__.py"):
            if (self.root / candidate).is_file():
                return candidate
        return None

    def installed(self, directory: str) -> bool:
        """Whether building the project installs this directory's modules (a package of an installable project)."""
        parts = directory.split("/")
        in_src = parts[0] == "src" and len(parts) > 1
        base = self.root / "src" / parts[1] if in_src else self.root / parts[0]
        return self.project.installable and (base / "__init__.py").is_file()

    def python_path(self, directory: str) -> str | None:
        """``src`` for modules under src/ that are not installed: the interpreter must look there."""
        if directory.startswith("src/") and not self.installed(directory):
            return "src"
        return None
