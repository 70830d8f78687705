"""The market tick: the validated input of one decision."""

from __future__ import annotations

import math
import typing
from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qar_qiskit.errors import InputError, QARError


def _field(default=..., *, unit: str, meaning: str, read: bool, **bounds):
    """A tick field: its default, bounds, unit and meaning (the source of :func:`tick_fields_table`
    and of ``qar decide --help``); ``read``: whether the decision reads it."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit, "read_by_decision": read}, **bounds)


class MarketTick(BaseModel):
    """One market observation (seeds: ``process_market_tick`` market data).

    The fields, their units, defaults, ranges and meaning are in :func:`tick_fields_table` (the
    table ``qar decide --help`` shows). Only ``price`` and ``volatility`` are required; a field the
    decision reads that the tick leaves out takes its default, and :meth:`defaulted_fields` names
    it (the decision's ``missing_context`` reports it).

    NaN, infinities, missing required fields and wrong types are rejected with an
    :class:`~qar_qiskit.errors.InputError` that names the field, both by the constructor and by
    :meth:`parse`.

    Example:
        >>> MarketTick(price=4500.0, volatility=0.14).defaulted_fields()
        ['volume_normalized', 'trend_clarity']
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)

    price: float = _field(unit="currency units", read=True, gt=0,
                          meaning="last price; the log return from the previous tick's price extends the "
                                  "return history the experts read")
    volatility: float = _field(unit="annualised fraction (0.15 = 15%)", read=True, ge=0, le=20,
                               meaning="realised volatility: regime analysis and the risk limits (crisis mode, "
                                       "volatility targeting of the orders)")
    volume: Optional[float] = _field(None, unit="shares or contracts", read=False, ge=0,
                                     meaning="traded volume; recorded, not read (give volume_normalized)")
    volume_normalized: float = _field(1.0, unit="ratio to the recent average (1.0 = normal)", read=True,
                                      ge=0, le=1000, meaning="relative volume: regime analysis")
    trend: Optional[float] = _field(None, unit="annualised drift, signed", read=False,
                                    meaning="trend estimate; recorded, not read")
    trend_clarity: float = _field(0.5, unit="fraction in [0, 1]", read=True, ge=0, le=1,
                                  meaning="how clean the trend is (R² of a log-price fit): regime analysis")
    bid_ask_spread: Optional[float] = _field(None, unit="currency units", read=False, ge=0,
                                             meaning="quoted spread; recorded, not read")
    vix: Optional[float] = _field(None, unit="fraction (0.2 = 20 VIX points)", read=False, ge=0,
                                  meaning="VIX level; recorded, not read")
    timestamp: Optional[datetime] = _field(None, unit="ISO 8601 date-time", read=True,
                                           meaning="time of the observation: its date is the day of the "
                                                   "daily-loss limit (without it each tick is its own day)")

    def defaulted_fields(self) -> list[str]:
        """The fields the decision reads that this tick left out and that took a default value
        (not ``timestamp``, whose absence only makes each tick its own risk day), in field order."""
        return [name for name, f in type(self).model_fields.items()
                if name not in self.model_fields_set and f.default is not None
                and _extra(f).get("read_by_decision")]

    def __init__(self, **data) -> None:
        """Validate keyword fields; raise :class:`InputError` naming each bad field."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InputError(f"tick: {QARError.from_validation(exc)}") from None

    # Validation is the base model's, so pydantic need not route ``model_validate`` through this
    # ``__init__`` (as pydantic's own RootModel does); ``parse`` then converts the error once.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @field_validator("price", "volatility", "volume", "volume_normalized", "trend",
                     "trend_clarity", "bid_ask_spread", "vix", mode="before")
    @classmethod
    def _no_bools_or_strings(cls, value, info):
        if isinstance(value, bool):
            raise ValueError(f"{info.field_name} must be a number, not a boolean")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{info.field_name} must be finite, got {value}")
        return value

    @classmethod
    def parse(cls, data: dict) -> MarketTick:
        """Validate a mapping; raise :class:`InputError` naming each bad field."""
        if not isinstance(data, dict):
            raise InputError(f"tick: expected a mapping of fields, got {type(data).__name__}")
        for key in data:
            if not isinstance(key, str):
                raise InputError(f"tick: {key!r}: field names must be strings")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError(f"tick: {QARError.from_validation(exc)}") from None


def _allowed_range(field) -> str:
    """The range a field's bounds allow, e.g. ``[0, 20]``, ``> 0``, ``any finite``."""
    lo = hi = None
    for bound in field.metadata:
        for attr, side in (("gt", "lo"), ("ge", "lo"), ("lt", "hi"), ("le", "hi")):
            value = getattr(bound, attr, None)
            if value is not None:
                if side == "lo":
                    lo = (attr, value)
                else:
                    hi = (attr, value)
    if lo and hi:
        return f"{'[' if lo[0] == 'ge' else '('}{lo[1]:g}, {hi[1]:g}{']' if hi[0] == 'le' else ')'}"
    if lo:
        return f"{'>=' if lo[0] == 'ge' else '>'} {lo[1]:g}"
    if hi:
        return f"{'<=' if hi[0] == 'le' else '<'} {hi[1]:g}"
    return "any finite" if field.annotation is not Optional[datetime] else "-"


def _extra(field) -> dict:
    """A field's ``json_schema_extra`` mapping (empty when it has none)."""
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def _type_name(field) -> str:
    args = [a for a in typing.get_args(field.annotation) if a is not type(None)] or [field.annotation]
    return args[0].__name__


def tick_fields() -> list[dict[str, str]]:
    """One row per :class:`MarketTick` field: ``field``, ``type``, ``unit``, ``default``
    (``required``, the value, or ``optional`` for a field without one), ``range`` and ``meaning``, from
    the model's field definitions."""
    rows = []
    for name, f in MarketTick.model_fields.items():
        extra = _extra(f)
        default = "required" if f.is_required() else ("optional" if f.default is None else str(f.default))
        rows.append({"field": name, "type": _type_name(f), "unit": str(extra.get("unit", "")), "default": default,
                     "range": _allowed_range(f), "meaning": f.description or ""})
    return rows


def tick_fields_table() -> str:
    """The tick schema as a Markdown table: field, type, unit, default, allowed range, meaning.

    Built from :class:`MarketTick`'s field definitions, the same source as ``qar decide --help``.

    Example:
        >>> print(tick_fields_table().splitlines()[2])
        | price | float | currency units | required | > 0 | last price; ... |
    """
    head = "| field | type | unit | default | allowed range | meaning |\n|---|---|---|---|---|---|"
    body = [f"| {r['field']} | {r['type']} | {r['unit']} | {r['default']} | {r['range']} | {r['meaning']} |"
            for r in tick_fields()]
    return "\n".join([head, *body])


def tick_fields_help() -> str:
    """The tick schema as plain text for ``qar decide --help`` (one paragraph per field)."""
    return "\n\n".join(f"{r['field']} ({r['default']}; {r['range']}; {r['unit']}): {r['meaning']}"
                        for r in tick_fields())
