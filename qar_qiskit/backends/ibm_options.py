"""Options of IBM hardware jobs: execution-time cap, job tags, fractional gates, DD and twirling.

Checked against qiskit-ibm-runtime 0.51's client-side ``SamplerOptions``
(``qiskit_ibm_runtime.options_models``):

* ``max_execution_time`` -- the **top-level** sampler option (seconds of QPU time, not wall
  time; IBM cancels a job that exceeds it, and caps every job at 3 hours = 10800 s). The
  ``environment.max_execution_time`` field is deprecated (the executor warns when it is used).
* ``environment.job_tags`` -- strings attached to the job; ``QiskitRuntimeService.jobs(job_tags=
  [...])`` finds jobs carrying all of them. Every qar job carries ``qar`` and a plan tag
  (:func:`plan_tag`), so a job can be found and decoded without the local job store.
* ``dynamical_decoupling`` (``enable``, ``sequence_type`` in ``XX``/``XpXm``/``XY4``,
  ``extra_slack_distribution``, ``scheduling_method``, ``skip_reset_qubits``) -- applied on our
  side by the client-side sampler from the target's durations; not with dynamic circuits.
* ``twirling`` (``enable_gates``, ``enable_measure``, ``group``, ``num_randomizations``,
  ``shots_per_randomization``, ``strategy``) -- both default to off for the Sampler.

**Gate twirling is on by default** for hardware jobs that do not use fractional gates
(:func:`default_twirling`; IBM refuses gate twirling with fractional gates, so a device loaded
with them keeps it off): a gate-twirled device's averaged noise is the Pauli twirl of its gate
errors, which is what the default noisy simulator ``aer-noisy`` models
(:mod:`qar_qiskit.backends.twirl`), so simulation and hardware see the same kind of noise. An
explicit ``twirling.enable_gates`` (``--twirl``, profile) always wins. Measurement twirling
and DD stay **off by default** and are passed through when asked for (``--dd XY4``): the fake
devices' noise models are Markovian (no ZZ crosstalk), the noise DD acts on, so their benefit
cannot be measured here.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qar_qiskit.errors import ConfigError, QARError

__all__ = ["HardwareOptions", "default_twirling", "plan_tag", "plan_from_tags", "QAR_TAG", "PLAN_TAG_PREFIX",
           "MAX_EXECUTION_TIME_CAP", "DEFAULT_MAX_EXECUTION_TIME", "hardware_options"]

QAR_TAG = "qar"
PLAN_TAG_PREFIX = "qar-plan:"
#: IBM's service-wide cap on a job's QPU time (seconds).
MAX_EXECUTION_TIME_CAP = 10800
#: Default cap per job: 5 minutes of QPU time (a default tick is ~1 s: ``qar submit --dry-run``).
DEFAULT_MAX_EXECUTION_TIME = 300


class HardwareOptions(BaseModel):
    """Validated hardware-job options (``ConfigError`` naming the field on bad input)."""

    model_config = ConfigDict(extra="forbid")

    max_execution_time: int = Field(DEFAULT_MAX_EXECUTION_TIME, ge=1, le=MAX_EXECUTION_TIME_CAP)
    job_tags: list[str] = Field(default_factory=list)
    fractional_gates: Union[bool, Literal["auto"]] = "auto"
    twirling: dict[str, Any] = Field(default_factory=dict)
    dynamical_decoupling: dict[str, Any] = Field(default_factory=dict)

    @field_validator("job_tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if not tag.strip() or len(tag) > 128 or "," in tag:
                raise ValueError(f"job tag {tag!r} must be 1-128 characters without commas")
        return tags

    @field_validator("twirling", "dynamical_decoupling")
    @classmethod
    def _known_keys(cls, value: dict[str, Any], info) -> dict[str, Any]:
        from qiskit_ibm_runtime.options_models import DynamicalDecouplingOptions, TwirlingOptions

        model = TwirlingOptions if info.field_name == "twirling" else DynamicalDecouplingOptions
        try:
            model(**value)
        except ValidationError as exc:
            bad = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(bad) from None
        return value

    @property
    def wants_fractional(self) -> bool:
        """Fractional gates requested or automatic, and no gate twirling (IBM refuses the mix)."""
        if self.twirling.get("enable_gates"):
            if self.fractional_gates is True:
                raise ConfigError("twirling.enable_gates: gate twirling cannot be combined with fractional gates "
                                  "(IBM Runtime feature compatibility); drop one of them")
            return False
        return self.fractional_gates in (True, "auto")


def default_twirling(twirling: dict[str, Any], fractional: bool) -> dict[str, Any]:
    """The job's twirling options: ``twirling`` with ``enable_gates=True`` added when the device
    runs without fractional gates and ``enable_gates`` was not set (module docstring)."""
    out = dict(twirling)
    if not fractional and "enable_gates" not in out:
        out["enable_gates"] = True
    return out


def hardware_options(**fields: Any) -> HardwareOptions:
    """:class:`HardwareOptions` from keyword fields; ``None`` values take the defaults."""
    try:
        return HardwareOptions(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise QARError.from_validation(exc) from None


def plan_tag(plan: Any) -> str | None:
    """``qar-plan:<regime>:<size,size,...>`` (component order) for an AllocationPlan, else None."""
    if plan is None or not hasattr(plan, "sizes"):
        return None
    return f"{PLAN_TAG_PREFIX}{plan.regime}:{','.join(str(n) for n in plan.sizes().values())}"


def plan_from_tags(tags: list[str] | None) -> dict[str, Any] | None:
    """The plan fields (``AllocationPlan(**fields)``) encoded by :func:`plan_tag`, if a tag holds one."""
    from qar_qiskit.plan.allocation import COMPONENTS

    for tag in tags or []:
        if not tag.startswith(PLAN_TAG_PREFIX):
            continue
        regime, _, sizes = tag[len(PLAN_TAG_PREFIX):].partition(":")
        try:
            values = [int(v) for v in sizes.split(",")]
        except ValueError:
            return None
        if len(values) != len(COMPONENTS):
            return None
        return {"regime": regime, **dict(zip(COMPONENTS, values))}
    return None
