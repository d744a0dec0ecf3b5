"""Python distributions per layer, from dist-info and egg-info metadata, with exact installed sizes."""

from __future__ import annotations

from saved_archives import ImageSpec, OneWayStream, old_layout

from dockopt.engine.anatomy import HEAVY_BYTES, INSTALLED, REMOVED, REPLACED, Distribution, analyze_image
from dockopt.engine.layers import read_saved_images
from dockopt.engine.pydists import is_metadata_path

SITE = "/usr/local/lib/python3.11/site-packages"
DEBIAN = "/usr/lib/python3/dist-packages"


def metadata(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\n\nName: not-this\n".encode()


SIX_METADATA = metadata("six", "1.15.0")
SIX_RECORD = (
    b"six.py,sha256=abc,100\n"
    b"__pycache__/six.cpython-311.pyc,,\n"
    b"six-1.15.0.dist-info/METADATA,sha256=def,90\n"
    b"six-1.15.0.dist-info/RECORD,,\n"
    b"../../../bin/sixcli,sha256=ghi,30\n"
    b'"missing,with comma.py",sha256=jkl,999\n'
)
IDNA_METADATA = metadata("idna", "3.4")
IDNA_RECORD = b"idna/__init__.py,,\nidna-3.4.dist-info/METADATA,,\nidna-3.4.dist-info/RECORD,,\n"
CHARDET_PKG_INFO = metadata("chardet", "4.0.0")
OLDLIB_EGG_INFO = b"Metadata-Version: 1.0\nName: oldlib\nVersion: 0.1\n"
LEGACY_FILES = b"../legacy/__init__.py\n../legacy/core.py\nPKG-INFO\ninstalled-files.txt\n"

BASE = [
    ("dir", "/usr"),
    ("file", f"{SITE}/six.py", b"s" * 100),
    ("file", f"{SITE}/__pycache__/six.cpython-311.pyc", b"p" * 50),
    ("file", "/usr/local/bin/sixcli", b"c" * 30),
    ("file", f"{SITE}/six-1.15.0.dist-info/METADATA", SIX_METADATA),
    ("file", f"{SITE}/six-1.15.0.dist-info/RECORD", SIX_RECORD),
    ("file", f"{SITE}/idna/__init__.py", b"i" * 700),
    ("file", f"{SITE}/idna-3.4.dist-info/METADATA", IDNA_METADATA),
    ("file", f"{SITE}/idna-3.4.dist-info/RECORD", IDNA_RECORD),
    ("file", f"{SITE}/legacy/__init__.py", b"l" * 10),
    ("file", f"{SITE}/legacy/core.py", b"l" * 90),
    ("file", f"{SITE}/legacy-2.0-py3.11.egg-info/PKG-INFO", metadata("legacy", "2.0")),
    ("file", f"{SITE}/legacy-2.0-py3.11.egg-info/installed-files.txt", LEGACY_FILES),
    ("file", f"{DEBIAN}/chardet/__init__.py", b"h" * 200),
    ("file", f"{DEBIAN}/chardet/x.py", b"h" * 300),
    ("file", f"{DEBIAN}/chardetect.py", b"h" * 5),  # another top-level name: not chardet's
    ("file", f"{DEBIAN}/chardet-4.0.0.egg-info/PKG-INFO", CHARDET_PKG_INFO),
    ("file", f"{DEBIAN}/chardet-4.0.0.egg-info/top_level.txt", b"chardet\n"),
    ("file", f"{DEBIAN}/oldlib-0.1.egg-info", OLDLIB_EGG_INFO),
    ("file", f"{DEBIAN}/oldlib.py", b"o" * 40),
    ("file", "/app/src/mine.egg-info/PKG-INFO", metadata("mine", "0.0.1")),  # not in a site directory
]
SIX_16_METADATA = metadata("Six", "1.16.0")
SIX_16_RECORD = b"six.py,,\nsix-1.16.0.dist-info/METADATA,,\nsix-1.16.0.dist-info/RECORD,,\n"
UPGRADE = [
    ("whiteout", f"{SITE}/six-1.15.0.dist-info"),
    ("file", f"{SITE}/six.py", b"S" * 120),
    ("file", f"{SITE}/six-1.16.0.dist-info/METADATA", SIX_16_METADATA),
    ("file", f"{SITE}/six-1.16.0.dist-info/RECORD", SIX_16_RECORD),
]
TORCH_METADATA = metadata("torch", "2.1.0")
UNINSTALL = [
    ("whiteout", f"{SITE}/idna"),
    ("whiteout", f"{SITE}/idna-3.4.dist-info"),
    ("file", f"{SITE}/torch/__init__.py", b"t" * 64),
    ("file", f"{SITE}/torch-2.1.0.dist-info/METADATA", TORCH_METADATA),
    ("file", f"{SITE}/torch-2.1.0.dist-info/RECORD", b"torch/__init__.py,,\n"),
]


def anatomy():
    [image] = read_saved_images(OneWayStream(old_layout([ImageSpec([BASE, UPGRADE, UNINSTALL])])))
    return analyze_image(image)


def test_distributions_per_layer_with_their_installed_sizes() -> None:
    found = {(d.name, d.version): d for d in anatomy().distributions}
    assert set(found) == {
        ("six", "1.15.0"),
        ("idna", "3.4"),
        ("legacy", "2.0"),
        ("chardet", "4.0.0"),
        ("oldlib", "0.1"),
        ("Six", "1.16.0"),
        ("torch", "2.1.0"),
    }
    # RECORD: six.py, its bytecode, the script in bin, METADATA and RECORD; the missing file counts nothing
    assert found["six", "1.15.0"].size == 100 + 50 + 30 + len(SIX_METADATA) + len(SIX_RECORD)
    assert found["six", "1.15.0"].path == f"{SITE}/six-1.15.0.dist-info"
    assert found["idna", "3.4"].size == 700 + len(IDNA_METADATA) + len(IDNA_RECORD)
    # installed-files.txt, relative to the egg-info directory
    assert found["legacy", "2.0"].size == 10 + 90 + len(metadata("legacy", "2.0")) + len(LEGACY_FILES)
    # no file list: the top-level package of top_level.txt and the metadata directory
    assert found["chardet", "4.0.0"].size == 200 + 300 + len(CHARDET_PKG_INFO) + len(b"chardet\n")
    # a single-file egg-info without top_level.txt: only itself
    assert found["oldlib", "0.1"].size == len(OLDLIB_EGG_INFO)
    assert found["Six", "1.16.0"].size == 120 + len(SIX_16_METADATA) + len(SIX_16_RECORD)
    assert [d.layer for d in anatomy().distributions] == [0, 0, 0, 0, 0, 1, 2]


def test_replaced_and_removed_distributions() -> None:
    found = {(d.name, d.version): d for d in anatomy().distributions}
    six = found["six", "1.15.0"]
    assert (six.status, six.changed_in, six.replaced_by) == (REPLACED, 1, "Six==1.16.0")
    idna = found["idna", "3.4"]
    assert (idna.status, idna.changed_in, idna.replaced_by) == (REMOVED, 2, None)
    assert all(
        found[key].status == INSTALLED
        for key in [("legacy", "2.0"), ("chardet", "4.0.0"), ("oldlib", "0.1"), ("Six", "1.16.0"), ("torch", "2.1.0")]
    )


def test_layers_list_what_they_installed_and_heavy_copies_count_installations() -> None:
    result = anatomy()
    assert [[d.requirement for d in layer.distributions] for layer in result.layers] == [
        ["chardet==4.0.0", "oldlib==0.1", "idna==3.4", "legacy==2.0", "six==1.15.0"],
        ["Six==1.16.0"],
        ["torch==2.1.0"],
    ]
    assert result.heavy_copies == 1  # torch, heavy by name


def test_heavy_by_size() -> None:
    assert Distribution("somelib", "1", 0, "/x", HEAVY_BYTES, INSTALLED).heavy
    assert not Distribution("somelib", "1", 0, "/x", HEAVY_BYTES - 1, INSTALLED).heavy
    assert Distribution("nvidia-cudnn-cu12", "9", 0, "/x", 10, INSTALLED).heavy


def test_which_files_the_scanner_keeps() -> None:
    assert is_metadata_path(f"{SITE}/six-1.15.0.dist-info/METADATA")
    assert is_metadata_path(f"{SITE}/six-1.15.0.dist-info/RECORD")
    assert is_metadata_path(f"{DEBIAN}/chardet-4.0.0.egg-info/top_level.txt")
    assert is_metadata_path(f"{DEBIAN}/oldlib-0.1.egg-info")
    assert not is_metadata_path(f"{SITE}/six-1.15.0.dist-info/WHEEL")
    assert not is_metadata_path("/app/src/mine.egg-info/PKG-INFO")
    assert not is_metadata_path(f"{SITE}/six.py")
