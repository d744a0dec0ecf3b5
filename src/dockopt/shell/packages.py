"""Package managers, downloads and archives: what a command installs, with which flags, into which cache.

``classify(command, script)`` turns one parsed command into one of:

- ``PackageOperation`` — pip (also ``python -m pip``, pip3.11), uv, poetry, conda/mamba/micromamba,
  apt-get/apt, apk, dnf/yum/microdnf, zypper, npm, yarn, pnpm: the action, the packages with their
  version specifiers, requirement/constraint files, indexes, flags of interest, and where the cache goes;
- ``Download`` — curl or wget: URLs, files written, what reads its output (``curl … | sh``), TLS checks off;
- ``Extraction`` — tar, unzip, gunzip/xz/bunzip2: which archive, into where;
- ``ModelDownload`` — ``huggingface-cli download``, ``hf download``, ``git clone https://huggingface.co/…``,
  or ``python -c`` code calling ``snapshot_download``/``from_pretrained``/….

Anything else is None. Options are read getopt-style (bundles such as ``-qy``, ``-rreq.txt``,
``--name=value``), so a flag's value is never mistaken for a package.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import urlsplit

from dockopt.shell.parse import Command, Redirect, Script, Word
from dockopt.shell.requirements import canonical_name, parse_requirement, requirement_from_url


class Action(StrEnum):
    """What a package-manager command does."""

    INSTALL = "install"  # also add, reinstall, create, `npm ci`
    UPDATE = "update"  # refresh the package index: apt-get update, apk update, dnf makecache
    UPGRADE = "upgrade"  # upgrade installed packages
    REMOVE = "remove"
    SYNC = "sync"  # make the environment match a lock or requirement file exactly
    CLEAN = "clean"  # empty the manager's cache
    DOWNLOAD = "download"
    WHEEL = "wheel"


class Flag(StrEnum):
    """Options that rules ask about, under one name whichever manager spells them."""

    ASSUME_YES = "assume_yes"  # -y, --yes, zypper -n, apt-get -qq
    NO_INSTALL_RECOMMENDS = "no_install_recommends"  # apt, zypper --no-recommends, dnf install_weak_deps=False
    USER = "user"  # pip --user
    UPGRADE = "upgrade"  # pip -U
    NO_DEPS = "no_deps"
    BREAK_SYSTEM_PACKAGES = "break_system_packages"
    SYSTEM = "system"  # uv pip --system
    NO_INDEX = "no_index"
    NO_DEV = "no_dev"  # development dependencies left out: --omit=dev, --production, --without dev, --no-dev
    NO_ROOT = "no_root"  # the project itself is not installed: poetry --no-root, uv --no-install-project
    LOCKED = "locked"  # the lock file is enforced: npm ci, --frozen-lockfile, --immutable, uv --locked/--frozen
    GLOBAL = "global"  # npm/yarn/pnpm -g


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class PackageSpec:
    """One package argument: ``numpy[extra]>=1.26``, ``curl=7.88.1-10``, ``@scope/pkg@^1.2``."""

    word: Word  # where it is written
    name: str  # PEP 503 for Python; lower case for apt and conda; as written otherwise
    # what follows the name: "==1.2", ">=2,<3", "@ https://…" (Python, without extras and marker);
    # as written for the others: "=7.88.1-10" (apt), "@^1.2" (npm, poetry), "=1.26" (conda)
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str = ""
    pinned: bool = False  # exactly one version: ==/===, apt/apk/zypper `=ver`, npm `@1.2.3`, conda `=ver`, a wheel URL


@dataclass(frozen=True, slots=True)
class SpecifierRedirect:
    """``pip install numpy>=1.26``: the shell read ``>=1.26`` as a redirect to a file ``=1.26``.

    The package is installed unpinned and a stray file is created (or, for ``<``, the command fails
    reading a file that does not exist). ``redirects`` are those glued to the package word, in order.
    """

    package: Word
    redirects: tuple[Redirect, ...]

    @property
    def intended(self) -> str | None:
        """The argument as meant (``numpy>=1.26,<2``), or None when the shell parse hides part of it."""
        parts = [self.package.text]
        for redirect in self.redirects:
            target = redirect.target
            if target is None or target.start != redirect.start + len(redirect.operator):
                return None
            parts += [redirect.operator, target.text]
        return "".join(parts)

    @property
    def end(self) -> int:
        """Where the mistaken argument ends: a fix quotes ``package.start`` to here."""
        return self.redirects[-1].end


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class PackageOperation:
    """A package-manager command: what it installs (or removes, cleans…), how, and where its cache goes.

    ``cache_dirs`` is where the manager keeps its cache by default for this user and environment
    (even when ``no_cache`` is set, so a rule can name the directory); for ``Action.CLEAN`` it is
    what the command empties, and empty when it cleans only part of it (``dnf clean metadata``).
    """

    command: Command
    manager: str  # pip, uv, poetry, conda, apt, apk, dnf, yum, microdnf, zypper, npm, yarn, pnpm
    action: Action
    packages: tuple[PackageSpec, ...] = ()
    requirement_files: tuple[str, ...] = ()  # pip/uv -r, conda --file/-f, `uv pip sync FILE`
    constraint_files: tuple[str, ...] = ()  # pip/uv -c, PIP_CONSTRAINT, UV_CONSTRAINT
    manifests: tuple[str, ...] = ()  # project files read without being named: pyproject.toml + lock, package.json…
    editable: tuple[str, ...] = ()
    local_paths: tuple[str, ...] = ()  # ., ./pkg, /wheels/*.whl, *.deb
    urls: tuple[str, ...] = ()  # direct references whose project name is not known
    index_url: str | None = None  # replaces the default index: pip -i, uv --default-index, npm --registry
    extra_index_urls: tuple[str, ...] = ()  # searched besides it: --extra-index-url, uv --index, conda -c, apk -X
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()  # TLS not verified: pip --trusted-host, uv --allow-insecure-host
    flags: frozenset[Flag] = frozenset()
    target: str | None = None  # pip/uv --target
    prefix: str | None = None  # pip/uv --prefix, conda -p, npm --prefix
    virtual: str | None = None  # apk --virtual NAME
    no_cache_flag: Word | None = None  # --no-cache-dir, uv --no-cache/-n, apk --no-cache, poetry --no-cache
    no_cache_env: str | None = None  # PIP_NO_CACHE_DIR or UV_NO_CACHE in force
    cache_dirs: tuple[str, ...] = ()
    unquoted_specifier_redirects: tuple[SpecifierRedirect, ...] = ()

    @property
    def no_cache(self) -> bool:
        """The manager keeps no cache for this command (flag or environment)."""
        return self.no_cache_flag is not None or self.no_cache_env is not None

    @property
    def installs(self) -> bool:
        """The command installs packages (install, sync or upgrade)."""
        return self.action in (Action.INSTALL, Action.SYNC, Action.UPGRADE)


_INTERPRETERS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "perl", "ruby", "node"})
_WEIGHT_SUFFIXES = (".pt", ".pth", ".ckpt", ".safetensors", ".bin", ".onnx", ".gguf")
_MODEL_HOSTS = ("huggingface.co", "hf.co")


@dataclass(frozen=True, slots=True)
class Download:
    """curl or wget: which URLs, which files it writes, and what reads its output."""

    command: Command
    tool: str  # curl, wget
    urls: tuple[str, ...]
    outputs: tuple[str, ...]  # files written; empty when the body goes to stdout
    piped_into: str | None  # the command reading its output: `sh` in `curl … | sh`, `bash <(curl …)`
    insecure: bool  # curl -k/--insecure, wget --no-check-certificate

    @property
    def runs_remote_script(self) -> bool:
        """The downloaded text is run by a shell or an interpreter without being checked."""
        return self.piped_into is not None and (
            self.piped_into in _INTERPRETERS or _PYTHON.fullmatch(self.piped_into) is not None
        )

    @property
    def fetches_model_weights(self) -> bool:
        """A URL or output file names model weights (*.safetensors, *.pt…) or the host is Hugging Face."""
        for url in self.urls:
            parts = urlsplit(url if "://" in url else f"//{url}")
            host = parts.hostname or ""
            if parts.path.endswith(_WEIGHT_SUFFIXES) or any(host == h or host.endswith("." + h) for h in _MODEL_HOSTS):
                return True
        return any(output.endswith(_WEIGHT_SUFFIXES) for output in self.outputs)


@dataclass(frozen=True, slots=True)
class Extraction:
    """tar (extract mode), unzip, gunzip/xz/bunzip2: the archive it reads and where the files go."""

    command: Command
    tool: str
    archive: str  # "-" when read from stdin
    archive_word: Word | None
    destination: str | None  # tar -C, unzip -d
    removes_archive: bool  # gunzip, xz -d and bunzip2 delete the compressed file unless told to keep it


@dataclass(frozen=True, slots=True)
class ModelDownload:
    """A command that fetches model weights from a hub into the image."""

    command: Command
    tool: str  # huggingface-cli, hf, git, python
    repo_id: str | None
    local_dir: str | None


Classification: TypeAlias = PackageOperation | Download | Extraction | ModelDownload


def classify(
    command: Command,
    script: Script | None = None,
    *,
    env: Mapping[str, str] | None = None,
    home: str = "/root",
) -> Classification | None:
    """What ``command`` is, as far as installs, downloads and archives go; None for anything else.

    ``script`` (the command's own script) tells what reads a download's output; ``env`` is the
    environment in force (ENV/ARG), to which the command's ``FOO=bar`` prefixes are added; ``home``
    is the home of the user running it (``/root`` means root), unless ``env`` sets ``HOME``.
    """
    if not _may_classify(command.name):
        return None  # most commands of a RUN: no package manager, download or archive tool
    key = (id(command), id(script), _relevant(env), home)
    cached = _MEMO.get(key)
    if cached is not None:
        return cached[3]
    result = _classify(command, script, env, home)
    if len(_MEMO) > _MEMO_LIMIT:
        clear_memo()
    # The key's objects are kept alive with the result, so their ids cannot be reused meanwhile.
    _MEMO[key] = (command, script, env, result)
    return result


# Several rules ask about the same command; one lint run classifies each command once.
_MemoKey = tuple[int, int, tuple[tuple[str, str], ...], str]
_MEMO: dict[_MemoKey, tuple[object, object, object, Classification | None]] = {}
# The only environment variables classification reads (package managers' settings, HOME, XDG dirs).
_RELEVANT_PREFIXES = (
    "PIP_", "UV_", "POETRY_", "CONDA_", "MAMBA_", "NPM_", "YARN_", "PNPM_", "NODE_ENV", "HOME", "XDG_",
)  # fmt: skip


_MEMO_LIMIT = 20_000
# env object id -> (the env, its relevant items): rules pass the same State.env again and again.
_ENV_KEYS: dict[int, tuple[Mapping[str, str], tuple[tuple[str, str], ...]]] = {}


def _relevant(env: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if not env:
        return ()
    known = _ENV_KEYS.get(id(env))
    if known is not None and known[0] is env:
        return known[1]
    key = tuple(sorted((k, v) for k, v in env.items() if k.upper().startswith(_RELEVANT_PREFIXES)))
    _ENV_KEYS[id(env)] = (env, key)
    return key


def clear_memo() -> None:
    """Forget earlier classifications (the lint engine calls it between files)."""
    _MEMO.clear()
    _ENV_KEYS.clear()


def _classify(
    command: Command, script: Script | None, env: Mapping[str, str] | None, home: str
) -> Classification | None:
    tool, args = _resolve(command)
    handler = _HANDLERS.get(tool)
    if handler is None:
        return None
    environment: Mapping[str, str] = env or {}
    if command.assignments:  # `FOO=bar cmd` adds to the environment cmd sees
        environment = {**environment, **dict(command.assignments)}
    call = _Call(command, tool, args, environment, environment.get("HOME", home), home == "/root", script)
    result = handler(call)
    if isinstance(result, PackageOperation) and command.redirects:
        redirects = _specifier_redirects(result.packages, command.redirects)
        if redirects:
            result = replace(result, unquoted_specifier_redirects=redirects)
    return result


def removed_later(script: Script, path: str, after_offset: int) -> bool:
    """Whether an ``rm`` at or after ``after_offset`` removes ``path``: the path itself, a glob or a parent.

    Paths are compared as written (``./a.tgz`` is ``a.tgz``); a parent directory counts only for ``rm -r``.
    """
    target = posixpath.normpath(path)
    for command in script.commands:
        if command.start < after_offset or command.name != "rm":
            continue
        recursive = command.has_flag("-r", "-R", "--recursive")
        for word in command.positional():
            pattern = posixpath.normpath(word.text)
            if pattern == target or (word.dynamic and fnmatchcase(target, pattern)):
                return True
            if recursive and target.startswith(pattern.rstrip("/") + "/"):
                return True
    return False


# -- arguments ---------------------------------------------------------------------------------


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class _Args:
    """Arguments read getopt-style: positionals, and options in order with their values."""

    positionals: tuple[Word, ...]
    options: tuple[tuple[str, str | None, Word], ...]  # (option, value or None for a switch, word holding it)

    def has(self, *names: str) -> bool:
        return any(option in names for option, _, _ in self.options)

    def values(self, *names: str) -> tuple[str, ...]:
        return tuple(value for option, value, _ in self.options if option in names and value is not None)

    def last(self, *names: str) -> str | None:
        found = self.values(*names)
        return found[-1] if found else None

    def word(self, *names: str) -> Word | None:
        return next((word for option, _, word in self.options if option in names), None)


def _scan(words: Sequence[Word], takes_value: frozenset[str]) -> _Args:
    """Split ``words`` into positionals and options; ``takes_value`` names options that take a value."""
    positionals: list[Word] = []
    options: list[tuple[str, str | None, Word]] = []
    i = 0
    end_of_options = False
    while i < len(words):
        word = words[i]
        text = word.text
        i += 1
        # the program never sees quotes: "--index-url=…" is an option too
        if end_of_options or not text.startswith("-") or text == "-":
            positionals.append(word)
        elif text == "--":
            end_of_options = True
        elif text.startswith("--") or text in takes_value:
            name, equals, value = text.partition("=") if text.startswith("--") else (text, "", "")
            if equals:
                options.append((name, value, word))
            elif name in takes_value and i < len(words):
                options.append((name, words[i].text, words[i]))
                i += 1
            else:
                options.append((name, None, word))
        else:  # a bundle of short options; a value option takes the rest of the word or the next word
            for k, letter in enumerate(text[1:], start=2):
                name = "-" + letter
                if name not in takes_value:
                    options.append((name, None, word))
                    continue
                if k < len(text):
                    options.append((name, text[k:], word))
                elif i < len(words):
                    options.append((name, words[i].text, words[i]))
                    i += 1
                break
    return _Args(tuple(positionals), tuple(options))


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class _Call:
    command: Command
    tool: str  # pip for `python3 -m pip`, the command name otherwise
    args: tuple[Word, ...]
    env: Mapping[str, str]
    home: str
    root: bool
    script: Script | None

    def under_home(self, xdg: str, *parts: str) -> str:
        """``$XDG_…/parts`` when that variable is set, else the default location under the home."""
        return posixpath.join(self.env.get(xdg) or posixpath.join(self.home, _XDG_DEFAULTS[xdg]), *parts)


_XDG_DEFAULTS = {"XDG_CACHE_HOME": ".cache", "XDG_DATA_HOME": ".local/share"}


_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)*)?")
_PIP = re.compile(r"pip(?:\d+(?:\.\d+)*)?")
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W", "--check-hash-based-pycs"})


@lru_cache(maxsize=4096)
def _may_classify(name: str) -> bool:
    """A command of this name is a tool ``classify`` knows, or a python or pip that may run one."""
    return name in _HANDLERS or _PIP.fullmatch(name) is not None or _PYTHON.fullmatch(name) is not None


def _resolve(command: Command) -> tuple[str, tuple[Word, ...]]:
    """The tool a command runs and its arguments: ``python3 -m pip install x`` is pip with ``install x``."""
    name = command.name
    if _PIP.fullmatch(name):
        return "pip", command.args
    if _PYTHON.fullmatch(name):
        entry = _python_entry(command.args)
        if entry is not None and entry[0] in ("-m pip", "-m uv"):
            return entry[0].removeprefix("-m "), entry[1]
        if entry is not None and entry[0] == "-c":
            return "python -c", entry[1]
    return name, command.args


def _python_entry(args: Sequence[Word]) -> tuple[str, tuple[Word, ...]] | None:
    """``("-m MODULE", arguments after it)`` or ``("-c", (word holding the code,))`` for a python command line."""
    i = 0
    while i < len(args):
        word = args[i]
        text = word.text
        i += 1
        if not text.startswith("-") or text == "-":
            return None  # a script: python runs it, not a module
        if text in _PYTHON_VALUE_OPTIONS:
            i += 1
            continue
        if text.startswith("--"):
            continue
        for k, letter in enumerate(text[1:], start=2):
            if letter not in "mc":
                continue
            attached = k < len(text)  # -mpip, -c'code'
            if not attached and i >= len(args):
                return None
            value = word if attached else args[i]
            rest = args[i:] if attached else args[i + 1 :]
            if letter == "c":
                return "-c", (value,)
            return f"-m {text[k:] if attached else value.text}", tuple(rest)
    return None


# -- Python: pip, uv, poetry ------------------------------------------------------------------------

_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "--prefix",
        "--root", "--src", "--platform", "--python-version", "--implementation", "--abi", "--upgrade-strategy",
        "-C", "--config-settings", "--global-option", "--install-option", "-i", "--index-url",
        "--extra-index-url", "-f", "--find-links", "--no-binary", "--only-binary", "--progress-bar",
        "--root-user-action", "--report", "--trusted-host", "--cache-dir", "--log", "--proxy", "--retries",
        "--timeout", "--exists-action", "--cert", "--client-cert", "--python", "--keyring-provider",
        "--use-feature", "--use-deprecated", "--group", "-d", "--dest", "-w", "--wheel-dir", "--format",
    }
)  # fmt: skip
_UV_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "--requirements", "-c", "--constraint", "--constraints", "--override",
        "--overrides", "-b", "--build-constraint", "--build-constraints", "-e", "--editable", "-i",
        "--index-url", "--default-index", "--extra-index-url", "--index", "-f", "--find-links",
        "--index-strategy", "--keyring-provider", "-t", "--target", "--prefix", "-C", "--config-setting",
        "--config-settings", "--resolution", "--prerelease", "--exclude-newer", "--link-mode", "-p", "--python",
        "--python-version", "--python-platform", "--python-preference", "--no-binary", "--only-binary", "-P",
        "--upgrade-package", "--reinstall-package", "--refresh-package", "--no-build-isolation-package",
        "--extra", "--group", "--only-group", "--no-group", "--package", "--with", "--with-requirements",
        "--with-editable", "--from", "--no-install-package", "--torch-backend", "--cache-dir", "--directory",
        "--project", "--config-file", "--color", "--allow-insecure-host", "-o", "--output-file", "--script",
    }
)  # fmt: skip
_PIP_ACTIONS = {
    "install": Action.INSTALL,
    "uninstall": Action.REMOVE,
    "download": Action.DOWNLOAD,
    "wheel": Action.WHEEL,
}
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip", ".deb", ".rpm", ".apk")


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class _Operands:
    packages: tuple[PackageSpec, ...] = ()
    local_paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


def _is_url(text: str) -> bool:
    return "://" in text or text.startswith(("git+", "git@"))


def _is_path(text: str) -> bool:
    return text in (".", "..") or text.startswith(("./", "../", "/", "~")) or text.endswith(_ARCHIVE_SUFFIXES)


def _python_operands(words: Sequence[Word]) -> _Operands:
    """Requirements, local paths and URLs; arguments that are none of them (``$PKGS``) are left out."""
    packages: list[PackageSpec] = []
    paths: list[str] = []
    urls: list[str] = []
    for word in words:
        text = word.text
        requirement = parse_requirement(text)
        if requirement is not None and (requirement.url or not ("/" in text or text.endswith(_ARCHIVE_SUFFIXES))):
            specifier = f"@ {requirement.url}" if requirement.url else requirement.specifier
            packages.append(
                PackageSpec(
                    word, requirement.name, specifier, requirement.extras, requirement.marker, requirement.pinned
                )
            )
        elif _is_url(text):
            from_url = requirement_from_url(text)
            if from_url is None:
                urls.append(text)
            else:
                packages.append(PackageSpec(word, from_url.name, f"@ {text}", pinned=from_url.pinned))
        elif _is_path(text) or "/" in text:
            paths.append(text)
    return _Operands(tuple(packages), tuple(paths), tuple(urls))


def _env_list(env: Mapping[str, str], *names: str) -> tuple[str, ...]:
    """Whitespace-separated values of environment variables, as pip and uv read them."""
    return tuple(value for name in names for value in env.get(name, "").split())


def _pip(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _PIP_VALUE_OPTIONS)
    if not args.positionals:
        return None
    subcommand = args.positionals[0].text
    operands = _python_operands(args.positionals[1:])
    action = _PIP_ACTIONS.get(subcommand)
    if subcommand == "cache" and len(args.positionals) > 1 and args.positionals[1].text in ("purge", "remove"):
        action, operands = Action.CLEAN, _Operands()
    if action is None:
        return None
    env = call.env
    no_cache_env = "PIP_NO_CACHE_DIR" if env.get("PIP_NO_CACHE_DIR") else None  # pip: any value disables it
    cache_dir = args.last("--cache-dir") or env.get("PIP_CACHE_DIR") or call.under_home("XDG_CACHE_HOME", "pip")
    return PackageOperation(
        call.command,
        "pip",
        action,
        packages=operands.packages,
        requirement_files=args.values("-r", "--requirement"),
        constraint_files=args.values("-c", "--constraint") + _env_list(env, "PIP_CONSTRAINT"),
        editable=args.values("-e", "--editable"),
        local_paths=operands.local_paths,
        urls=operands.urls,
        index_url=args.last("-i", "--index-url") or env.get("PIP_INDEX_URL"),
        extra_index_urls=args.values("--extra-index-url") + _env_list(env, "PIP_EXTRA_INDEX_URL"),
        find_links=args.values("-f", "--find-links") + _env_list(env, "PIP_FIND_LINKS"),
        trusted_hosts=args.values("--trusted-host") + _env_list(env, "PIP_TRUSTED_HOST"),
        flags=_flags(
            args,
            {
                Flag.USER: ("--user",),
                Flag.UPGRADE: ("-U", "--upgrade"),
                Flag.NO_DEPS: ("--no-deps",),
                Flag.BREAK_SYSTEM_PACKAGES: ("--break-system-packages",),
                Flag.NO_INDEX: ("--no-index",),
                Flag.ASSUME_YES: ("-y", "--yes"),
            },
        ),
        target=args.last("-t", "--target"),
        prefix=args.last("--prefix"),
        # optparse accepts an unambiguous prefix, and `--no-cache` is a common spelling of --no-cache-dir
        no_cache_flag=args.word("--no-cache-dir", "--no-cache"),
        no_cache_env=no_cache_env,
        cache_dirs=(cache_dir,),
    )


def _flags(args: _Args, spellings: Mapping[Flag, tuple[str, ...]]) -> frozenset[Flag]:
    return frozenset(flag for flag, names in spellings.items() if args.has(*names))


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})


def _uv(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _UV_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    operands = _Operands()
    requirement_files = args.values("-r", "--requirement", "--requirements")
    manifests: tuple[str, ...] = ()
    match words[:2]:
        case ["pip", "install", *_]:
            action = Action.INSTALL
            operands = _python_operands(args.positionals[2:])
        case ["pip", "sync", *_]:
            action = Action.SYNC
            requirement_files += tuple(words[2:])
        case ["pip", "uninstall", *_]:
            action = Action.REMOVE
            operands = _python_operands(args.positionals[2:])
        case ["sync", *_]:
            action = Action.SYNC
            project = args.last("--directory", "--project") or ""
            manifests = (posixpath.join(project, "pyproject.toml"), posixpath.join(project, "uv.lock"))
        case ["add", *_]:
            action = Action.INSTALL
            operands = _python_operands(args.positionals[1:])
        case ["tool", "install"]:
            action = Action.INSTALL
            operands = _python_operands(args.positionals[2:])
        case ["cache", "clean" | "prune"]:
            action = Action.CLEAN
        case _:
            return None
    env = call.env
    no_cache_env = "UV_NO_CACHE" if env.get("UV_NO_CACHE", "").lower() in _TRUE else None
    cache_dir = args.last("--cache-dir") or env.get("UV_CACHE_DIR") or call.under_home("XDG_CACHE_HOME", "uv")
    indexes = args.values("--extra-index-url", "--index") + _env_list(env, "UV_INDEX", "UV_EXTRA_INDEX_URL")
    return PackageOperation(
        call.command,
        "uv",
        action,
        packages=operands.packages,
        requirement_files=requirement_files,
        constraint_files=args.values("-c", "--constraint", "--constraints") + _env_list(env, "UV_CONSTRAINT"),
        manifests=manifests,
        editable=args.values("-e", "--editable"),
        local_paths=operands.local_paths,
        urls=operands.urls,
        index_url=args.last("-i", "--index-url", "--default-index")
        or env.get("UV_DEFAULT_INDEX")
        or env.get("UV_INDEX_URL"),
        # `--index name=https://…` names an index
        extra_index_urls=tuple(_index_url(value) for value in indexes),
        find_links=args.values("-f", "--find-links") + _env_list(env, "UV_FIND_LINKS"),
        trusted_hosts=args.values("--allow-insecure-host") + _env_list(env, "UV_INSECURE_HOST"),
        flags=_flags(
            args,
            {
                Flag.SYSTEM: ("--system",),
                Flag.UPGRADE: ("-U", "--upgrade"),
                Flag.NO_DEPS: ("--no-deps",),
                Flag.BREAK_SYSTEM_PACKAGES: ("--break-system-packages",),
                Flag.NO_INDEX: ("--no-index",),
                Flag.NO_DEV: ("--no-dev",),
                Flag.NO_ROOT: ("--no-install-project",),
                Flag.LOCKED: ("--locked", "--frozen"),
            },
        ),
        target=args.last("-t", "--target"),
        prefix=args.last("--prefix"),
        no_cache_flag=args.word("--no-cache", "-n"),
        no_cache_env=no_cache_env,
        cache_dirs=(cache_dir,),
    )


def _index_url(value: str) -> str:
    name, equals, url = value.partition("=")
    return url if equals and "://" not in name else value


_POETRY_VALUE_OPTIONS = frozenset(
    {
        "-C", "--directory", "-P", "--project", "--only", "--with", "--without", "-E", "--extras", "-G",
        "--group", "--source", "--python", "--platform", "--markers",
    }
)  # fmt: skip
_POETRY_ACTIONS = {
    "install": Action.INSTALL,
    "sync": Action.SYNC,
    "add": Action.INSTALL,
    "remove": Action.REMOVE,
    "update": Action.UPGRADE,
}
_POETRY_SPEC = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?@(?P<constraint>\S+)")
_BARE_VERSION = re.compile(r"=?=?v?\d+(?:\.\d+)*")


def _poetry(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _POETRY_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    if words[:2] == ["cache", "clear"]:
        action = Action.CLEAN
    elif words and words[0] in _POETRY_ACTIONS:
        action = _POETRY_ACTIONS[words[0]]
    else:
        return None
    operands = _Operands()
    if words[0] in ("add", "remove"):
        operands = _poetry_operands(args.positionals[1:])
    manifests: tuple[str, ...] = ()
    if action in (Action.INSTALL, Action.SYNC) and words[0] != "add":
        project = args.last("-C", "--directory", "-P", "--project") or ""
        manifests = (posixpath.join(project, "pyproject.toml"), posixpath.join(project, "poetry.lock"))
    groups_left_out = {g.strip() for value in args.values("--without") for g in value.split(",")}
    only = {g.strip() for value in args.values("--only") for g in value.split(",")}
    flags = _flags(args, {Flag.NO_ROOT: ("--no-root",), Flag.ASSUME_YES: ("-n", "--no-interaction")})
    if "dev" in groups_left_out or (only and "dev" not in only) or args.has("--no-dev"):
        flags |= {Flag.NO_DEV}
    cache = call.env.get("POETRY_CACHE_DIR") or call.under_home("XDG_CACHE_HOME", "pypoetry")
    return PackageOperation(
        call.command,
        "poetry",
        action,
        packages=operands.packages,
        manifests=manifests,
        editable=operands.local_paths if args.has("-e", "--editable") else (),
        local_paths=operands.local_paths,
        urls=operands.urls,
        flags=flags,
        no_cache_flag=args.word("--no-cache"),
        cache_dirs=(cache,),
    )


def _poetry_operands(words: Sequence[Word]) -> _Operands:
    """``name@^1.2`` (poetry's own form) besides what pip accepts."""
    packages: list[PackageSpec] = []
    rest: list[Word] = []
    for word in words:
        match = _POETRY_SPEC.fullmatch(word.text)
        if match is None or _is_url(word.text):
            rest.append(word)
            continue
        extras = tuple(canonical_name(e.strip()) for e in (match["extras"] or "").split(",") if e.strip())
        constraint = match["constraint"]
        pinned = bool(_BARE_VERSION.fullmatch(constraint))
        packages.append(PackageSpec(word, canonical_name(match["name"]), "@" + constraint, extras, pinned=pinned))
    others = _python_operands(rest)
    return _Operands(tuple(packages) + others.packages, others.local_paths, others.urls)


# -- conda, mamba, micromamba -------------------------------------------------------------------------

_CONDA_VALUE_OPTIONS = frozenset(
    {
        "-c", "--channel", "-n", "--name", "-p", "--prefix", "-f", "--file", "--solver", "-r",
        "--root-prefix", "--platform", "--subdir", "--repodata-fn", "--revision", "--channel-priority",
        "--experimental-solver", "--category",
    }
)  # fmt: skip
_CONDA_ACTIONS = {
    "install": Action.INSTALL,
    "create": Action.INSTALL,
    "update": Action.UPGRADE,
    "upgrade": Action.UPGRADE,
    "remove": Action.REMOVE,
    "uninstall": Action.REMOVE,
}
_CONDA_SPEC = re.compile(r"(?:[\w./:-]+::)?(?P<name>[A-Za-z0-9_][\w.-]*)(?P<spec>.*)", re.DOTALL)
_CONDA_PIN = re.compile(r"\s*==?\s*[^*,|<>!=\s]+(?:=\S+)?\s*")


def _conda(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _CONDA_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    if words[:2] in (["env", "create"], ["env", "update"]):
        action, operands = Action.INSTALL, args.positionals[2:]
    elif words[:1] == ["clean"]:
        args = _scan(call.args, frozenset())  # `clean -p` is --packages, not --prefix
        action, operands = Action.CLEAN, ()
    elif words and words[0] in _CONDA_ACTIONS:
        action, operands = _CONDA_ACTIONS[words[0]], args.positionals[1:]
    else:
        return None
    env = call.env
    if env.get("CONDA_PKGS_DIRS"):
        cache_dirs = tuple(d.strip() for d in env["CONDA_PKGS_DIRS"].split(",") if d.strip())
    else:
        root = args.last("-r", "--root-prefix") or (env.get("MAMBA_ROOT_PREFIX") if call.tool != "conda" else None)
        cache_dirs = (posixpath.join(root or "/opt/conda", "pkgs"),)
    if action is Action.CLEAN and not args.has("-a", "--all", "-p", "--packages", "-t", "--tarballs", "-f"):
        cache_dirs = ()  # only the index cache or locks
    packages = []
    for word in operands:
        match = _CONDA_SPEC.fullmatch(word.text)
        if match is None or word.text.startswith(("$", "/", ".")):
            continue
        spec = match["spec"].strip()
        packages.append(PackageSpec(word, match["name"].lower(), spec, pinned=bool(_CONDA_PIN.fullmatch(spec))))
    return PackageOperation(
        call.command,
        "conda",
        action,
        packages=tuple(packages),
        requirement_files=args.values("-f", "--file") if action is not Action.CLEAN else (),
        extra_index_urls=args.values("-c", "--channel"),
        flags=_flags(args, {Flag.ASSUME_YES: ("-y", "--yes")}),
        prefix=args.last("-p", "--prefix") if action is not Action.CLEAN else None,
        cache_dirs=cache_dirs,
    )


# -- system packages: apt, apk, dnf/yum/microdnf, zypper -----------------------------------------------------

_APT_VALUE_OPTIONS = frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release"})
_APT_ACTIONS = {
    "install": Action.INSTALL,
    "reinstall": Action.INSTALL,
    "build-dep": Action.INSTALL,
    "update": Action.UPDATE,
    "upgrade": Action.UPGRADE,
    "dist-upgrade": Action.UPGRADE,
    "full-upgrade": Action.UPGRADE,
    "remove": Action.REMOVE,
    "purge": Action.REMOVE,
    "autoremove": Action.REMOVE,
    "autopurge": Action.REMOVE,
    "clean": Action.CLEAN,
    "autoclean": Action.CLEAN,
    "download": Action.DOWNLOAD,
}
_APT_SPEC = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9+.-]*)(?::[a-z0-9-]+)?(?P<spec>[=/].+)?")


def _apt(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _APT_VALUE_OPTIONS)
    if not args.positionals or args.positionals[0].text not in _APT_ACTIONS:
        return None
    action = _APT_ACTIONS[args.positionals[0].text]
    options = [value.lower().replace(" ", "") for value in args.values("-o", "--option")]
    flags = _flags(args, {Flag.ASSUME_YES: ("-y", "--yes", "--assume-yes")})
    if _quiet_level(call.args) >= 2 or any(
        o in ("apt::get::assume-yes=true", "apt::get::assume-yes=1") for o in options
    ):
        flags |= {Flag.ASSUME_YES}  # quiet level 2 implies -y
    if args.has("--no-install-recommends") or any(
        o in ("apt::install-recommends=false", "apt::install-recommends=0") for o in options
    ):
        flags |= {Flag.NO_INSTALL_RECOMMENDS}
    packages, paths = _system_operands(args.positionals[1:], _APT_SPEC, lambda spec: spec.startswith("="))
    return PackageOperation(
        call.command,
        "apt",
        action,
        packages=tuple(_lower_name(p) for p in packages),
        local_paths=paths,
        flags=flags,
        cache_dirs=("/var/cache/apt",) if action is Action.CLEAN else ("/var/cache/apt", "/var/lib/apt"),
    )


def _lower_name(spec: PackageSpec) -> PackageSpec:
    if spec.name.islower():
        return spec
    return PackageSpec(spec.word, spec.name.lower(), spec.specifier, spec.extras, spec.marker, spec.pinned)


_QUIET_VALUE = re.compile(r"(?:-q|--quiet)=(\d)")
_SHORT_BUNDLE = re.compile(r"-[A-Za-z]+")


def _quiet_level(words: Sequence[Word]) -> int:
    level = 0
    for word in words:
        if (explicit := _QUIET_VALUE.fullmatch(word.text)) is not None:
            level += int(explicit[1])
        elif _SHORT_BUNDLE.fullmatch(word.text):
            level += word.text.count("q")
        elif word.text == "--quiet":
            level += 1
    return level


def _system_operands(
    words: Sequence[Word], pattern: re.Pattern[str], is_pinned: Callable[[str], bool]
) -> tuple[list[PackageSpec], tuple[str, ...]]:
    """Package specs matching ``pattern`` (groups ``name`` and ``spec``) and local package files."""
    packages: list[PackageSpec] = []
    paths: list[str] = []
    for word in words:
        if _is_path(word.text):
            paths.append(word.text)
            continue
        match = pattern.fullmatch(word.text)
        if match is not None:
            spec = match["spec"] or ""
            packages.append(PackageSpec(word, match["name"], spec, pinned=is_pinned(spec)))
    return packages, tuple(paths)


_APK_VALUE_OPTIONS = frozenset(
    {
        "-t", "--virtual", "-X", "--repository", "--repositories-file", "-p", "--root", "--arch",
        "--cache-dir", "--keys-dir", "--cache-max-age", "--timeout",
    }
)  # fmt: skip
_APK_ACTIONS = {
    "add": Action.INSTALL,
    "del": Action.REMOVE,
    "update": Action.UPDATE,
    "upgrade": Action.UPGRADE,
    "fetch": Action.DOWNLOAD,
}
_APK_SPEC = re.compile(r"(?P<name>[A-Za-z0-9.][\w+.-]*?)(?P<spec>(?:@[\w-]+)?(?:[=~<>].*)?)")


def _apk(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _APK_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    if words[:2] in (["cache", "clean"], ["cache", "purge"]):
        action = Action.CLEAN
    elif words and words[0] in _APK_ACTIONS:
        action = _APK_ACTIONS[words[0]]
    else:
        return None
    operands = args.positionals[1:] if action is not Action.CLEAN else ()
    packages, paths = _system_operands(operands, _APK_SPEC, lambda spec: re.sub(r"^@[\w-]+", "", spec)[:1] == "=")
    return PackageOperation(
        call.command,
        "apk",
        action,
        packages=tuple(packages),
        local_paths=paths,
        extra_index_urls=args.values("-X", "--repository"),
        virtual=args.last("-t", "--virtual"),
        no_cache_flag=args.word("--no-cache"),
        cache_dirs=(args.last("--cache-dir") or "/var/cache/apk",),
    )


_RPM_VALUE_OPTIONS = frozenset(
    {
        "--setopt", "--enablerepo", "--disablerepo", "--repo", "--repoid", "--releasever", "--installroot",
        "-x", "--exclude", "-c", "--config", "--forcearch", "--downloaddir", "--destdir", "-e", "--errorlevel",
        "-d", "--debuglevel", "--rpmverbosity", "--color", "--comment",
    }
)  # fmt: skip
_RPM_ACTIONS = {
    "install": Action.INSTALL,
    "in": Action.INSTALL,
    "localinstall": Action.INSTALL,
    "reinstall": Action.INSTALL,
    "groupinstall": Action.INSTALL,
    "remove": Action.REMOVE,
    "erase": Action.REMOVE,
    "autoremove": Action.REMOVE,
    "update": Action.UPGRADE,
    "upgrade": Action.UPGRADE,
    "distro-sync": Action.UPGRADE,
    "makecache": Action.UPDATE,
    "clean": Action.CLEAN,
    "download": Action.DOWNLOAD,
}
# name-version[-release]: the version must have a dot, so `java-11-openjdk` stays a name
_RPM_SPEC = re.compile(r"(?P<name>[A-Za-z0-9_][\w+.-]*?)(?P<spec>-\d+(?:\.[\w~^+]+)+(?:-[\w.~^+]+)?)?")
_RPM_CACHES = {
    "dnf": ("/var/cache/dnf",),
    "yum": ("/var/cache/yum", "/var/cache/dnf"),  # yum is dnf on RHEL 8 and later
    "microdnf": ("/var/cache/yum",),
}


def _rpm(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _RPM_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    operands = args.positionals[1:]
    if words[:2] in (["group", "install"], ["groups", "install"], ["module", "install"]):
        operands = args.positionals[2:]
        words = ["install"]
    if not words or words[0] not in _RPM_ACTIONS:
        return None
    action = _RPM_ACTIONS[words[0]]
    cache_dirs = _RPM_CACHES[call.tool]
    if action is Action.CLEAN:
        cache_dirs = cache_dirs if "all" in (w.text for w in operands) else ()
        operands = ()
    flags = _flags(args, {Flag.ASSUME_YES: ("-y", "--assumeyes")})
    weak_deps = [v.replace(" ", "").lower() for v in args.values("--setopt") if v.startswith("install_weak_deps")]
    if any(v.endswith(("=false", "=0", "=no")) for v in weak_deps):
        flags |= {Flag.NO_INSTALL_RECOMMENDS}
    packages, paths = _system_operands(operands, _RPM_SPEC, bool)
    return PackageOperation(
        call.command,
        call.tool,
        action,
        packages=tuple(packages),
        local_paths=paths,
        flags=flags,
        cache_dirs=cache_dirs,
    )


_ZYPPER_GLOBAL_VALUE_OPTIONS = frozenset({"-R", "--root", "-c", "--config", "-D", "--reposd-dir", "-C", "--cache-dir"})
_ZYPPER_VALUE_OPTIONS = frozenset({"-r", "--repo", "--from", "-t", "--type", "--download"})
_ZYPPER_ACTIONS = {
    "install": Action.INSTALL,
    "in": Action.INSTALL,
    "source-install": Action.INSTALL,
    "si": Action.INSTALL,
    "remove": Action.REMOVE,
    "rm": Action.REMOVE,
    "update": Action.UPGRADE,
    "up": Action.UPGRADE,
    "dist-upgrade": Action.UPGRADE,
    "dup": Action.UPGRADE,
    "patch": Action.UPGRADE,
    "refresh": Action.UPDATE,
    "ref": Action.UPDATE,
    "clean": Action.CLEAN,
    "cc": Action.CLEAN,
    "download": Action.DOWNLOAD,
}
_ZYPPER_SPEC = re.compile(r"(?P<name>[A-Za-z0-9_][\w+.-]*?)(?P<spec>(?:[=<>]|>=|<=).+)?")


def _zypper(call: _Call) -> PackageOperation | None:
    # options before the subcommand are global: there `-n` is --non-interactive
    top = _scan(call.args, _ZYPPER_GLOBAL_VALUE_OPTIONS)
    if not top.positionals or top.positionals[0].text not in _ZYPPER_ACTIONS:
        return None
    subcommand = top.positionals[0]
    split = call.args.index(subcommand)
    global_args = _scan(call.args[:split], _ZYPPER_GLOBAL_VALUE_OPTIONS)
    args = _scan(call.args[split + 1 :], _ZYPPER_VALUE_OPTIONS)
    flags = _flags(args, {Flag.ASSUME_YES: ("-y", "--no-confirm"), Flag.NO_INSTALL_RECOMMENDS: ("--no-recommends",)})
    if global_args.has("-n", "--non-interactive"):
        flags |= {Flag.ASSUME_YES}
    action = _ZYPPER_ACTIONS[subcommand.text]
    operands = args.positionals if action is not Action.CLEAN else ()
    packages, paths = _system_operands(operands, _ZYPPER_SPEC, lambda spec: spec.startswith("=") and "*" not in spec)
    return PackageOperation(
        call.command,
        "zypper",
        action,
        packages=tuple(packages),
        local_paths=paths,
        flags=flags,
        cache_dirs=(global_args.last("-C", "--cache-dir") or "/var/cache/zypp",),
    )


# -- JavaScript: npm, yarn, pnpm ---------------------------------------------------------------------------

_NPM_VALUE_OPTIONS = frozenset(
    {
        "--registry", "--prefix", "-C", "--cache", "--omit", "--include", "--only", "-w", "--workspace",
        "--tag", "--userconfig", "--globalconfig", "--loglevel", "--install-strategy", "--before",
        "--fetch-retries", "--fetch-timeout", "--audit-level", "--location", "--script-shell",
        "--cache-folder", "--cwd", "--modules-folder", "--network-timeout", "--mutex", "--global-folder",
        "--store-dir", "--dir", "-F", "--filter", "--reporter", "--network-concurrency", "--virtual-store-dir",
    }
)  # fmt: skip
_NPM_INSTALL = frozenset({"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "add"})
_NPM_CLEAN_INSTALL = frozenset({"ci", "clean-install", "ic", "install-clean", "isntall-clean"})
_NPM_REMOVE = frozenset({"uninstall", "unlink", "remove", "rm", "r", "un"})
_NPM_UPGRADE = frozenset({"update", "up", "upgrade", "udpate"})
_NPM_SPEC = re.compile(r"(?P<name>(?:@[\w.-]+/)?[\w.-]+)(?P<spec>@.*)?")
_SEMVER = re.compile(r"@[=v]?\d+\.\d+\.\d+(?:-[\w.-]+)?(?:\+[\w.-]+)?")
_LOCKS = {"npm": "package-lock.json", "yarn": "yarn.lock", "pnpm": "pnpm-lock.yaml"}


def _javascript(call: _Call) -> PackageOperation | None:
    args = _scan(call.args, _NPM_VALUE_OPTIONS)
    words = [w.text for w in args.positionals]
    tool = call.tool
    flags = _flags(
        args,
        {
            Flag.GLOBAL: ("-g", "--global"),
            Flag.LOCKED: ("--frozen-lockfile", "--immutable"),
            Flag.NO_DEV: ("--production", "--prod"),
        },
    )
    operands = args.positionals[1:]
    if tool == "yarn" and words[:2] == ["global", "add"]:
        flags |= {Flag.GLOBAL}
        words, operands = ["add"], args.positionals[2:]
    if words[:2] in (["cache", "clean"], ["store", "prune"]):
        action = Action.CLEAN
        operands = ()
    elif not words and tool == "yarn":
        action = Action.INSTALL  # a bare `yarn` installs
    elif not words:
        return None
    elif words[0] in _NPM_CLEAN_INSTALL and tool == "npm":
        action = Action.INSTALL
        flags |= {Flag.LOCKED}
    elif words[0] in _NPM_INSTALL:
        action = Action.INSTALL
    elif words[0] in _NPM_REMOVE:
        action = Action.REMOVE
    elif words[0] in _NPM_UPGRADE:
        action = Action.UPGRADE
    elif words[0] == "fetch" and tool == "pnpm":
        action = Action.DOWNLOAD
    else:
        return None
    packages, paths, urls = _javascript_operands(operands)
    project_install = action in (Action.INSTALL, Action.DOWNLOAD) and not (packages or paths or urls)
    if (
        "dev" in {v for value in args.values("--omit") for v in value.split(",")}
        or args.last("--only") in ("prod", "production")
        or (tool == "pnpm" and project_install and args.has("-P"))  # `pnpm add -P` is --save-prod
        or (call.env.get("NODE_ENV") == "production" and project_install)
    ):
        flags |= {Flag.NO_DEV}
    if args.last("--location") == "global":
        flags |= {Flag.GLOBAL}
    manifests: tuple[str, ...] = ()
    if project_install:
        project = args.last("--prefix", "-C", "--cwd", "--dir") or ""
        manifests = tuple(posixpath.join(project, name) for name in ("package.json", _LOCKS[tool]))
    return PackageOperation(
        call.command,
        tool,
        action,
        packages=packages,
        manifests=manifests,
        local_paths=paths,
        urls=urls,
        index_url=args.last("--registry"),
        flags=flags,
        prefix=args.last("--prefix") if tool == "npm" else None,
        cache_dirs=(_javascript_cache(call, args),),
    )


def _javascript_cache(call: _Call, args: _Args) -> str:
    env = {name.lower(): value for name, value in call.env.items()}  # npm reads npm_config_* in any case
    if call.tool == "npm":
        return args.last("--cache") or env.get("npm_config_cache") or posixpath.join(call.home, ".npm")
    if call.tool == "yarn":
        # yarn v1 keeps root's cache outside the home
        default = "/usr/local/share/.cache/yarn" if call.root else call.under_home("XDG_CACHE_HOME", "yarn")
        return args.last("--cache-folder") or call.env.get("YARN_CACHE_FOLDER") or default
    pnpm_home = call.env.get("PNPM_HOME")
    default = posixpath.join(pnpm_home, "store") if pnpm_home else call.under_home("XDG_DATA_HOME", "pnpm", "store")
    return args.last("--store-dir") or env.get("npm_config_store_dir") or default


def _javascript_operands(words: Sequence[Word]) -> tuple[tuple[PackageSpec, ...], tuple[str, ...], tuple[str, ...]]:
    packages: list[PackageSpec] = []
    paths: list[str] = []
    urls: list[str] = []
    for word in words:
        text = word.text
        if _is_url(text) or text.startswith(("github:", "gitlab:", "bitbucket:")):
            urls.append(text)
        elif _is_path(text) or text.startswith("file:"):
            paths.append(text)
        elif "/" in text and not text.startswith("@"):
            urls.append(text)  # user/repo on GitHub
        elif (match := _NPM_SPEC.fullmatch(text)) is not None:
            spec = match["spec"] or ""
            packages.append(PackageSpec(word, match["name"], spec, pinned=bool(_SEMVER.fullmatch(spec))))
    return tuple(packages), tuple(paths), tuple(urls)


# -- downloads, archives, models ----------------------------------------------------------------------------

_CURL_VALUE_OPTIONS = frozenset(
    {
        "-o", "--output", "--output-dir", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
        "--data-urlencode", "--data-ascii", "--json", "-F", "--form", "--form-string", "-u", "--user", "-U",
        "--proxy-user", "-A", "--user-agent", "-e", "--referer", "-X", "--request", "-w", "--write-out", "-m",
        "--max-time", "--connect-timeout", "--retry", "--retry-delay", "--retry-max-time", "-x", "--proxy",
        "--noproxy", "-T", "--upload-file", "-b", "--cookie", "-c", "--cookie-jar", "--cacert", "--capath", "-E",
        "--cert", "--cert-type", "--key", "--key-type", "--pass", "-K", "--config", "-r", "--range", "-C",
        "--continue-at", "-y", "--speed-time", "-Y", "--speed-limit", "-z", "--time-cond", "--limit-rate",
        "--max-filesize", "--max-redirs", "--resolve", "--connect-to", "--url", "--proto", "--proto-default",
        "--proto-redir", "--ciphers", "--interface", "--dns-servers", "-D", "--dump-header", "--trace",
        "--trace-ascii", "--stderr", "-Q", "--quote", "-t", "--telnet-option", "--local-port", "-P",
        "--ftp-port", "--mail-from", "--mail-rcpt", "--unix-socket", "--oauth2-bearer", "--variable",
        "--etag-save", "--etag-compare", "--pinnedpubkey", "--netrc-file", "--doh-url", "--proxy-header",
        "--socks5", "--socks5-hostname", "--preproxy", "--crlfile", "--tls-max", "--aws-sigv4", "--parallel-max",
    }
)  # fmt: skip
_WGET_VALUE_OPTIONS = frozenset(
    {
        "-O", "--output-document", "-o", "--output-file", "-a", "--append-output", "-P", "--directory-prefix",
        "-t", "--tries", "-T", "--timeout", "--dns-timeout", "--connect-timeout", "--read-timeout", "-w",
        "--wait", "--waitretry", "-U", "--user-agent", "--header", "--user", "--password", "--http-user",
        "--http-password", "--ftp-user", "--ftp-password", "--proxy-user", "--proxy-password", "-e",
        "--execute", "-i", "--input-file", "-B", "--base", "--post-data", "--post-file", "--body-data",
        "--body-file", "--method", "--limit-rate", "-Q", "--quota", "--progress", "--ca-certificate",
        "--ca-directory", "--certificate", "--certificate-type", "--private-key", "--private-key-type",
        "--bind-address", "-l", "--level", "-A", "--accept", "-R", "--reject", "-D", "--domains",
        "--exclude-domains", "-X", "--exclude-directories", "-I", "--include-directories", "--referer",
        "--load-cookies", "--save-cookies", "--secure-protocol", "--cut-dirs", "--default-page",
        "--restrict-file-names", "--local-encoding", "--remote-encoding", "--max-redirect", "--config",
    }
)  # fmt: skip


def _basename(url: str) -> str:
    return posixpath.basename(urlsplit(url).path)


def _curl(call: _Call) -> Download:
    args = _scan(call.args, _CURL_VALUE_OPTIONS)
    urls = tuple(w.text for w in args.positionals) + args.values("--url")
    directory = args.last("--output-dir")
    # each -o/-O names the output of the next URL in order; --remote-name-all gives the rest their own name
    specs = [value for option, value, _ in args.options if option in ("-o", "--output", "-O", "--remote-name")]
    outputs: list[str] = []
    for index, url in enumerate(urls):
        spec = specs[index] if index < len(specs) else ("" if args.has("--remote-name-all") else "-")
        name = spec or _basename(url)  # a switch (-O) has no value: the URL's own name
        if name != "-":
            outputs.append(posixpath.join(directory, name) if directory else name)
    return Download(
        call.command,
        "curl",
        urls,
        tuple(outputs) + _stdout_files(call.command),
        _reader(call),
        args.has("-k", "--insecure"),
    )


def _wget(call: _Call) -> Download:
    args = _scan(call.args, _WGET_VALUE_OPTIONS)
    urls = tuple(w.text for w in args.positionals)
    document = args.last("-O", "--output-document")
    directory = args.last("-P", "--directory-prefix")
    if document is not None:
        outputs: tuple[str, ...] = () if document == "-" else (document,)
    else:
        outputs = tuple(posixpath.join(directory or "", _basename(url) or "index.html") for url in urls)
    outputs += _stdout_files(call.command)
    return Download(call.command, "wget", urls, outputs, _reader(call), args.has("--no-check-certificate"))


def _stdout_files(command: Command) -> tuple[str, ...]:
    """Files the shell writes the command's output to: ``curl -fsSL URL > get.sh``."""
    return tuple(r.target.text for r in command.redirects if r.operator in (">", ">>") and r.target is not None)


def _reader(call: _Call) -> str | None:
    """The command that reads a download's output: the next one in its pipeline, or one running `<(…)`/`$(…)`."""
    script, command = call.script, call.command
    if script is None:
        return None
    for other in script.commands:
        if other is command:
            continue
        if any(w.dynamic and w.start <= command.start and command.end <= w.end for w in other.args):
            return other.name
    if not command.in_pipeline:
        return None
    following = [c for c in script.commands if c.start >= command.end]
    if not following:
        return None
    receiver = min(following, key=lambda c: c.start)
    return receiver.name if receiver.in_pipeline and receiver.pipeline_index == command.pipeline_index + 1 else None


_TAR_VALUE_OPTIONS = frozenset(
    {
        "-f", "--file", "-C", "--directory", "-T", "--files-from", "-X", "--exclude-from", "-b",
        "--blocking-factor", "-H", "--format", "-I", "--use-compress-program", "-g", "--listed-incremental",
        "-K", "--starting-file", "-N", "--newer", "-V", "--label", "--owner", "--group", "--mode",
        "--transform", "--xform", "--exclude", "--strip-components", "--to-command", "--checkpoint-action",
    }
)  # fmt: skip
_DECOMPRESSORS = {"gunzip": "gzip", "unxz": "xz", "bunzip2": "bzip2"}


def _tar(call: _Call) -> Extraction | None:
    words = call.args
    if words and not words[0].text.startswith("-") and words[0].text.isalpha():
        # old style `tar xzf a.tgz`: the letters are options, their values follow in order
        letters = words[0].text
        bundle = Word("-" + letters, words[0].raw, words[0].start, words[0].end)
        values = words[1 : 1 + sum(1 for c in letters if "-" + c in _TAR_VALUE_OPTIONS)]
        rest = _scan(words[1 + len(values) :], _TAR_VALUE_OPTIONS)
        old = _old_style(bundle, values)
        args = _Args(rest.positionals, old + rest.options)
    else:
        args = _scan(words, _TAR_VALUE_OPTIONS)
    if not args.has("-x", "--extract", "--get"):
        return None
    archive = args.last("-f", "--file") or "-"
    archive_word = next((w for option, _, w in reversed(args.options) if option in ("-f", "--file")), None)
    return Extraction(call.command, "tar", archive, archive_word, args.last("-C", "--directory"), False)


def _old_style(bundle: Word, values: Sequence[Word]) -> tuple[tuple[str, str | None, Word], ...]:
    options: list[tuple[str, str | None, Word]] = []
    pending = list(values)
    for letter in bundle.text[1:]:
        name = "-" + letter
        if name in _TAR_VALUE_OPTIONS and pending:
            value = pending.pop(0)
            options.append((name, value.text, value))
        else:
            options.append((name, None, bundle))
    return tuple(options)


def _unzip(call: _Call) -> Extraction | None:
    args = _scan(call.args, frozenset({"-d", "-P", "-x"}))
    if not args.positionals:
        return None
    archive = args.positionals[0]
    return Extraction(call.command, "unzip", archive.text, archive, args.last("-d"), False)


def _decompress(call: _Call) -> Extraction | None:
    args = _scan(call.args, frozenset({"-S", "--suffix", "-T", "--threads", "-F", "--format", "-M", "--memlimit"}))
    tool = _DECOMPRESSORS.get(call.tool, call.tool)
    if call.tool not in _DECOMPRESSORS and not args.has("-d", "--decompress", "--uncompress"):
        return None
    if not args.positionals:
        return None
    archive = args.positionals[0]
    keeps = args.has("-k", "--keep", "-c", "--stdout", "--to-stdout")
    return Extraction(call.command, tool, archive.text, archive, None, not keeps)


_HF_VALUE_OPTIONS = frozenset(
    {
        "--repo-type", "--revision", "--include", "--exclude", "--local-dir", "--cache-dir", "--token",
        "--max-workers", "--local-dir-use-symlinks",
    }
)  # fmt: skip
_MODEL_CALL = re.compile(
    r"\b(?:snapshot_download|hf_hub_download|from_pretrained|torch\.hub\.load|load_state_dict_from_url"
    r"|SentenceTransformer)\s*\(\s*(?:(?:repo_id|pretrained_model_name_or_path|model_name_or_path)\s*=\s*)?"
    r"(?:(['\"])(?P<repo>[^'\"]+)\1)?"
)
_LOCAL_DIR = re.compile(r"\b(?:local_dir|cache_dir)\s*=\s*(['\"])(?P<dir>[^'\"]+)\1")


def _huggingface(call: _Call) -> ModelDownload | None:
    args = _scan(call.args, _HF_VALUE_OPTIONS)
    if len(args.positionals) < 2 or args.positionals[0].text != "download":
        return None
    return ModelDownload(call.command, call.tool, args.positionals[1].text, args.last("--local-dir"))


def _python_code(call: _Call) -> ModelDownload | None:
    code = call.args[0].text if call.args else ""
    match = _MODEL_CALL.search(code)
    if match is None:
        return None
    local_dir = _LOCAL_DIR.search(code)
    return ModelDownload(call.command, "python", match["repo"], local_dir["dir"] if local_dir else None)


_GIT_VALUE_OPTIONS = frozenset(
    {
        "-C", "-c", "-b", "--branch", "--depth", "-o", "--origin", "--reference", "--separate-git-dir", "-u",
        "--upload-pack", "-j", "--jobs", "--filter", "--template", "--shallow-since", "--shallow-exclude",
    }
)  # fmt: skip


def _git(call: _Call) -> ModelDownload | None:
    args = _scan(call.args, _GIT_VALUE_OPTIONS)
    if len(args.positionals) < 2 or args.positionals[0].text != "clone":
        return None
    url = args.positionals[1].text
    parts = urlsplit(url)
    if parts.hostname not in _MODEL_HOSTS:
        return None
    repo_id = parts.path.strip("/").removesuffix(".git")
    local_dir = args.positionals[2].text if len(args.positionals) > 2 else posixpath.basename(repo_id)
    return ModelDownload(call.command, "git", repo_id, local_dir)


_HANDLERS: dict[str, Callable[[_Call], Classification | None]] = {
    "pip": _pip,
    "uv": _uv,
    "poetry": _poetry,
    "conda": _conda,
    "mamba": _conda,
    "micromamba": _conda,
    "apt-get": _apt,
    "apt": _apt,
    "apk": _apk,
    "dnf": _rpm,
    "yum": _rpm,
    "microdnf": _rpm,
    "zypper": _zypper,
    "npm": _javascript,
    "yarn": _javascript,
    "pnpm": _javascript,
    "curl": _curl,
    "wget": _wget,
    "tar": _tar,
    "unzip": _unzip,
    "gunzip": _decompress,
    "gzip": _decompress,
    "unxz": _decompress,
    "xz": _decompress,
    "bunzip2": _decompress,
    "bzip2": _decompress,
    "huggingface-cli": _huggingface,
    "hf": _huggingface,
    "python -c": _python_code,
    "git": _git,
}

_SPECIFIER_OPERATORS = frozenset({">", ">>", "<"})
_VERSION_START = re.compile(r"[=\d]")


def _specifier_redirects(
    packages: Sequence[PackageSpec], redirects: Sequence[Redirect]
) -> tuple[SpecifierRedirect, ...]:
    """Redirects glued to a package word (``numpy>=1.26``, ``x<2``) that read as a version, chained."""
    found: list[SpecifierRedirect] = []
    for package in packages:
        chain: list[Redirect] = []
        end = package.word.end
        for redirect in sorted(redirects, key=lambda r: r.start):
            target = redirect.target
            if redirect.start != end or redirect.operator not in _SPECIFIER_OPERATORS or target is None:
                continue
            glued = target.start == redirect.start + len(redirect.operator)
            # a target glued to its operator must look like a version (`>=1.26`, `<2`), or `x>log` is meant;
            # an unglued one is the last of several words the parse took as targets (`numpy>=1.26 pandas`)
            if not chain and glued and not _VERSION_START.match(target.text):
                break
            chain.append(redirect)
            end = redirect.end
        if chain:
            found.append(SpecifierRedirect(package.word, tuple(chain)))
    return tuple(found)
