"""One Python requirement as pip reads it from a command line: PEP 508 name, extras, specifier, URL, marker.

Only what a shell argument can hold; requirement *files* (with their own options and line
continuations) are not parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(rf"\s*(?P<name>{_NAME})\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)", re.DOTALL)
_CLAUSE = r"\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[^,;\s()<>=!~][^,;\s()]*\s*"
_SPECIFIER = re.compile(rf"\(?{_CLAUSE}(?:,{_CLAUSE})*\)?")
_EXACT = re.compile(r"\s*(?:===\s*\S+|==\s*[^*\s]+)\s*")
_VCS_COMMIT = re.compile(r"@[0-9a-fA-F]{7,40}$")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")


_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """The PEP 503 form of a project name: lower case, runs of ``-_.`` as one ``-``."""
    return _SEPARATORS.sub("-", name).lower()


@dataclass(frozen=True, slots=True)
class Requirement:
    """A parsed requirement; ``name`` is canonical, ``specifier`` and ``url`` as written."""

    name: str
    extras: tuple[str, ...] = ()
    specifier: str = ""  # ">=2,<3", "==1.2.*"; empty for none or a URL
    url: str = ""  # the direct reference after "@", or the URL the requirement was read from
    marker: str = ""  # after ";", e.g. python_version < "3.12"

    @property
    def pinned(self) -> bool:
        """One exact version: ``==1.2`` (no wildcard), ``===1.2``, a wheel or sdist file, or a VCS commit."""
        if self.url:
            path = urlsplit(self.url).path
            return path.endswith(_ARCHIVES) or bool(_VCS_COMMIT.search(path))
        return bool(self.specifier) and "," not in self.specifier and bool(_EXACT.fullmatch(self.specifier))


def parse_requirement(text: str) -> Requirement | None:
    """``numpy``, ``numpy[extra]>=1.26,<2``, ``pkg @ https://…``, ``pkg; python_version<"3.12"``; None otherwise."""
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    name = canonical_name(match["name"])
    extras = tuple(canonical_name(e.strip()) for e in (match["extras"] or "").split(",") if e.strip())
    rest = match["rest"].strip()
    if rest.startswith("@"):
        # PEP 508 wants whitespace before the marker of a URL requirement: `pkg @ url ; marker`
        url, marker = rest[1:], ""
        if (separator := re.search(r"\s;", rest)) is not None:
            url, marker = rest[1 : separator.start()], rest[separator.end() :]
        return Requirement(name, extras, url=url.strip(), marker=marker.strip()) if url.strip() else None
    specifier, _, marker = rest.partition(";")
    specifier = specifier.strip()
    if specifier and not _SPECIFIER.fullmatch(specifier):
        return None
    return Requirement(name, extras, specifier.strip("()").strip(), marker=marker.strip())


def requirement_from_url(url: str) -> Requirement | None:
    """The project a bare URL installs, when its ``#egg=`` fragment or wheel file name says so."""
    parts = urlsplit(url)
    egg = re.search(r"(?:^|&)egg=([^&]+)", parts.fragment)
    if egg:
        return Requirement(canonical_name(egg.group(1)), url=url)
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    if filename.endswith(".whl") and "-" in filename:
        return Requirement(canonical_name(filename.split("-", 1)[0]), url=url)
    return None


def logical_lines(text: str) -> Iterator[tuple[int, int, str, str]]:
    """The lines of a requirements file as pip reads them: comments dropped, ``\\`` continuations joined.

    Yields (first line, last line, the last physical line as written, the joined text); blank lines
    are skipped.
    """
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = _COMMENT.split(raw, maxsplit=1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield start, number, raw, line


_COMMENT = re.compile(r"(?:^|\s)#")
