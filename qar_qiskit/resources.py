"""Files shipped inside the package: example configs and backend profiles, found by name.

``qar --config noisy-small`` and ``--profile aer-noisy-torino`` name files in
``qar_qiskit/configs/`` and ``qar_qiskit/profiles/`` (the checkout's ``backends/``), so they
work from a wheel install as from a checkout. A path to an existing file always wins over a packaged name; when
neither matches, the error lists the packaged names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from qar_qiskit.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
#: Example configs (``qar --config NAME``); the default config is ``qar_qiskit/config.yaml``.
CONFIG_DIR = PACKAGE_DIR / "configs"
#: Backend profiles (``--profile NAME``): ``qar_qiskit/profiles`` in an installed wheel; in a
#: checkout (editable install) the repository's top-level ``backends/`` folder, which the wheel
#: ships as ``qar_qiskit/profiles`` (pyproject.toml ``package-dir``).
PROFILE_DIR = next((d for d in (PACKAGE_DIR / "profiles", PACKAGE_DIR.parent / "backends") if d.is_dir()),
                   PACKAGE_DIR / "profiles")


def packaged_names(folders: Iterable[Path]) -> list[str]:
    """Names (file stems) of the ``*.yaml`` files in ``folders``, sorted, without duplicates."""
    return sorted({p.stem for d in folders if d.is_dir() for p in d.glob("*.yaml")})


def resolve(name_or_path: str | os.PathLike, folders: Iterable[Path], what: str) -> Path:
    """An existing file ``name_or_path``, else ``<folder>/<name>.yaml`` (or ``<folder>/<name>``, or
    ``<folder's parent>/<name>`` when that lies in the folder: ``configs/noisy-small.yaml``).

    Args:
        name_or_path: a path, or a packaged name such as ``noisy-small``.
        folders: where names are looked up, in order.
        what: for the error, e.g. ``"config"`` or ``"backend profile"``.

    Raises:
        ConfigError: neither a file nor a packaged name; the message lists the packaged names.
    """
    folders = list(folders)
    path = Path(name_or_path)
    if path.is_file():
        return path
    name = str(name_or_path)
    for folder in folders:
        # a bare name, or a path relative to the package as a checkout writes it
        # ("configs/noisy-small.yaml" works from any directory)
        for candidate in (folder / f"{name}.yaml", folder / name, folder.parent / name):
            if candidate.parent.resolve() == folder.resolve() and candidate.is_file():
                return candidate
    names = packaged_names(folders)
    raise ConfigError(f"{what} {name!r} not found: no such file, and no packaged {what} of that name "
                      f"(packaged: {', '.join(names) or 'none'})")
