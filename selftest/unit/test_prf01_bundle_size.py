"""PRF-01 arithmetic on real trees, checked against the real `du`."""

import os
import subprocess

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.files import walk_tree
from nestgate.rules.prf01_bundle_size import MIB, BundleSize, bundle_findings, excluded_by, measure


def _tree(root):
    (root / "static" / "chunks").mkdir(parents=True)
    (root / "cache" / "webpack").mkdir(parents=True)
    (root / "static" / "chunks" / "main.js").write_bytes(b"x" * 300_000)
    (root / "static" / "chunks" / "small.js").write_bytes(b"y" * 1_234)
    (root / "BUILD_ID").write_text("abc")
    (root / "cache" / "webpack" / "0.pack").write_bytes(b"z" * 2_000_000)
    os.link(root / "static" / "chunks" / "main.js", root / "static" / "main-link.js")  # counted once
    os.symlink("chunks/small.js", root / "static" / "alias.js")  # its own length, not its target's
    return root


def _du(*args, path):
    out = subprocess.run(["du", "-s", *args, str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def test_disk_figure_is_exactly_what_du_prints(tmp_path):
    root = _tree(tmp_path / ".next")
    tree = walk_tree(root)
    everything = measure(tree.entries, [], tree.root_disk_bytes)
    assert everything.disk_bytes == _du("-B1", path=root)
    without_cache = measure(tree.entries, ["cache"], tree.root_disk_bytes)
    assert without_cache.disk_bytes == _du("-B1", "--exclude=cache", path=root)


def test_apparent_figure_is_du_apparent_without_directory_entries(tmp_path):
    root = _tree(tmp_path / ".next")
    tree = walk_tree(root)
    size = measure(tree.entries, ["cache"], tree.root_disk_bytes)
    dir_bytes = root.stat().st_size + sum(e.apparent_bytes for e in tree.entries
                                          if e.kind == "dir" and not e.path.startswith("cache"))
    assert size.apparent_bytes == _du("-b", "--exclude=cache", path=root) - dir_bytes
    assert size.apparent_bytes == 300_000 + 1_234 + 3 + len("chunks/small.js")
    assert size.files == 4  # main.js (once), small.js, BUILD_ID, the symlink
    assert size.excluded == {"cache": 2_000_000}


def test_largest_files_biggest_first_and_capped_at_ten(tmp_path):
    root = tmp_path / ".next"
    root.mkdir()
    for i in range(12):
        (root / f"f{i:02d}.js").write_bytes(b"a" * (100 + i))
    tree = walk_tree(root)
    size = measure(tree.entries, [], tree.root_disk_bytes)
    assert [p for p, _ in size.largest] == [f"f{i:02d}.js" for i in range(11, 1, -1)]


@pytest.mark.parametrize(("path", "patterns", "hit"), [
    ("cache", ["cache"], "cache"),
    ("cache/webpack/0.pack", ["cache"], "cache"),
    ("cache/webpack/0.pack", ["/cache/"], "/cache/"),
    ("static/cache.js", ["cache"], None),
    ("static/chunks/a.js.map", ["*.map"], "*.map"),
    ("standalone/node_modules/x/y.js", ["standalone/node_modules"], "standalone/node_modules"),
    ("server/app.js", [], None),
])
def test_exclusion_matches_a_path_or_a_parent(path, patterns, hit):
    assert excluded_by(path, patterns) == hit


def test_missing_or_unreadable_output_is_evidence_unavailable(tmp_path):
    with pytest.raises(EvidenceUnavailable, match="does not exist"):
        walk_tree(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(EvidenceUnavailable, match="is not a directory"):
        walk_tree(tmp_path / "file")


def _size(apparent, files=3, largest=(("a.js", 6 * MIB), ("b.js", 3 * MIB), ("c.js", MIB), ("d.js", 10))):
    return BundleSize(apparent_bytes=apparent, disk_bytes=apparent, files=files, directories=1, excluded_bytes=0,
                      excluded={}, largest=list(largest))


def test_a_bundle_under_the_limit_has_no_findings():
    assert bundle_findings(".next", "/p/.next", _size(10 * MIB - 1), 10, ["cache"]) == []


def test_a_bundle_at_or_over_the_limit_names_its_size_and_largest_files():
    [f] = bundle_findings("frontend/.next", "/p/frontend/.next", _size(10 * MIB), 10, ["cache", "*.map"])
    assert (f.subject, f.property, f.measured, f.expected) == (
        "frontend build output frontend/.next", "apparent size", "10.00 MiB", "under 10 MiB")
    assert str(f) == ("frontend build output frontend/.next: 10.00 MiB (apparent, 3 files, excluding cache, *.map), "
                      "limit 10 MiB; largest: a.js (6.00 MiB), b.js (3.00 MiB), c.js (1.00 MiB)")
    [nothing] = bundle_findings("o", "/p/o", _size(11 * MIB), 10.5, [])
    assert "excluding nothing), limit 10.5 MiB" in nothing.sentence


def test_a_bundle_with_no_files_outside_the_exclusions_fails_naming_its_path():
    [f] = bundle_findings("frontend/.next", "/p/frontend/.next", _size(0, files=0, largest=()), 10, ["cache"])
    assert (f.subject, f.property, f.measured, f.expected) == (
        "frontend build output /p/frontend/.next", "files", 0, "at least one outside ['cache']")
    assert str(f) == "frontend build output /p/frontend/.next: holds no files outside ['cache']"
