"""Objective presets: the model and dimensions each goal chooses, and the CLI on CDNOW."""

import pytest
from typer.testing import CliRunner

from custseg.cli import app
from custseg.cli._app import console
from custseg.config import Settings
from custseg.errors import CustsegError
from custseg.segment import MODELS
from custseg.segment.objectives import OBJECTIVES, choose

runner = CliRunner()


def test_every_objective_chooses_a_registered_model_with_valid_settings():
    seg = Settings().segmentation
    chosen = {name: choose(name).model for name in OBJECTIVES}
    assert chosen == {"repurchase-high-value": "rfm-rules", "cut-churn": "lifecycle",
                      "launch-product": "value-matrix", "allocate-service": "tiers"}
    assert set(chosen.values()) <= set(MODELS)
    launch = choose("launch-product").apply(seg)
    assert (launch.model, launch.value_matrix.activity) == ("value-matrix", "recency_days")
    assert seg.value_matrix.activity == "frequency"  # the settings given are not changed
    assert choose("allocate-service").apply(seg).tiers.variant == "vip"


def test_explicit_model_wins_with_a_note():
    choice = choose("cut-churn", model="tiers")
    assert choice.model == "tiers" and choice.overrides == {}
    assert choice.text("en") == ("--model tiers wins over --objective cut-churn "
                                 "(which would choose lifecycle)")
    assert "优先于" in choice.text("zh")


def test_unknown_objective_suggests_the_close_one():
    with pytest.raises(CustsegError, match="did you mean 'cut-churn'"):
        choose("cut-chur")


def counts(output: str, ids: list[str]) -> dict[str, int]:
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] in ids:
            out[parts[0]] = int(next(p for p in parts[1:] if p.replace(",", "").isdigit())
                                .replace(",", ""))
    return out


def test_cli_value_matrix_and_cut_churn_on_cdnow(cdnow_project_dir, monkeypatch):
    monkeypatch.setattr(console, "width", 80)  # the narrow layout: one block per segment
    result = runner.invoke(app, ["segment", "--model", "value-matrix", "--as-of", "1998-06-30",
                                 "--project", str(cdnow_project_dir)], terminal_width=80)
    assert result.exit_code == 0, result.output
    got = counts(result.output, ["V1", "V2", "V3", "V4"])
    assert got == {"V1": 4_959, "V2": 6_826, "V3": 422, "V4": 11_363}
    assert sum(got.values()) == 23_570 and "23,570" in result.output
    result = runner.invoke(app, ["segment", "--objective", "cut-churn", "--as-of", "1998-06-30",
                                 "--project", str(cdnow_project_dir)], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("objective cut-churn → lifecycle: ")
    got = counts(result.output, ["L0", "L1", "L2", "L3", "L4", "L5"])
    assert sum(got.values()) == 23_570
