"""nestgate's layers read off the import graph (ast, nothing imported or run):

config -> declared model -> probes (read) / drills (write) -> rules (pure judgement) -> controls -> gate.

- probes/ never import upward (rules, gate, watch, testbed, drills, the commands);
- rules/ do no I/O: they import only rules, readers, engine facts and pure standard modules, and
  call nothing that reads or writes files, processes, the network or the environment;
- probes/readers/ (raw output -> facts) are as pure as rules;
- a control file imports a writing module (drills/) only when its control is a drill;
- every control's logic is found from its ID by file name alone: tests_<gate>/test_<name>.py <->
  nestgate/rules/<name>.py, one to one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, GATES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nestgate"

# Standard modules whose import means a module can read or write the world.
IO_MODULES = {"os", "subprocess", "socket", "shutil", "tempfile", "sqlite3", "http", "urllib.request",
              "requests", "urllib3", "docker", "psycopg", "redis", "testinfra", "paramiko", "pytest",
              "threading", "concurrent", "multiprocessing", "signal", "select", "asyncio", "glob", "io"}
# Calls that do I/O whatever module they come from (Path methods, builtins).
IO_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob", "rglob", "stat",
            "lstat", "exists", "is_file", "is_dir", "mkdir", "unlink", "rmdir", "touch", "resolve", "getenv",
            "sleep", "print", "input", "system", "popen", "urlopen"}
PURE_NESTGATE = ("nestgate.rules", "nestgate.probes.readers", "nestgate.probes.engine_facts", "nestgate.errors",
                 "nestgate.catalog")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name, e.g. nestgate.probes.engine or docker.errors
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def runtime_imports(path: Path) -> list[Import]:
    """Imports that run (those under `if TYPE_CHECKING:` only name types for the checker).
    `from nestgate.probes import engine` is an import of the module nestgate.probes.engine."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            out += [Import(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (nestgate uses absolute imports)"
            base = str(node.module)
            out += [Import(f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base, node.lineno)
                    for a in node.names]
    return out


def _is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def io_calls(path: Path) -> list[str]:
    """Calls and names in a module's own code that do I/O: `open(...)`, `path.read_text()`, os.environ..."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in IO_CALLS:
                found.append(f"line {node.lineno}: {ast.unparse(func)}()")
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def files_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_probes_never_import_upward():
    upward = ("nestgate.rules", "nestgate.gate", "nestgate.watch", "nestgate.testbed", "nestgate.drills",
              "nestgate.cli", "nestgate.deploy", "nestgate.demo")
    bad = [f"{p.relative_to(ROOT)}:{i.line} imports {i.module}" for p in files_under("probes")
           for i in runtime_imports(p) if _within(i.module, upward)]
    assert not bad, "\n".join(bad)


def test_config_imports_nothing_above_it():
    allowed = ("nestgate.config", "nestgate.errors", "nestgate.catalog")
    bad = [f"{p.relative_to(ROOT)}:{i.line} imports {i.module}" for p in files_under("config")
           for i in runtime_imports(p) if i.module.startswith("nestgate") and not _within(i.module, allowed)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("folder", ["rules", "probes/readers"])
def test_rules_and_readers_do_no_io(folder):
    bad = []
    for p in files_under(folder):
        for i in runtime_imports(p):
            top = i.module.split(".")[0]
            if i.module.startswith("nestgate") and not _within(i.module, PURE_NESTGATE):
                bad.append(f"{p.relative_to(ROOT)}:{i.line} imports {i.module}")
            elif _within(i.module, tuple(IO_MODULES)) or top in IO_MODULES:
                bad.append(f"{p.relative_to(ROOT)}:{i.line} imports {i.module}, which does I/O")
        bad += [f"{p.relative_to(ROOT)} {call}" for call in io_calls(p)]
    assert not bad, "\n".join(bad)


def _control_files() -> dict[str, Path]:
    """Control ID -> its test file, read from the file names (test_<id>_<line>.py)."""
    out = {}
    for gate in GATES:
        for path in sorted((ROOT / f"tests_{gate}").glob("test_*.py")):
            prefix = path.stem.removeprefix("test_").split("_", 1)[0]
            out[f"{prefix[:3].upper()}-{prefix[3:]}"] = path
    return out


def test_every_control_has_one_test_file_and_one_rules_module_of_the_same_name():
    files = _control_files()
    assert sorted(files) == sorted(CONTROLS)
    rules = {p.stem for p in (PACKAGE / "rules").glob("*.py")} - {"__init__", "findings", "messages"}
    assert sorted(rules) == sorted(p.stem.removeprefix("test_") for p in files.values())


def test_a_control_file_imports_a_writing_module_only_when_its_control_is_a_drill():
    bad = []
    for cid, path in _control_files().items():
        writes = [i for i in runtime_imports(path) if _within(i.module, ("nestgate.drills",))]
        if writes and not CONTROLS[cid].drill:
            bad += [f"{path.relative_to(ROOT)}:{i.line} imports {i.module} ({cid} is not a drill)" for i in writes]
    assert not bad, "\n".join(bad)


def test_drill_controls_are_the_ones_that_write():
    drills = {cid for cid, path in _control_files().items()
              if any(_within(i.module, ("nestgate.drills",)) for i in runtime_imports(path))}
    assert drills == {cid for cid, c in CONTROLS.items() if c.drill}


def test_the_layering_check_sees_what_it_must(tmp_path):
    """The checks above can fail: they see a runtime import, skip a TYPE_CHECKING one, see a file read."""
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nfrom nestgate.probes import engine\n"
                      "if TYPE_CHECKING:\n    from nestgate.probes.http import Http\n"
                      "def f(p):\n    return p.read_text(), engine\n", encoding="utf-8")
    assert [i.module for i in runtime_imports(sample)] == ["typing", "nestgate.probes.engine"]
    assert io_calls(sample) == ["line 6: p.read_text()"]
