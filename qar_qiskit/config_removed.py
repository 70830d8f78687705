"""Config keys that older files carry and nothing reads any more, and the error that names them.

A setting that changes nothing is worse than none: a user who sets ``learning.update_frequency: 10``
expects the memory to learn every tenth outcome. Such keys are removed from the model and listed
here; :func:`refuse_removed_keys` (called by :func:`qar_qiskit.config.parse_config` for config
files and overrides) refuses a mapping that still has one. The configs embedded in saved states
are written by the program and cannot be edited (checksum), so loading a state drops these keys
(:func:`without_removed_keys`): they never changed what the program did.
"""

from __future__ import annotations

import copy

from qar_qiskit.errors import ConfigError

#: Keys older config files (and the configs embedded in older saved states) carry that nothing
#: reads any more: dotted key -> why it went. :func:`parse_config` refuses a file that has one,
#: naming the key and saying what to do, rather than accept a setting that changes nothing.
REMOVED_KEYS: dict[str, str] = {
    "resource_allocation.dynamic_ranges.qar_core":
        "the decision register is always 5 qubits: action 2, size 2, risk 1",
    "resource_allocation.dynamic_ranges.working_memory":
        "the market register is always 4 qubits: one 4-bit code per regime",
    "resource_allocation.dynamic_ranges.learning_state":
        "the memory register's width follows the number of experts (2 qubits for 4 experts)",
    "learning.update_frequency":
        "the learning memory is updated after every recorded outcome, which is all the code ever did",
    **{f"algorithms.{name}.priority":
       "the words high/medium/high_in_crisis did not determine the plans; resource_allocation.priority "
       "now gives, per regime, the order in which spare qubits go to the experts"
       for name in ("lmsr", "prospect", "hedge")},
}


def removed_keys(data: dict) -> list[str]:
    """The keys of :data:`REMOVED_KEYS` present in the config mapping ``data``, in table order."""
    found = []
    for dotted in REMOVED_KEYS:
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            found.append(dotted)
    return found


def without_removed_keys(data: dict) -> dict:
    """A copy of ``data`` without the keys of :data:`REMOVED_KEYS` (``data`` is not changed)."""
    out = copy.deepcopy(data)
    for dotted in removed_keys(out):
        node = out
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        del node[leaf]
    return out


def refuse_removed_keys(data: dict, source: str) -> None:
    """Raise if ``data`` has a key of :data:`REMOVED_KEYS`.

    Raises:
        ConfigError: ``<source>: <key>: this setting was removed (<why>); delete it from the file``,
            one clause per removed key present.
    """
    old = removed_keys(data)
    if old:
        raise ConfigError(f"{source}: " + "; ".join(
            f"{key}: this setting was removed ({REMOVED_KEYS[key]}); delete it from the file"
            for key in old) + " (docs/config.md lists every setting and what reads it)")
