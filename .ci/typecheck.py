"""mypy over the package (settings in pyproject.toml), held to a ratchet:

- the domain, the use cases, the domain events' handlers and the web app must have no error at all;
- every other file may have at most the errors the checked-in baseline (`mypy-baseline.txt`)
  grants it, so the count can only shrink. A file that improved is reported: run with
  `--update` to lower its allowance.

Run from the checkout: `python .ci/typecheck.py [--update]`; exits 1 when a file went over."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "mypy-baseline.txt"
CLEAN = ("src/coordination/domain/", "src/coordination/usecases/", "src/coordination/entrypoints/web/",
         "src/coordination/notifications/handlers.py")
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error:")


def errors() -> tuple[Counter, str]:
    # cold, every time: mypy's incremental cache can hide errors a fresh checkout reports
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull],
                         cwd=HERE.parent, capture_output=True, text=True)
    if run.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        sys.exit(f"mypy did not run:\n{run.stdout}{run.stderr}")
    return Counter(m["path"] for line in run.stdout.splitlines() if (m := ERROR.match(line))), run.stdout


def baseline() -> Counter:
    allowed: Counter = Counter()
    for line in BASELINE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            count, path = line.split()
            allowed[path] = int(count)
    return allowed


def main() -> int:
    found, output = errors()
    if "--update" in sys.argv:
        BASELINE.write_text("# mypy errors each file may still have; the count may only shrink (.ci/typecheck.py)\n"
                            + "".join(f"{n} {path}\n" for path, n in sorted(found.items())
                                      if not path.startswith(CLEAN)))
    allowed = baseline()
    over = {path: n for path, n in found.items() if n > (0 if path.startswith(CLEAN) else allowed[path])}
    better = {path: (found[path], n) for path, n in allowed.items() if found[path] < n}
    for path, (now, was) in sorted(better.items()):
        print(f"mypy: {path} is down to {now} error(s) from {was}: lower its line in .ci/mypy-baseline.txt "
              "(python .ci/typecheck.py --update)")
    if over:
        print("\n".join(line for line in output.splitlines() if ERROR.match(line) and line.split(":")[0] in over))
        for path, n in sorted(over.items()):
            print(f"mypy: {path} has {n} error(s), allowed {0 if path.startswith(CLEAN) else allowed[path]}")
        return 1
    print(f"mypy: {sum(found.values())} error(s) in {len(found)} file(s), none over the baseline; "
          f"{', '.join(CLEAN)} clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
