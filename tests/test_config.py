from pathlib import Path

import pytest

from custseg.config import CONFIG_FILE, STARTER_CONFIG, load_settings, parse_settings
from custseg.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def test_starter_config_is_valid(tmp_path):
    settings = load_settings(_write(tmp_path, STARTER_CONFIG.format(name="x", language="en")))
    assert settings.project.language == "en"
    assert settings.engine.database == "custseg.duckdb"


def test_typo_names_the_key_and_suggests_the_right_one(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_settings(_write(tmp_path, '[engine]\ndatabse = "x.duckdb"\n'))
    assert "engine.databse" in str(exc.value)
    assert "did you mean 'database'" in str(exc.value)


def test_every_problem_is_reported_at_once(tmp_path):
    text = '[project]\nlanguage = "fr"\nnmae = "x"\n[ingest]\nday_first = "sometimes"\n'
    with pytest.raises(ConfigError) as exc:
        load_settings(_write(tmp_path, text))
    lines = str(exc.value).splitlines()
    assert len(lines) == 3
    assert any("project.language" in ln and "'fr'" in ln for ln in lines)
    assert any("unknown key project.nmae" in ln and "'name'" in ln for ln in lines)
    assert any("ingest.day_first" in ln for ln in lines)


def test_unknown_key_inside_a_source_names_its_position(tmp_path):
    text = ('[[sources]]\npath = "a.csv"\ntable = "orders"\n\n'
            '[[sources]]\npath = "a.csv"\ntabel = "x"\n')
    (tmp_path / "a.csv").write_text("x\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(_write(tmp_path, text))
    assert "sources[1].tabel" in str(exc.value)
    assert "did you mean 'table'" in str(exc.value)


def test_missing_source_file_is_named(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_settings(_write(tmp_path, '[[sources]]\npath = "nope.csv"\ntable = "orders"\n'))
    assert "nope.csv" in str(exc.value) and "sources[0].path" in str(exc.value)


def test_mapping_to_unknown_column_is_refused():
    with pytest.raises(ConfigError) as exc:
        parse_settings({"sources": [{"path": "a.csv", "table": "orders",
                                     "mapping": {"金额": "amout"}}]})
    assert "amout" in str(exc.value)


def test_source_needs_path_or_url():
    with pytest.raises(ConfigError, match="exactly one of path"):
        parse_settings({"sources": [{"table": "orders"}]})


def test_invalid_toml_and_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="no custseg.toml"):
        load_settings(tmp_path)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(_write(tmp_path, "[engine\n"))
