"""Shell build scripts: the image builds they run, in order, and their ``sed -i`` rewrites of Dockerfiles.

tree-sitter-bash parses the script; a very small shell then walks it in execution order:

* ``docker build``, ``docker buildx build``, ``docker image build`` and ``podman build`` become
  ``Build`` records (``-t/--tag``, ``-f/--file``, ``--build-arg K=V`` or ``K`` from the environment,
  ``--target``, ``--build-context``, the context argument);
* ``sed -i`` substitutions applied to Dockerfiles become ``Rewrite`` records (pattern, replacement,
  the files as written and the files they match);
* plain assignments (``TAG=1.0``, ``REGISTRY=${REGISTRY:-localhost:5000}``, ``export A=b``,
  ``${V#v}``-style operators), ``for x in a b c`` loops (unrolled, globs expanded), functions called
  with arguments, ``cd``/``pushd``/``popd``, and ``source FILE`` are followed;
* a few command substitutions are evaluated: ``dirname``, ``basename``, ``pwd``, ``cd DIR && pwd``,
  ``realpath``, ``git rev-parse --show-toplevel``, ``echo``, and ``cat``/``grep``/``cut``/``head``/
  ``tail``/``tr -d`` pipelines over files of the repository (``$(grep '^TAG=' versions.txt | cut -d= -f2)``).

Anything else stays unresolved: ``${NAME}`` for a variable, ``$(...)`` as written for a command.
The caller's environment is taken to be empty, so ``${REGISTRY:-localhost:5000}`` is
``localhost:5000``. Relative paths are taken from the directory the script changes to; before any
``cd``, from the repository root, or from the script's own directory when only that makes the
Dockerfile exist.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

import tree_sitter as ts
import tree_sitter_bash

from dockopt.repo.builds import Build, Problem, is_resolved, relative_path
from dockopt.repo.compose import is_remote_context
from dockopt.repo.discovery import is_dockerfile_name

MAX_SCRIPT_BYTES = 1024 * 1024
_MAX_CALL_DEPTH = 16
_MAX_READ_BYTES = 256 * 1024
_LANGUAGE = ts.Language(tree_sitter_bash.language())

# docker build / buildx build options that take a value (the others are switches)
_BUILD_VALUE_OPTIONS = frozenset(
    {
        "-t", "--tag", "-f", "--file", "--build-arg", "--target", "--build-context", "--platform", "--label",
        "--cache-from", "--cache-to", "--network", "--secret", "--ssh", "-o", "--output", "--iidfile", "--progress",
        "--add-host", "--builder", "--cgroup-parent", "--shm-size", "--ulimit", "-m", "--memory", "--memory-swap",
        "-c", "--cpu-shares", "--cpu-period", "--cpu-quota", "--cpuset-cpus", "--cpuset-mems", "--isolation",
        "--security-opt", "--metadata-file", "--allow", "--annotation", "--attest", "--call", "--no-cache-filter",
        "--device", "--policy", "--format", "--layers", "--jobs",
    }
)  # fmt: skip
_DOCKER_GLOBAL_VALUE_OPTIONS = frozenset(
    {"--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"}
)
_SUDO_VALUE_OPTIONS = frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "--user", "--group"})
_WRAPPERS = frozenset({"sudo", "env", "time", "command", "exec", "nohup"})
_STATEMENT_SKIPPED = frozenset({"comment", "test_command", "heredoc_body", "file_redirect", "herestring_redirect"})


@lru_cache(maxsize=1)
def _parser() -> ts.Parser:
    return ts.Parser(_LANGUAGE)


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A ``sed -i`` substitution applied to Dockerfiles by a build script.

    ``pattern`` and ``replacement`` are as sed receives them (variables expanded); ``targets`` are
    the file arguments as written (``docker/stages/*/Dockerfile``), ``files`` the repository files
    they name. ``order`` shares the sequence of the script's builds, so a rewrite can be placed
    before or after them.
    """

    source: str
    line: int
    order: int
    expression: str  # the whole sed command, e.g. "s|FROM .*base:.*|FROM base:2|g"
    address: str  # the line selection before `s` ("/^FROM/"), or ""
    pattern: str
    replacement: str
    flags: str
    delimiter: str
    extended: bool  # -E / -r: an extended regular expression
    targets: tuple[str, ...]
    files: tuple[str, ...]
    conditional: bool = False

    def regex(self) -> re.Pattern[str] | None:
        """The pattern as a Python regular expression (None when sed's syntax has no equivalent)."""
        return sed_regex(self.pattern, extended=self.extended, delimiter=self.delimiter, ignore_case="I" in self.flags)


@dataclass(frozen=True, slots=True)
class BuildScript:
    """What one script builds (in the order it runs them) and rewrites."""

    path: str
    builds: tuple[Build, ...]
    rewrites: tuple[Rewrite, ...]
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def is_script_name(name: str) -> bool:
    """Shell scripts by extension: ``*.sh`` and ``*.bash``."""
    return name.endswith((".sh", ".bash"))


def load_script(path: Path, root: Path) -> BuildScript:
    """Run the small shell over one script; ``root`` is the repository root."""
    display = relative_path(root, path)
    try:
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            return BuildScript(display, (), (), (Problem(display, 1, "script is over 1 MB; not read"),))
        data = path.read_bytes()
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return BuildScript(display, (), (), (Problem(display, 1, f"cannot read script: {exc}"),))
    if b"build" not in data and b"sed" not in data:
        return BuildScript(display, (), ())
    shell = _Shell(path, root, display)
    shell.run(_parser().parse(data).root_node, _Frame({}, None, []), conditional=False)
    return BuildScript(display, tuple(shell.builds), tuple(shell.rewrites), (), tuple(shell.warnings))


# -- sed ---------------------------------------------------------------------------------------


_POSIX_CLASSES = {
    "[:alpha:]": "a-zA-Z", "[:digit:]": "0-9", "[:alnum:]": "a-zA-Z0-9", "[:upper:]": "A-Z", "[:lower:]": "a-z",
    "[:space:]": r" \t\n\r\f\v", "[:blank:]": r" \t", "[:punct:]": r"!-/:-@\[-`{-~", "[:xdigit:]": "0-9A-Fa-f",
}  # fmt: skip


def sed_regex(
    pattern: str, *, extended: bool = False, delimiter: str = "/", ignore_case: bool = False
) -> re.Pattern[str] | None:
    """A sed (POSIX basic, or extended with ``extended``) regular expression as a Python one.

    ``\\<delimiter>`` stands for the delimiter itself; GNU's ``\\+ \\? \\|`` work in basic syntax.
    None when the result does not compile.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(_sed_escape(pattern[i + 1], extended, delimiter))
            i += 2
        elif ch == "[":
            i = _bracket(pattern, i, out)
        elif not extended and ch in "(){}+?|":
            out.append("\\" + ch)
            i += 1
        elif ch == "*" and (not out or out[-1] in ("(", "^", "|")):
            out.append(r"\*")  # a leading star is literal
            i += 1
        else:
            out.append(ch)
            i += 1
    try:
        return re.compile("".join(out), re.IGNORECASE if ignore_case else 0)
    except re.error:
        return None


def _sed_escape(ch: str, extended: bool, delimiter: str) -> str:
    if ch == delimiter:
        return re.escape(ch)
    if not extended and ch in "(){}+?|":
        return ch
    if ch in "<>":
        return r"\b"
    if ch == "n":
        return r"\n"
    if ch == "t":
        return r"\t"
    if ch.isdigit() or ch in "wWsSbB":
        return "\\" + ch
    return re.escape(ch)


def _bracket(pattern: str, i: int, out: list[str]) -> int:
    """Copy a bracket expression (``[^]a-z[:digit:]]``), with POSIX classes spelled out."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j = pattern.find(":]", j) + 2 if pattern.startswith("[:", j) and ":]" in pattern[j:] else j + 1
    if j >= len(pattern):
        out.append(r"\[")
        return i + 1
    body = pattern[i + 1 : j].replace("\\", "\\\\")
    for name, spelled in _POSIX_CLASSES.items():
        body = body.replace(name, spelled)
    body = body.replace("[", r"\[")
    out.append("[" + (body if not body.startswith("]") else "\\" + body) + "]")
    return j + 1


@dataclass(frozen=True, slots=True)
class _Substitution:
    expression: str
    address: str
    pattern: str
    replacement: str
    flags: str
    delimiter: str


def _substitutions(script: str) -> list[_Substitution]:
    """The ``s`` commands of a sed script, with their address."""
    found: list[_Substitution] = []
    i = 0
    while i < len(script):
        while i < len(script) and script[i] in " \t\n;{}":
            i += 1
        start = i
        i = _skip_address(script, i)
        address = script[start:i].strip()
        if i < len(script) and script[i] == "!":
            i += 1
        if i >= len(script):
            break
        if script[i] != "s" or i + 1 >= len(script):
            end = script.find("\n", i)
            semicolon = script.find(";", i)
            i = len(script) if end < 0 and semicolon < 0 else min(x for x in (end, semicolon) if x >= 0) + 1
            continue
        delimiter = script[i + 1]
        pattern, i = _until_delimiter(script, i + 2, delimiter)
        replacement, i = _until_delimiter(script, i, delimiter)
        flags_match = re.compile(r"[gpiImMe0-9]*(?:w\s+\S+)?").match(script, i)
        flags = flags_match.group() if flags_match else ""
        i += len(flags)
        found.append(_Substitution(script[start:i].strip(), address, pattern, replacement, flags, delimiter))
    return found


def _skip_address(script: str, i: int) -> int:
    for _ in range(2):  # addr1[,addr2]
        if i < len(script) and script[i] == "/":
            _, i = _until_delimiter(script, i + 1, "/")
        elif i < len(script) and script[i] == "\\" and i + 1 < len(script):
            _, i = _until_delimiter(script, i + 2, script[i + 1])
        else:
            match = re.compile(r"\d+|\$").match(script, i)
            i = match.end() if match else i
        while i < len(script) and script[i] in "IM":
            i += 1
        if i < len(script) and script[i] == ",":
            i += 1
        else:
            break
    return i


def _until_delimiter(script: str, i: int, delimiter: str) -> tuple[str, int]:
    """Text up to an unescaped ``delimiter`` (kept escaped as written) and the offset after it."""
    start = i
    while i < len(script):
        if script[i] == "\\":
            i += 2
            continue
        if script[i] == delimiter:
            return script[start:i], i + 1
        i += 1
    return script[start:], len(script)


# -- the small shell ---------------------------------------------------------------------------


@dataclass
class _Frame:
    """Variables, the working directory (absolute; None when unknown) and the positional parameters."""

    env: dict[str, str]
    cwd: str | None
    positional: list[str]
    dir_stack: list[str | None] = field(default_factory=list)

    def copy(self) -> _Frame:
        return _Frame(dict(self.env), self.cwd, list(self.positional), list(self.dir_stack))


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    split: bool  # an unquoted expansion: split into words on white space
    glob: bool = False  # unquoted literal text holding * ? or [


class _Shell:
    """Walks a script's tree in execution order, following variables, and records builds and rewrites."""

    def __init__(self, path: Path, root: Path, display: str) -> None:
        self.path = posixpath.normpath(path.absolute().as_posix())
        self.root = posixpath.normpath(root.absolute().as_posix())
        self.script_dir = posixpath.dirname(self.path)
        self.display = display
        self.functions: dict[str, ts.Node] = {}
        self.builds: list[Build] = []
        self.rewrites: list[Rewrite] = []
        self.warnings: list[Problem] = []
        self.sequence = 0
        self.depth = 0
        self.call_line: int | None = None  # the line of the outermost function call being run

    # statements ------------------------------------------------------------------------------

    def run(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        kind = node.type
        handler = _STATEMENTS.get(kind)
        if handler is not None:
            handler(self, node, frame, conditional)
        elif kind not in _STATEMENT_SKIPPED:
            for child in node.named_children:
                self.run(child, frame, conditional)

    def subshell(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        inner = frame.copy()
        for child in node.named_children:
            self.run(child, inner, conditional)

    def redirected(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        body = node.child_by_field_name("body")
        if body is not None:
            self.run(body, frame, conditional)

    def list_(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        """``a && b || c``: what follows ``||`` may not run."""
        for child in node.children:
            if child.type == "||":
                conditional = True
            elif child.is_named:
                self.run(child, frame, conditional)

    def pipeline(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        for child in node.named_children:
            self.run(child, frame.copy(), conditional)

    def if_(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        in_body = False
        for child in node.children:
            if child.type == "then":
                in_body = True
            elif child.is_named:
                self.run(child, frame, conditional or in_body)

    def loop(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        """while / until / C-style for: the body may run any number of times."""
        for child in node.named_children:
            self.run(child, frame, conditional or child.type == "do_group")

    def case(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        """The first item whose pattern matches a known word runs; with an unknown word, any item may."""
        value_node = node.child_by_field_name("value")
        value = self.word(value_node, frame) if value_node is not None else None
        known = value is not None and is_resolved(value)
        for item in node.named_children:
            if item.type != "case_item":
                continue
            fields = [(item.field_name_for_child(i), child) for i, child in enumerate(item.children)]
            patterns = [self.word(child, frame) for name, child in fields if name == "value"]
            body = [child for name, child in fields if child.is_named and name != "value"]
            if known and not any(fnmatchcase(value or "", pattern) for pattern in patterns):
                continue
            for child in body:
                self.run(child, frame, conditional or not known)
            if known:
                return

    def for_(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        variable = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        if variable is None or body is None:
            return
        value_nodes = node.children_by_field_name("value")
        values = [v for value in value_nodes for v in self.fields(value, frame, glob=True)]
        if not value_nodes:
            values = list(frame.positional)
        name = _text(variable)
        for value in values:
            frame.env[name] = value
            self.run(body, frame, conditional)

    def function(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:  # noqa: ARG002
        name = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if name is not None and body is not None:
            self.functions[_text(name)] = body

    def assignment(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:  # noqa: ARG002
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = _text(name_node)
        if name_node.type == "subscript":
            return  # arrays are not followed
        value_node = node.child_by_field_name("value")
        value = self.word(value_node, frame) if value_node is not None else ""
        if any(child.type == "+=" for child in node.children):
            value = frame.env.get(name, "") + value
        frame.env[name] = value if is_resolved(value) else "${" + name + "}"

    def declaration(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        for child in node.named_children:
            if child.type == "variable_assignment":
                self.assignment(child, frame, conditional)

    def unset(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:  # noqa: ARG002
        for child in node.named_children:
            frame.env.pop(_text(child), None)

    def command(self, node: ts.Node, frame: _Frame, conditional: bool) -> None:
        name = node.child_by_field_name("name")
        prefix = [child for child in node.children if child.type == "variable_assignment"]
        # tree-sitter-bash can attach a line of bare assignments to the command on the next line
        alone = [c for c in prefix if name is None or c.end_point[0] < name.start_point[0]]
        for child in alone:
            self.assignment(child, frame, conditional)
        prefix = [child for child in prefix if child not in alone]
        if name is None:
            return
        local = frame.copy() if prefix else frame  # FOO=bar cmd: FOO only for cmd; ${X:=y} in words stays set
        for child in prefix:
            self.assignment(child, local, conditional)
        argv = self.fields(name, local) + [
            word for argument in node.children_by_field_name("argument") for word in self.fields(argument, local)
        ]
        argv = _unwrap(argv)
        if not argv:
            return
        program = argv[0].rsplit("/", 1)[-1]
        line = self.call_line or node.start_point[0] + 1
        if program in self.functions and self.depth < _MAX_CALL_DEPTH:
            self.call(self.functions[program], argv[1:], frame, conditional, line)
        elif program in ("cd", "pushd", "popd"):
            self.change_directory(program, argv[1:], frame)
        elif program in ("source", ".") and len(argv) > 1:
            self.source(argv[1], frame, conditional, line)
        elif program == "shift":
            del frame.positional[: int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1]
        elif program == "set" and "--" in argv:
            frame.positional = argv[argv.index("--") + 1 :]
        elif program in ("docker", "podman"):
            build_args = _build_arguments(argv)
            if build_args is not None:
                self.build(build_args, local, line, conditional)
        elif program == "sed":
            self.sed(argv[1:], local, line, conditional)

    def call(self, body: ts.Node, arguments: list[str], frame: _Frame, conditional: bool, line: int) -> None:
        """Run a function; what it builds is reported at the line that called it."""
        saved, saved_line = frame.positional, self.call_line
        frame.positional = arguments
        self.call_line = line
        self.depth += 1
        try:
            self.run(body, frame, conditional)
        finally:
            self.depth -= 1
            frame.positional, self.call_line = saved, saved_line

    def change_directory(self, program: str, arguments: list[str], frame: _Frame) -> None:
        if program == "popd":
            frame.cwd = frame.dir_stack.pop() if frame.dir_stack else None
            return
        if program == "pushd":
            frame.dir_stack.append(frame.cwd)
        target = next((a for a in arguments if not a.startswith("-") or a == "-"), None)
        frame.cwd = self.directory(target, frame) if target is not None and target != "-" else None

    def directory(self, path: str, frame: _Frame) -> str | None:
        """An existing directory ``path`` names from where the script is; None when unknown."""
        if not is_resolved(path):
            return None
        for base in self.bases(frame):
            candidate = posixpath.normpath(posixpath.join(base, path))
            if Path(candidate).is_dir():
                return candidate
        return None

    def bases(self, frame: _Frame) -> list[str]:
        """Where a relative path starts: the known working directory, else the root, then the script's directory."""
        return [frame.cwd] if frame.cwd is not None else [self.root, self.script_dir]

    def source(self, path: str, frame: _Frame, conditional: bool, line: int) -> None:
        """Run another file in this shell; what it builds is reported at the ``source`` line."""
        located = self.locate(path, frame)
        if located is None or self.depth >= _MAX_CALL_DEPTH:
            return
        try:
            data = Path(located).read_bytes()[:MAX_SCRIPT_BYTES]
        except OSError:
            return
        saved_line, self.call_line = self.call_line, line
        self.depth += 1
        try:
            self.run(_parser().parse(data).root_node, frame, conditional)
        finally:
            self.depth -= 1
            self.call_line = saved_line

    def locate(self, path: str, frame: _Frame) -> str | None:
        """An existing file of the repository that ``path`` names; None otherwise."""
        if not is_resolved(path):
            return None
        for base in self.bases(frame):
            candidate = posixpath.normpath(posixpath.join(base, path))
            inside = candidate == self.root or candidate.startswith(self.root + "/")
            if inside and Path(candidate).is_file():
                return candidate
        return None

    # builds and rewrites ---------------------------------------------------------------------

    def build(self, argv: list[str], frame: _Frame, line: int, conditional: bool) -> None:
        parsed = _parse_build(argv, frame.env)
        if parsed is None:
            return
        context, dockerfile, tags, args, target, contexts = parsed
        if context == "-" or dockerfile == "-" or is_remote_context(context):
            return
        if not is_resolved(context) or (dockerfile is not None and not is_resolved(dockerfile)):
            unknown = context if not is_resolved(context) else dockerfile
            self.warnings.append(Problem(self.display, line, f"docker build: cannot resolve the path {unknown}"))
            return
        base = self.bases(frame)[0]
        for candidate in self.bases(frame):
            wanted = posixpath.join(candidate, dockerfile or posixpath.join(context, "Dockerfile"))
            if Path(wanted).is_file():
                base = candidate
                break
        context_abs = posixpath.normpath(posixpath.join(base, context))
        dockerfile_abs = posixpath.join(base, dockerfile) if dockerfile else posixpath.join(context_abs, "Dockerfile")
        self.builds.append(
            Build(
                source=self.display,
                line=line,
                kind="script",
                name=None,
                dockerfile=relative_path(self.root, dockerfile_abs),
                context=relative_path(self.root, context_abs),
                tags=tuple(dict.fromkeys(tags)),
                args=args,
                target=target,
                contexts=contexts,
                order=self.next_order(),
                conditional=conditional,
            )
        )

    def next_order(self) -> int:
        self.sequence += 1
        return self.sequence - 1

    def sed(self, arguments: list[str], frame: _Frame, line: int, conditional: bool) -> None:
        parsed = _parse_sed(arguments)
        if parsed is None:
            return
        scripts, targets, extended = parsed
        files: list[str] = []
        for target in targets:
            files += self.expand_glob(target, frame)
        names = [posixpath.basename(t) for t in targets] + [posixpath.basename(f) for f in files]
        if not any(is_dockerfile_name(name) for name in names):
            return
        order = self.next_order()
        for script in scripts:
            for sub in _substitutions(script):
                self.rewrites.append(
                    Rewrite(
                        source=self.display, line=line, order=order, expression=sub.expression, address=sub.address,
                        pattern=sub.pattern, replacement=sub.replacement, flags=sub.flags, delimiter=sub.delimiter,
                        extended=extended, targets=tuple(targets), files=tuple(dict.fromkeys(files)),
                        conditional=conditional,
                    )
                )  # fmt: skip

    def expand_glob(self, pattern: str, frame: _Frame) -> list[str]:
        """The repository files ``pattern`` names (a glob or a path), root-relative; [] when none."""
        if not is_resolved(pattern):
            return []
        for base in self.bases(frame):
            full = posixpath.join(base, pattern)
            matches = _glob(full) if any(ch in pattern for ch in "*?[") else [full]
            files = [relative_path(self.root, m) for m in matches if Path(m).is_file()]
            if files:
                return files
        return []

    # words -----------------------------------------------------------------------------------

    def fields(self, node: ts.Node, frame: _Frame, *, glob: bool = False) -> list[str]:
        """The words ``node`` expands to: unquoted expansions split, globs expanded when ``glob``."""
        if node.type == "string" and _text(node) in ('"$@"', '"${@}"'):
            return list(frame.positional)  # one word per positional parameter
        words: list[str] = []
        current: list[str] = []
        started = False
        has_glob = False
        for piece in self.pieces(node, frame, quoted=False):
            if not piece.split:
                current.append(piece.text)
                started = True
                has_glob = has_glob or piece.glob
                continue
            for index, part in enumerate(re.split(r"[ \t\n]+", piece.text)):
                if index and started:
                    words.append("".join(current))
                    current, started = [], False
                if part:
                    current.append(part)
                    started = True
        if started:
            words.append("".join(current))
        if glob and has_glob:
            return [m for word in words for m in (self.glob_words(word, frame) or [word])]
        return words

    def glob_words(self, pattern: str, frame: _Frame) -> list[str]:
        base = frame.cwd or self.root
        matches = _glob(posixpath.join(base, pattern))
        return [m if pattern.startswith("/") else posixpath.relpath(m, base) for m in matches]

    def word(self, node: ts.Node, frame: _Frame) -> str:
        """``node`` as one word (assignment values, operands): no splitting, no globbing."""
        return "".join(piece.text for piece in self.pieces(node, frame, quoted=True))

    def pieces(self, node: ts.Node, frame: _Frame, quoted: bool) -> list[_Piece]:
        kind = node.type
        raw = _text(node)
        if kind in ("word", "number"):
            text = raw if quoted else _unescape_bare(raw)
            return [_Piece(text, False, not quoted and any(ch in text for ch in "*?["))]
        if kind == "raw_string":
            return [_Piece(raw[1:-1], False)]
        if kind == "ansi_c_string":
            return [_Piece(_ansi_c(raw[2:-1]), False)]
        if kind in ("string", "translated_string"):
            return self.double_quoted(node, frame)
        if kind in ("concatenation", "command_name"):
            return [piece for child in node.children for piece in self.pieces(child, frame, quoted)]
        if kind == "simple_expansion":
            value = self.lookup(raw.lstrip("$"), frame)
            return [_Piece("${" + raw[1:] + "}", False) if value is None else _Piece(value, not quoted)]
        if kind == "expansion":
            value = self.expansion(node, frame)
            return [_Piece(raw, False) if value is None else _Piece(value, not quoted)]
        if kind == "command_substitution":
            output = self.substitution(node, frame)
            return [_Piece(raw, False) if output is None else _Piece(output, not quoted)]
        return [_Piece(raw, False)]

    def double_quoted(self, node: ts.Node, frame: _Frame) -> list[_Piece]:
        """A ``"..."`` string: literal text between the expansions, with ``\\$ \\" \\\\ \\``` unescaped."""
        pieces: list[_Piece] = []
        data = node.text or b""
        position = node.start_byte + (2 if data.startswith(b'$"') else 1)
        end = node.end_byte - 1
        for child in node.named_children:
            if child.type == "string_content":
                continue
            if child.start_byte > position:
                pieces.append(_Piece(_unescape_double(_slice(node, position, child.start_byte)), False))
            pieces += self.pieces(child, frame, quoted=True)
            position = child.end_byte
        if end > position:
            pieces.append(_Piece(_unescape_double(_slice(node, position, end)), False))
        return pieces

    def lookup(self, name: str, frame: _Frame) -> str | None:
        """A variable's value; None when the script does not set it."""
        if name in ("0", "BASH_SOURCE"):
            return self.path
        if name.isdigit():
            index = int(name) - 1
            return frame.positional[index] if index < len(frame.positional) else None
        if name in ("@", "*"):
            return " ".join(frame.positional)
        if name == "#":
            return str(len(frame.positional))
        if name == "PWD":
            return frame.cwd
        return frame.env.get(name)

    def expansion(self, node: ts.Node, frame: _Frame) -> str | None:
        """``${...}``: the value, a default, or an operator applied; None when it cannot be known."""
        inner = node.children[1:-1]
        if not inner:
            return None
        if inner[0].type in ("#", "!"):
            value = self.lookup(_text(inner[1]), frame) if len(inner) == 2 and inner[0].type == "#" else None
            return str(len(value)) if value is not None else None
        head = inner[0]
        name = _text(head.named_children[0] if head.type == "subscript" else head)
        value = self.lookup(name, frame)
        if head.type == "subscript" and name != "BASH_SOURCE":
            value = None
        if len(inner) == 1:
            return value
        operator = inner[1].type
        operands = inner[2:]
        return self.operator(name, value, operator, operands, frame)

    def operator(
        self, name: str, value: str | None, operator: str, operands: Sequence[ts.Node], frame: _Frame
    ) -> str | None:
        def operand() -> str:
            return "".join(self.word(o, frame) for o in operands)

        if operator in (":-", ":="):
            result = value if value else operand()
        elif operator in ("-", "="):
            result = value if value is not None else operand()
        elif operator == ":+":
            return operand() if value else ""
        elif operator == "+":
            return operand() if value is not None else ""
        elif value is None or not is_resolved(value):
            return None
        else:
            return _string_operator(value, operator, [_text(o) for o in operands])
        if operator in (":=", "=") and is_resolved(result):
            frame.env[name] = result
        return result

    # command substitution --------------------------------------------------------------------

    def substitution(self, node: ts.Node, frame: _Frame) -> str | None:
        statements = node.named_children
        if len(statements) != 1:
            return None
        output = self.output(statements[0], frame.copy())
        return output.rstrip("\n") if output is not None else None

    def output(self, node: ts.Node, frame: _Frame) -> str | None:
        """What a statement prints, for the few commands this shell knows; None otherwise."""
        if node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            return self.output(body, frame) if body is not None else None
        if node.type == "list":
            return self.list_output(node, frame)
        if node.type == "pipeline":
            commands = [c for c in node.named_children if c.type == "command"]
            if len(commands) != len(node.named_children) or not commands:
                return None
            text = self.output(commands[0], frame)
            for command in commands[1:]:
                if text is None:
                    return None
                text = _filter(self.argv(command, frame), text)
            return text
        if node.type != "command":
            return None
        argv = self.argv(node, frame)
        if not argv or not all(is_resolved(a) for a in argv):
            return None
        return self.command_output(argv, frame)

    def list_output(self, node: ts.Node, frame: _Frame) -> str | None:
        outputs: list[str] = []
        for child in node.children:
            if child.type == "||":
                return None  # which side runs is not known here
            if child.is_named:
                output = self.output(child, frame)
                if output is None:
                    return None
                outputs.append(output)
        return "".join(outputs)

    def argv(self, node: ts.Node, frame: _Frame) -> list[str]:
        name = node.child_by_field_name("name")
        if name is None:
            return []
        return self.fields(name, frame) + [
            word for argument in node.children_by_field_name("argument") for word in self.fields(argument, frame)
        ]

    def command_output(self, argv: list[str], frame: _Frame) -> str | None:
        program, arguments = argv[0], argv[1:]
        operands = [a for a in arguments if not a.startswith("-")]
        if program == "cd":
            self.change_directory("cd", arguments, frame)
            return "" if frame.cwd is not None else None
        if program == "pwd":
            return frame.cwd + "\n" if frame.cwd is not None else None
        if program == "dirname" and operands:
            return (posixpath.dirname(operands[0].rstrip("/")) or ".") + "\n"
        if program == "basename" and operands:
            base = posixpath.basename(operands[0].rstrip("/"))
            suffix = operands[1] if len(operands) > 1 else ""
            return (base.removesuffix(suffix) if suffix and base != suffix else base) + "\n"
        if program in ("realpath", "readlink") and operands and (program == "realpath" or "-f" in arguments):
            base = self.bases(frame)[0]
            return posixpath.normpath(posixpath.join(base, operands[0])) + "\n"
        if program == "git" and arguments == ["rev-parse", "--show-toplevel"]:
            return self.root + "\n"
        if program == "echo":
            newline = "-n" not in arguments[:1]
            return " ".join(a for a in arguments if a not in ("-n", "-e")) + ("\n" if newline else "")
        if program == "cat" and operands:
            texts = [self.read(operand, frame) for operand in operands]
            return None if any(t is None for t in texts) else "".join(t or "" for t in texts)
        if program == "grep":
            return _grep(arguments, lambda path: self.read(path, frame), None)
        return None

    def read(self, path: str, frame: _Frame) -> str | None:
        located = self.locate(path, frame)
        if located is None:
            return None
        try:
            with Path(located).open("rb") as handle:
                return handle.read(_MAX_READ_BYTES).decode("utf-8", "replace")
        except OSError:
            return None


_Handler = Callable[[_Shell, ts.Node, _Frame, bool], None]
_STATEMENTS: dict[str, _Handler] = {
    "subshell": _Shell.subshell,
    "redirected_statement": _Shell.redirected,
    "list": _Shell.list_,
    "pipeline": _Shell.pipeline,
    "if_statement": _Shell.if_,
    "while_statement": _Shell.loop,
    "c_style_for_statement": _Shell.loop,
    "case_statement": _Shell.case,
    "for_statement": _Shell.for_,
    "function_definition": _Shell.function,
    "variable_assignment": _Shell.assignment,
    "declaration_command": _Shell.declaration,
    "unset_command": _Shell.unset,
    "command": _Shell.command,
}


def _glob(pattern: str) -> list[str]:
    """Absolute paths matching an absolute glob ``pattern``, sorted."""
    relative = posixpath.normpath(pattern).lstrip("/")
    return sorted(path.as_posix() for path in Path("/").glob(relative)) if relative else []


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _slice(node: ts.Node, start: int, end: int) -> str:
    data = node.text or b""
    return data[start - node.start_byte : end - node.start_byte].decode("utf-8", "replace")


def _unescape_bare(text: str) -> str:
    """An unquoted word: ``\\x`` is ``x``, a backslash-newline disappears."""
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.DOTALL)


def _unescape_double(text: str) -> str:
    return re.sub(r'\\([$`"\\])', r"\1", text.replace("\\\n", ""))


def _ansi_c(text: str) -> str:
    table = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "e": "\x1b"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)


def _glob_regex(pattern: str) -> str:
    out: list[str] = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(out)


def _string_operator(value: str, operator: str, operands: list[str]) -> str | None:
    """``${V#p}``, ``${V##p}``, ``${V%p}``, ``${V%%p}``, ``${V/p/r}``, ``${V//p/r}``, ``${V:o:l}``, case changes."""
    pattern = "".join(operands)
    if operator in ("#", "##"):
        cuts = range(len(value) + 1) if operator == "#" else range(len(value), -1, -1)
        return next((value[i:] for i in cuts if fnmatchcase(value[:i], pattern)), value)
    if operator in ("%", "%%"):
        cuts = range(len(value), -1, -1) if operator == "%" else range(len(value) + 1)
        return next((value[:i] for i in cuts if fnmatchcase(value[i:], pattern)), value)
    if operator in ("/", "//"):
        search = operands[0] if operands else ""
        replacement = "".join(operands[2:]) if len(operands) > 2 and operands[1] == "/" else ""
        regex = re.compile(_glob_regex(search))
        return regex.sub(lambda _: replacement, value, count=0 if operator == "//" else 1)
    if operator == ":":
        numbers = [o for o in operands if o != ":"]
        if not numbers or not all(re.fullmatch(r"-?\d+", n) for n in numbers):
            return None
        start = int(numbers[0])
        return value[start : start + int(numbers[1])] if len(numbers) > 1 else value[start:]
    case = {",,": str.lower, "^^": str.upper}.get(operator)
    if case is not None:
        return case(value)
    if operator in (",", "^") and value:
        return (value[0].lower() if operator == "," else value[0].upper()) + value[1:]
    return None


def _unwrap(argv: list[str]) -> list[str]:
    """Strip ``sudo``, ``env A=b``, ``time``, ``command``, ``exec`` and ``nohup`` from the front."""
    while argv and argv[0].rsplit("/", 1)[-1] in _WRAPPERS:
        wrapper = argv[0].rsplit("/", 1)[-1]
        i = 1
        while i < len(argv) and argv[i].startswith("-"):
            i += 2 if wrapper == "sudo" and argv[i] in _SUDO_VALUE_OPTIONS else 1
        if wrapper == "env":
            while i < len(argv) and "=" in argv[i] and not argv[i].startswith("="):
                i += 1
        argv = argv[i:]
    return argv


def _build_arguments(argv: list[str]) -> list[str] | None:
    """The arguments after ``build`` of a docker/podman build command; None for any other command."""
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _DOCKER_GLOBAL_VALUE_OPTIONS else 1
    words = argv[i:]
    if words[:1] == ["build"]:
        return words[1:]
    if words[:2] in (["buildx", "build"], ["image", "build"], ["builder", "build"], ["buildx", "b"]):
        return words[2:]
    return None


def _parse_build(
    argv: list[str], env: dict[str, str]
) -> tuple[str, str | None, list[str], dict[str, str], str | None, dict[str, str]] | None:
    """(context, dockerfile or None, tags, build args, target, named contexts); None without a context."""
    tags: list[str] = []
    args: dict[str, str] = {}
    contexts: dict[str, str] = {}
    dockerfile: str | None = None
    target: str | None = None
    positionals: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            positionals += argv[i:]
            break
        if not word.startswith("-") or word == "-":
            positionals.append(word)
            continue
        if word.startswith("--"):
            name, has_value, value = word.partition("=")
        else:
            name, value = word[:2], word[2:]
            has_value = "=" if value else ""
        if name not in _BUILD_VALUE_OPTIONS:
            continue
        if not has_value:
            value = argv[i] if i < len(argv) else ""
            i += 1
        if name in ("-t", "--tag"):
            tags.append(value)
        elif name in ("-f", "--file"):
            dockerfile = value
        elif name == "--target":
            target = value
        elif name == "--build-arg":
            key, sep, arg = value.partition("=")
            if sep:
                args[key] = arg
            elif key in env:
                args[key] = env[key]
        elif name == "--build-context":
            key, sep, path = value.partition("=")
            if sep:
                contexts[key] = path
    if len(positionals) != 1:
        return None
    return positionals[0], dockerfile, tags, args, target, contexts


def _parse_sed(arguments: list[str]) -> tuple[list[str], list[str], bool] | None:
    """(sed scripts, file arguments, extended syntax) of an in-place sed; None when it is not in place."""
    scripts: list[str] = []
    operands: list[str] = []
    in_place = extended = False
    i = 0
    while i < len(arguments):
        word = arguments[i]
        i += 1
        if word in ("-e", "--expression") and i < len(arguments):
            scripts.append(arguments[i])
            i += 1
        elif word.startswith("--expression="):
            scripts.append(word.partition("=")[2])
        elif word.startswith("-e") and len(word) > 2:
            scripts.append(word[2:])
        elif word in ("-f", "--file"):
            return None  # the script is in a file: not followed
        elif word == "-i" and i < len(arguments) and arguments[i] == "":
            in_place = True  # BSD sed: -i '' (no backup)
            i += 1
        elif word.startswith(("-i", "--in-place")):
            in_place = True
        elif word in ("-E", "-r", "--regexp-extended"):
            extended = True
        elif word.startswith("-") and len(word) > 1 and not word.startswith("--"):
            in_place = in_place or "i" in word[1:]
            extended = extended or "E" in word[1:] or "r" in word[1:]
        elif not word.startswith("-"):
            operands.append(word)
    if not in_place:
        return None
    if not scripts and operands:
        scripts.append(operands.pop(0))
    return scripts, operands, extended


def _grep(arguments: list[str], read: Callable[[str], str | None], stdin: str | None) -> str | None:
    """``grep [-E|-F] [-i] [-v] [-x] [-o] [-m N] PATTERN [FILE...]`` over files or ``stdin``."""
    flags: set[str] = set()
    limit: int | None = None
    operands: list[str] = []
    i = 0
    while i < len(arguments):
        word = arguments[i]
        i += 1
        if word == "-m" and i < len(arguments) and arguments[i].isdigit():
            limit = int(arguments[i])
            i += 1
        elif word.startswith("-") and len(word) > 1:
            letters = set(word[1:])
            if not letters <= set("EFivxoqsh"):
                return None
            flags |= letters
        else:
            operands.append(word)
    if not operands:
        return None
    pattern, files = operands[0], operands[1:]
    if files:
        texts = [read(f) for f in files]
        if any(t is None for t in texts):
            return None
        text = "".join(t or "" for t in texts)
    elif stdin is not None:
        text = stdin
    else:
        return None
    if "F" in flags:
        regex: re.Pattern[str] | None = re.compile(re.escape(pattern), re.IGNORECASE if "i" in flags else 0)
    else:
        regex = sed_regex(pattern, extended="E" in flags, ignore_case="i" in flags)
    if regex is None:
        return None
    lines: list[str] = []
    for line in text.splitlines():
        match = regex.fullmatch(line) if "x" in flags else regex.search(line)
        if (match is None) != ("v" in flags):
            continue
        lines.append(match.group() if "o" in flags and match is not None else line)
        if limit is not None and len(lines) >= limit:
            break
    if "q" in flags:
        return ""
    return "".join(line + "\n" for line in lines)


def _filter(argv: list[str], text: str) -> str | None:
    """A command reading ``text`` on its standard input: grep, cut, head, tail, tr -d."""
    if not argv or not all(is_resolved(a) for a in argv):
        return None
    program, arguments = argv[0], argv[1:]
    lines = text.splitlines()
    if program == "grep":
        return _grep(arguments, lambda _: None, text)
    if program in ("head", "tail"):
        count = _line_count(arguments)
        if count is None:
            return None
        kept = lines[:count] if program == "head" else lines[-count:] if count else []
        return "".join(line + "\n" for line in kept)
    if program == "cut":
        return _cut(arguments, lines)
    if program == "tr" and len(arguments) == 2 and arguments[0] == "-d":
        deleted = set(_ansi_c(arguments[1]))
        return "".join(ch for ch in text if ch not in deleted)
    return None


def _line_count(arguments: list[str]) -> int | None:
    if not arguments:
        return 10
    joined = "".join(arguments)
    match = re.fullmatch(r"-n?(\d+)", joined)
    return int(match.group(1)) if match else None


def _cut(arguments: list[str], lines: list[str]) -> str | None:
    delimiter = "\t"
    fields: str | None = None
    i = 0
    while i < len(arguments):
        word = arguments[i]
        i += 1
        for option in ("-d", "-f"):
            if word.startswith(option):
                value = word[2:] if len(word) > 2 else (arguments[i] if i < len(arguments) else "")
                if len(word) == 2:
                    i += 1
                if option == "-d":
                    delimiter = value[:1]
                else:
                    fields = value
                break
        else:
            return None
    if fields is None or not delimiter:
        return None
    wanted = _field_numbers(fields)
    if wanted is None:
        return None
    out: list[str] = []
    for line in lines:
        parts = line.split(delimiter)
        if len(parts) == 1:
            out.append(line)  # cut prints lines without the delimiter whole
            continue
        out.append(delimiter.join(parts[n - 1] for n in wanted(len(parts)) if n <= len(parts)))
    return "".join(line + "\n" for line in out)


def _field_numbers(spec: str) -> Callable[[int], list[int]] | None:
    """``2``, ``1,3``, ``2-`` or ``1-3`` as a function of the number of fields."""
    ranges: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        match = re.fullmatch(r"(\d*)(-?)(\d*)", part)
        if match is None or not (match.group(1) or match.group(3)):
            return None
        first = int(match.group(1) or 1)
        last = None if match.group(2) and not match.group(3) else int(match.group(3) or match.group(1))
        ranges.append((first, last))

    def numbers(count: int) -> list[int]:
        return sorted({n for first, last in ranges for n in range(first, (last or count) + 1)})

    return numbers
