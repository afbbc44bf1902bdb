"""The ssh:// engine check: the SDK's own ssh command line plus batch mode and a connect timeout, ssh's
verdict as the reason; and the check against the real ssh binary where nothing listens."""

from __future__ import annotations

import pytest

from nestgate.probes.engine_ssh import DIAL, SshUnreachable, check, check_argv, connect_timeout_s, failure_line
from selftest.dockerd import free_tcp_port


def test_argv_is_the_sdks_with_batch_mode_and_a_connect_timeout():
    # The SDK runs: ssh [-l user] [-p port] -- host 'docker system dial-stdio'
    assert check_argv("ssh://ops@node2:2222", 15) == [
        "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=14", "-l", "ops", "-p", "2222", "--", "node2", DIAL]
    assert check_argv("ssh://node3", 15)[-3:] == ["--", "node3", DIAL]  # user and port from ~/.ssh/config
    assert "-l" not in check_argv("ssh://node3", 15) and "-p" not in check_argv("ssh://node3", 15)


@pytest.mark.parametrize(("call_timeout", "connect"), [(15, 14), (2.5, 2), (2, 1), (1, 1), (0.2, 1)])
def test_connect_timeout_is_a_second_inside_the_call_timeout(call_timeout, connect):
    assert connect_timeout_s(call_timeout) == connect


def test_failure_line_is_ssh_s_last_word():
    said = ("No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\n"
            "Host key verification failed.\n")
    assert failure_line(said, 255) == "ssh: Host key verification failed."
    assert failure_line("root@h: Permission denied (publickey).\n\n", 255) == \
        "ssh: root@h: Permission denied (publickey)."
    # ssh's own "ssh: " prefix is not doubled
    assert failure_line("ssh: connect to host h port 22: Connection refused\n", 255) == \
        "ssh: connect to host h port 22: Connection refused"
    assert failure_line("", 1) == "ssh: exited with status 1 and said nothing"


def test_nothing_listening_fails_with_ssh_s_reason():
    port = free_tcp_port()
    with pytest.raises(SshUnreachable, match=rf"^ssh: connect to host 127\.0\.0\.1 port {port}: Connection refused$"):
        check(f"ssh://root@127.0.0.1:{port}", 5)
