"""The identification thresholds: how many emergency visits in how many days, and so on.

The seeds name the groups to identify (frequent visitors, repeated missed appointments, long
school absence …) but not the numbers; those are each region's policy, so administrators set them
in `deployments/identification.yaml`. A missing file means the defaults below; a file that is
there is checked strictly, like the other administrators' files."""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path

import yaml

from coordination.config.notifications import DEPLOYMENTS
from coordination.domain.identification import ScreeningPolicy
from coordination.errors import InvalidInput

# setting -> (what it counts, least, most)
LIMITS = {
    "lookback_days": ("days", 30, 3650),
    "frequent_visits": ("visits", 1, 100),
    "repeated_no_shows": ("missed appointments", 1, 100),
    "repeated_school_absences": ("absences", 1, 100),
    "long_school_absence_days": ("days", 1, 365),
    "elderly_age": ("years", 18, 120),
}


def identification_path() -> Path:
    return Path(os.environ.get("COORDINATION_IDENTIFICATION_CONFIG") or DEPLOYMENTS / "identification.yaml")


def load_screening(path: Path | None = None) -> ScreeningPolicy:
    explicit = path is not None or bool(os.environ.get("COORDINATION_IDENTIFICATION_CONFIG"))
    path = path or identification_path()
    name = str(path)
    if not path.exists() and not explicit:
        return ScreeningPolicy()  # no file of the region's own: the defaults
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InvalidInput(f"cannot be read ({exc.strerror})", record=name,
                           hint="set COORDINATION_IDENTIFICATION_CONFIG to the file, or unset it") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"is not valid YAML: {str(exc).splitlines()[0]}", record=name,
                           hint="fix the syntax") from None
    if not isinstance(data, dict):
        raise InvalidInput("must be a mapping of settings", record=name, hint=f"settings are: {', '.join(LIMITS)}")
    values = {}
    for key, value in data.items():
        if key not in LIMITS:
            close = difflib.get_close_matches(str(key), LIMITS, n=1)
            raise InvalidInput("is not a known setting", record=name, field=str(key),
                               hint=f"did you mean '{close[0]}'?" if close else f"settings are: {', '.join(LIMITS)}")
        unit, least, most = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InvalidInput(f"{value!r} is not a number of {unit} from {least} to {most}", record=name,
                               field=str(key), hint=f"give a whole number, e.g. {getattr(ScreeningPolicy, key)}")
        values[key] = value
    return dataclasses.replace(ScreeningPolicy(), **values)
