"""``dockopt measure``'s text report: per image its size, layers, waste, largest entries and Python
distributions; across images what they hold twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dockopt.engine.anatomy import HEAVY_BYTES, INSTALLED, REPLACED, Distribution, ImageAnatomy
from dockopt.engine.duplicates import Duplicates
from dockopt.report.text import make_console
from dockopt.units import format_bytes

if TYPE_CHECKING:
    from dockopt.commands.measure import MeasuredImage

_NUMBER_WIDTHS = {"layer": 5, "size": 9, "wasted": 9, "bytes": 9, "copies": 6}


def render_text(
    measured: Sequence[MeasuredImage], duplicates: Duplicates, stream: TextIO, *, top: int, color: bool | None
) -> None:
    console = make_console(stream, color=color, width=None)
    for index, image in enumerate(measured):
        if index:
            console.print()
        _image(console, image, top)
    if len(measured) > 1:
        console.print()
        _duplicates(console, duplicates, top)


def _image(console: Console, image: MeasuredImage, top: int) -> None:
    anatomy = image.anatomy
    console.print(
        Text.assemble(
            (image.reference, "bold"),
            f"  {image.info.id[:19]}…  {format_bytes(image.info.size)} in {len(anatomy.layers)} "
            + ("layer" if len(anatomy.layers) == 1 else "layers"),
        )
    )
    console.print(
        f"Wasted: {format_bytes(anatomy.wasted_bytes)}, efficiency {anatomy.efficiency:.1%} "
        f"(files stored in layers but not in the final filesystem)"
    )
    console.print(
        f"dive:   {format_bytes(anatomy.dive.wasted_bytes)} wasted, efficiency {anatomy.dive.efficiency:.1%} "
        "(dive also counts the copy that stays)"
    )
    layers = _table(
        "layer",
        "size",
        "wasted",
        "created by",
        "Python distributions",
        shares={"created by": 3, "Python distributions": 2},
    )
    for number, layer in enumerate(anatomy.layers):
        largest_first = sorted(layer.distributions, key=lambda d: -d.size)  # torch shows before six
        names = ", ".join(f"{d.name} {d.version}" for d in largest_first)
        if len(largest_first) > 1:
            names = f"{len(largest_first)}: {names}"
        layers.add_row(
            str(number),
            format_bytes(layer.size),
            format_bytes(layer.wasted_bytes) if layer.wasted_bytes else "",
            _command(layer.created_by),
            names,
        )
    console.print(layers)
    _largest(console, anatomy, top)
    _distributions(console, anatomy.distributions, top)


def _largest(console: Console, anatomy: ImageAnatomy, top: int) -> None:
    files = _table("size", "largest files")
    for file in anatomy.largest_files(top):
        files.add_row(format_bytes(file.size), file.path)
    console.print(files)
    directories = _table("size", "largest directories")
    for path, size in anatomy.largest_directories(top):
        directories.add_row(format_bytes(size), path + "/")
    console.print(directories)


def _distributions(console: Console, distributions: Sequence[Distribution], top: int) -> None:
    """The largest ones, and every heavy, replaced or removed one: JSON lists them all."""
    if not distributions:
        console.print("Python distributions: none found")
        return
    largest = sorted(distributions, key=lambda d: -d.size)
    shown = {id(d) for d in largest[:top]} | {id(d) for d in distributions if d.heavy or d.status != INSTALLED}
    table = _table(
        "layer",
        "distribution",
        "size",
        "status",
        "site directory",
        shares={"distribution": 2, "status": 3, "site directory": 3},
    )
    for dist in distributions:
        if id(dist) in shown:
            table.add_row(
                str(dist.layer),
                f"{dist.name} {dist.version}" + (" (heavy)" if dist.heavy else ""),
                format_bytes(dist.size),
                _status(dist),
                dist.path.rsplit("/", 1)[0],
            )
    console.print(Text(f"Python distributions: {len(distributions)}", style="bold"))
    console.print(table)
    if len(shown) < len(distributions):
        console.print(f"… and {len(distributions) - len(shown)} smaller ones (--format json lists them all)")


def _status(dist: Distribution) -> str:
    if dist.status == INSTALLED:
        return INSTALLED
    if dist.status == REPLACED:
        return f"replaced in layer {dist.changed_in} ({dist.replaced_by})"
    return f"removed in layer {dist.changed_in}"


def _duplicates(console: Console, duplicates: Duplicates, top: int) -> None:
    console.print(Text(f"Across {len(duplicates.images)} images (copies in layers they do not share)", style="bold"))
    if duplicates.distributions:
        table = _table("distribution", "copies", "bytes", "images", shares={"distribution": 1, "images": 2})
        for dist in duplicates.distributions[:top]:
            table.add_row(
                f"{dist.name} {dist.version}", str(dist.copies), format_bytes(dist.extra_bytes), ", ".join(dist.images)
            )
        console.print(table)
    else:
        console.print("Python distributions stored twice: none")
    console.print(
        f"Files stored twice: {len(duplicates.files):,} "
        f"({format_bytes(duplicates.file_bytes)} that one shared layer would save)"
    )
    if duplicates.files:
        table = _table("size", "copies", "file", "images", shares={"file": 3, "images": 2})
        for file in duplicates.files[:top]:
            table.add_row(format_bytes(file.size), str(file.copies), file.path, ", ".join(file.images))
        console.print(table)
    heavy = ", ".join(f"{name} ×{copies}" for name, copies in duplicates.heavy_packages.items())
    console.print(f"Heavy packages stored (named heavy, or {format_bytes(HEAVY_BYTES)} or more): {heavy or 'none'}")


def _table(*columns: str, shares: dict[str, int] | None = None) -> Table:
    """Numbers right-aligned and never squeezed; the text columns in ``shares`` split the width left
    between them in those proportions, cut with an ellipsis rather than wrapped (JSON has it all)."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=bool(shares))
    for column in columns:
        if column in _NUMBER_WIDTHS:
            table.add_column(column, justify="right", no_wrap=True, min_width=_NUMBER_WIDTHS[column])
        else:
            share = (shares or {}).get(column)
            table.add_column(column, no_wrap=True, overflow="ellipsis", ratio=share)
    return table


def _command(created_by: str) -> str:
    """A history step as the Dockerfile line it came from: ``RUN pip install …``, ``COPY . /app``."""
    command = created_by.removesuffix(" # buildkit").strip()
    shell = "/bin/sh -c "
    if command.startswith("RUN " + shell):  # BuildKit
        command = "RUN " + command[len("RUN " + shell) :]
    elif command.startswith(shell + "#(nop) "):  # the classic builder's metadata steps
        command = command[len(shell + "#(nop) ") :].strip()
    elif command.startswith(shell):  # the classic builder's RUN
        command = "RUN " + command[len(shell) :]
    return " ".join(command.split()) or "(no history)"
