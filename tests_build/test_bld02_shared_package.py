"""BLD-02 — Shared library package resolution functional.

From each consumer package, Node itself resolves the shared package (MediaNest: `@medianest/shared`,
`file:../shared`) for `require` and for `import`; both must land in the shared package's built
output (`shared/dist`), and the file must exist. A stale copy in node_modules, or an entry point
that points at sources, is not the built output.
"""

import pytest

from nestgate.gate.params import each_shared_consumer
from nestgate.probes.node import resolve
from nestgate.rules.bld02_shared_package import missing_consumer_finding, resolution_findings

pytestmark = [pytest.mark.build, pytest.mark.declared]


@pytest.mark.control("BLD-02", consumer=each_shared_consumer)
def test_shared_package_resolves_to_its_built_output(consumer, target_config, evidence):
    build = target_config.model.build
    source = target_config.project_dir / build.source_dir
    output = (source / build.shared.dir / build.shared.built_output).resolve()
    consumer_dir = (source / consumer).resolve()
    package = build.shared.package
    evidence.source(f"node: createRequire().resolve / import.meta.resolve of {package!r} in {consumer_dir}")
    evidence.limit(resolves_inside=str(output), file_exists=True)
    if not consumer_dir.is_dir():
        evidence.fail(missing_consumer_finding(consumer, consumer_dir))

    resolved = resolve(consumer_dir, package, build.command_timeout_s)
    evidence.measure(**{r.kind: {"path": str(r.path) if r.path else None, "exists": r.exists,
                                 **({"error": r.error} if r.error else {})} for r in resolved})
    found = evidence.judge(resolution_findings(package, consumer, resolved, output, source.resolve()))
    assert not found, found.message
