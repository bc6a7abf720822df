"""Write paths of the reports: requirements, and recomputing the snapshots."""

import logging

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from core.periods import Period, current_periods
from org.models import User

from . import engine
from .models import Requirement

# A "recompute now" of up to this many territories runs within the request; beyond, the workers
# share it, one task per district.
SYNC_LIMIT = 500


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


REFRESH_ASK_TTL = 120  # seconds: a stale dashboard asks the workers again after this


def territory_figures_refresh(*, territory, period: Period) -> bool:
    """Ask the workers to bring a territory's snapshot of `period` up to date when it is missing
    (a new period, its first day) or older than the latest change to the territory's calls (a
    refresh on commit not run yet): the territory's refresh task, through the outbox (kept there
    when the broker is down). Writes nothing itself, so a dashboard's GET may call it; the page
    shows the snapshot there is, with its time. Returns whether it asked."""
    from .selectors import last_call_change, snapshot_time
    from .tasks import recompute_territory

    if period.start > timezone.localdate():  # not begun: no snapshot is kept for it
        return False
    computed_at = snapshot_time(territory, period)
    changed_at = last_call_change(territory)
    if computed_at is not None and (changed_at is None or changed_at <= computed_at):
        return False
    # One ask per change: a dashboard reloaded while the workers catch up sends nothing more.
    seen = ":".join(str(at.timestamp()) if at else "-" for at in (changed_at, computed_at))
    asked = f"reports:refresh-asked:{territory.pk}:{period.key}:{seen}"
    if cache.add(asked, True, timeout=REFRESH_ASK_TTL):
        outbox.send(recompute_territory, period.key, str(territory.pk))
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

    _admin_only(by)
    job = _recompute_job_create(by=by, period=period)
    _recompute_job_fan_out(job, inline=Territory.objects.count() <= SYNC_LIMIT, on_commit=True)
    job.refresh_from_db()
    return job


def recompute_job_queue(*, period: Period):
    """The nightly recompute of `period`: a job no one started, one task per district (the
    workers share them; the sweep resumes the job if they are lost)."""
    job = _recompute_job_create(by=None, period=period)
    _recompute_job_fan_out(job)
    return job


def _recompute_job_fan_out(job, *, inline=False, on_commit=False):
    """The one fan-out of a recompute job (districts → tasks): each of its districts is a task
    for the workers to share (sent once the transaction commits with `on_commit`), or, with
    `inline` (a small company), run here one after the other. A job without districts is done
    at once. The sweep sends the unfinished districts of a job again (`_recompute_job_send`)."""
    district_ids = list(job.parts.order_by("district_id").values_list("district_id", flat=True))
    if not district_ids:
        _recompute_job_finish(job.pk)
    elif inline:
        try:
            for district_id in district_ids:
                recompute_job_district(job_id=job.pk, district_id=district_id)
        except Exception:  # the job shows it failed; the districts done keep their new figures
            logging.getLogger(__name__).exception("recompute job %s failed", job.pk)
    elif on_commit:
        transaction.on_commit(lambda: _recompute_job_send(job.pk, district_ids))
    else:
        _recompute_job_send(job.pk, district_ids)


@transaction.atomic
def _recompute_job_create(*, by, period: Period):
    """A queued job of `period` with one part to do per district (the districts of now: one
    added later waits for the next recompute)."""

    from org.models import District

    from .models import RecomputeJob, RecomputeJobDistrict

    district_ids = list(District.objects.order_by("pk").values_list("pk", flat=True))
    job = RecomputeJob.objects.create(
        period=period.key, created_by=by, batches=len(district_ids), progressed_at=timezone.now()
    )
    RecomputeJobDistrict.objects.bulk_create(
        [RecomputeJobDistrict(job=job, district_id=pk) for pk in district_ids]
    )
    return job


def recompute_nightly() -> list:
    """The nightly recompute: a job per period (this and last month and quarter), except a
    period whose nightly job is still queued or running (this task delivered again: the sweep
    resumes that job). Returns the jobs started."""
    from .models import RecomputeJob, RecomputeJobStatus

    busy = set(
        RecomputeJob.objects.filter(
            created_by__isnull=True,
            status__in=(RecomputeJobStatus.QUEUED, RecomputeJobStatus.RUNNING),
        ).values_list("period", flat=True)
    )
    return [
        recompute_job_queue(period=period) for period in nightly_periods() if period.key not in busy
    ]


def _recompute_job_send(job_id, district_ids):
    from .tasks import recompute_job_district as task

    for district_id in district_ids:
        outbox.send(task, str(job_id), str(district_id))


def _recompute_job_finish(job_id):
    from django.db.models import F

    from .models import RecomputeJob, RecomputeJobStatus

    RecomputeJob.objects.filter(
        pk=job_id,
        status__in=(RecomputeJobStatus.QUEUED, RecomputeJobStatus.RUNNING),
        batches_done__gte=F("batches"),
    ).update(status=RecomputeJobStatus.DONE, finished_at=timezone.now())


def recompute_job_district(*, job_id, district_id) -> bool:
    """One district's batch of a recompute job, counted in its progress. Idempotent: the
    district's snapshots and its mark "done" commit together, and a district already done is
    left alone — a task delivered twice (its worker was killed after the commit) or sent again
    by the sweep does nothing. Returns whether it recomputed. A failure fails the job (with the
    error) and is raised for the worker to report; the district stays to do."""
    from django.db.models import F

    from core.periods import parse

    from .models import RecomputeJob, RecomputeJobDistrict, RecomputeJobStatus

    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None:  # deleted meanwhile
        return False
    RecomputeJob.objects.filter(pk=job_id, status=RecomputeJobStatus.QUEUED).update(
        status=RecomputeJobStatus.RUNNING
    )
    try:
        with transaction.atomic():
            # Two deliveries of one district take turns here; the second finds it done.
            part = (
                RecomputeJobDistrict.objects.select_for_update()
                .filter(job_id=job_id, district_id=district_id)
                .first()
            )
            if part is None or part.done_at is not None:
                return False
            rows = engine.recompute_batch(period=parse(job.period), district_ids=[district_id])
            now = timezone.now()
            part.rows, part.done_at = rows, now
            part.save(update_fields=["rows", "done_at"])
            RecomputeJob.objects.filter(pk=job_id).update(
                batches_done=F("batches_done") + 1,
                rows=F("rows") + rows,
                progressed_at=now,
                resends=0,
            )
            _recompute_job_finish(job_id)
    except Exception as error:
        RecomputeJob.objects.filter(pk=job_id).update(
            status=RecomputeJobStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise
    return True


def recompute_jobs_sweep(*, now=None) -> int:
    """Resume the recompute jobs that lost their tasks (the beat job, every few minutes): a job
    queued or running with no district done for RECOMPUTE_JOB_STALE_AFTER seconds gets its
    unfinished districts sent again (those done are not redone; one sent twice is skipped).
    After RECOMPUTE_JOB_MAX_RESENDS sends in a row without progress it is marked failed rather
    than left "running" for ever. A job with nothing left to do is marked done. Returns how many
    jobs were resumed."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import F, Q

    from .models import RecomputeJob, RecomputeJobStatus

    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.RECOMPUTE_JOB_STALE_AFTER)
    stale = RecomputeJob.objects.filter(
        Q(progressed_at__lt=stale_before)
        | Q(progressed_at__isnull=True, created_at__lt=stale_before),
        status__in=(RecomputeJobStatus.QUEUED, RecomputeJobStatus.RUNNING),
    )
    resumed = 0
    for job in stale.order_by("created_at"):
        # One sweep claims the job (two sweeps at once send its districts once).
        claimed = RecomputeJob.objects.filter(
            pk=job.pk, progressed_at=job.progressed_at, status=job.status
        ).update(progressed_at=now, resends=F("resends") + 1)
        if not claimed:
            continue
        todo = list(
            job.parts.filter(done_at__isnull=True)
            .order_by("district_id")
            .values_list("district_id", flat=True)
        )
        if (not todo and job.parts.exists()) or not job.batches:
            # Every district done (or deleted since): nothing is missing.
            RecomputeJob.objects.filter(pk=job.pk).update(
                status=RecomputeJobStatus.DONE, finished_at=now
            )
        elif not todo or job.resends + 1 > settings.RECOMPUTE_JOB_MAX_RESENDS:
            # Sent again and again with no district done (or a job from before districts
            # were recorded): it fails, and says so, instead of running for ever.
            RecomputeJob.objects.filter(pk=job.pk).update(
                status=RecomputeJobStatus.FAILED,
                error=_(
                    "Its workers were lost and sending its districts again did not help. "
                    "Start it again."
                ),
                finished_at=now,
            )
        else:
            logging.getLogger(__name__).warning(
                "recompute job %s lost its workers: %d districts sent again", job.pk, len(todo)
            )
            _recompute_job_send(job.pk, todo)
            resumed += 1
    return resumed


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
