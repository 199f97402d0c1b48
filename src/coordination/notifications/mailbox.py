"""A local mailbox: the `mailbox://` notification target writes each message as a file.

For embedded mode and the demo, where no mail server or chat is set up: a member whose target is
`mailbox:///path/to/folder` finds every message as a numbered `.txt` file there (and its
attachment beside it). Registered with apprise as a custom scheme when delivery is imported."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from apprise.decorators import notify


def folder_of(meta: dict) -> Path:
    # apprise parses mailbox:///srv/box as host "srv" and path "/box": put the absolute path back
    return Path("/" + meta.get("host", "") + (meta.get("fullpath") or ""))


@notify(on="mailbox", name="Local mailbox", body_format="text")  # plain text files
def _write(body: str, title: str, notify_type: str, meta: dict, attach=None, *args, **kwargs) -> bool:
    folder = folder_of(meta)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):  # never overwrite an earlier message
        path = folder / f"{stamp}-{n:03d}.txt"
        if not path.exists():
            break
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    for item in attach or []:
        (folder / f"{path.stem}-{Path(item.path).name}").write_bytes(Path(item.path).read_bytes())
    return True
