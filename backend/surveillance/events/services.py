"""Writes of alerts and their clips: every change to an event goes through one of these functions.

Each service validates with ``full_clean()``, so the API, the dashboard and the admin apply the same rules.
Arguments are keyword-only (HackSoft style); callers pass objects they already scoped to the user.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from surveillance import media_store, metrics, quotas, signals
from surveillance.access import Action, alerts_visible_to
from surveillance.errors import IdempotencyConflict, InsufficientStorage
from surveillance.events import clips, snapshots
from surveillance.models import Alert, Camera, Clip, EventStatus
from surveillance.validators import parse_aware

logger = logging.getLogger(__name__)


def _payload_digest(
    *,
    alert_type: str,
    confidence: float,
    description: str,
    image_base64: str | None,
    detections: list | None,
    occurred_at: datetime | None,
    event: dict[str, Any] | None = None,
) -> str:
    """What makes two ingest requests "the same alert": everything the client sent, canonicalised."""
    fields = {
        "alert_type": alert_type,
        "confidence": float(confidence),
        "description": description,
        "image": hashlib.sha256((image_base64 or "").encode()).hexdigest(),
        "detections": detections or [],
        "occurred_at": occurred_at.isoformat() if occurred_at else None,
    }
    if event:  # only when sent: a seed client's digest stays what it was before events existed
        fields["event"] = event
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Alert, digest: str) -> tuple[Alert, bool]:
    if existing.payload_digest != digest:
        raise IdempotencyConflict(existing.idempotency_key or "")
    metrics.ALERT_REPLAYS.inc()
    return existing, False


def _delete_snapshot(alert: Alert) -> None:
    """Takes back a snapshot stored for a row that was not written (the store may be why)."""
    if alert.snapshot:
        media_store.delete_many([alert.snapshot.name])


def alert_ingest(
    *,
    camera: Camera,
    alert_type: str,
    confidence: float,
    description: str = "",
    image_base64: str | None = None,
    detections: list | None = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
    only_enabled_types: bool = False,
    status: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    peak_count: int | None = None,
    objects: list | None = None,
    revision: int | None = None,
) -> tuple[Alert, bool]:
    """Store an alert with its snapshot file. Returns ``(alert, created)``.

    The alert is an event: the worker sends ``status="open"`` when it opens (and updates it with
    ``alert_event_update``); without a status (a seed client) it is a closed event of one moment.

    With an idempotency key, a repeat of the same payload returns the first alert (``created`` False) and
    stores nothing; another payload under the key raises ``IdempotencyConflict``. Concurrent repeats are
    settled by the unique constraint: the losers roll back their savepoint, delete their file and replay.
    Bad input raises ``ValidationError`` (``SnapshotTooLarge`` for size) before anything is written; so do
    the limits (``quotas``): rate, storage, free space. ``only_enabled_types`` (a camera's ingest token)
    refuses alert types the camera has not enabled; the camera's owner may send any type, since they
    could enable it anyway.
    """
    key = idempotency_key or None
    digest = _payload_digest(
        alert_type=alert_type,
        confidence=confidence,
        description=description,
        image_base64=image_base64,
        detections=detections,
        occurred_at=occurred_at,
        event=(
            {
                "status": status,
                "started_at": started_at,
                "ended_at": ended_at,
                "peak_count": peak_count,
                "objects": objects,
                "revision": revision,
            }
            if status is not None
            else None
        ),
    )
    if key is not None:
        existing = Alert.objects.filter(camera=camera, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, digest)

    now = timezone.now()
    occurred = occurred_at or started_at or now
    state = status or EventStatus.CLOSED
    alert = Alert(
        camera=camera,
        alert_type=alert_type,
        confidence=confidence,
        description=description,
        detections=detections or [],
        occurred_at=occurred,
        idempotency_key=key,
        payload_digest=digest,
        status=state,
        started_at=started_at or occurred,
        ended_at=None if state == EventStatus.OPEN else (ended_at or started_at or occurred),
        peak_count=peak_count or max(1, len(detections or [])),
        seen_objects=objects or [],
        revision=revision or 0,
    )
    # Refusals are raised, not counted: the API counts each refused request once (AlertIngestApi).
    # Constraints are left to the database: the key's uniqueness is only decidable there.
    alert.full_clean(exclude=["snapshot", "camera"], validate_constraints=False)
    if only_enabled_types:
        _check_alert_type_enabled(camera, alert_type)
    quotas.check_ingest_rate(camera=camera, now=now)
    data = snapshots.decode_base64(image_base64) if image_base64 else b""
    quotas.check_media_free_space(needed=len(data))
    quotas.check_storage_quota(camera=camera, adding=len(data))
    snapshot = snapshots.verify_image(data) if data else None
    alert.snapshot_bytes = len(data)

    try:
        if snapshot is not None:
            alert.snapshot.save(snapshot.filename(), ContentFile(snapshot.data), save=False)
        with transaction.atomic():
            alert.save()
            # Receivers write in this transaction: an outbox row commits with the alert or not at all.
            signals.alert_opened.send(sender=Alert, alert=alert)
            if alert.status == EventStatus.CLOSED:
                alert_closed(alert=alert)
    except IntegrityError:
        _delete_snapshot(alert)
        if key is None:
            raise
        # Another request with this key won the race; its row is committed (the unique index waited for it).
        return _replay(Alert.objects.get(camera=camera, idempotency_key=key), digest)
    except BaseException:
        _delete_snapshot(alert)
        raise
    metrics.ALERTS_INGESTED.labels(alert_type=alert.alert_type).inc()
    return alert, True


def _check_alert_type_enabled(camera: Camera, alert_type: str) -> None:
    # The worker raises only the camera's enabled types; another type is a misconfigured or forged sender.
    if alert_type not in camera.alert_types:
        enabled = ", ".join(camera.alert_types) or "none"
        raise ValidationError(
            {"alert_type": f"Camera {camera.pk} does not raise {alert_type!r} alerts (enabled: {enabled})."}
        )


def alert_closed(*, alert: Alert) -> None:
    """An event has closed: the one hook for what follows a close (``signals.alert_closed``'s receivers).

    Called inside the transaction that closed it, once per transition to closed (a seed client's alert
    is created closed; a reopened event closes again).
    """
    metrics.EVENTS_CLOSED.labels(alert_type=alert.alert_type).inc()
    logger.info(
        "event %s closed: %s (%s s)",
        alert.pk,
        alert.description,
        None if alert.duration_seconds is None else round(alert.duration_seconds, 1),
    )
    # Receivers write in this transaction: the close notification's outbox row commits with the close.
    signals.alert_closed.send(sender=Alert, alert=alert)


def events_close_orphans(
    *, camera: Camera, open_keys: list[str], now: datetime | None = None, min_age: float | None = None
) -> int:
    """Close the camera's open events that its worker no longer has open: a worker killed mid-event
    never sends their close, and its successor starts with no events. ``open_keys``: the events the
    worker reports open (its heartbeat). Only events the backend has had for ``min_age`` seconds
    (default CAMERA_ONLINE_SECONDS, three heartbeats) are closed, so that an event opened after the
    worker's report was taken is safe. Each ends at the last sighting the backend knows of. The revision
    stays: should the worker's own close arrive later (from its spool), it still applies. Returns how
    many were closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CAMERA_ONLINE_SECONDS if min_age is None else min_age)
    closed = 0
    with transaction.atomic():
        orphans = (
            Alert.objects.select_for_update()
            .filter(camera=camera, status=EventStatus.OPEN, created_at__lt=cutoff)
            .exclude(idempotency_key__in=open_keys)
        )
        for alert in orphans:
            alert.status = EventStatus.CLOSED
            alert.ended_at = _last_sighting(alert, now=now)
            alert.save(update_fields=["status", "ended_at"])
            logger.warning("event %s of camera %s closed: no worker has it open", alert.pk, camera.pk)
            alert_closed(alert=alert)
            closed += 1
    return closed


def _last_sighting(alert: Alert, *, now: datetime) -> datetime:
    """The latest ``last_seen`` of the event's objects, between its start and ``now``. Stored objects may
    predate the timestamp checks: a naive, unparsable or out-of-range value is skipped, never a 500."""
    start = alert.started_at or alert.occurred_at
    seen = (parse_aware(o.get("last_seen")) for o in alert.seen_objects if isinstance(o, dict))
    known = [moment for moment in seen if moment is not None and start <= moment <= now]
    return max(known, default=min(start, now))


def alert_event_update(
    *,
    camera: Camera,
    key: str,
    status: str,
    ended_at: datetime | None = None,
    confidence: float,
    description: str,
    peak_count: int,
    objects: list,
    revision: int,
    image_base64: str | None = None,
    detections: list | None = None,
) -> Alert:
    """Apply the worker's state of an event at ``revision``; older or repeated revisions change nothing
    (idempotent, whatever order they arrive in). ``Http404`` when the camera has no alert with the key."""
    with transaction.atomic():
        quotas.check_event_update_rate(camera=camera, now=timezone.now())
    snapshot = snapshots.snapshot_from_base64(image_base64) if image_base64 else None
    old_snapshot = None
    with transaction.atomic():
        alert = get_object_or_404(
            Alert.objects.select_for_update().select_related("camera"), camera=camera, idempotency_key=key
        )
        if revision <= alert.revision:
            return alert
        was_open = alert.status == EventStatus.OPEN
        alert.status = status
        alert.ended_at = ended_at if status == EventStatus.CLOSED else None
        alert.confidence = max(alert.confidence, confidence)
        alert.description = description or alert.description
        alert.peak_count = peak_count
        alert.seen_objects = objects
        alert.revision = revision
        fields = ["status", "ended_at", "confidence", "description", "peak_count", "seen_objects", "revision"]
        if snapshot is not None:
            # A replaced snapshot counts like a new one: the difference against the quotas, the new size
            # in the alert's snapshot_bytes (what the quotas add up).
            quotas.check_media_free_space(needed=len(snapshot.data))
            quotas.check_storage_quota(camera=camera, adding=len(snapshot.data) - alert.snapshot_bytes)
            old_snapshot = alert.snapshot.name or None
            alert.snapshot.save(snapshot.filename(), ContentFile(snapshot.data), save=False)
            alert.snapshot_bytes = len(snapshot.data)
            alert.detections = detections or alert.detections
            fields += ["snapshot", "snapshot_bytes", "detections"]
        alert.full_clean(exclude=["snapshot", "camera"], validate_constraints=False)
        alert.save(update_fields=fields)
        if status == EventStatus.CLOSED and was_open:
            alert_closed(alert=alert)
    if old_snapshot:
        media_store.delete_many([old_snapshot])
    metrics.EVENT_UPDATES.inc()
    return alert


def clip_store(
    *, camera: Camera, key: str, segment: int, upload: Path, started_at: datetime | None = None
) -> tuple[Clip, bool]:
    """Store an uploaded clip file of the camera's event ``key``. Returns ``(clip, created)``.

    Idempotent: the same segment again returns the stored clip (a worker retrying after a crash); other
    bytes for a stored segment raise ``IdempotencyConflict``. ``ClipInvalid`` (nothing is written) when
    it is not a playable MP4. Afterwards the storage cap may delete the oldest clips of closed events.
    """
    alert = get_object_or_404(Alert, camera=camera, idempotency_key=key)
    digest = _file_sha256(upload)
    existing = Clip.objects.filter(alert=alert, segment=segment).first()
    if existing is not None:
        return _clip_replay(existing, digest)
    _check_clip_room(camera=camera, adding=upload.stat().st_size)
    facts = clips.check_clip(upload)
    clip = Clip(
        alert=alert,
        segment=segment,
        size=upload.stat().st_size,
        duration=round(facts.duration, 3),
        started_at=started_at,
        sha256=digest,
    )
    with upload.open("rb") as body:
        clip.file.save(f"{alert.pk}-{segment}-{digest[:12]}.mp4", File(body), save=False)
    try:
        with transaction.atomic():
            clip.save()
            # Receivers write in this transaction (the held close notification goes out with the clip).
            signals.clip_stored.send(sender=Clip, alert=alert, clip=clip)
    except IntegrityError:
        media_store.delete_many([clip.file.name])
        return _clip_replay(Clip.objects.get(alert=alert, segment=segment), digest)
    except BaseException:
        media_store.delete_many([clip.file.name])
        raise
    metrics.CLIPS_STORED.inc()
    metrics.CLIP_BYTES_STORED.inc(clip.size)
    clips_enforce_storage_cap(team_id=camera.team_id)
    return clip, True


#: Clips with bytes of their own in the store (not held by the recordings): what the clip caps count and
#: what is deleted from the store with a clip's row.
OWN_BYTES: dict[str, Any] = {"recording_end__isnull": True}


def clip_store_reference(
    *,
    camera: Camera,
    key: str,
    segment: int,
    start: datetime,
    end: datetime,
    duration: float,
    size: int,
    cut: dict[str, Any] | None = None,
) -> tuple[Clip, bool]:
    """Store that the camera's recording segments hold clip ``segment`` of event ``key``, from the packet
    at ``start`` to the one at ``end`` (issue 23; ``cut``: the segment and offset of each of those two
    packets, as the worker saw them): no bytes are uploaded or stored; the clip is served
    from the segments (``recordings.clips``). ``duration`` and ``size`` are the worker's cut of the same
    packets, shown until the backend first builds the clip. Idempotent like ``clip_store``: the same
    span again returns the stored clip, another span or a clip with bytes for that segment is an
    ``IdempotencyConflict``. Nothing counts against CLIP_STORAGE_PER_USER_BYTES."""
    alert = get_object_or_404(Alert, camera=camera, idempotency_key=key)
    existing = Clip.objects.filter(alert=alert, segment=segment).first()
    if existing is not None:
        return _reference_replay(existing, start, end)
    when = alert.occurred_at or timezone.now()
    clip = Clip(
        alert=alert,
        segment=segment,
        file=f"clips/recordings/{camera.pk}/{when:%Y/%m/%d}/{alert.pk}-{segment}.mp4",
        size=size,
        duration=round(duration, 3),
        started_at=start,
        recording_start=start,
        recording_end=end,
        recording_cut=cut,
    )
    try:
        with transaction.atomic():
            clip.save()
            signals.clip_stored.send(sender=Clip, alert=alert, clip=clip)
    except IntegrityError:
        return _reference_replay(Clip.objects.get(alert=alert, segment=segment), start, end)
    metrics.CLIPS_FROM_RECORDINGS.inc()
    return clip, True


def _reference_replay(existing: Clip, start: datetime, end: datetime) -> tuple[Clip, bool]:
    if existing.recording_start != start or existing.recording_end != end:
        raise IdempotencyConflict(f"{existing.alert.idempotency_key}/clips/{existing.segment}")
    return existing, False


def _clip_replay(existing: Clip, digest: str) -> tuple[Clip, bool]:
    if existing.sha256 != digest:
        raise IdempotencyConflict(f"{existing.alert.idempotency_key}/clips/{existing.segment}")
    return existing, False


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as body:
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def clips_enforce_storage_cap(*, team_id: int | None = None, max_bytes: int | None = None) -> int:
    """Delete an owner's oldest clips of closed events until that owner's clips fit
    ``CLIP_STORAGE_PER_USER_BYTES`` (``team_id`` None: every owner over it). The owner is the camera's
    team (issue 25: a user on their own, their personal team). One owner's clips are never deleted to make
    room for another's, nor a clip of an open event (the event may still need it). Returns how many were
    deleted."""
    limit = settings.CLIP_STORAGE_PER_USER_BYTES if max_bytes is None else max_bytes
    if limit <= 0:
        return 0
    # A clip the recordings hold has no bytes of its own: the recordings' caps count them (issue 23).
    usage = Clip.objects.filter(**OWN_BYTES).values("alert__camera__team_id").annotate(total=Sum("size"))
    if team_id is not None:
        usage = usage.filter(alert__camera__team_id=team_id)
    deleted = 0
    for row in usage.filter(total__gt=limit):
        owner, total = row["alert__camera__team_id"], row["total"]
        candidates = Clip.objects.filter(
            alert__camera__team_id=owner, alert__status=EventStatus.CLOSED, **OWN_BYTES
        )
        for clip in candidates.order_by("created_at", "pk").iterator(chunk_size=200):
            if total <= limit:
                break
            name = clip.file.name
            clip.delete()
            media_store.delete_many([name])
            total -= clip.size
            deleted += 1
    if deleted:
        metrics.CLIPS_DELETED.labels(reason=metrics.CLIP_DELETED_CAP).inc(deleted)
        logger.warning(
            "clip storage cap %d bytes per owner reached: deleted the %d oldest clips", limit, deleted
        )
    return deleted


def _check_clip_room(*, camera: Camera, adding: int) -> None:
    """Refuses (507) a clip that would take the media volume under its free-space floor, or its owner's
    (the camera's team's) clips past CLIP_STORAGE_PER_USER_BYTES when what is over cannot be freed from the
    owner's own clips of closed events (events held open cannot fill the disk)."""
    quotas.check_media_free_space(needed=adding)
    limit = settings.CLIP_STORAGE_PER_USER_BYTES
    if limit <= 0:
        return
    held = Clip.objects.filter(
        alert__camera__team_id=camera.team_id, alert__status=EventStatus.OPEN, **OWN_BYTES
    )
    pinned = held.aggregate(total=Sum("size"))["total"] or 0
    if quotas.over_quota(pinned, adding, limit):
        raise InsufficientStorage(
            f"Clips of this team's open events take {pinned} bytes; {adding} more passes its clip quota "
            f"of {limit} (CLIP_STORAGE_PER_USER_BYTES). Close events or delete alerts."
        )


def alert_acknowledge(*, alert: Alert, user: User, now: datetime | None = None) -> Alert:
    """Mark the alert acknowledged by the user; acknowledging twice keeps the first who and when."""
    if alert.acknowledged:
        return alert
    alert.acknowledged = True
    alert.acknowledged_at = now or timezone.now()
    alert.acknowledged_by = user
    alert.save(update_fields=["acknowledged", "acknowledged_at", "acknowledged_by"])
    return alert


def alerts_acknowledge(*, user: User, alert_ids: list[int], now: datetime | None = None) -> int:
    """Acknowledge the not yet acknowledged alerts among ``alert_ids`` that the user's roles let them
    acknowledge; returns how many changed."""
    return (
        alerts_visible_to(user, Action.ACKNOWLEDGE)
        .filter(pk__in=alert_ids, acknowledged=False)
        .update(acknowledged=True, acknowledged_at=now or timezone.now(), acknowledged_by=user)
    )


def alerts_purge(*, older_than: datetime) -> int:
    """Delete alerts that happened before ``older_than`` and their snapshot files; returns the count."""
    deleted = 0
    queryset = Alert.objects.filter(occurred_at__lt=older_than).order_by("pk")
    while True:
        batch = list(queryset.values_list("pk", "snapshot")[:500])
        if not batch:
            return deleted
        ids = [pk for pk, _ in batch]
        clip_names = list(Clip.objects.filter(alert_id__in=ids, **OWN_BYTES).values_list("file", flat=True))
        with transaction.atomic():
            Alert.objects.filter(pk__in=ids).delete()
        # Files go after the rows are gone: a crash in between leaves an orphan file, never a broken row
        # (reconcile_media finds orphans). One batched delete per 500 alerts on a bucket.
        media_store.delete_many([name for _, name in batch] + clip_names)
        if clip_names:
            metrics.CLIPS_DELETED.labels(reason=metrics.CLIP_DELETED_PURGE).inc(len(clip_names))
        deleted += len(batch)
