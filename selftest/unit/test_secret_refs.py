"""Secret references (issue 15 cases 4 and 6): an {env} name that is not a variable name is a config
error that never echoes it; an {file} that is not a small regular file is a one-line error, fast, at
start-up (register_config_secrets) and where controls read it (probes/credentials.read_secret)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nestgate.config import SecretRef, load_config
from nestgate.config.base import SECRET_FILE_MAX, read_secret_file
from nestgate.errors import ConfigError, EvidenceUnavailable
from nestgate.probes.credentials import read_secret

PASTED = "Zq9Canary pasted value!"


@pytest.mark.parametrize("where", ["[infra.database]\npassword", "[security.auth]\ntoken"])
def test_a_secret_pasted_as_the_variable_name_is_an_error_that_does_not_echo_it(tmp_path, where):
    path = tmp_path / "nestgate.toml"
    path.write_text(f'{where} = {{ env = "{PASTED}" }}\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    key = where.strip("[").replace("]\n", ".")
    assert str(err.value) == f"{path}: {key}.env: not a valid variable name (value not shown)"
    assert "Zq9Canary" not in str(err.value)


def test_the_value_is_hidden_from_pydantics_own_message_too():
    with pytest.raises(ValueError) as err:
        SecretRef(env=PASTED)
    assert "not a valid variable name (value not shown)" in str(err.value) and "Zq9Canary" not in str(err.value)


@pytest.mark.parametrize("name", ["POSTGRES_PASSWORD", "_x", "a1_B2"])
def test_variable_names_are_accepted(name):
    assert SecretRef(env=name).describe() == f"env ${name}"


@pytest.mark.parametrize("name", ["", "1ABC", "A-B", "A B", "$A", "A=B"])
def test_what_no_shell_accepts_is_refused(name):
    with pytest.raises(ValueError, match="not a valid variable name"):
        SecretRef(env=name)


def test_a_regular_secret_file_is_read_without_its_line_break(tmp_path):
    (tmp_path / "pw").write_text("file-secret\n")
    assert read_secret_file(tmp_path / "pw") == "file-secret"
    (tmp_path / "max").write_bytes(b"x" * SECRET_FILE_MAX)
    assert len(read_secret_file(tmp_path / "max")) == SECRET_FILE_MAX


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


@pytest.mark.parametrize(("make", "says"), [
    (lambda tmp: Path("/dev/zero"), "is a character device, not a regular file"),
    (_fifo, "is a FIFO, not a regular file"),
    (lambda tmp: tmp, "is a directory, not a regular file"),
    (lambda tmp: (tmp / "big").write_bytes(b"x" * (SECRET_FILE_MAX + 1)) and tmp / "big", "larger than 64 KiB"),
    (lambda tmp: (tmp / "bin").write_bytes(b"\xff\xfe") and tmp / "bin", "is not UTF-8 text"),
    (lambda tmp: tmp / "absent", "cannot read secret file"),
])
def test_anything_but_a_small_regular_text_file_is_refused_in_one_line(tmp_path, make, says):
    path = make(tmp_path)
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        read_secret_file(path)
    assert time.monotonic() - started < 5
    assert says in str(err.value) and "\n" not in str(err.value)


class _Cfg:
    """What read_secret needs of a LoadedConfig: where relative paths resolve."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def resolve(self, relative: str) -> Path:
        return self.base / relative


def test_a_control_reading_a_fifo_fails_with_the_reason(tmp_path):
    _fifo(tmp_path)
    with pytest.raises(EvidenceUnavailable) as err:
        read_secret(SecretRef(file="fifo"), _Cfg(tmp_path))  # type: ignore[arg-type]
    assert str(err.value) == f"credential not available: secret file {tmp_path / 'fifo'} is a FIFO, not a regular file"


# Start-up in a fresh process, as `pytest`, `nestgate deploy`, `watch`, `kpi` and `incident` do it: the
# process must end within 5 s and say what is wrong in one line, not hang or grow to gigabytes.
STARTUP = """
import sys
from pathlib import Path
from nestgate.config import load_config
from nestgate.redact import register_config_secrets
cfg = load_config(sys.argv[1])
for problem in register_config_secrets(cfg.model, cfg.resolve):
    print(problem)
"""


@pytest.mark.parametrize("secret", ["/dev/zero", "fifo"])
def test_start_up_with_dev_zero_or_a_fifo_finishes_within_5s_with_one_line(tmp_path, secret):
    _fifo(tmp_path)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sec03_session_token").write_text("token-for-this-test\n")  # the default reference
    config = tmp_path / "nestgate.toml"
    config.write_text(f'[infra.database]\npassword = {{ file = "{secret}" }}\n')
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", STARTUP, str(config)], capture_output=True, text=True, timeout=30,
                          check=False, env={**os.environ, "REDIS_PASSWORD": "set-for-this-test"})
    assert time.monotonic() - started < 5, "start-up took 5 s or more"
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    kind = "a character device" if secret == "/dev/zero" else "a FIFO"
    path = secret if secret.startswith("/") else tmp_path / secret
    assert proc.stdout.splitlines() == [f"file {secret}: secret file {path} is {kind}, not a regular file"]
