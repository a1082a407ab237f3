import pytest

from labproject.database import backend_name, database_config, pooler_of, redact
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
        ("oracle://u:pw@host/db", "unsupported engine"),
        ("postgres://u:pw@host/db?pooler=session", "pooler='session' is not one of"),
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


def test_mysql_urls_get_utf8mb4_the_client_side_load_a_connect_timeout_and_the_lock_wait(monkeypatch):
    monkeypatch.setenv("LAB_BUSY_TIMEOUT", "12")
    config = database_config("mysql://lab:pw@127.0.0.1:3307/lab")
    assert backend_name(config["ENGINE"]) == "mysql"
    assert config["OPTIONS"] == {"charset": "utf8mb4", "local_infile": 1, "connect_timeout": 10,
                                 "init_command": "SET SESSION innodb_lock_wait_timeout = 12"}
    assert redact("mysql://lab:pw@127.0.0.1:3307/lab") == "mysql://lab:***@127.0.0.1:3307/lab"


def test_a_pooler_in_the_url_disables_server_side_cursors_unless_forced_on(monkeypatch):
    monkeypatch.delenv("LAB_DISABLE_SERVER_SIDE_CURSORS", raising=False)
    direct = database_config("postgres://lab:pw@127.0.0.1:5432/lab")
    pooled = database_config("postgres://lab:pw@127.0.0.1:6432/lab?pooler=transaction")
    assert (pooler_of(direct), direct["DISABLE_SERVER_SIDE_CURSORS"]) == (None, False)
    assert (pooler_of(pooled), pooled["DISABLE_SERVER_SIDE_CURSORS"]) == ("transaction", True)
    # libpq would refuse an option it does not know, and PgBouncer refuses the startup option `options`.
    assert "pooler" not in pooled["OPTIONS"] and "options" not in pooled["OPTIONS"]
    assert "lock_timeout" in direct["OPTIONS"]["options"]
    monkeypatch.setenv("LAB_DISABLE_SERVER_SIDE_CURSORS", "0")
    assert database_config("postgres://lab:pw@h:6432/lab?pooler=transaction")["DISABLE_SERVER_SIDE_CURSORS"] is False
    monkeypatch.setenv("LAB_DISABLE_SERVER_SIDE_CURSORS", "1")
    assert database_config("postgres://lab:pw@h:5432/lab")["DISABLE_SERVER_SIDE_CURSORS"] is True
