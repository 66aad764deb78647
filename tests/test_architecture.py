"""The layering contract: no import cycles, and every import points down.

``lint-imports`` (import-linter, configured in pyproject.toml) checks that no module imports a
higher layer, at module or function level. The first-import test imports every module of the
installed packages as the first project import of a fresh interpreter, which is where a cycle
hidden behind package ``__init__`` files shows up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs_registry", "memenv", "agents", "baselines", "memenv_app", "experiments")
THIRD_PARTY = ("numpy", "gymnasium", "torch", "transformers", "trl", "peft", "accelerate")
OPTIONAL_ENGINES = ("verl", "skyrl_gym")
"""Engines with their own install (verl: its own venv, ``make test-verl``): an adapter module
that subclasses an engine class may fail here with "No module named <engine>", and only that."""
"""Imported once in the parent before forking: heavy, and not ours (cycles are among ours)."""


def project_modules() -> list[str]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py":  # a script (`python -m ...`), run rather than imported
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


FORK_AND_IMPORT = r"""
import importlib, os, sys, traceback
for name in sys.argv[2].split(","):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
modules = sys.argv[1].split(",")
assert not any(m.split(".")[0] in {p.split(".")[0] for p in modules} for m in sys.modules)
failures = []
for module in modules:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            code = 0
        except ModuleNotFoundError as exc:
            code = 0 if exc.name in sys.argv[3].split(",") else 1
            if code:
                os.write(write, traceback.format_exc()[-3000:].encode())
        except BaseException:
            os.write(write, traceback.format_exc()[-3000:].encode())
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failures.append(f"--- {module}\n{message}")
print("\n".join(failures))
sys.exit(1 if failures else 0)
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_every_module_imports_first_in_a_fresh_interpreter():
    modules = project_modules()
    assert "memenv.envs.answer_agent" in modules and "memenv_app.cli" in modules
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            FORK_AND_IMPORT,
            ",".join(modules),
            ",".join(THIRD_PARTY),
            ",".join(OPTIONAL_ENGINES),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_import_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and " 0 broken" in proc.stdout


def test_the_contract_catches_an_upward_import(tmp_path):
    """The contract is not vacuous: a library module importing a baseline inside a function
    breaks it (checked on a copy of the tree)."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    for item in (*PACKAGES, "pyproject.toml"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, tmp_path / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / item)
    spaces = tmp_path / "memenv" / "spaces.py"
    spaces.write_text(spaces.read_text() + "\n\ndef _probe():\n    import baselines  # noqa\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([lint], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "memenv.spaces -> baselines" in proc.stdout
