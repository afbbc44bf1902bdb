"""One root cause, one message: when Compose rejects the files, BLD-06 says why and every other
control that needs the compose model fails in one short line pointing to it; no failure message
exceeds the cap (run_gates asserts that for every run).

Runs the real declared controls against H5's rejected checkout (selftest/data/checkouts/
medianest-rejected); no stack needed.
"""

from __future__ import annotations

from selftest.conftest import derive_config
from selftest.gaterun import ROOT, run_gates

CHECKOUT = ROOT / "selftest" / "data" / "checkouts" / "medianest-rejected"
POINTER = "compose model unavailable: see BLD-06 (docker compose config exited "
# The declared controls that read the compose model (BLD-01..04 and PRF-01 build and run commands instead).
READERS = "SEC-01,SEC-02,SEC-04,SEC-05,BLD-05,BLD-06,PRF-02,PRF-03,INF-02,INF-06,INF-08"
SELECT = ["-m", "declared and (security or build or performance or infra)", f"--nestgate-controls={READERS}",
          "-p", "no:cacheprovider"]


def test_a_rejected_file_is_one_bld06_failure_plus_one_line_pointers(default_config, tmp_path):
    config = derive_config(default_config, tmp_path, target={
        "project_dir": str(CHECKOUT), "compose_files": ["docker-compose.hardened.yml"],
        "services": ["postgres", "redis", "app", "nginx"], "stack": "medianest"})
    run = run_gates(SELECT, config)
    failed = {o.nodeid: o.message.splitlines()[0] for o in run.outcomes.values() if o.outcome != "passed"}
    bld06 = [m for n, m in failed.items() if "[BLD-06" in n]
    assert len(bld06) == 1 and "healthcheck_interval" in bld06[0], bld06
    pointers = {n: m for n, m in failed.items() if POINTER in m}
    # The per-service tests of the listed services and the model readers all point to BLD-06 ...
    assert len(pointers) >= 10, failed
    assert any("[SEC-04[app]]" in n for n in pointers) and any("[PRF-02[nginx]]" in n for n in pointers)
    # ... in one short line that repeats none of Compose's own words.
    for name, line in pointers.items():
        assert len(line) <= 120 and "healthcheck_interval" not in line, (name, line)
    others = {n: m for n, m in failed.items() if "[BLD-06" not in n and n not in pointers}
    assert not any("healthcheck_interval" in m for m in others.values()), others
