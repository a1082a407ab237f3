import pytest

from labproject.database import database_config, redact
from labproject.errors import ConfigError


def test_redact_masks_passwords_in_any_url():
    text = "could not reach postgres://lab:s3cr%40t@10.0.0.1:5432/lab and postgresql://u:p@h/db"
    masked = redact(text)
    assert "s3cr" not in masked and ":p@" not in masked
    assert "postgres://lab:***@10.0.0.1:5432/lab" in masked
    assert redact("sqlite:////tmp/x.sqlite3") == "sqlite:////tmp/x.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:pw@host/db", "unsupported engine"),
        ("nonsense://x", "does not parse"),
        ("sqlite://:memory:", "SQLite file"),
    ],
)
def test_unusable_urls_are_refused_without_their_password(url, message):
    with pytest.raises(ConfigError, match=message) as caught:
        database_config(url)
    assert "pw@" not in str(caught.value)


def test_sqlite_gets_the_stated_pragmas(tmp_path, monkeypatch):
    monkeypatch.delenv("SQLITE_JOURNAL_MODE", raising=False)
    config = database_config(f"sqlite:///{tmp_path}/x.sqlite3")
    assert config["OPTIONS"]["init_command"] == "PRAGMA journal_mode=wal;PRAGMA synchronous=normal;"
    monkeypatch.setenv("SQLITE_JOURNAL_MODE", "sideways")
    with pytest.raises(ConfigError, match="SQLITE_JOURNAL_MODE"):
        database_config(f"sqlite:///{tmp_path}/x.sqlite3")
