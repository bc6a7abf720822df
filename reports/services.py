"""Write paths of the reports: requirements, and recomputing the snapshots."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import outbox
from org.models import User

from . import engine
from .models import Requirement
from .periods import Period, current_periods


@transaction.atomic
def requirement_save(*, by: User, requirement: Requirement, **fields) -> Requirement:
    """Change (or create) a team's or the company's requirement of a class; audited."""
    if not by.is_admin:
        raise PermissionDenied
    unknown = set(fields) - {
        "team",
        "klass",
        "monthly_coverage",
        "calls_per_month",
        "quarterly_coverage",
    }
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(requirement, name, value)
    requirement.full_clean()
    requirement.save()
    return requirement


def compliance_recompute(*, period: Period) -> int:
    """Every territory's snapshots of a period, district batch after batch."""
    return engine.recompute(period=period)


def compliance_recompute_district(*, period: Period, district_id) -> int:
    return engine.recompute_batch(period=period, district_ids=[district_id])


def nightly_periods():
    """This and last month, this and last quarter (company time zone)."""
    return current_periods()


def territory_figures_refresh(*, territory, period: Period) -> bool:
    """Bring a territory's snapshot of `period` up to date before a dashboard shows it: when it
    is missing or older than the latest change to the territory's calls, recompute the period
    for the territory's district (set-based, one transaction). Returns whether it recomputed."""
    from .selectors import last_call_change, snapshot_time

    computed_at = snapshot_time(territory, period)
    changed_at = last_call_change(territory)
    if computed_at is not None and (changed_at is None or changed_at <= computed_at):
        return False
    engine.recompute_batch(period=period, district_ids=[territory.district_id])
    return True


# Settings part: the requirement table per team, "recompute now" jobs, refresh on change.

REQUIREMENT_FIELDS = ("monthly_coverage", "calls_per_month", "quarterly_coverage")
COVERAGE_FIELDS = ("monthly_coverage", "quarterly_coverage")


def _admin_only(by: User):
    if not by.is_admin:
        raise PermissionDenied


def _team_rows(team):
    rows = Requirement.objects.select_for_update().order_by("klass")  # no join on team
    return rows.filter(team=team) if team is not None else rows.filter(team__isnull=True)


def requirement_table_save(*, by: User, team, table: dict) -> list[Requirement]:
    """Write a team's (team None: the company default's) requirement table in one transaction.

    `table` is {klass: {"monthly_coverage": 0–1, "calls_per_month": int, "quarterly_coverage":
    0–1}}, None meaning "as needed". All or nothing: every bad cell is reported in one
    ValidationError keyed "<klass>-<field>" and nothing is written. Unchanged rows are left alone
    (no history row); each written row goes through `requirement_save` (audited, by `by`)."""
    from .models import TargetClass

    _admin_only(by)
    errors = {}
    for klass, values in table.items():
        if klass not in TargetClass.values:
            errors[klass] = [_("Unknown class.")]
            continue
        for name in COVERAGE_FIELDS:
            value = values.get(name)
            if value is not None and not 0 <= value <= 1:
                errors[f"{klass}-{name}"] = [_("A coverage is between 0 % and 100 %.")]
        calls = values.get("calls_per_month")
        if calls is not None and calls < 0:
            errors[f"{klass}-calls_per_month"] = [_("Calls per month cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    saved = []
    with transaction.atomic():
        existing = {row.klass: row for row in _team_rows(team)}
        for klass in TargetClass.values:
            if klass not in table:
                continue
            values = {name: table[klass].get(name) for name in REQUIREMENT_FIELDS}
            requirement = existing.get(klass) or Requirement(team=team, klass=klass)
            if not requirement._state.adding and all(
                getattr(requirement, name) == value for name, value in values.items()
            ):
                continue
            requirement._history_user = by
            try:
                saved.append(requirement_save(by=by, requirement=requirement, **values))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    key = f"{klass}-{field}" if field in REQUIREMENT_FIELDS else klass
                    errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)  # undoes the rows already written
    return saved


@transaction.atomic
def requirement_team_customise(*, by: User, team) -> list[Requirement]:
    """Give a team its own requirement table, a copy of the company default (classes the team
    already has are kept)."""
    _admin_only(by)
    defaults = {row.klass: row for row in _team_rows(None)}
    own = set(_team_rows(team).values_list("klass", flat=True))
    table = {
        klass: {name: getattr(row, name) for name in REQUIREMENT_FIELDS}
        for klass, row in defaults.items()
        if klass not in own
    }
    return requirement_table_save(by=by, team=team, table=table)


@transaction.atomic
def requirement_team_reset(*, by: User, team) -> int:
    """Delete a team's own requirements: it follows the company default again (audited)."""
    _admin_only(by)
    rows = list(_team_rows(team))
    for row in rows:
        row._history_user = by
        row.delete()
    return len(rows)


def recompute_job_start(*, by: User, period: Period):
    """Start an admin's "recompute now" of `period`: within the call for up to 500 territories
    (like `reports/recompute/`), else one Celery task per district (sent on commit). Returns the
    job, whose progress is the share of districts done."""
    from org.models import Territory

    from .api import SYNC_LIMIT
    from .models import RecomputeJob

    _admin_only(by)
    district_ids = [pk for batch in engine.district_batches() for pk in batch]
    job = RecomputeJob.objects.create(period=period.key, created_by=by, batches=len(district_ids))
    if not district_ids:
        _recompute_job_finish(job.pk)
    elif Territory.objects.count() <= SYNC_LIMIT:
        try:
            for district_id in district_ids:
                recompute_job_district(job_id=job.pk, district_id=district_id)
        except Exception:  # the job shows it failed; the districts done keep their new figures
            logging.getLogger(__name__).exception("recompute job %s failed", job.pk)
    else:
        from .tasks import recompute_job_district as task

        def send():
            for district_id in district_ids:
                outbox.send(task, str(job.pk), str(district_id))

        transaction.on_commit(send)
    job.refresh_from_db()
    return job


def _recompute_job_finish(job_id):
    from django.db.models import F
    from django.utils import timezone

    from .models import RecomputeJob, RecomputeJobStatus

    RecomputeJob.objects.filter(
        pk=job_id,
        status__in=(RecomputeJobStatus.QUEUED, RecomputeJobStatus.RUNNING),
        batches_done__gte=F("batches"),
    ).update(status=RecomputeJobStatus.DONE, finished_at=timezone.now())


def recompute_job_district(*, job_id, district_id) -> None:
    """One district's batch of a recompute job, counted in its progress; a failure fails the
    job (with the error) and is raised for the worker to report."""
    from django.db.models import F
    from django.utils import timezone

    from .models import RecomputeJob, RecomputeJobStatus
    from .periods import parse

    job = RecomputeJob.objects.get(pk=job_id)
    RecomputeJob.objects.filter(pk=job_id, status=RecomputeJobStatus.QUEUED).update(
        status=RecomputeJobStatus.RUNNING
    )
    try:
        rows = engine.recompute_batch(period=parse(job.period), district_ids=[district_id])
    except Exception as error:
        RecomputeJob.objects.filter(pk=job_id).update(
            status=RecomputeJobStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise
    RecomputeJob.objects.filter(pk=job_id).update(
        batches_done=F("batches_done") + 1, rows=F("rows") + rows
    )
    _recompute_job_finish(job_id)


def compliance_recompute_territory(*, period: Period, territory_id) -> int:
    """One territory's snapshots of `period` (after a change to its calls or alignments)."""
    from org.models import Territory

    district_id = (
        Territory.objects.filter(pk=territory_id).values_list("district_id", flat=True).first()
    )
    if district_id is None:
        return 0
    return engine.recompute_batch(
        period=period, district_ids=[district_id], territory_ids=[territory_id]
    )
