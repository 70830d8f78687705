"""Sphinx configuration of the qar-qiskit documentation.

Build (warnings are errors; the tutorials are executed by myst-nb)::

    pip install -e '.[docs]'
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# Tutorials run numpy/BLAS and Aer on one thread, so the build time does not depend on the machine's
# load pattern (and the kernels inherit these).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import qar_qiskit  # noqa: E402

project = "qar-qiskit"
author = "qar-qiskit contributors"
copyright = "2026, qar-qiskit contributors"
release = qar_qiskit.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "reno.sphinxext",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "jupyter_execute",
    # included into other pages, not pages of their own
    "reference/ticks_table.md",
]

html_theme = "furo"
html_title = f"qar-qiskit {release}"
html_static_path: list[str] = []

# --- MyST / myst-nb -------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3
# Tutorials run at every build, with small shot counts, so they take seconds (see CONTRIBUTING.md).
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# --- API reference --------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# Docstrings cite types (numpy arrays, pydantic fields, qiskit objects) that are not documented
# here; an unresolved cross-reference is not an error of this documentation.
nitpicky = False
suppress_warnings = [
    # pydantic models and dataclasses document some attributes twice (field + docstring);
    # re-exports (qar_qiskit.QAR next to qar_qiskit.system.qar.QAR) do the same
    "autosummary.import_cycle",
    "ref.python",
    "myst.xref_missing",
]

# --- Release notes (reno) -------------------------------------------------------------------------
reno_config = {"relnotesdir": "releasenotes"}


# --- Generated pages ------------------------------------------------------------------------------
def write_ticks_table(app=None) -> Path:
    """Write ``reference/ticks_table.md`` from ``qar_qiskit.tick.tick_fields_table()``.

    The tick reference page includes it; when the function is absent (an older tree), the file says
    so and points at the ``MarketTick`` API entry instead.
    """
    from qar_qiskit import tick

    target = DOCS / "reference" / "ticks_table.md"
    table = getattr(tick, "tick_fields_table", None)
    if callable(table):
        text = str(table()).rstrip() + "\n"
    else:
        text = (
            "The field table is generated from `qar_qiskit.tick.tick_fields_table()`, which this "
            "version does not have; the fields and their bounds are listed in the "
            "{py:class}`~qar_qiskit.tick.MarketTick` docstring of the API reference.\n"
        )
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target


def setup(app):
    app.connect("builder-inited", write_ticks_table)
    return {"parallel_read_safe": True}
