"""A local mailbox: the `mailbox://` notification target writes each message as a file.

For embedded mode and the demo, where no mail server or chat is set up: a member whose target is
`mailbox:///path/to/folder` finds every message as a `.txt` file there (and its attachment beside
it). Registered with apprise as a custom scheme when delivery is imported.

A send succeeds only once the message is durably in the folder, since delivery marks the row
sent on that answer: each message (and each attachment) is written to a temporary file, fsynced,
and renamed to a name no other send can take (time, then a random part), and the folder is
fsynced after the rename. A reader never sees half a message, and two sends in the same second,
from two threads or two deliverers, never write to one file. Files and folders are the owner's
only: a message may carry a live sign-in link."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from apprise.decorators import notify

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def folder_of(meta: dict) -> Path:
    # apprise parses mailbox:///srv/box as host "srv" and path "/box": put the absolute path back
    return Path("/" + meta.get("host", "") + (meta.get("fullpath") or ""))


def message_name() -> str:
    """Sorts by time (to the microsecond), and a random part makes it unique: no check-then-write."""
    now = time.time()
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now * 1e6) % 1_000_000:06d}" \
        + f"-{secrets.token_hex(6)}"


def write_durably(path: Path, data: bytes) -> None:
    """`data` at `path` whole or not at all: a temporary file in the same folder, fsynced, renamed
    (refusing to replace anything), then the folder fsynced so the name survives a crash."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)  # fails if the name exists: never overwrites another message
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@notify(on="mailbox", name="Local mailbox", body_format="text")  # plain text files
def _write(body: str, title: str, notify_type: str, meta: dict, attach=None, *args, **kwargs) -> bool:
    folder = folder_of(meta)
    # every folder made here is the owner's alone, the mailbox root included, not only the last
    for missing in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
        missing.mkdir(mode=FOLDER_MODE, exist_ok=True)
    name = message_name()
    # attachments first: once the message's own file is there, everything it refers to is too
    for item in attach or []:
        write_durably(folder / f"{name}-{Path(item.path).name}", Path(item.path).read_bytes())
    write_durably(folder / f"{name}.txt", f"{title}\n\n{body}\n".encode("utf-8"))
    return True
