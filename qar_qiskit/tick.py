"""The market tick: the validated input of one decision."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qar_qiskit.errors import InputError, QARError


class MarketTick(BaseModel):
    """One market observation (seeds: ``process_market_tick`` market data).

    Attributes:
        price: last price, > 0.
        volatility: annualised realised volatility, >= 0 (0.15 = 15%).
        volume: traded volume, >= 0 (optional).
        volume_normalized: volume relative to its recent average (1.0 = normal).
        trend: signed annualised drift estimate (optional).
        trend_clarity: how clean the trend is, in [0, 1] (R² of a log-price fit).
        bid_ask_spread: quoted spread, >= 0 (optional).
        vix: VIX level as a fraction (0.2 = 20 points), optional.
        timestamp: time of the observation (optional).

    NaN, infinities, missing required fields and wrong types are rejected with an
    :class:`~qar_qiskit.errors.InputError` that names the field, both by the constructor and by
    :meth:`parse`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=False)

    price: float = Field(gt=0)
    volatility: float = Field(ge=0, le=20)
    volume: Optional[float] = Field(default=None, ge=0)
    volume_normalized: float = Field(default=1.0, ge=0, le=1000)
    trend: Optional[float] = None
    trend_clarity: float = Field(default=0.5, ge=0, le=1)
    bid_ask_spread: Optional[float] = Field(default=None, ge=0)
    vix: Optional[float] = Field(default=None, ge=0)
    timestamp: Optional[datetime] = None

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
    def parse(cls, data: dict) -> "MarketTick":
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
