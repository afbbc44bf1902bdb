"""PRF-01 — Bundle size reduced to <10MB (interim target) (`du -sh frontend/.next/  # Should be <10MB`).

Judged on the apparent size of the files in the build output, build cache excluded; the disk
usage `du -sh` would print is recorded beside it (see nestgate.rules.prf01_bundle_size for the difference).
"""

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.files import walk_tree
from nestgate.rules.prf01_bundle_size import bundle_findings, measure

pytestmark = [pytest.mark.performance, pytest.mark.declared]


@pytest.mark.control("PRF-01")
def test_frontend_bundle_under_limit(target_config, evidence):
    perf = target_config.model.performance
    root = target_config.project_dir / perf.bundle_dir
    evidence.source(f"walk of {root} (lstat of every entry, symlinks not followed)")
    evidence.limit(apparent_mib_under=perf.bundle_limit_mb, excluded=perf.bundle_exclude)
    try:
        tree = walk_tree(root)
    except EvidenceUnavailable as exc:
        raise EvidenceUnavailable(f"frontend build output {perf.bundle_dir}: {exc} "
                                  "(build the frontend first)") from None
    size = measure(tree.entries, perf.bundle_exclude, tree.root_disk_bytes)
    evidence.measure(apparent_bytes=size.apparent_bytes, apparent_mib=round(size.apparent_mib, 2),
                     du_disk_bytes=size.disk_bytes, files=size.files, directories=size.directories,
                     excluded_bytes=size.excluded, largest_files={p: n for p, n in size.largest})
    found = evidence.judge(bundle_findings(perf.bundle_dir, str(root), size, perf.bundle_limit_mb,
                                           perf.bundle_exclude))
    assert not found, found.message
