"""surveillance.quotas: the pure arithmetic, and the media-volume check through the API (in process:
a nearly full disk is simulated by asking for more free space than any disk has)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from backend.images import files_under
from surveillance.models import Alert
from surveillance.quotas import over_quota, retry_after_seconds

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_over_quota_counts_what_is_added_and_zero_means_no_limit():
    assert not over_quota(used=90, adding=10, limit=100)
    assert over_quota(used=91, adding=10, limit=100)
    assert not over_quota(used=10**15, adding=10**9, limit=0)


def test_retry_after_is_when_the_oldest_alert_of_the_minute_leaves_it():
    assert retry_after_seconds(NOW - timedelta(seconds=45), NOW) == 16
    assert retry_after_seconds(NOW - timedelta(seconds=70), NOW) == 1


@pytest.mark.django_db
def test_ingest_answers_507_while_the_media_volume_is_nearly_full(camera_client, alert_payload, media_root):
    with override_settings(MEDIA_MIN_FREE_BYTES=2**62):
        answer = camera_client.post("/api/send-alert/", alert_payload(), format="json")

    assert answer.status_code == 507
    assert "MEDIA_MIN_FREE_BYTES" in answer.json()["detail"]
    assert Alert.objects.count() == 0
    assert files_under(media_root) == []


@pytest.mark.django_db
def test_ingest_answers_507_past_the_users_storage_quota(camera_client, alert_payload, media_root):
    with override_settings(USER_STORAGE_QUOTA_BYTES=100):
        answer = camera_client.post("/api/send-alert/", alert_payload(), format="json")

    assert answer.status_code == 507
    assert "USER_STORAGE_QUOTA_BYTES" in answer.json()["detail"]
    assert Alert.objects.count() == 0
    assert files_under(media_root) == []
