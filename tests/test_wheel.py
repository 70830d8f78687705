"""The wheel is a complete package (issue #15, part 6): built, installed outside the source tree, run.

``pip wheel . --no-deps`` builds the wheel; it is installed with ``--no-deps`` into a fresh venv
in a temporary folder, which sees this test environment's dependencies (Qiskit, Aer, ...)
through a ``.pth`` line (only the folder: the editable install's finder in it is not loaded, so
``qar_qiskit`` is the wheel's copy, which the test checks). From a folder outside the source
tree the venv's ``qar`` script runs ``qar backends``, a decision with a packaged profile, a
decision with a packaged config, ``qar circuits export`` and a packaged sweep spec by name. Nothing
is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


def _run(args, cwd, env=None, timeout=300):
    out = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, f"{args}: exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return out


def _build_wheel(dest: Path) -> Path:
    # build from a copy: setuptools writes build/ and *.egg-info beside the sources, and a stale
    # build/ in the checkout would put deleted modules into the wheel
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "reports", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache"))
    base = [sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-index", "-q", "-w", dest]
    try:
        import setuptools  # noqa: F401  (build with this environment's setuptools: offline)

        _run([*base, "--no-build-isolation"], cwd=dest)
    except (ImportError, AssertionError):
        _run(base[:6] + base[7:], cwd=dest)  # isolated build: setuptools from the package index
    wheels = sorted(dest.glob("qar_qiskit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv python, qar script, work dir outside the tree, wheel)``."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert ROOT not in tmp.resolve().parents
    wheel = _build_wheel(tmp)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp).stdout.strip())
    # this environment's packages, as a plain path entry (its .pth files, the editable finder
    # among them, are not processed)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_qar_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
         cwd=tmp)
    work = tmp / "elsewhere"
    work.mkdir()
    return python, env_dir / "bin" / "qar", work, wheel


def _env(work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QAR_BACKEND_PROFILES")}
    return {**env, "QAR_JOB_STORE": str(work / "jobs.json"), "MPLBACKEND": "Agg"}


def test_wheel_holds_the_packaged_files(installed):
    names = set(zipfile.ZipFile(installed[3]).namelist())
    package = ROOT / "qar_qiskit"
    expected = {f"qar_qiskit/{p.relative_to(package).as_posix()}"
                for pattern in ("config.yaml", "configs/*.yaml", "sweeps/*.yaml", "data/*.csv.gz",
                                "**/*.py")
                for p in package.glob(pattern) if "__pycache__" not in p.parts}
    # the checkout's top-level backends/ folder ships as qar_qiskit/profiles
    expected |= {f"qar_qiskit/profiles/{p.name}" for p in (ROOT / "backends").glob("*.yaml")}
    assert len(expected) >= 60 and expected <= names, sorted(expected - names)
    assert not any(n.startswith("backends/") for n in names)


def test_pyproject_lists_every_package():
    # pyproject.toml lists the packages (a find directive cannot map backends/ to
    # qar_qiskit.profiles): every folder of qar_qiskit with an __init__.py must be listed
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "qar_qiskit").rglob("__init__.py")}
    assert listed == found | {"qar_qiskit.profiles"}, (sorted(found - listed), sorted(listed - found))


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    python, _, work, _ = installed
    out = _run([python, "-c", "import qar_qiskit, sys; print(qar_qiskit.__file__)"], cwd=work, env=_env(work))
    where = Path(out.stdout.strip()).resolve()
    assert ROOT not in where.parents and python.parent.parent in where.parents, where


def test_commands_run_from_outside_the_tree(installed):
    _, qar, work, _ = installed
    env = _env(work)
    tick = work / "tick.json"
    tick.write_text(json.dumps({"price": 4500.0, "volatility": 0.14, "trend_clarity": 0.8, "volume_normalized": 1.0}))

    backends = _run([qar, "backends"], cwd=work, env=env).stdout
    assert "aer" in backends and "exact" in backends

    # a packaged profile (aer, few shots) and a packaged config (17-qubit plans; exact backend)
    d = json.loads(_run([qar, "decide", "--tick", tick, "--profile", "aer", "--shots", "64", "--json"],
                        cwd=work, env=env).stdout)
    assert d["backend"] == "aer" and d["circuit"]["num_qubits"] >= 23
    d = json.loads(_run([qar, "--config", "noisy-small", "decide", "--tick", tick, "--backend", "exact", "--json"],
                        cwd=work, env=env).stdout)
    assert d["backend"] == "exact" and d["action"] in ("sell", "hold", "buy", "hedge")
    # every packaged profile resolves by name in the installed package
    for name in ("aer-noisy-torino", "ibm"):
        _run([qar.parent / "python", "-c", f"from qar_qiskit.backends import load_profile; load_profile({name!r})"],
             cwd=work, env=env)

    # the packaged sweep spec resolves by name (`qar sweep sweep-sp500 --out DIR`); an unknown
    # name lists it
    out = _run([qar.parent / "python", "-c", "from qar_qiskit.sweep.spec import load_spec; "
                "spec, cells = load_spec('sweep-sp500'); print(spec.data, len(cells))"], cwd=work, env=env)
    assert out.stdout.split() == ["['sp500']", "11"]
    bad = subprocess.run([str(qar), "sweep", "sweep-ftse", "--out", str(work / "sw")], cwd=work, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "packaged: sweep-sp500" in bad.stderr, bad.stderr

    _run([qar, "circuits", "export", work / "qasm"], cwd=work, env=env)
    # the installed package exports what the checkout's goldens hold (tests/circuits/test_export.py)
    exported = {p.name: p.read_text() for p in (work / "qasm").glob("*.qasm")}
    goldens = {p.name: p.read_text() for p in (ROOT / "circuits").glob("*.qasm")}
    assert len(exported) >= 5 and all("OPENQASM 3" in text for text in exported.values())
    assert exported == goldens
