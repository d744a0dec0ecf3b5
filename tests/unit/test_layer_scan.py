"""The streaming scanner of `docker save` archives, on archives built here with known content.

Every figure is worked out by hand in the test: true wasted bytes (overwrites, whiteouts, opaque
directories, a directory replaced by a symlink, hard links), dive's figures (checked again against the
dive binary itself in test_dive_agreement.py), layer order, history matching, both archive layouts.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest
from saved_archives import ImageSpec, OneWayStream, layer_tar, oci_layout, old_layout

from dockopt.engine.anatomy import analyze_image
from dockopt.engine.dive import dive_figures
from dockopt.engine.layers import DIRECTORY, FILE, HARDLINK, SYMLINK, _HeaderInfo, read_saved_images, scan_layer
from dockopt.errors import EngineError

# Three layers with every way a file's bytes can stop being visible.
BASE = [
    ("dir", "/app"),
    ("dir", "/app/data"),
    ("dir", "/etc"),
    ("dir", "/usr"),
    ("dir", "/usr/bin"),
    ("dir", "/opt"),
    ("dir", "/opt/lib"),
    ("file", "/app/big", b"B" * 10_000),  # deleted in layer 1
    ("file", "/app/keep", b"k" * 300),  # rewritten (same bytes) in layer 2
    ("symlink", "/app/link", "keep"),
    ("file", "/app/data/a", b"a" * 1000),  # hidden by layer 1's opaque /app/data
    ("file", "/app/data/b", b"b" * 2000),  # same
    ("file", "/etc/conf", b"c" * 50),  # overwritten in layer 1
    ("file", "/usr/bin/tool", b"t" * 4000),
    ("hardlink", "/usr/bin/tool2", "/usr/bin/tool"),  # keeps tool's bytes visible when tool is deleted
    ("file", "/opt/lib/x.so", b"x" * 600),  # hidden: layer 1 makes /opt/lib a symlink
]
CHANGES = [
    ("dir", "/app"),
    ("whiteout", "/app/big"),
    ("dir", "/etc"),
    ("file", "/etc/conf", b"C" * 70),
    ("dir", "/app/data"),
    ("opaque", "/app/data"),
    ("file", "/app/data/c", b"c" * 500),
    ("dir", "/usr/bin"),
    ("whiteout", "/usr/bin/tool"),
    ("symlink", "/opt/lib", "/usr/lib"),
]
TOP = [("dir", "/app"), ("file", "/app/keep", b"k" * 300), ("dir", "/srv"), ("file", "/srv/new", b"n" * 123)]
COMMANDS = ["ADD rootfs.tar /", "RUN /bin/sh -c ./change.sh # buildkit", "COPY keep /app/keep # buildkit"]


def read(archive: bytes, *, hash_contents: bool = False):
    return read_saved_images(OneWayStream(archive), hash_contents=hash_contents)


def test_old_layout_layers_in_order_with_their_history_and_diff_ids() -> None:
    archive = old_layout([ImageSpec([BASE, CHANGES, TOP], COMMANDS, ["demo:1"])])
    [image] = read(archive)
    assert image.repo_tags == ("demo:1",)
    assert [layer.created_by for layer in image.layers] == COMMANDS  # the empty_layer steps are skipped
    assert [layer.digest for layer in image.layers] == [
        "sha256:" + hashlib.sha256(layer_tar(members)).hexdigest() for members in (BASE, CHANGES, TOP)
    ]
    base = image.layers[0].summary
    assert base.entries["/app/big"].kind == FILE and base.entries["/app/big"].size == 10_000
    assert base.entries["/app"].kind == DIRECTORY
    assert base.entries["/app/link"].kind == SYMLINK and base.entries["/app/link"].target == "keep"
    assert base.entries["/usr/bin/tool2"].kind == HARDLINK and base.entries["/usr/bin/tool2"].target == "/usr/bin/tool"
    assert base.content_bytes == 10_000 + 300 + 1000 + 2000 + 50 + 4000 + 600
    changes = image.layers[1].summary
    assert changes.whiteouts == {"/app/big", "/usr/bin/tool"}
    assert changes.opaque == {"/app/data"}
    assert not any(".wh." in path for path in changes.entries)


def test_true_wasted_bytes_per_layer() -> None:
    [image] = read(old_layout([ImageSpec([BASE, CHANGES, TOP], COMMANDS)]))
    anatomy = analyze_image(image)
    # layer 0 loses big (whiteout), keep (rewritten), a and b (opaque directory), conf (overwritten) and
    # x.so (its directory became a symlink); tool's bytes stay visible through its hard link tool2
    assert [layer.wasted_bytes for layer in anatomy.layers] == [10_000 + 300 + 1000 + 2000 + 50 + 600, 0, 0]
    assert [layer.size for layer in anatomy.layers] == [17_950, 570, 423]
    assert anatomy.wasted_bytes == 13_950
    assert anatomy.efficiency == 1 - 13_950 / 18_943
    assert {path: (f.size, f.layer) for path, f in anatomy.visible.items()} == {
        "/usr/bin/tool2": (4000, 0),
        "/etc/conf": (70, 1),
        "/app/data/c": (500, 1),
        "/app/keep": (300, 2),
        "/srv/new": (123, 2),
    }
    assert [(f.path, f.size) for f in anatomy.largest_files(2)] == [("/usr/bin/tool2", 4000), ("/app/data/c", 500)]
    assert anatomy.largest_directories(3) == [("/usr", 4000), ("/usr/bin", 4000), ("/app", 800)]


def test_dive_figures_of_the_same_layers() -> None:
    [image] = read(old_layout([ImageSpec([BASE, CHANGES, TOP], COMMANDS)]))
    dive = analyze_image(image).dive
    # dive: leaves per layer; whiteouts of files count 0; the opaque directory and the symlinked /opt/lib
    # hide nothing to it; tool (deleted, hard link kept) is waste to it; conf and keep count both copies
    cumulative = 10_000 + 300 + 300 + 1000 + 2000 + 50 + 70 + 4000 + 600 + 500 + 123
    smallest = 0 + 300 + 1000 + 2000 + 50 + 0 + 600 + 500 + 123
    assert dive.size_bytes == 18_943
    assert dive.wasted_bytes == 10_000 + (50 + 70) + 4000 + (300 + 300)
    assert dive.efficiency == smallest / cumulative


def test_layers_can_come_after_or_before_the_manifest() -> None:
    spec = [ImageSpec([BASE, CHANGES, TOP], COMMANDS)]
    late, early = (
        analyze_image(read(old_layout(spec))[0]),
        analyze_image(read(old_layout(spec, manifest_first=True))[0]),
    )
    assert (late.wasted_bytes, late.dive, late.visible) == (early.wasted_bytes, early.dive, early.visible)


def test_oci_layout_with_gzip_layers_and_a_deleted_directory() -> None:
    base = [
        ("dir", "/data"),
        ("dir", "/data/sub"),
        ("file", "/data/sub/f1", b"1" * 1000),
        ("file", "/data/f2", b"2" * 2000),
        ("file", "/keep", b"k" * 5),
    ]
    delete = [("whiteout", "/data")]
    [image] = read(oci_layout([ImageSpec([base, delete], ["ADD a /", "RUN rm -rf /data"], ["demo:oci"])]))
    assert image.repo_tags == ("demo:oci",)
    assert [layer.created_by for layer in image.layers] == ["ADD a /", "RUN rm -rf /data"]
    assert image.layers[0].digest == "sha256:" + hashlib.sha256(layer_tar(base)).hexdigest()  # the diff id
    anatomy = analyze_image(image)
    assert anatomy.wasted_bytes == 3000
    assert [layer.wasted_bytes for layer in anatomy.layers] == [3000, 0]
    assert list(anatomy.visible) == ["/keep"]
    # To dive a deleted directory is one new path whose size is everything that was under it: no waste.
    assert (anatomy.dive.wasted_bytes, anatomy.dive.efficiency, anatomy.dive.size_bytes) == (0, 1.0, 3005)


def test_oci_layout_with_plain_layers() -> None:
    [image] = read(oci_layout([ImageSpec([BASE, CHANGES, TOP], COMMANDS)], gzip_layers=False))
    assert analyze_image(image).wasted_bytes == 13_950


def test_several_images_in_one_archive_share_a_layer_summary() -> None:
    archive = old_layout([ImageSpec([BASE], tags=["one:1"]), ImageSpec([BASE, TOP], tags=["two:1"])])
    one, two = read(archive)
    assert one.repo_tags == ("one:1",) and two.repo_tags == ("two:1",)
    assert one.layers[0].digest == two.layers[0].digest
    assert analyze_image(two).wasted_bytes == 300  # keep rewritten


def test_hard_link_content_is_wasted_when_every_name_is_hidden() -> None:
    base = [
        ("dir", "/bin"),
        ("file", "/bin/a", b"x" * 700),
        ("hardlink", "/bin/b", "/bin/a"),
        ("hardlink", "/bin/c", "/bin/a"),
    ]
    some = [("dir", "/bin"), ("whiteout", "/bin/a"), ("whiteout", "/bin/c")]
    rest = [("dir", "/bin"), ("whiteout", "/bin/b")]
    [kept] = read(old_layout([ImageSpec([base, some])]))
    assert analyze_image(kept).wasted_bytes == 0
    assert {p: f.size for p, f in analyze_image(kept).visible.items()} == {"/bin/b": 700}  # counted once
    [gone] = read(old_layout([ImageSpec([base, some, rest])]))
    assert analyze_image(gone).wasted_bytes == 700


def test_a_path_stored_twice_in_a_layer_wastes_the_first_copy() -> None:
    [image] = read(old_layout([ImageSpec([[("file", "/f", b"1" * 10), ("file", "/f", b"2" * 25)]])]))
    anatomy = analyze_image(image)
    assert (anatomy.content_bytes, anatomy.wasted_bytes) == (35, 10)


def test_a_file_replaced_by_a_directory_and_a_directory_deleted_then_recreated() -> None:
    base = [("file", "/x", b"x" * 40), ("dir", "/d"), ("file", "/d/old", b"o" * 60)]
    middle = [("dir", "/x"), ("file", "/x/inside", b"i" * 5), ("whiteout", "/d")]
    top = [("dir", "/d"), ("file", "/d/new", b"n" * 7)]
    [image] = read(old_layout([ImageSpec([base, middle, top])]))
    anatomy = analyze_image(image)
    assert anatomy.wasted_bytes == 100
    assert set(anatomy.visible) == {"/x/inside", "/d/new"}


def test_contents_are_hashed_only_when_asked() -> None:
    archive = old_layout([ImageSpec([BASE])])
    [plain] = read(archive)
    assert plain.layers[0].summary.entries["/app/keep"].sha256 is None
    [hashed] = read(archive, hash_contents=True)
    assert hashed.layers[0].summary.entries["/app/keep"].sha256 == hashlib.sha256(b"k" * 300).digest()
    assert hashed.layers[0].summary.entries["/usr/bin/tool2"].sha256 is None  # the bytes are tool's


def test_a_gzip_layer_tar_read_alone() -> None:
    summary = scan_layer(io.BytesIO(gzip.compress(layer_tar(TOP))))
    assert summary.content_bytes == 423
    assert set(summary.entries) == {"/app", "/app/keep", "/srv", "/srv/new"}


def test_an_empty_layer() -> None:
    [image] = read(old_layout([ImageSpec([BASE, []])]))
    assert image.layers[1].summary.entries == {}
    assert analyze_image(image).layers[1].size == 0


def test_dive_stops_a_layer_at_the_whiteout_of_a_path_it_never_had() -> None:
    # dive visits a layer's leaves in name order; the whiteout of /c (".wh.c" sorts first) fails its
    # lookup, so /a, /b and /d of that layer are never counted, and /c enters with a smallest size of -1
    base = [("file", "/a", b"a" * 100)]
    second = [("file", "/b", b"b" * 10), ("whiteout", "/c"), ("file", "/d", b"d" * 20), ("file", "/a", b"A" * 100)]
    [image] = read(old_layout([ImageSpec([base, second])]))
    dive = dive_figures([layer.summary for layer in image.layers])
    assert (dive.wasted_bytes, dive.efficiency, dive.size_bytes) == (0, 99 / 100, 230)


def test_not_an_archive() -> None:
    with pytest.raises(EngineError, match="cannot read the saved image"):
        read(b"this is not a tar archive" * 100)


def test_an_archive_without_a_manifest() -> None:
    with pytest.raises(EngineError, match=r"neither manifest\.json nor index\.json"):
        read(layer_tar([("file", "/etc/motd", b"hello")]))


def test_a_layer_missing_from_the_archive() -> None:
    archive = old_layout([ImageSpec([BASE])])
    members = read_members(archive)
    rebuilt = rebuild_archive([(n, c) for n, c in members if not n.endswith("layer.tar")])
    with pytest.raises(EngineError, match="is missing from the archive"):
        read(rebuilt)


def test_a_zstd_layer_is_refused_by_name() -> None:
    archive = rebuild_archive([("blobs/sha256/" + "ab" * 32, b"\x28\xb5\x2f\xfd" + bytes(600))])
    with pytest.raises(EngineError, match="zstd"):
        read(archive)


def read_members(archive: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]


def rebuild_archive(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.mark.parametrize("tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_the_lean_header_parser_reads_what_tarfile_reads(tar_format: int) -> None:
    long_name = "usr/lib/" + "/".join(["d" * 40] * 4) + "/file.so"  # over 100 characters: prefix, longname or pax
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tar_format) as tar:
        for name, kind, target, content in [
            ("usr/", tarfile.DIRTYPE, "", b""),
            (long_name, tarfile.REGTYPE, "", b"x" * 777),
            ("usr/bin/python3.11", tarfile.REGTYPE, "", b"p" * 10),
            ("usr/bin/python", tarfile.SYMTYPE, "python3.11", b""),
            ("usr/bin/python3", tarfile.LNKTYPE, "usr/bin/python3.11", b""),
            ("dev/fifo", tarfile.FIFOTYPE, "", b""),
        ]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, target, len(content)
            tar.addfile(info, io.BytesIO(content) if content else None)
    data = buffer.getvalue()

    def headers(**options: object) -> list[tuple[str, bytes, int, str]]:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|", **options) as tar:  # type: ignore[call-overload]
            return [(m.name, m.type, m.size, m.linkname) for m in tar]

    assert headers(tarinfo=_HeaderInfo) == headers()
    summary = scan_layer(io.BytesIO(data))
    assert summary.entries["/" + long_name].size == 777
    assert summary.entries["/usr/bin/python3"].target == "/usr/bin/python3.11"


def test_a_corrupt_header_is_an_engine_error() -> None:
    data = bytearray(layer_tar(TOP))
    data[0] ^= 0xFF  # the first header's name, and so its checksum
    with pytest.raises(EngineError, match="cannot read the saved image: layer layer"):
        scan_layer(io.BytesIO(bytes(data)))


def test_an_archive_cut_short_is_an_engine_error() -> None:
    data = layer_tar(TOP)
    cut = data[: 512 + 100]  # the first header and part of its content
    with pytest.raises(EngineError, match="cannot read the saved image: layer layer: unexpected end of data"):
        scan_layer(io.BytesIO(cut))


def test_an_archive_without_its_closing_blocks_is_read_whole() -> None:
    data = layer_tar(TOP)
    end = len(data)
    while data[end - 512 : end] == bytes(512):
        end -= 512
    assert scan_layer(io.BytesIO(data[:end])).entries == scan_layer(io.BytesIO(data)).entries


def test_a_pax_path_names_its_member_and_only_it() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("placeholder")
        info.pax_headers = {"path": "opt/ünïcode/" + "n" * 120}  # a pax path wins over the header's name
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
        plain = tarfile.TarInfo("etc/plain")
        plain.size = 1
        tar.addfile(plain, io.BytesIO(b"x"))
    entries = scan_layer(io.BytesIO(buffer.getvalue())).entries
    assert entries["/opt/ünïcode/" + "n" * 120].size == 3
    assert entries["/etc/plain"].size == 1
    assert "/placeholder" not in entries
