"""Resolving a case in the console: the API's own use case, a mandatory reason, once only, no forgery."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.console.conftest import NAMES, bearer, csrf_of, make_case, sign_in


def _resolved_entries(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get(
        "/v1/audit", params={"kind": "review.resolved"}, headers=bearer("auditor")).json()["entries"]
    return entries


def _resolve(client: TestClient, review_id: str, **form: str) -> Any:
    page = client.get(f"/console/reviews/{review_id}")
    data = {"csrf_token": csrf_of(page.text), **form}
    return client.post(f"/console/reviews/{review_id}/resolution", data=data, follow_redirects=False)


def test_rejecting_with_a_reason_keeps_the_entitlement_and_the_case_leaves_the_queue(client: TestClient) -> None:
    case = make_case(client, "FAM-REJECT")
    sign_in(client)
    assert f'data-review-id="{case.review_id}"' in client.get("/console/reviews").text
    answer = _resolve(client, case.review_id, resolution="reject", reason="the death record is being corrected")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/reviews"
    queue = client.get("/console/reviews")
    assert f'data-review-id="{case.review_id}"' not in queue.text
    assert f"Decision on case {case.review_id} recorded: rejected. The case has left the queue." in queue.text
    assert "Decision on case" not in client.get("/console/reviews").text  # the notice is shown once
    review = client.get(f"/v1/reviews/{case.review_id}", headers=bearer("reviewer")).json()
    assert (review["status"], review["reviewer"], review["resolution_reason"]) == (
        "rejected", NAMES["reviewer"], "the death record is being corrected")
    [entitlement] = client.get(f"/v1/families/{case.family_id}", headers=bearer("reviewer")).json()["entitlements"]
    assert (entitlement["status"], entitlement["amount_kzt"]) == ("active", 69330)


def test_the_console_writes_the_same_audit_entry_as_the_api_with_the_reviewers_name(client: TestClient) -> None:
    by_api = make_case(client, "FAM-VIA-API")
    by_console = make_case(client, "FAM-VIA-CONSOLE")
    reason = "the child is alive; registry error"
    assert client.post(f"/v1/reviews/{by_api.review_id}/resolution", json={"resolution": "reject", "reason": reason},
                       headers=bearer("reviewer")).status_code == 200
    sign_in(client)
    _resolve(client, by_console.review_id, resolution="reject", reason=reason)
    api_entry, console_entry = _resolved_entries(client)
    assert (api_entry["subject"], console_entry["subject"]) == (by_api.review_id, by_console.review_id)
    for entry, family_id in ((api_entry, by_api.family_id), (console_entry, by_console.family_id)):
        entry.update(seq=None, at=None, hash=None, prev_hash=None, subject=None)
        assert entry.pop("family_id") == family_id
    assert console_entry == api_entry
    assert console_entry["actor"] == NAMES["reviewer"]
    assert console_entry["data"]["reason"] == reason and console_entry["data"]["resolution"] == "reject"
    assert client.get("/v1/audit/verify", headers=bearer("auditor")).json()["ok"] is True


def test_approving_carries_the_proposed_termination_out(client: TestClient) -> None:
    case = make_case(client, "FAM-APPROVE")
    sign_in(client)
    _resolve(client, case.review_id, resolution="approve", reason="death confirmed by the civil registry")
    [entitlement] = client.get(f"/v1/families/{case.family_id}", headers=bearer("reviewer")).json()["entitlements"]
    assert entitlement["status"] == "ended"
    page = client.get(f"/console/reviews/{case.review_id}")
    assert 'data-status="approved"' in page.text and "death confirmed by the civil registry" in page.text


def test_a_written_reason_is_mandatory(client: TestClient) -> None:
    case = make_case(client, "FAM-NOREASON")
    sign_in(client)
    for reason in ("", "   ", "ok"):
        answer = _resolve(client, case.review_id, resolution="reject", reason=reason)
        assert answer.status_code == 422
        assert "Write the reason for your decision (at least 3 characters)." in answer.text
        assert 'id="reject" name="resolution" value="reject" checked' in answer.text  # the choice is kept
    no_choice = _resolve(client, case.review_id, reason="a reason without a choice")
    assert no_choice.status_code == 422 and "Choose approve or reject." in no_choice.text
    assert "a reason without a choice" in no_choice.text  # what was typed is not lost
    assert client.get(f"/v1/reviews/{case.review_id}", headers=bearer("reviewer")).json()["status"] == "pending"
    assert _resolved_entries(client) == []


def test_a_resolved_case_cannot_be_resolved_again(client: TestClient) -> None:
    case = make_case(client, "FAM-ONCE")
    sign_in(client)
    page = client.get(f"/console/reviews/{case.review_id}")
    token = csrf_of(page.text)
    url = f"/console/reviews/{case.review_id}/resolution"
    first = client.post(url, data={"csrf_token": token, "resolution": "reject", "reason": "keep the allowance"},
                        follow_redirects=False)
    assert first.status_code == 303
    again = client.post(url, data={"csrf_token": token, "resolution": "approve", "reason": "changed my mind"},
                        follow_redirects=False)
    assert again.status_code == 409
    assert "This case is already resolved (rejected, reviewer-ana," in again.text
    assert "it cannot be resolved again" in again.text
    assert 'name="resolution"' not in client.get(f"/console/reviews/{case.review_id}").text  # no form any more
    assert [e["data"]["resolution"] for e in _resolved_entries(client)] == ["reject"]


def test_a_forged_or_tokenless_resolution_form_is_refused(client: TestClient) -> None:
    case = make_case(client, "FAM-FORGED")
    url = f"/console/reviews/{case.review_id}/resolution"
    form = {"resolution": "approve", "reason": "forged by another site"}
    assert client.post(url, data=form, follow_redirects=False).status_code == 401  # no cookie
    sign_in(client)
    assert client.post(url, data=form, follow_redirects=False).status_code == 403  # no token
    forged = client.post(url, data={**form, "csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403 and "did not come from the console" in forged.text
    other = TestClient(client.app, base_url="http://localhost")
    sign_in(other)
    someone_elses = csrf_of(other.get("/console/reviews").text)
    assert client.post(url, data={**form, "csrf_token": someone_elses}, follow_redirects=False).status_code == 403
    assert client.get(f"/v1/reviews/{case.review_id}", headers=bearer("reviewer")).json()["status"] == "pending"
    assert client.get("/console/reviews", follow_redirects=False).status_code == 200  # refusal kept the session


def test_an_unknown_case_is_a_plain_not_found_page(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/console/reviews/rv-does-not-exist")
    assert page.status_code == 404 and "No case rv-does-not-exist." in page.text
    posted = _resolve(client, "rv-does-not-exist", resolution="reject", reason="nothing to resolve")
    assert posted.status_code == 404
