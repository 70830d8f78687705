"""metrics.json records the config the decisions were made with: the file merged onto the default."""

import json

import yaml

from qar_qiskit.backtest import run_backtest
from qar_qiskit.config import load_config
from qar_qiskit.data.loader import load_dataset


def test_metrics_record_the_merged_config_of_an_overlay_file(tmp_path):
    overlay = tmp_path / "small.yaml"
    overlay.write_text(yaml.safe_dump({"risk_management": {"max_position_size": 0.5}}))
    run_backtest(load_dataset("sp500"), start="2008-03-03", end="2008-03-14", backend="exact",
                 config_path=overlay, out_dir=tmp_path / "out", progress=False, baselines=False)
    run = json.loads((tmp_path / "out" / "metrics.json").read_text())["run"]
    recorded = run["config_values"]
    assert run["config"] == str(overlay)
    assert recorded["risk_management"]["max_position_size"] == 0.5  # the file's key
    default = load_config().model_dump(mode="json")
    assert recorded["risk_management"]["max_position_size"] != default["risk_management"]["max_position_size"]
    # every other section is the packaged default's, in full
    assert {k: v for k, v in recorded.items() if k != "risk_management"} == {
        k: v for k, v in default.items() if k != "risk_management"}
