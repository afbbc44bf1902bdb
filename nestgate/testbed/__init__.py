"""nestgate's reference stack: a real MediaNest-shaped deployment on the local swarm, with
seeded faults that each break exactly one control of the catalog (nestgate/catalog.py).

CLI (also `nestgate testbed ...`)::

    python -m nestgate.testbed.cli up [--instance N] [--port P] [--fault NAME ...] [--scale K]
    python -m nestgate.testbed.cli down | status [--instance N]
    python -m nestgate.testbed.cli faults
    python -m nestgate.testbed.cli fault apply|remove NAME [--instance N]

Python API::

    from nestgate.testbed import Testbed
    tb = Testbed("medianest")          # instance name: stack, secret prefix, state dir
    tb.up(faults=(), scale=0, port=None)  # idempotent; applied faults become exactly `faults`
    tb.status()                        # Status: services (running/healthy), faults, extras
    tb.apply_fault("root-user"); tb.remove_fault("root-user")
    tb.apply_faults([...]); tb.remove_faults([...])   # several with one stack deploy
    with tb.fault("slow-api", "placeholder-env"): ...  # applied, always removed after
    tb.config_path                     # <state>/nestgate.toml, the generated target config
    tb.state_dir                       # ${NESTGATE_TESTBED_DIR:-~/.cache/nestgate/testbed}/N
    tb.project_dir                     # <state>/project: the MediaNest-like source tree
    tb.secret_file("postgres_password")  # 0600 file with a secret's value (never printed)
    tb.base_url                        # http://127.0.0.1:<port>
    tb.down()                          # removes what the instance created; images stay

Instances: instance N owns stack N, the nine secrets N_<name>_v2, its networks and volume, and
labels every object with nestgate.testbed.instance=N; the default instance publishes 8080.

Images (shared, cached by content hash): nestgate-testbed/base (Debian bookworm rootfs from
mmdebstrap | docker import), postgres, redis, nginx FROM it, and app/monitor release 1 and 2
(the stack runs release 2; swarm's PreviousSpec holds release 1 as the rollback target).

Errors meant for a person are TestbedError (the CLI prints one line and exits 2).
"""

from nestgate.testbed.errors import TestbedError
from nestgate.testbed.testbed import Status, Testbed, UpResult

__all__ = ["Status", "Testbed", "TestbedError", "UpResult"]
