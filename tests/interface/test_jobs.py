"""Asynchronous jobs: create from the form (a TAP query, or any type from its JSON Schema),
phases that change on screen without a reload, results to download, abort and delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from astropy.io.votable import parse_single_table
from playwright.sync_api import Page, expect

from tests.interface.conftest import Gateway, check_accessibility


def job_row(page: Page, job_id: str) -> Any:
    return page.get_by_test_id("jobs-table").locator(f'tr[data-job-id="{job_id}"]')


def created_id(page: Page) -> str:
    outcome = page.get_by_test_id("job-form-outcome")
    expect(outcome).to_contain_text("created")
    return outcome.inner_text().split()[1]


def test_tap_job_from_dataset_and_adql(page: Page, tmp_path: Path, shoot: Any) -> None:
    page.goto("/jobs")
    form = page.get_by_role("form", name="New job")
    expect(form.get_by_label("Job type")).to_have_value("query.tap")
    form.get_by_label("Dataset").select_option("esap-images")
    adql = form.get_by_label("Query")
    expect(adql).to_have_value("SELECT TOP 100 * FROM ivoa.obscore")  # suggested for the table
    adql.fill("SELECT TOP 7 obs_publisher_did, s_ra, s_dec FROM ivoa.obscore")
    form.get_by_label("Label (optional)").fill("seven rows")
    form.get_by_role("button", name="Create job").click()
    job_id = created_id(page)

    row = job_row(page, job_id)
    expect(row.get_by_test_id("job-phase")).to_have_text("COMPLETED", timeout=60_000)
    expect(row).to_contain_text("seven rows")
    with page.expect_download() as download:
        row.get_by_role("link", name="result.vot").click()
    saved = tmp_path / "result.vot"
    download.value.save_as(saved)
    table = parse_single_table(str(saved)).to_table()
    assert len(table) == 7
    assert "obs_publisher_did" in table.colnames
    check_accessibility(page)
    shoot(page, "jobs")


def test_form_from_json_schema_checks_values(page: Page) -> None:
    page.goto("/jobs")
    form = page.get_by_role("form", name="New job")
    form.get_by_label("Job type").select_option("test.sleep")
    seconds = form.get_by_label("Seconds")
    expect(seconds).to_have_value("0")  # the schema's default
    expect(form.get_by_label("Fail")).to_have_count(1)  # an enum: a choice
    seconds.fill("4000")
    form.get_by_role("button", name="Create job").click()
    expect(page.get_by_test_id("job-error-seconds")).to_have_text("must be at most 3600")
    expect(seconds).to_be_focused()
    seconds.fill("soon")
    form.get_by_role("button", name="Create job").click()
    expect(page.get_by_test_id("job-error-seconds")).to_have_text("must be a number")
    expect(page.get_by_test_id("job-form-outcome")).to_have_count(0)  # nothing was sent

    form.get_by_label("Job type").select_option("query.multi")
    datasets = form.get_by_role("group", name="Datasets")
    expect(datasets.get_by_role("checkbox")).to_have_count(8)  # every configured dataset
    form.get_by_role("button", name="Create job").click()
    expect(page.get_by_test_id("job-error-datasets")).to_have_text("Datasets is required")
    check_accessibility(page)


def test_phases_change_live_results_abort_and_delete(
    page: Page, gateway: Gateway, shoot: Any
) -> None:
    page.goto("/jobs")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    # live: the subscription's websocket is up (events before it are caught by a refetch)
    expect(page.locator('section[data-live="true"]')).to_have_count(1)

    # A job made elsewhere (a VO tool over UWS): it appears, then follows its phases.
    with httpx.Client(base_url=gateway.url, timeout=10, follow_redirects=False) as http:
        created = http.post(
            "/uws/jobs", data={"TYPE": "test.sleep", "seconds": "1", "message": "from UWS"}
        )
        assert created.status_code == 303
        job_id = created.headers["location"].rsplit("/", 1)[1]
        row = job_row(page, job_id)
        expect(row.get_by_test_id("job-phase")).to_have_text("PENDING")
        assert http.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "RUN"}).status_code == 303
    seen: list[str] = []
    for phase in ("EXECUTING", "COMPLETED"):
        expect(row.get_by_test_id("job-phase")).to_have_text(phase, timeout=30_000)
        seen.append(phase)
    result = row.get_by_role("link", name="echo.json")
    expect(result).to_be_visible()
    href = result.get_attribute("href")
    assert href is not None
    echo = httpx.get(href, timeout=10).json()
    assert echo["parameters"]["message"] == "from UWS"
    assert page.evaluate("() => window.__sameDocument === true")

    # Abort a long one from the page, then delete it.
    form = page.get_by_role("form", name="New job")
    form.get_by_label("Job type").select_option("test.sleep")
    form.get_by_label("Seconds").fill("120")
    form.get_by_label("Label (optional)").fill("long sleep")
    form.get_by_role("button", name="Create job").click()
    long_id = created_id(page)
    long_row = job_row(page, long_id)
    expect(long_row.get_by_test_id("job-phase")).to_have_text("EXECUTING", timeout=30_000)
    shoot(page, "jobs-executing")
    long_row.get_by_role("button", name="Abort job long sleep").click()
    expect(long_row.get_by_test_id("job-phase")).to_have_text("ABORTED")
    long_row.get_by_role("button", name="Delete job long sleep").click()
    expect(long_row).to_have_count(0)
    expect(page.get_by_test_id("announcer")).to_contain_text("deleted")
    assert page.evaluate("() => window.__sameDocument === true")
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        query = {"query": f'{{ job(id: "{long_id}") {{ id }} }}'}
        assert http.post("/graphql", json=query).json() == {"data": {"job": None}}
    assert json.loads(json.dumps(seen)) == ["EXECUTING", "COMPLETED"]
