"""From decisions to positions, and the risk manager that turns positions into orders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qar_qiskit.config import RiskConfig

#: Exposure of each size level, and the factor a conservative risk bit applies.
SIZE_FRACTION = np.array([0.25, 0.5, 0.75, 1.0])
CONSERVATIVE_FACTOR = 0.5


def decision_positions(protection: float) -> np.ndarray:
    """Sleeve exposure of each of the 32 decisions ``d = A + 4 S + 16 K``.

    sell -> -f(S), hold -> 0, buy -> +f(S), hedge -> +f(S) (1 - protection) (a long position
    with ``protection`` of it hedged); a conservative risk bit halves the exposure.
    """
    pos = np.zeros(32)
    for d in range(32):
        a, s, k = d % 4, (d // 4) % 4, d // 16
        f = SIZE_FRACTION[s] * (1.0 if k else CONSERVATIVE_FACTOR)
        pos[d] = {0: -f, 1: 0.0, 2: f, 3: f * (1.0 - protection)}[a]
    return pos


@dataclass(frozen=True)
class RiskAssessment:
    scale: float
    flags: tuple[str, ...]


class RiskManager:
    """The seeds' risk limits: max position size, max daily loss, crisis threshold.

    * volatility targeting: exposure scales by ``min(1, target_volatility / volatility)``, so a
      volatile tick gets a smaller order than a stable one;
    * crisis mode (volatility >= crisis_threshold): exposure capped at the "small" level;
    * daily loss limit: once a day's recorded portfolio P&L reaches ``-max_daily_loss``, no new
      exposure that day, nor the next decision day (a cool-off, so the limit also acts on
      daily bars where each day has one decision).
    """

    def __init__(self, config: RiskConfig) -> None:
        self.config = config
        self.daily_pnl: dict[str, float] = {}
        self._last_day: str | None = None

    def assess(self, volatility: float, day: str) -> RiskAssessment:
        c = self.config
        flags = []
        scale = min(1.0, c.target_volatility / volatility) if volatility > 0 else 1.0
        if volatility >= c.crisis_threshold:
            scale = min(scale, SIZE_FRACTION[0])
            flags.append("crisis_mode")
        if self.daily_pnl.get(day, 0.0) <= -c.max_daily_loss:
            scale = 0.0
            flags.append("daily_loss_limit")
        elif (self.daily_pnl and self._last_day not in (None, day)
              and self.daily_pnl.get(self._last_day, 0.0) <= -c.max_daily_loss):
            # With one decision per day (daily bars) the limit cools off the next day.
            scale = 0.0
            flags.append("daily_loss_cooloff")
        return RiskAssessment(scale, tuple(flags))

    def record(self, day: str, pnl: float) -> None:
        self.daily_pnl[day] = self.daily_pnl.get(day, 0.0) + float(pnl)
        self._last_day = day
        if len(self.daily_pnl) > 10:  # only recent days matter
            for old in list(self.daily_pnl)[:-10]:  # insertion order: oldest days first
                del self.daily_pnl[old]

    def to_dict(self) -> dict:
        """The state a saved QAR keeps: the recent days' P&L and the last recorded day."""
        return {"daily_pnl": dict(self.daily_pnl), "last_day": self._last_day}

    @classmethod
    def from_dict(cls, config: RiskConfig, data: dict) -> RiskManager:
        """Inverse of :meth:`to_dict` (the mapping was validated by the state loader)."""
        risk = cls(config)
        risk.daily_pnl.update(data.get("daily_pnl", {}))
        risk._last_day = data.get("last_day")
        return risk

    def orders(self, position: float, flags: tuple[str, ...]) -> list[dict]:
        size = abs(position) * self.config.max_position_size
        if size <= 0:
            reason = ", ".join(flags) if flags else "no exposure"
            return [{"side": "none", "size": 0.0, "reason": reason}]
        return [{"side": "buy" if position > 0 else "sell", "size": float(size), "reason": ", ".join(flags)}]
