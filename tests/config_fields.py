"""Every numeric setting of ``config.yaml``, with the bounds its pydantic field declares.

Used by the bound tests (tests/test_config_bounds.py) and the extreme-value property
(tests/test_extreme_settings_properties.py) so that a setting added to the config is covered
without editing either: a leaf of the packaged ``config.yaml`` is a numeric setting when its
default is a number, a ``[min, max]`` qubit range (two settings, ``.min`` and ``.max``) or a
``[low, high]`` feature interval (``.low`` and ``.high``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Optional

import annotated_types as at
import yaml
from pydantic import BaseModel

from qar_qiskit.config import Interval, QARConfig, QubitRange, default_config_path

DEFAULTS: dict = yaml.safe_load(default_config_path().read_text())


@dataclass(frozen=True)
class NumericField:
    """One numeric setting: its path in the YAML, type and declared bounds (None: unbounded)."""

    path: tuple  # YAML path; a qubit range's end adds "min"/"max" (written [min, max] in YAML)
    kind: type  # int or float
    low: Optional[float]
    low_open: bool
    high: Optional[float]
    high_open: bool

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path)

    def set(self, data: dict, value) -> dict:
        """A copy of ``data`` with this setting set to ``value``."""
        out = copy.deepcopy(data)
        node = out
        yaml_path = self.path[:-1] if self._in_pair else self.path
        for key in yaml_path[:-1]:
            node = node[key]
        if self._in_pair:
            pair = list(node[yaml_path[-1]])
            pair[0 if self.path[-1] in ("min", "low") else 1] = value
            node[yaml_path[-1]] = pair
        else:
            node[yaml_path[-1]] = value
        return out

    @property
    def _in_pair(self) -> bool:
        return self.path[-1] in ("min", "max", "low", "high") and isinstance(_yaml_get(DEFAULTS, self.path[:-1]), list)


def _yaml_get(data, path):
    for key in path:
        data = data[key]
    return data


def _bounds(metadata) -> tuple:
    low = high = None
    low_open = high_open = False
    for m in metadata:
        if isinstance(m, at.Ge):
            low = m.ge
        elif isinstance(m, at.Gt):
            low, low_open = m.gt, True
        elif isinstance(m, at.Le):
            high = m.le
        elif isinstance(m, at.Lt):
            high, high_open = m.lt, True
    return low, low_open, high, high_open


def _field(model: type[BaseModel], path: tuple, name: str) -> NumericField:
    info = model.model_fields[name]
    kind = int if info.annotation is int or "int" in str(info.annotation) else float
    return NumericField((*path, name), kind, *_bounds(info.metadata))


def numeric_fields(model: type[BaseModel] = QARConfig, node: dict = DEFAULTS, path: tuple = ()) -> list[NumericField]:
    """Every numeric setting present in the packaged config, in file order."""
    out = []
    for key, value in node.items():
        info = model.model_fields[key]
        sub = info.annotation
        if isinstance(value, dict):
            out += numeric_fields(sub, value, (*path, key))
        elif isinstance(value, list) and sub is QubitRange:
            out += [_field(QubitRange, (*path, key), end) for end in ("min", "max")]
        elif isinstance(value, list) and sub is Interval:
            out += [_field(Interval, (*path, key), end) for end in ("low", "high")]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(_field(model, path, key))
        elif value is None and "int" in str(info.annotation):  # optional integers (optimization_level)
            out.append(_field(model, path, key))
    return out


FIELDS: tuple[NumericField, ...] = tuple(numeric_fields())


def above(field: NumericField):
    """The smallest value above the field's upper bound (None when unbounded)."""
    if field.high is None:
        return None
    if field.kind is int:
        return int(field.high) + (0 if field.high_open else 1)
    return field.high if field.high_open else math.nextafter(field.high, math.inf) if field.high < 1e300 else None


def in_range(field: NumericField):
    """A Hypothesis strategy for values the field's own bounds accept (both must be declared)."""
    from hypothesis import strategies as st

    if field.kind is int:
        return st.integers(int(field.low) + field.low_open, int(field.high) - field.high_open)
    return st.floats(field.low, field.high, exclude_min=field.low_open, exclude_max=field.high_open)
