"""Hypothesis over the dashboard's query parameters: whatever a client puts in them, no page answers 5xx.

Found by the abuse review: ``?before=1_²``, ``alerts/poll/?after=²`` and ``?date_to=9999-12-31`` each
answered 500. Text is drawn from all of Unicode (other scripts' digits included), plus values shaped like
the real ones (cursors, dates, ids) at their extremes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

digits = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=25)
shaped = st.one_of(
    digits,
    st.builds(lambda a, b: f"{a}_{b}", st.one_of(digits, st.integers()), st.one_of(digits, st.integers())),
    st.dates().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=40),
)
PARAMETERS = ("before", "after", "date_from", "date_to", "camera", "type", "ack", "next", "page")
queries = st.dictionaries(st.sampled_from(PARAMETERS), shaped, max_size=4)
PAGES = ("/dashboard/", "/dashboard/alerts/poll/", "/dashboard/cameras/", "/dashboard/statistics/")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), query=queries)
@example(page="/dashboard/", query={"before": "1_\u00b2"})
@example(page="/dashboard/alerts/poll/", query={"after": "\u00b2"})
@example(page="/dashboard/", query={"date_to": "9999-12-31"})
def test_no_query_string_makes_a_dashboard_page_answer_5xx(alice_client, alice, make_camera, page, query):
    if "poll" in page:
        query = {"after": "0", **query}
    answer = alice_client.get(page, query)
    assert answer.status_code < 500, (page, query)
