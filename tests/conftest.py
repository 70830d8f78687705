"""Suite-wide setup: the Hypothesis profiles of the property-based tests (see tests/properties.py)."""

import tests.properties  # noqa: F401  (registers and loads the qar-ci / qar-slow profiles)
