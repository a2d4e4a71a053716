"""Password grant at ``POST {CellURL}__token``: login history, the interval lock, the account lock,
``IPAddressRange`` and ``Status`` — apiref/293 ("Record of authentication history", response fields
``last_authenticated``/``failed_count``, the password-change error body); notes §3.3 password steps 1–7.

Most tests run on an app whose interval lock is off (``authn_interval=0``), so that failures can be
counted without waiting; the interval lock itself is tested with Personium's default of 1 second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    PASSWORD,
    assert_accepted,
    assert_oauth_error,
    cell_url,
    decode,
    login,
    make_account,
    make_cell,
    now_ms,
    ok,
    password_params,
    stop_recording_history,
    token,
    update_account,
    variant_client,
)
from tests.api._auth_support import assert_rejected as assert_bearer_rejected
from tests.conftest import UNIT

ALICE = cell_url("alice")
WRONG = "wrong-pass"


def setup_cell(client: Any) -> Any:
    make_cell(client, "alice")
    make_account(client, "alice", "me")
    return client


@pytest.fixture
def cells(client: Any) -> Any:
    """Personium's defaults: 1 s interval lock, no account lock."""
    return setup_cell(client)


@pytest.fixture
def quick(settings: Any, storage: Any) -> Iterator[Any]:
    """No interval lock, no account lock: failures can follow each other."""
    with variant_client(settings, storage, authn_interval=0) as client:
        yield setup_cell(client)


def fail(client: Any, username: str = "me", password: str = WRONG, **extra: str) -> None:
    assert_oauth_error(token(client, "alice", password_params(username, password, **extra)), "PR400-AN-0017")


def fails_with_the_right_password(client: Any, **headers: str) -> None:
    response = token(client, "alice", password_params(), headers or None)
    assert_oauth_error(response, "PR400-AN-0017")


# --- last_authenticated / failed_count (apiref/293 response body) -------------------------------------------

def test_first_login_has_no_last_authenticated_and_no_failures(quick):
    body = login(quick, "alice")
    assert body["last_authenticated"] is None
    assert body["failed_count"] == 0


def test_last_authenticated_is_the_time_of_the_previous_login(quick):
    """apiref/293: the value is the previous login's time (epoch ms), not this one's."""
    before = now_ms()
    login(quick, "alice")
    after = now_ms()
    second = login(quick, "alice")
    assert isinstance(second["last_authenticated"], int)
    assert before <= second["last_authenticated"] <= after
    third = login(quick, "alice")
    assert third["last_authenticated"] >= after  # the second login's time


def test_failed_count_counts_failures_since_the_last_login_and_is_reset_by_a_login(quick):
    """notes §3.3: failed_count is the count *before* the reset."""
    login(quick, "alice")
    fail(quick)
    fail(quick)
    assert login(quick, "alice")["failed_count"] == 2
    assert login(quick, "alice")["failed_count"] == 0


def test_failed_login_does_not_change_last_authenticated(quick):
    before = now_ms()
    login(quick, "alice")
    after = now_ms()
    fail(quick)
    body = login(quick, "alice")
    assert before <= body["last_authenticated"] <= after
    assert body["failed_count"] == 1


def test_failures_before_the_first_login_are_counted(quick):
    fail(quick)
    body = login(quick, "alice")
    assert body["last_authenticated"] is None
    assert body["failed_count"] == 1


def test_history_is_per_account(quick):
    make_account(quick, "alice", "other")
    fail(quick, "other")
    assert login(quick, "alice")["failed_count"] == 0
    assert login(quick, "alice", "other")["failed_count"] == 1


def test_accounts_not_recording_auth_history_never_get_a_last_authenticated(quick):
    """apiref/293: the cell property ``p:accountsnotrecordingauthhistory`` (comma-separated names)."""
    make_account(quick, "alice", "quiet")
    stop_recording_history(quick, "alice", "someone", "quiet")
    login(quick, "alice", "quiet")
    assert login(quick, "alice", "quiet")["last_authenticated"] is None
    login(quick, "alice")
    assert login(quick, "alice")["last_authenticated"] is not None


def test_only_the_password_grant_reports_login_history(quick):
    body = login(quick, "alice")
    response = token(quick, "alice", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    refreshed = ok(response)
    assert "last_authenticated" not in refreshed and "failed_count" not in refreshed


# --- steps 1 and 2 fail without being recorded (notes §3.3) -------------------------------------------------

def test_unknown_account_records_nothing(cells):
    """Step 1 (no such account) is not a failure of any account: no interval lock follows."""
    fail(cells, "nobody", PASSWORD)
    assert login(cells, "alice")["failed_count"] == 0


def test_account_without_basic_type_cannot_log_in_and_records_nothing(cells):
    """Step 2: Type without ``basic`` → AN-0017, even with the right password; nothing recorded."""
    make_account(cells, "alice", "oidc", Type="oidc:google")
    fail(cells, "oidc", PASSWORD)
    fail(cells, "oidc", PASSWORD)  # no interval lock was set by the first attempt
    update_account(cells, "alice", "oidc", Type="basic oidc:google")
    assert login(cells, "alice", "oidc")["failed_count"] == 0


# --- step 3: the interval lock (default 1 s) ----------------------------------------------------------------

def test_right_password_fails_within_a_second_after_a_failure(cells):
    """apiref/293: "even if the password is legitimate ... for one second after failure"."""
    fail(cells)
    fails_with_the_right_password(cells)
    time.sleep(1.1)
    body = login(cells, "alice")
    assert body["failed_count"] == 2  # the refused right password counted too (notes §3.3)


def test_a_failure_during_the_interval_lock_extends_it(settings, storage):
    """notes §3.3 step 3: a refused attempt "extends the lock". A 2 s interval leaves room for slow
    password hashing between the attempts."""
    with variant_client(settings, storage, authn_interval=2) as client:
        setup_cell(client)
        fail(client)  # t = 0: locked until 2
        time.sleep(1.2)
        fails_with_the_right_password(client)  # t ≈ 1.2: locked; the lock now runs to ≈ 3.2
        time.sleep(1.2)
        fails_with_the_right_password(client)  # t ≈ 2.4: locked only because the lock was extended
        time.sleep(2.1)
        assert login(client, "alice")["failed_count"] == 3


def test_interval_lock_is_per_account(cells):
    make_account(cells, "alice", "other")
    fail(cells, "other")
    assert login(cells, "alice")["failed_count"] == 0


def test_interval_lock_follows_the_setting(settings, storage):
    with variant_client(settings, storage, authn_interval=2) as client:
        setup_cell(client)
        fail(client)
        time.sleep(1.2)
        fails_with_the_right_password(client)  # locked for 2 s after the last failure
        time.sleep(2.1)
        assert login(client, "alice")["failed_count"] == 2


# --- step 4: the account lock (authn.account.lockCount / lockTime) ------------------------------------------

def test_account_lock_after_lock_count_failures(settings, storage):
    with variant_client(settings, storage, authn_interval=0, lock_count=3, lock_time=2) as client:
        setup_cell(client)
        for _ in range(3):
            fail(client)
        fails_with_the_right_password(client)  # locked: 3 failures ≥ lockCount
        time.sleep(2.2)
        body = login(client, "alice")
        assert body["failed_count"] == 4
        fail(client)  # the count restarted at the login: one failure does not lock
        assert login(client, "alice")["failed_count"] == 1


def test_fewer_failures_than_lock_count_do_not_lock(settings, storage):
    with variant_client(settings, storage, authn_interval=0, lock_count=3, lock_time=60) as client:
        setup_cell(client)
        fail(client)
        fail(client)
        assert login(client, "alice")["failed_count"] == 2


def test_no_account_lock_by_default(quick):
    """notes §10: lockCount 0 disables the account lock."""
    for _ in range(6):
        fail(quick)
    assert login(quick, "alice")["failed_count"] == 6


# --- step 5: IPAddressRange (first X-Forwarded-For entry) ---------------------------------------------------

@pytest.mark.parametrize(("ranges", "forwarded"), [
    pytest.param("10.0.0.0/24", "10.0.0.5", id="in-block"),
    pytest.param("10.0.0.7", "10.0.0.7", id="single-address"),
    pytest.param("192.168.1.1,10.0.0.0/8", "10.200.3.4", id="second-entry-of-the-list"),
    pytest.param("10.0.0.0/24", "10.0.0.5, 192.168.9.9", id="first-forwarded-entry-counts"),
])
def test_login_from_inside_the_ip_address_range(quick, ranges, forwarded):
    make_account(quick, "alice", "ranged", IPAddressRange=ranges)
    body = login(quick, "alice", "ranged", headers={"X-Forwarded-For": forwarded})
    assert body["access_token"].startswith("AR~")


@pytest.mark.parametrize(("ranges", "forwarded"), [
    pytest.param("10.0.0.0/24", "10.0.1.5", id="outside-block"),
    pytest.param("10.0.0.7", "10.0.0.8", id="other-address"),
    pytest.param("10.0.0.0/24", "192.168.9.9, 10.0.0.5", id="only-the-first-forwarded-entry-counts"),
])
def test_login_from_outside_the_ip_address_range_fails_and_counts(quick, ranges, forwarded):
    make_account(quick, "alice", "ranged", IPAddressRange=ranges)
    response = token(quick, "alice", password_params("ranged"), {"X-Forwarded-For": forwarded})
    assert_oauth_error(response, "PR400-AN-0017")
    update_account(quick, "alice", "ranged", IPAddressRange=None)
    assert login(quick, "alice", "ranged")["failed_count"] == 1


def test_ip_failure_sets_the_interval_lock(cells):
    make_account(cells, "alice", "ranged", IPAddressRange="10.0.0.0/24")
    response = token(cells, "alice", password_params("ranged"), {"X-Forwarded-For": "10.9.9.9"})
    assert_oauth_error(response, "PR400-AN-0017")
    response = token(cells, "alice", password_params("ranged"), {"X-Forwarded-For": "10.0.0.1"})
    assert_oauth_error(response, "PR400-AN-0017")  # right address, right password, but within the second
    time.sleep(1.1)
    assert login(cells, "alice", "ranged", headers={"X-Forwarded-For": "10.0.0.1"})["failed_count"] == 2


# --- step 7 and after: Status -------------------------------------------------------------------------------

def test_deactivated_account_cannot_log_in_and_the_attempt_counts(quick):
    make_account(quick, "alice", "off", Status="deactivated")
    fail(quick, "off", PASSWORD)
    fail(quick, "off", WRONG)
    update_account(quick, "alice", "off", Status="active")
    assert login(quick, "alice", "off")["failed_count"] == 2


def test_password_change_required_returns_a_password_change_token(quick):
    """notes §3.3: 401 PR401-AN-0023 (the page's PR401-AN-0001 is a doc mismatch) with ``access_token``
    (AP~), ``url`` = {cellUrl}__mypassword, ``last_authenticated`` and ``failed_count``."""
    login(quick, "alice")
    make_account(quick, "alice", "changeme", Status="passwordChangeRequired")
    fail(quick, "changeme")
    response = token(quick, "alice", password_params("changeme"))
    body = assert_oauth_error(response, "PR401-AN-0023",
                              extra_keys=("access_token", "url", "last_authenticated", "failed_count"))
    assert body["url"] == f"{ALICE}__mypassword"
    assert body["last_authenticated"] is None
    assert body["failed_count"] == 1
    assert body["access_token"].startswith("AP~")
    change = decode(quick, body["access_token"], ALICE)
    assert change.kind is TokenKind.PASSWORD_CHANGE
    assert (change.subject, change.issuer) == ("changeme", ALICE)
    assert change.lifespan_ms == DAY_MS  # notes §3.1: the AP~ lifetime is the refresh lifetime


def test_password_change_token_lifetime_follows_refresh_token_expires_in(quick):
    make_account(quick, "alice", "changeme", Status="passwordChangeRequired")
    response = token(quick, "alice", password_params("changeme", refresh_token_expires_in="300",
                                                     expires_in="10"))
    body = assert_oauth_error(response, "PR401-AN-0023",
                              extra_keys=("access_token", "url", "last_authenticated", "failed_count"))
    assert decode(quick, body["access_token"], ALICE).lifespan_ms == 300_000


def test_password_change_required_with_a_wrong_password_is_a_plain_failure(quick):
    make_account(quick, "alice", "changeme", Status="passwordChangeRequired")
    fail(quick, "changeme")


def test_password_change_token_is_not_a_bearer_token(quick):
    """notes §3.2: AP~ is accepted only by __mypassword; elsewhere 401 PR401-AU-0012, also at unit level."""
    make_account(quick, "alice", "changeme", Status="passwordChangeRequired")
    body = token(quick, "alice", password_params("changeme")).json()
    assert_bearer_rejected(quick, "alice", body["access_token"], "PR401-AU-0012")
    response = quick.get("/__ctl/Cell", headers={"Authorization": f"Bearer {body['access_token']}",
                                                 "Accept": "application/json"})
    assert response.status_code == 401 and response.json()["code"] == "PR401-AU-0012"
    assert response.headers["www-authenticate"] == f'Bearer realm="{UNIT}"'


def test_password_change_required_with_p_target_still_returns_the_password_change_token(quick):
    make_account(quick, "alice", "changeme", Status="passwordChangeRequired")
    response = token(quick, "alice", password_params("changeme", p_target=cell_url("bob")))
    body = assert_oauth_error(response, "PR401-AN-0023",
                              extra_keys=("access_token", "url", "last_authenticated", "failed_count"))
    assert body["access_token"].startswith("AP~")
    assert "location" not in response.headers


def test_active_account_logs_in(quick):
    make_account(quick, "alice", "on", Status="active")
    assert_accepted(quick, "alice", login(quick, "alice", "on")["access_token"])
