"""Page-number lists count up to API_COUNT_LIMIT rows (surveillance.pagination): past it the answer says
so, ``count`` is a lower bound, and paging by ``next`` still reaches every row once. Over the API, on the
real database; the limit is lowered so that a handful of alerts crosses it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.clock import recent
from surveillance.models import Alert
from surveillance.pagination import count_lower_bound

pytestmark = pytest.mark.django_db

T0 = recent(days=1)


@pytest.fixture
def seven(alice_camera, bob_camera) -> list[int]:
    """Seven of alice's alerts, oldest first, and one of bob's she must never see."""
    made = [
        Alert.objects.create(
            camera=alice_camera, alert_type="person", confidence=0.5, occurred_at=T0 + timedelta(minutes=i)
        )
        for i in range(7)
    ]
    Alert.objects.create(camera=bob_camera, alert_type="person", confidence=0.5, occurred_at=T0)
    return [alert.pk for alert in made]


def test_a_list_within_the_limit_counts_exactly_as_before(alice_client, seven, settings):
    settings.API_COUNT_LIMIT = 7
    page = alice_client.get("/api/alerts/", {"page_size": 3, "page": 3}).json()
    assert (page["count"], page["count_exact"], page["next"]) == (7, True, None)
    assert [alert["id"] for alert in page["results"]] == [seven[0]]
    assert alice_client.get("/api/alerts/", {"page_size": 3, "page": 4}).status_code == 404


def test_past_the_limit_the_count_is_a_lower_bound_and_next_walks_each_row_once(
    alice_client, seven, settings
):
    settings.API_COUNT_LIMIT = 3
    page = alice_client.get("/api/alerts/", {"page_size": 2}).json()
    assert (page["count"], page["count_exact"]) == (4, False)  # more than 3 are known, no more
    seen, counts = [], []
    while True:
        seen += [alert["id"] for alert in page["results"]]
        counts.append(page["count"])
        if page["next"] is None:
            break
        page = alice_client.get(page["next"]).json()
    assert seen == list(reversed(seven))
    assert counts == [4, 5, 7, 7]  # what each page proved; the last one knows the total
    assert alice_client.get("/api/alerts/", {"page_size": 2, "page": 5}).status_code == 404


def test_a_page_past_the_limit_can_be_asked_for_directly(alice_client, seven, settings):
    settings.API_COUNT_LIMIT = 2
    page = alice_client.get("/api/alerts/", {"page_size": 2, "page": 3}).json()
    assert [alert["id"] for alert in page["results"]] == [seven[2], seven[1]]
    assert (page["count"], page["count_exact"]) == (7, False)
    assert "page=2" in page["previous"] and "page=4" in page["next"]


def test_page_last_counts_every_row_to_find_the_last_page(alice_client, seven, settings):
    settings.API_COUNT_LIMIT = 3
    page = alice_client.get("/api/alerts/", {"page_size": 3, "page": "last"}).json()
    assert (page["count"], page["count_exact"], page["next"]) == (7, True, None)
    assert [alert["id"] for alert in page["results"]] == [seven[0]]


@pytest.mark.parametrize("number", ["0", "-1", "two", "9" * 30])
def test_a_bad_page_number_past_the_limit_answers_404_not_500(alice_client, seven, settings, number):
    settings.API_COUNT_LIMIT = 3
    assert alice_client.get("/api/alerts/", {"page": number}).status_code == 404


def test_the_count_reads_at_most_one_row_past_the_limit(alice_client, seven, settings):
    settings.API_COUNT_LIMIT = 3
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get("/api/alerts/").status_code == 200
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0], counts
    # Without the list's ordering, PostgreSQL may stop at the first rows it finds.
    assert "ORDER BY" not in counts[0].upper(), counts[0]


def test_other_lists_are_capped_the_same_way(alice_client, alice, make_camera, settings):
    settings.API_COUNT_LIMIT = 2
    for index in range(3):
        make_camera(alice, name=f"cam {index}")
    page = alice_client.get("/api/cameras/", {"page_size": 1}).json()
    assert (page["count"], page["count_exact"]) == (3, False)


def test_the_lower_bound_is_what_was_proven():
    assert count_lower_bound(limit=10, rows_before=0, rows_on_page=5, more=True) == 11
    assert count_lower_bound(limit=10, rows_before=40, rows_on_page=5, more=False) == 45
    assert count_lower_bound(limit=10, rows_before=40, rows_on_page=5, more=True) == 46
