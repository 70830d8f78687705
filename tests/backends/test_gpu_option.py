"""``aer-noisy`` on a GPU: the ``device`` Aer option is checked and widens Aer's batched shots."""

import pytest
from qiskit_aer import AerSimulator

from qar_qiskit.backends.device_sim import gpu_options
from qar_qiskit.backends.noisy import STATEVECTOR_MAX_ACTIVE, NoisyAerExecutor
from qar_qiskit.errors import ConfigError

HAS_GPU = "GPU" in AerSimulator().available_devices()


def test_cpu_is_the_default_and_adds_nothing():
    ex = NoisyAerExecutor("FakeFez")
    assert "device" not in ex.aer_options and "batched_shots_gpu" not in ex.aer_options
    assert "device" not in ex.estimator_options
    assert gpu_options({"device": "cpu", "fusion_enable": True}, 24) == {"fusion_enable": True}


@pytest.mark.skipif(HAS_GPU, reason="this qiskit-aer has a GPU device")
def test_gpu_without_a_gpu_build_is_refused_naming_the_package():
    with pytest.raises(ConfigError, match=r"aer\.device: 'GPU' is not available.*qiskit-aer-gpu"):
        NoisyAerExecutor("FakeFez", aer_options={"device": "GPU"})


def test_gpu_turns_on_batched_shots_up_to_the_widest_group(monkeypatch):
    monkeypatch.setattr(AerSimulator, "available_devices", lambda self: ("CPU", "GPU"))
    ex = NoisyAerExecutor("FakeFez", aer_options={"device": "gpu"})
    assert ex.aer_options["device"] == "GPU" and ex.aer_options["batched_shots_gpu"] is True
    assert ex.aer_options["batched_shots_gpu_max_qubits"] == STATEVECTOR_MAX_ACTIVE > 16  # Aer's default is 16
    assert ex.estimator_options["device"] == "GPU"
    # an explicit setting in the profile wins over the widened default
    opts = gpu_options({"device": "GPU", "batched_shots_gpu_max_qubits": 18}, STATEVECTOR_MAX_ACTIVE)
    assert opts["batched_shots_gpu_max_qubits"] == 18


def test_an_unknown_device_is_refused():
    with pytest.raises(ConfigError, match=r"aer\.device: 'TPU'"):
        gpu_options({"device": "tpu"}, 24)
