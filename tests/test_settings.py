"""Configuration: CELLAR_* variables, TOML file, validation, and documentation of every setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cellar.bootstrap import resolve_master_token
from cellar.settings import FIELDS, SettingsError, load

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults(tmp_path: Path) -> None:
    settings = load({"CELLAR_DATA_DIR": str(tmp_path)})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.unit_url == "http://localhost:8080/"
    assert settings.cell_url_mode == "path"
    assert settings.workers == (os.cpu_count() or 1)
    assert settings.database_url == f"sqlite:///{(tmp_path / 'cellar.db').resolve()}"
    assert settings.master_token is None


def test_unit_url_follows_port() -> None:
    assert load({"CELLAR_PORT": "9000"}).unit_url == "http://localhost:9000/"


def test_unit_url_gets_trailing_slash() -> None:
    assert load({"CELLAR_UNIT_URL": "https://Unit.Example"}).unit_url == "https://unit.example/"


@pytest.mark.parametrize(("written", "used"), [
    ("postgresql://user@db:5432/cellar", "postgresql+psycopg://user@db:5432/cellar"),
    ("postgres://user@db/cellar", "postgresql+psycopg://user@db/cellar"),
    ("postgresql+psycopg2://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_urls_as_users_write_them(written: str, used: str) -> None:
    assert load({"CELLAR_DATABASE_URL": written}).database_url == used


@pytest.mark.parametrize("environ", [
    {"CELLAR_PORT": "eighty"},
    {"CELLAR_PORT": "70000"},
    {"CELLAR_WORKERS": "0"},
    {"CELLAR_CELL_URL_MODE": "subdomain"},
    {"CELLAR_UNIT_URL": "ftp://unit/"},
    {"CELLAR_UNIT_URL": "http://unit/prefix/"},
    {"CELLAR_DATABASE_URL": "mysql://u@h/d"},
    {"CELLAR_DATABASE_URL": "nonsense"},
])
def test_bad_configuration_is_one_clear_error(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as info:
        load(environ)
    assert "\n" not in str(info.value)


def test_toml_file_under_environment(tmp_path: Path) -> None:
    file = tmp_path / "cellar.toml"
    file.write_text('port = 9001\ncell_url_mode = "fqdn"\n')
    settings = load({"CELLAR_PORT": "9002"}, config_file=file)
    assert settings.port == 9002
    assert settings.cell_url_mode == "fqdn"


def test_toml_unknown_key(tmp_path: Path) -> None:
    file = tmp_path / "cellar.toml"
    file.write_text("colour = 1\n")
    with pytest.raises(SettingsError):
        load({}, config_file=file)


def test_master_token_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = load({"CELLAR_DATA_DIR": str(tmp_path)})
    first, generated = resolve_master_token(settings, create=True)
    assert generated and first.master_token == generated
    assert (tmp_path / "master-token").stat().st_mode & 0o777 == 0o600
    again, generated_again = resolve_master_token(settings, create=True)
    assert generated_again is None and again.master_token == generated


def test_empty_master_token_means_none(tmp_path: Path) -> None:
    settings = load({"CELLAR_DATA_DIR": str(tmp_path), "CELLAR_MASTER_TOKEN": ""})
    resolved, generated = resolve_master_token(settings, create=True)
    assert generated is None
    assert resolved.master_token == ""
    assert not (tmp_path / "master-token").exists()


@pytest.mark.parametrize("variable", [f.env for f in FIELDS])
def test_every_setting_is_documented(variable: str) -> None:
    assert f"`{variable}`" in README.read_text("utf-8")
