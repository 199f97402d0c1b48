"""Each administrators' file is parsed and validated once per process, and again only when its
content changes: a request, a sweep or a delivery run asks for the configuration often, and
parsing and validating the YAML each time cost more than the work itself. (Reading the bytes to
see whether they changed costs a few microseconds.)"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def once_per_version(parse: Callable[[Path], T]) -> Callable[[Path], T]:
    """`parse(path)`, remembered for each version of the file: its path and content, and the
    environment it is read in (a target such as `env:OPS_URL` is validated against it). A file
    that cannot be read is parsed every time, so its error is raised every time."""
    versions: dict[tuple, T] = {}
    lock = threading.Lock()

    @functools.wraps(parse)
    def load(path: Path) -> T:
        try:
            content = path.read_bytes()
        except OSError:
            return parse(path)  # it raises the loader's own clear error
        version = (str(path.resolve()), hashlib.sha256(content).digest(), hash(frozenset(os.environ.items())))
        with lock:
            if version in versions:
                return versions[version]
        result = parse(path)  # a file that does not validate raises, and is not remembered
        with lock:
            versions.clear()  # only the current version of each file is worth keeping
            versions[version] = result
        return result

    return load
