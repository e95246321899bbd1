"""What the queue and a case page show: order, filters, counts, ages, explanations, masked IINs."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.console.conftest import Clock, make_case, sign_in


def _rows(html: str) -> list[str]:
    """The review ids of the queue's rows, in order."""
    return re.findall(r'<tr data-review-id="([^"]+)"', html)


def test_the_queue_lists_pending_cases_oldest_first_with_counts_and_their_age(
    client: TestClient, clock: Clock
) -> None:
    first = make_case(client, "FAM-OLD", region="KZ-71")
    clock.now += dt.timedelta(days=2, hours=3)
    second = make_case(client, "FAM-NEW", region="KZ-75")
    clock.now += dt.timedelta(hours=5, minutes=10)
    sign_in(client)
    page = client.get("/console/reviews").text
    assert _rows(page) == [first.review_id, second.review_id]
    assert "Pending in total: 2" in page and "Matching the filters: 2" in page
    assert "2 d 8 h" in page and "5 h 10 min" in page
    assert "large-family allowance (2)" in page  # the benefit filter counts its cases
    assert "Astana (KZ-71) (1)" in page and "Almaty City (KZ-75) (1)" in page
    assert "Would end a benefit the family receives (2)" in page


def test_the_queue_filters_by_benefit_region_and_reason(client: TestClient, clock: Clock) -> None:
    astana = make_case(client, "FAM-AST", region="KZ-71")
    clock.now += dt.timedelta(minutes=1)
    almaty = make_case(client, "FAM-ALA", region="KZ-75")
    sign_in(client)
    by_region = client.get("/console/reviews", params={"region": "KZ-75"}).text
    assert _rows(by_region) == [almaty.review_id] and "Matching the filters: 1" in by_region
    assert '<option value="KZ-75" selected>' in by_region
    both = client.get("/console/reviews", params={"benefit": "large_family_allowance",
                                                 "reason": "adverse_termination"}).text
    assert _rows(both) == [astana.review_id, almaty.review_id]
    none = client.get("/console/reviews", params={"benefit": "birth_allowance"}).text
    assert _rows(none) == [] and "No pending case matches these filters." in none
    by_reason = client.get("/console/reviews", params={"reason": "adverse_reduction"}).text
    assert _rows(by_reason) == []


def test_a_case_waiting_longer_than_the_deadline_is_marked_overdue(client: TestClient, clock: Clock) -> None:
    old = make_case(client, "FAM-LATE")
    clock.now += dt.timedelta(days=6)
    fresh = make_case(client, "FAM-FRESH")
    sign_in(client)
    page = client.get("/console/reviews").text
    assert f'<tr data-review-id="{old.review_id}" class="overdue">' in page
    assert f'<tr data-review-id="{fresh.review_id}">' in page
    assert "Overdue (over 5 days): 1" in page


def test_the_case_page_masks_every_iin_except_its_last_four_digits(client: TestClient) -> None:
    case = make_case(client, "FAM-MASK")
    sign_in(client)
    for lang in ("kk", "ru", "en"):
        page = client.get(f"/console/reviews/{case.review_id}", params={"lang": lang}).text
        for m in case.snapshot["members"]:
            assert m["iin"] not in page
            assert "********" + m["iin"][-4:] in page
        assert not re.search(r"\b\d{12}\b", page)  # no other IIN-shaped number either


def test_the_case_page_sets_the_current_and_proposed_decisions_side_by_side_with_their_explanations(
    client: TestClient,
) -> None:
    case = make_case(client, "FAM-EXPLAIN")
    sign_in(client)
    page = client.get(f"/console/reviews/{case.review_id}").text
    current = page[page.index('id="current"'):page.index('id="proposed"')]
    proposed = page[page.index('id="proposed"'):page.index('id="resolve"')]
    assert "Active entitlement: 69 330 ₸ per month" in current
    assert "<code>children_under_18_or_students</code> = 4" in current and "— <strong>held</strong>" in current
    assert "round(16.03 * 4325) = 69330" in current
    assert "<code>children_under_18_or_students</code> = 3" in proposed and "— <strong>failed</strong>" in proposed
    assert "Termination" in proposed and "not eligible" in proposed
    for side in (current, proposed):
        assert "No. 224-VII" in side  # the legal basis, from the rule file
        assert "<code>mrp</code> = 4325 (from 2026-01-01)" in side  # a parameter with its date
    indicators = page[page.index('id="indicators-used"'):page.index('id="indicators-all"')]
    assert "children_under_18_or_students" in indicators and "death.registered" in indicators
    assert "2026-03-04 04:00 UTC" in indicators  # when the event that set it occurred
    history = page[page.index('id="history"'):page.index('id="history-all"')]
    assert history.count('class="this-case"') == 2  # the decision held now and the one proposed
    audit = page[page.index('id="audit"'):]
    assert 'data-kind="review.opened"' in audit


def test_pages_load_nothing_from_outside_and_are_not_cached(client: TestClient) -> None:
    case = make_case(client, "FAM-CSP")
    sign_in(client)
    for url in ("/console/signin", "/console/reviews", f"/console/reviews/{case.review_id}"):
        page = client.get(url)
        assert "script-src" not in page.headers["content-security-policy"]  # no script at all
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r'(src|href)="(https?:)?//', page.text)
        assert "<script" not in page.text
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus" in css.text and "outline" in css.text
    assert client.get("/console/static/..%2Fsettings.py").status_code == 404


class _Form(HTMLParser):
    """Collects inputs, labels, the html lang and the first link of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.lang: str | None = None
        self.first_link: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and self.first_link is None:
            self.first_link = a
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)


def test_every_control_has_a_label_and_each_page_has_its_language_and_a_skip_link(client: TestClient) -> None:
    case = make_case(client, "FAM-A11Y")
    sign_in(client)
    for url in ("/console/signin?lang=ru", "/console/reviews?lang=kk", f"/console/reviews/{case.review_id}?lang=en"):
        if "signin" in url:
            client.cookies.clear()
        parsed = _Form()
        parsed.feed(client.get(url).text)
        assert parsed.controls, url
        for control in parsed.controls:
            assert control.get("id") in parsed.labels, f"{url}: {control} has no label"
        assert parsed.lang == url[-2:]
        assert parsed.first_link == {"class": "skip-link", "href": "#main"}
        if "signin" in url:
            sign_in(client)
