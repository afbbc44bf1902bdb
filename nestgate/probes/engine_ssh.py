"""An ssh:// engine, checked with the ssh binary before the docker SDK runs it.

The SDK (use_ssh_client, as the Docker CLI) runs `ssh [-l user] [-p port] -- host docker system
dial-stdio` with ssh's stderr on the process's own and reads its stdout with no time limit: a refused key
or host key becomes "Connection aborted ... Broken pipe" with ssh's reason lost, and a port that
accepts TCP but never sends the SSH banner hangs the run for good. So the same command runs first
(stdin closed: dial-stdio connects to the far engine and exits), in batch mode, with ssh's
ConnectTimeout (measured: it bounds the TCP connect and the banner exchange) and a process timeout
both within the call timeout, and ssh's own last line is the reason when it fails.
"""

from __future__ import annotations

import math
import os
import shlex
import subprocess
from urllib.parse import urlsplit

DIAL = "docker system dial-stdio"  # what the SDK runs on the far side, one argument as the SDK passes it


class SshUnreachable(ConnectionError):
    """ssh could not reach the engine; the message is ssh's own reason."""


def check_argv(url: str, timeout_s: float) -> list[str]:
    """The SDK's ssh command line for `url` (same user, port and host, so the same ~/.ssh/config
    Host block applies), with batch mode and a connect timeout a second inside the call timeout."""
    parts = urlsplit(url)
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect_timeout_s(timeout_s)}"]
    if parts.username:
        argv += ["-l", parts.username]
    if parts.port:
        argv += ["-p", str(parts.port)]
    return [*argv, "--", parts.hostname or "", DIAL]


def connect_timeout_s(timeout_s: float) -> int:
    """ssh's ConnectTimeout (whole seconds): a second short of the call timeout, so ssh says why
    before the process timeout cuts it off; at least 1."""
    return max(1, math.ceil(timeout_s) - 1)


def failure_line(stderr: str, returncode: int) -> str:
    """ssh's reason, "ssh: " and the last line it wrote (its verdict, e.g. "Host key verification failed.")."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else f"exited with status {returncode} and said nothing"
    return last if last.startswith("ssh: ") else f"ssh: {last}"


def check(url: str, timeout_s: float) -> None:
    """Raise SshUnreachable with ssh's reason unless `url`'s far side runs dial-stdio within timeout_s."""
    argv = check_argv(url, timeout_s)
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "SSL_CERT_FILE")}  # as the SDK
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout_s,
                              check=False)
    except FileNotFoundError:
        raise SshUnreachable("the ssh binary is not installed (an ssh:// engine is reached through it, "
                             "as the Docker CLI does)") from None
    except subprocess.TimeoutExpired as exc:
        said = (exc.stderr or b"").decode("utf-8", "replace").strip()
        last = f" (last said: {failure_line(said, 0).removeprefix('ssh: ')})" if said else ""
        raise SshUnreachable(f"ssh: no answer within {timeout_s:g} s from `{shlex.join(argv)}`{last}") from None
    if done.returncode != 0:
        raise SshUnreachable(failure_line(done.stderr.decode("utf-8", "replace"), done.returncode))
