"""The Bell package is light: no torch, and its solvers are imported only when used."""

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_importing_the_bell_package_and_its_cli_loads_no_torch_and_no_solver():
    code = ("import sys, ncnet.bell, ncnet.cli.bell; "
            "print(sorted(m for m in ('torch', 'clarabel', 'cvxpy', 'scipy.optimize') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(SRC), "PATH": ""}, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
