"""Independent baseline runs: the exact twin and each expert alone, each its own backtest.

* **Exact twin**: the same config, data and seed on ``backend exact`` (no sampling). It has
  its own learning, feedback and risk path, so it is what the strategy would have done had
  every tick been decided from the exact distribution, not the twin's choice on the sampled
  run's path.
* **Expert alone**: the same config and data on ``backend exact`` with learning off and the
  memory fixed on one expert: ``w[r, a] = 1`` for that expert in every regime, no
  multiplicative-weights update and no feedback angles (the feedback history stays empty);
  the decision rule (argmax of the 32-way distribution, position table) and the risk manager
  (volatility scaling, daily-loss cool-off on the run's own P&L) are the QAR's own.

The expert runs use :class:`ExpertAloneQAR`, a subclass of :class:`~qar_qiskit.system.qar.QAR`
that replaces two attributes after construction (``memory`` and ``feedback_history``); no
change to ``QAR`` itself is needed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from qar_qiskit.labels import EXPERTS
from qar_qiskit.system.qar import QAR


class FixedMemory:
    """A learning memory fixed on one expert: ``w[r, a] = 1[a = expert]``; ``update`` is a no-op.

    Args:
        expert: the expert's name (one of ``names``).
        names: the QAR's experts in memory order (default the four built-ins).
    """

    def __init__(self, expert: str, names: tuple[str, ...] = EXPERTS) -> None:
        if expert not in names:
            raise ValueError(f"expert: unknown {expert!r}; choose one of {', '.join(names)}")
        self.expert = expert
        w = np.zeros((4, len(names)))
        w[:, names.index(expert)] = 1.0
        w.setflags(write=False)
        self._w = w
        self.learning_rate = 0.0
        self.updates = 0

    @property
    def weights(self) -> np.ndarray:
        return self._w

    @property
    def amplitudes(self) -> np.ndarray:
        return np.sqrt(self._w)

    def update(self, rewards, regime_probabilities) -> None:
        """Learning is off: the weights never move."""


class ExpertAloneQAR(QAR):
    """A QAR whose memory is fixed on one expert, with learning and feedback off.

    Args:
        config: the run's config.
        expert: the expert's name.
        **kwargs: passed to :class:`QAR` (backend, shots, seed...).
    """

    def __init__(self, config, expert: str, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.memory = FixedMemory(expert, self.experts.names)
        self.feedback_history = deque(maxlen=0)  # appends are dropped: no feedback angles


def independent_baselines(config, seed, run: Callable[[Any], Any]) -> dict[str, Any]:
    """Run the exact twin and every expert alone.

    Args:
        config: the strategy's :class:`~qar_qiskit.config.QARConfig`.
        seed: the strategy's base seed (the twin's decision ids use it; the exact backend
            samples nothing).
        run: ``run(qar) -> BacktestResult`` on the strategy's data and dates, without
            baselines of its own.

    Returns:
        name -> result: ``exact_twin`` and ``expert_<name>`` for each of the config's experts.
    """
    out = {"exact_twin": run(QAR(config, backend="exact", seed=seed))}
    for name in config.experts:
        out[f"expert_{name}"] = run(ExpertAloneQAR(config, name, backend="exact", seed=seed))
    return out
