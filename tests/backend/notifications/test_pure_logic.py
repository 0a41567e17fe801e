"""Pure decisions of notifications: rules, quiet hours, backoff, Retry-After, signatures, outbound policy."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, time, timedelta

import pytest

from cctv_common import network_policy
from notifications import backoff, rules, signing
from notifications.senders import target_policy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIRE = rules.AlertFacts(camera_id=3, alert_type="fire", confidence=0.8)


def test_empty_rules_want_every_opened_alert_but_not_its_close():
    assert rules.wants(rules.Rules(), FIRE, event=rules.OPENED, now=NOW)
    assert not rules.wants(rules.Rules(), FIRE, event=rules.CLOSED, now=NOW)
    assert rules.wants(rules.Rules(notify_on_close=True), FIRE, event=rules.CLOSED, now=NOW)


@pytest.mark.parametrize(
    ("rule", "wanted"),
    [
        (rules.Rules(cameras=(3,)), True),
        (rules.Rules(cameras=(4,)), False),
        (rules.Rules(alert_types=("fire", "smoke")), True),
        (rules.Rules(alert_types=("person",)), False),
        (rules.Rules(min_confidence=0.8), True),
        (rules.Rules(min_confidence=0.81), False),
        (rules.Rules(zones=("door",)), False),  # the alert names no zone
        (rules.Rules(notify_on_open=False), False),
    ],
)
def test_each_rule_filters_on_its_own(rule, wanted):
    assert rules.wants(rule, FIRE, event=rules.OPENED, now=NOW) is wanted


def test_a_zone_rule_passes_alerts_in_one_of_its_zones():
    in_door = rules.AlertFacts(camera_id=3, alert_type="intrusion", confidence=0.9, zones=("door", "yard"))
    assert rules.wants(rules.Rules(zones=("door",)), in_door, event=rules.OPENED, now=NOW)


def test_quiet_hours_span_midnight_in_the_channels_time_zone():
    quiet = rules.Rules(quiet_hours_start=time(22), quiet_hours_end=time(7), time_zone="Europe/Berlin")
    # 21:30 UTC is 23:30 in Berlin (summer): quiet. 06:00 UTC is 08:00 there: not quiet.
    assert not rules.wants(quiet, FIRE, event=rules.OPENED, now=datetime(2026, 6, 1, 21, 30, tzinfo=UTC))
    assert rules.wants(quiet, FIRE, event=rules.OPENED, now=datetime(2026, 6, 2, 6, 0, tzinfo=UTC))
    assert rules.in_quiet_hours(time(9), time(17), time(12))
    assert not rules.in_quiet_hours(time(9), time(17), time(17))
    assert not rules.in_quiet_hours(time(9), time(9), time(9))


def test_backoff_doubles_up_to_the_cap_and_keeps_half_the_delay_fixed():
    rng = random.Random(1)
    delays = [backoff.backoff_delay(attempt, base=2, cap=60, rng=rng) for attempt in range(1, 9)]
    for attempt, delay in enumerate(delays, start=1):
        full = min(60, 2 * 2 ** (attempt - 1))
        assert full / 2 <= delay <= full
    jittered = {round(backoff.backoff_delay(5, base=2, cap=60, rng=rng), 6) for _ in range(20)}
    assert len(jittered) > 10  # spread, not one instant for everyone


def test_only_5xx_408_and_429_are_retried():
    statuses = (400, 401, 403, 404, 408, 410, 422, 429, 500, 502, 503)
    assert [s for s in statuses if backoff.is_retryable_status(s)] == [
        408, 429, 500, 502, 503,
    ]  # fmt: skip


def test_retry_after_in_seconds_or_as_a_date_wins_over_a_shorter_backoff():
    assert backoff.parse_retry_after("120", now=NOW) == 120
    assert backoff.parse_retry_after("Mon, 01 Jun 2026 12:00:30 GMT", now=NOW) == 30
    assert backoff.parse_retry_after("soon", now=NOW) is None
    when = backoff.next_attempt_at(
        now=NOW, first_attempt_at=NOW, attempt=1, retry_after=120, base=1, cap=10, window=3600
    )
    assert when == NOW + timedelta(seconds=120)


def test_no_next_attempt_once_the_retry_window_is_used_up():
    first = NOW - timedelta(seconds=590)
    assert backoff.next_attempt_at(now=NOW, first_attempt_at=first, attempt=9, retry_after=None, base=60,
                                   cap=60, window=600) is None  # fmt: skip


def test_a_signature_verifies_with_the_secret_and_a_fresh_timestamp_only():
    body = b'{"a":1}'
    header = signing.signature("s3cret", 1_700_000_000, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    ok = {"secret": "s3cret", "timestamp": "1700000000", "body": body, "signature_header": header}
    assert signing.verify(**ok, now=1_700_000_010)
    assert not signing.verify(**{**ok, "secret": "other"}, now=1_700_000_010)
    assert not signing.verify(**{**ok, "body": b'{"a":2}'}, now=1_700_000_010)
    assert not signing.verify(**ok, now=1_700_001_000)  # a replay ten minutes later


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
     ("192.168.1.10", False), ("169.254.169.254", False), ("::1", False), ("fe80::1", False),
     ("::ffff:127.0.0.1", False), ("0.0.0.0", False), ("100.64.0.1", False), ("224.0.0.1", False)],
)  # fmt: skip
def test_loopback_link_local_and_private_addresses_are_not_public(address, public):
    assert network_policy.is_public(address) is public


def test_a_target_must_be_public_unless_the_operator_allows_its_network(settings):
    settings.NOTIFY_ALLOWED_NETWORKS = ()
    assert target_policy().allows("8.8.8.8") and not target_policy().allows("127.0.0.1")
    settings.NOTIFY_ALLOWED_NETWORKS = network_policy.parse_networks("127.0.0.0/8")
    assert target_policy().allows("127.0.0.1") and not target_policy().allows("10.0.0.1")


def test_every_resolved_address_must_pass_not_just_the_first(settings):
    def resolve(host):
        return ["8.8.8.8", "10.0.0.5"]

    settings.NOTIFY_ALLOWED_NETWORKS = ()
    refusal = r"mixed\.example.*NOTIFY_ALLOWED_NETWORKS"
    with pytest.raises(network_policy.AddressNotAllowed, match=refusal) as refused:
        network_policy.check_host("mixed.example", target_policy(), resolve)
    assert "10.0.0.5" not in str(refused.value)  # what a name resolves to is not told (a DNS oracle)
    settings.NOTIFY_ALLOWED_NETWORKS = network_policy.parse_networks("10.0.0.0/8")
    assert network_policy.check_host("mixed.example", target_policy(), resolve) == ["8.8.8.8", "10.0.0.5"]


def test_allowed_networks_parse_cidrs_and_name_a_bad_one():
    networks = network_policy.parse_networks("127.0.0.0/8, ::1 ", name="NOTIFY_ALLOWED_NETWORKS")
    assert networks[1] == ipaddress.ip_network("::1/128")
    with pytest.raises(ValueError, match="NOTIFY_ALLOWED_NETWORKS: 'nonsense' is not an IP address or CIDR"):
        network_policy.parse_networks("nonsense", name="NOTIFY_ALLOWED_NETWORKS")


def test_a_host_that_does_not_resolve_is_refused_with_the_reason():
    with pytest.raises(network_policy.AddressNotAllowed, match="does not resolve"):
        network_policy.check_host("no-such-host.invalid", target_policy())
