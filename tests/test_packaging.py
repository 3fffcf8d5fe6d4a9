"""Packaging: a torch range (not a pin) in the requirements, `python -m ncnet`, extras."""

import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def torch_requirement(requirements: list[str]) -> Requirement:
    (req,) = [r for r in map(Requirement, requirements) if r.name == "torch" and not r.marker]
    return req


def test_pyproject_requires_a_torch_range_and_constraints_pin_one_inside_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    req = torch_requirement(project["dependencies"])
    assert all(spec.operator not in ("==", "===", "~=") for spec in req.specifier), req
    # a CUDA build of another supported version is kept, older ones are not
    for version in ("2.6.0", "2.11.0+cu130", "2.13.0", "2.13.0+cpu"):
        assert req.specifier.contains(version), version
    assert not req.specifier.contains("2.5.1")
    pins = [Requirement(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    (pin,) = [p for p in pins if p.name == "torch"]
    assert [s.operator for s in pin.specifier] == ["=="]
    assert req.specifier.contains(next(iter(pin.specifier)).version)


def test_installed_metadata_has_no_exact_torch_pin():
    dist = importlib.metadata.distribution("ncnet")
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    if url and Path(url2pathname(urlparse(url).path)).resolve() != ROOT:
        pytest.skip(f"the installed ncnet metadata comes from {url}, not from this checkout")
    req = torch_requirement(importlib.metadata.requires("ncnet"))
    assert req.specifier and all(s.operator != "==" for s in req.specifier), req


def test_python_dash_m_ncnet_prints_help():
    result = subprocess.run([sys.executable, "-m", "ncnet", "--help"], capture_output=True,
                            text=True, timeout=120, env={"COLUMNS": "100", "PYTHONPATH":
                                                         str(ROOT / "src"), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert "Usage: ncnet [OPTIONS] COMMAND" in result.stdout
    for command in ("toy", "lora", "score", "report", "run", "bench", "bell"):
        assert f" {command} " in result.stdout


def test_require_names_the_extra_for_a_missing_package(monkeypatch):
    from ncnet.runtime import extras

    for module, extra in (("datasets", "lora"), ("transformers", "lora"), ("peft", "lora"),
                          ("ray", "ray"), ("torchmetrics", "metrics"), ("clarabel", "bell")):
        monkeypatch.setitem(sys.modules, module, None)
        with pytest.raises(extras.MissingExtraError) as err:
            extras.require(module)
        assert str(err.value) == (f"{module} is not installed; it comes with the extra: "
                                  f"pip install 'ncnet[{extra}]'")
    assert extras.require("json") is json


def test_every_extra_named_by_require_exists_in_pyproject():
    from ncnet.runtime import extras

    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for module, extra in extras.EXTRAS.items():
        assert any(Requirement(r).name == module for r in optional[extra]), (module, extra)


def test_an_import_error_inside_an_installed_package_is_not_hidden(monkeypatch):
    from ncnet.runtime import extras

    monkeypatch.setitem(sys.modules, "json.missing_part", None)
    with pytest.raises(ModuleNotFoundError):
        extras.require("json.missing_part")


def test_the_cli_and_the_toy_config_import_no_torch_and_no_data_stack():
    """A default CPU `ncnet toy` trains in a worker process and loads the report's modules
    meanwhile; that only pays if the main process does not import torch (1.5 s) itself."""
    code = ("import sys, ncnet.cli, ncnet.experiments.toy.experiment, ncnet.engine.sweep, "
            "ncnet.engine.executors; "
            "print(sorted(m for m in ('torch', 'pandas', 'transformers', 'scipy.stats') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
