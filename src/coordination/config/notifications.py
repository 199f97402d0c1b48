"""Administrator-owned configuration under `deployments/`, validated before anything runs.

A bad value is rejected with the file, the field and the reason; nothing is sent or deployed."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml


from coordination.config.files import once_per_version
from coordination.errors import InvalidInput

# The administrators' folder, relative to the directory the command runs in (their checkout of
# the configuration); COORDINATION_NOTIFICATIONS_CONFIG / COORDINATION_TEAMS_CONFIG override it.
DEPLOYMENTS = Path("deployments")
MAX_LEAD_DAYS = 60  # a lead time or grace period beyond three months is a typo, not a policy


@dataclass(frozen=True)
class SweepPolicy:
    due_soon_working_days: int = 2
    escalation_grace_working_days: int = 2
    schedule: str = "0 7 * * 1-5"  # cron, Europe/Stockholm


@dataclass(frozen=True)
class DeliveryPolicy:
    # A delivery run drains batch after batch until nothing due is left or this time is spent;
    # the operations watch delivers every ten minutes, so a run never overlaps the next one.
    time_budget_minutes: int = 8
    concurrency: int = 8  # sends in flight at once: most of a send is waiting for the receiver


@dataclass(frozen=True)
class NotificationConfig:
    sweep: SweepPolicy = SweepPolicy()
    tags: dict[str, list[str]] = field(default_factory=dict)
    operations_tag: str | None = None
    delivery: DeliveryPolicy = DeliveryPolicy()

    @property
    def time_budget(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.delivery.time_budget_minutes)

    @property
    def operations_target(self) -> str | None:
        """Where operations alerts are queued: the operations tag, routed at delivery."""
        return f"tag:{self.operations_tag}" if self.operations_tag else None

    def operations_targets(self) -> list[str]:
        return list(self.tags.get(self.operations_tag, [])) if self.operations_tag else []


def notifications_path() -> Path:
    return Path(os.environ.get("COORDINATION_NOTIFICATIONS_CONFIG") or DEPLOYMENTS / "notifications.yaml")


def load_notifications(path: Path | None = None) -> NotificationConfig:
    return _load_notifications(path or notifications_path())


@once_per_version
def _load_notifications(path: Path) -> NotificationConfig:
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InvalidInput(f"cannot be read ({exc.strerror})", record=name,
                           hint="run the command in the folder that holds deployments/, or set "
                                "COORDINATION_NOTIFICATIONS_CONFIG to the file") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"is not valid YAML: {str(exc).splitlines()[0]}", record=name,
                           hint="fix the syntax") from None
    if not isinstance(data, dict) or (unknown := set(data) - {"sweep", "tags", "operations_tag", "delivery"}):
        raise InvalidInput(f"has unknown keys {sorted(unknown) if isinstance(data, dict) else data!r}",
                           record=name, hint="keys are sweep, delivery, tags and operations_tag")
    sweep = data.get("sweep") or {}
    values = {}
    for key in ("due_soon_working_days", "escalation_grace_working_days"):
        value = sweep.get(key, getattr(SweepPolicy, key))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LEAD_DAYS:
            raise InvalidInput(f"{value!r} is not a number of working days from 0 to {MAX_LEAD_DAYS}",
                               record=name, field=f"sweep.{key}", hint="give a whole number of working days")
        values[key] = value
    schedule = sweep.get("schedule", SweepPolicy.schedule)
    if not _valid_cron(schedule):
        raise InvalidInput(f"{schedule!r} is not a cron expression", record=name, field="sweep.schedule",
                           hint="five fields: minute hour day-of-month month weekday, e.g. '0 7 * * 1-5'")
    values["schedule"] = schedule
    if unknown := set(sweep) - set(values):
        raise InvalidInput(f"unknown setting(s) {sorted(unknown)}", record=name, field="sweep",
                           hint="settings are schedule, due_soon_working_days and escalation_grace_working_days")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        raise InvalidInput("must map tag names to lists of targets", record=name, field="tags",
                           hint="e.g. operations: [\"env:COORDINATION_OPS_URL\"]")
    for tag, entries in tags.items():
        if not isinstance(entries, list) or not entries:
            raise InvalidInput("must be a non-empty list of targets", record=name, field=f"tags.{tag}",
                               hint="apprise URLs or env:NAME")
        for i, entry in enumerate(entries):
            check_target(entry, record=name, field=f"tags.{tag}[{i}]")
    operations = data.get("operations_tag")
    if operations is not None and operations not in tags:
        raise InvalidInput(f"names the unknown tag '{operations}'", record=name, field="operations_tag",
                           hint=f"use one of: {', '.join(sorted(tags)) or '(define tags first)'}")
    return NotificationConfig(SweepPolicy(**values), {t: list(e) for t, e in tags.items()}, operations,
                              _delivery(data.get("delivery"), name))


def _delivery(section: object, name: str) -> DeliveryPolicy:
    section = section or {}
    settings = {"time_budget_minutes": ("minutes", 60, 8), "concurrency": ("sends in flight", 64, 8)}
    if not isinstance(section, dict) or (unknown := set(section) - set(settings)):
        raise InvalidInput(f"has unknown settings {sorted(unknown) if isinstance(section, dict) else section!r}",
                           record=name, field="delivery",
                           hint="the settings are time_budget_minutes and concurrency")
    values = {}
    for key, (unit, most, example) in settings.items():
        value = section.get(key, getattr(DeliveryPolicy, key))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise InvalidInput(f"{value!r} is not a number of {unit} from 1 to {most}", record=name,
                               field=f"delivery.{key}", hint=f"give a whole number of {unit}, e.g. {example}")
        values[key] = value
    return DeliveryPolicy(**values)


def check_target(entry: object, *, record: str, field: str, tags: dict | None = None) -> None:
    """A target is an apprise URL, `env:NAME` (checked when NAME is set) or `tag:NAME`."""
    if not isinstance(entry, str) or not entry.strip():
        raise InvalidInput("is not a notification target", record=record, field=field,
                           hint="write an apprise URL, env:NAME or tag:NAME")
    if entry.startswith("tag:"):
        if tags is not None and entry[4:] not in tags:
            raise InvalidInput(f"names the unknown tag '{entry[4:]}'", record=record, field=field,
                               hint=f"define it under tags: in {notifications_path().name}")
        return
    url = os.environ.get(entry[4:]) if entry.startswith("env:") else entry
    if url and not _valid_url(url):
        shown = entry if entry.startswith("env:") else url.split("://", 1)[0] + "://…"
        raise InvalidInput(f"'{shown}' is not a valid apprise URL", record=record, field=field,
                           hint="see the apprise documentation for the service's URL form")


def _valid_url(url: str) -> bool:
    # apprise (and the mailbox:// scheme it learns from `mailbox`) loads only when a URL is checked:
    # every CLI command imports this module, and apprise alone takes a tenth of a second to import
    import apprise

    from coordination.notifications import mailbox  # noqa: F401  (mailbox:// is a valid target)

    return bool(apprise.Apprise().add(url))


def check_member_targets(config: NotificationConfig, members: list[tuple[str, list[str]]]) -> None:
    """Every member's `notify` entries resolve: known tags, valid URLs."""
    for code, entries in members:
        for j, entry in enumerate(entries):
            check_target(entry, record=f"member {code}", field=f"notify[{j}]", tags=config.tags)


def unresolved_targets(config: NotificationConfig, members: list[tuple[str, list[str]]]) -> list[InvalidInput]:
    """What would resolve to nothing if delivered now: the operations tag (its alerts would never
    be sent) and every member's `env:` entry whose variable is unset in this environment."""
    problems = []
    if config.operations_tag:
        for i, entry in enumerate(config.tags[config.operations_tag]):
            if entry.startswith("env:") and not os.environ.get(entry[4:], "").strip():
                problems.append(InvalidInput(
                    f"environment variable {entry[4:]} is not set: operations alerts would never be sent",
                    record=str(notifications_path()), field=f"tags.{config.operations_tag}[{i}]",
                    hint=f"set {entry[4:]} to an apprise URL in the environment of the workers and the server"))
    for code, entries in members:
        for j, entry in enumerate(entries):
            if entry.startswith("env:") and not os.environ.get(entry[4:], "").strip():
                problems.append(InvalidInput(f"environment variable {entry[4:]} is not set", record=f"member {code}",
                                             field=f"notify[{j}]",
                                             hint=f"set {entry[4:]} to the member's apprise URL, or change the entry"))
    return problems


def _valid_cron(text: object) -> bool:
    from cronsim import CronSim, CronSimError  # the cron parser Prefect itself uses

    if not isinstance(text, str) or len(text.split()) != 5:
        return False
    try:
        CronSim(text, datetime.datetime(2026, 1, 1))
    except CronSimError:
        return False
    return True
