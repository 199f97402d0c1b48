"""The embedded mode's data files are the owner's alone: the database (every person's data and
the workspace's signing secret), its WAL and shared-memory files, and the mailboxes of sign-in
links and messages."""

from __future__ import annotations

import stat

from sqlalchemy import text

from coordination.notifications import mailbox
from coordination.persistence.engine import get_engine


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_database_and_its_wal_are_created_owner_only(tmp_path):
    path = tmp_path / "coordination.db"
    engine = get_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('secret')"))
    connection = engine.connect()  # held open: the WAL and its index stay on disk
    try:
        files = [path, tmp_path / "coordination.db-wal", tmp_path / "coordination.db-shm"]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        connection.close()
        engine.dispose()


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    engine = get_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert mode(path) == 0o640  # an administrator's choice is not overridden


def test_mailbox_folders_and_messages_are_owner_only(tmp_path):
    import apprise

    assert mailbox.FOLDER_MODE  # registers the mailbox:// scheme
    box = tmp_path / "mailbox" / "hsv-ssk1"
    sender = apprise.Apprise()
    assert sender.add(f"mailbox://{box}")
    assert sender.notify(body="Logga in: http://127.0.0.1/signin/1.x.y", title="Inloggningslänk")
    [message] = list(box.iterdir())
    assert (mode(box.parent), mode(box), mode(message)) == (0o700, 0o700, 0o600)
