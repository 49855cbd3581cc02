"""The web console in a real browser: Debian's headless Chromium, driven
through its chromedriver with Selenium, against `taskrunner local --serve`
running a pipeline that the test holds mid-run.

The pipeline (written below) has a step that fails its first attempt on
purpose with a line on stderr, a step that waits for a gate file the test
creates, and an encrypted parameter and field. The test checks that the
graph has one node per object and one edge per reference, that statuses
change while the page stays loaded, that the failed attempt shows its
error and its stderr, and that no encrypted value reaches the page or the
console's JSON. It saves a screenshot of each page (under docs/images/
with UPDATE_SCREENSHOTS=1).

Needs the `chromium` and `chromium-driver` Debian packages (tests/run.sh
installs them when run as root) and the workspace's debug binaries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import REPO_ROOT, boto3_client, to_api, wait_for

TASKRUNNER = Path(os.environ.get("TASKRUNNER_BIN", REPO_ROOT / "target" / "debug" / "taskrunner"))
CHROMIUM = Path(os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver"))
#: Where the screenshots go: docs/images/ (shown in docs/LOCAL.md and the
#: README) with UPDATE_SCREENSHOTS=1, else a temporary directory, so that an
#: ordinary run leaves the committed images alone.
IMAGES = (REPO_ROOT / "docs" / "images" if os.environ.get("UPDATE_SCREENSHOTS") == "1"
          else Path(tempfile.mkdtemp(prefix="console-screenshots-")))

#: The encrypted values: neither may appear in anything the console sends.
TOKEN = "tok-e2e-7q9zK4"
PASSWORD = "pw-e2e-5ecr3tX"

#: How long the browser may take to show what the service knows.
WAIT_SECONDS = 30


def definition(directory: Path) -> dict[str, Any]:
    """The pipeline under test; its gate and marker files live in `directory`."""
    return {
        "objects": [
            {
                "id": "Default",
                "name": "Default",
                "scheduleType": "ondemand",
                "failureAndRerunMode": "CASCADE",
                "workerGroup": "local",
            },
            {
                "id": "Flaky",
                "name": "Flaky",
                "type": "ShellCommandActivity",
                "command": (
                    f"if [ -e {directory}/flaky ]; then echo recovered; "
                    f"else touch {directory}/flaky; echo 'flaky stderr line' >&2; exit 3; fi"
                ),
                "maximumRetries": "2",
                "retryDelay": "1 minutes",
            },
            {
                "id": "Gate",
                "name": "Gate",
                "type": "ShellCommandActivity",
                "command": f"while [ ! -e {directory}/gate ]; do sleep 0.2; done; echo through #{{*myToken}}",
                "dependsOn": {"ref": "Flaky"},
            },
            {
                "id": "Ready",
                "name": "Ready",
                "type": "ShellCommandPrecondition",
                "command": "true",
            },
            {
                "id": "After",
                "name": "After",
                "type": "ShellCommandActivity",
                "command": "echo after",
                "*myPassword": PASSWORD,
                "dependsOn": {"ref": "Gate"},
                "precondition": {"ref": "Ready"},
            },
        ],
        "parameters": [{"id": "*myToken", "type": "String", "default": TOKEN}],
    }


def references(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(referenced, referencing, key) for every reference field: the edges
    the console must draw, pointing from what runs first."""
    found = set()
    for item in objects:
        for key, value in item.items():
            for one in value if isinstance(value, list) else [value]:
                if isinstance(one, dict) and "ref" in one:
                    found.add((one["ref"], item["id"], key))
    return found


class Run:
    """`taskrunner local --serve` on a free port."""

    def __init__(self, directory: Path) -> None:
        if not TASKRUNNER.is_file():
            pytest.fail(f"{TASKRUNNER} is missing: build it with `cargo build --bin taskrunner`")
        self.directory = directory
        self.definition = definition(directory)
        path = directory / "console.json"
        path.write_text(json.dumps(self.definition))
        self.log = open(directory / "taskrunner.log", "w")
        self.process = subprocess.Popen(
            [str(TASKRUNNER), "local", str(path), "--serve", "--port", "0",
             "--time-scale", "600", "--work-dir", str(directory / "work")],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        )
        self.console_url = ""
        self.pipeline_id = ""
        deadline = time.monotonic() + WAIT_SECONDS
        assert self.process.stdout is not None
        while time.monotonic() < deadline and not self.console_url:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("taskrunner local:"):
                self.pipeline_id = line.split(" as ")[1].split()[0]
            if line.startswith("web console: "):
                self.console_url = line.removeprefix("web console: ").strip()
        if not self.console_url:
            self.stop()
            pytest.fail("taskrunner local printed no console URL:\n" + (directory / "taskrunner.log").read_text())

    def open_gate(self) -> None:
        (self.directory / "gate").touch()

    def api(self, path: str) -> str:
        with urllib.request.urlopen(self.console_url + "api/" + path, timeout=10) as response:
            return response.read().decode()

    def stop(self) -> None:
        self.open_gate()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    started = Run(tmp_path)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    for needed, package in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")]:
        if not needed.is_file():
            pytest.fail(f"{needed} is missing: install Debian's {package} (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,760", f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver: webdriver.Chrome, what: str, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(
        lambda _: condition(), message=f"waiting for {what}")


def click(driver: webdriver.Chrome, selector: str) -> None:
    """Clicks the first element `selector` finds, finding it again if the
    page redrew it meanwhile."""
    def clicked() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return True
        except (NoSuchElementException, StaleElementReferenceException):
            return False
    wait(driver, f"a click on {selector}", clicked)


def text_of(driver: webdriver.Chrome, selector: str) -> str:
    """The text of the first element `selector` finds, read in the page so
    that a redraw between finding and reading cannot break it ("" if none)."""
    return driver.execute_script(
        "const found = document.querySelector(arguments[0]); return found ? found.innerText : '';", selector)


def attributes(driver: webdriver.Chrome, selector: str, name: str) -> list[str]:
    """Attribute `name` of every element `selector` finds, read in the page."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((found) => found.getAttribute(arguments[1]));",
        selector, name)


def status_of(driver: webdriver.Chrome, node: str) -> str | None:
    found = attributes(driver, f'g.node[data-id="{node}"]', "data-status")
    return found[0] if found else None


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(IMAGES / name))


def assert_no_secret(text: str, where: str) -> None:
    for secret in (TOKEN, PASSWORD):
        assert secret not in text, f"an encrypted value reached {where}"


def test_the_console_follows_a_pipeline_mid_run(run: Run, browser: webdriver.Chrome) -> None:
    base = run.console_url
    pipeline = f"#/pipeline/{run.pipeline_id}/"

    # The pipelines page lists the run.
    browser.get(base)
    wait(browser, "the pipeline's row", lambda: browser.find_elements(By.CSS_SELECTOR, f'tr[data-id="{run.pipeline_id}"]'))
    screenshot(browser, "console-pipelines.png")

    # The graph: one node per object, one edge per reference, Gate held mid-run.
    browser.get(base + pipeline + "graph")
    objects = run.definition["objects"]
    wait(browser, "a node per object", lambda: len(browser.find_elements(By.CSS_SELECTOR, "g.node")) == len(objects))
    nodes = set(attributes(browser, "g.node", "data-id"))
    assert nodes == {item["id"] for item in objects}
    drawn = list(zip(*(attributes(browser, "g.edge", name) for name in ["data-from", "data-to", "data-label"])))
    edges = set(drawn)
    assert len(drawn) == len(references(objects))
    assert edges == references(objects)
    wait(browser, "Gate running", lambda: status_of(browser, "Gate") == "RUNNING")
    assert status_of(browser, "Flaky") == "FINISHED"
    assert status_of(browser, "After") == "WAITING_ON_DEPENDENCIES"

    # A click on a node shows its fields; the encrypted one masked.
    click(browser, 'g.node[data-id="After"]')
    wait(browser, "After's fields", lambda: browser.find_elements(By.CSS_SELECTOR, '#panel tr[data-key="*myPassword"]'))
    row = text_of(browser, '#panel tr[data-key="*myPassword"]')
    assert "(encrypted)" in row
    screenshot(browser, "console-graph.png")

    # Leases: the task held now, acknowledged, by the local runner.
    browser.get(base + pipeline + "leases")
    wait(browser, "Gate's live lease", lambda: [attempt for attempt in attributes(browser, "#live-leases tr[data-attempt]", "data-attempt")
                                                if attempt.startswith("@Gate_")])
    live = text_of(browser, "#live-leases")
    assert "yes" in live
    ledger = text_of(browser, "#ledger")
    assert "status FAILED" in ledger and "status FINISHED" in ledger
    screenshot(browser, "console-leases.png")

    # Runs: the failed first attempt with its error and stderr.
    browser.get(base + pipeline + "runs")
    click(browser, 'tr[data-component="Flaky"] td.cell')
    failed = '#panel .attempt[data-status="FAILED"]'
    wait(browser, "the failed attempt's stderr", lambda: text_of(browser, failed + " pre.stderr"))
    assert "ShellCommandFailed" in text_of(browser, failed)
    assert "flaky stderr line" in text_of(browser, failed + " pre.stderr")
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView();", failed)
    screenshot(browser, "console-runs.png")

    # Live: the page is not reloaded, yet Gate and After turn green.
    browser.get(base + pipeline + "graph")
    wait(browser, "the graph", lambda: status_of(browser, "Gate") == "RUNNING")
    browser.execute_script("window.notReloaded = true;")
    run.open_gate()
    wait(browser, "Gate finished", lambda: status_of(browser, "Gate") == "FINISHED")
    wait(browser, "After finished", lambda: status_of(browser, "After") == "FINISHED")
    assert browser.execute_script("return window.notReloaded === true;"), "the page was reloaded"
    screenshot(browser, "console-graph-finished.png")

    # Gate's stdout printed the token: masked there too.
    browser.get(base + pipeline + "runs")
    click(browser, 'tr[data-component="Gate"] td.cell')
    wait(browser, "Gate's masked stdout", lambda: "through (encrypted)" in text_of(browser, "#panel pre.stdout"))

    # No encrypted value in any page source or console answer.
    for tab in ["graph", "runs", "leases"]:
        browser.get(base + pipeline + tab)
        time.sleep(1.5)
        assert_no_secret(browser.page_source, f"the {tab} page")
    quoted = urllib.parse.quote
    answers = [run.api("pipelines"), run.api(f"pipelines/{run.pipeline_id}/graph"),
               run.api(f"pipelines/{run.pipeline_id}/leases"), run.api(f"pipelines/{run.pipeline_id}/runs")]
    for item in objects:
        answers.append(run.api(f"pipelines/{run.pipeline_id}/objects/{quoted(item['id'], safe='')}"))
    grid = json.loads(answers[3])
    for row in grid["rows"]:
        for cell in row["cells"]:
            if cell:
                instance = json.loads(run.api(f"pipelines/{run.pipeline_id}/instances/{quoted(cell['id'], safe='')}"))
                answers.append(json.dumps(instance))
                for attempt in instance["attempts"]:
                    answers.append(run.api(f"pipelines/{run.pipeline_id}/attempts/{quoted(attempt['id'], safe='')}/logs"))
    for answer in answers:
        assert_no_secret(answer, "the console's JSON")
    assert "(encrypted)" in "".join(answers)


def test_the_console_is_read_only_and_names_what_it_lacks(run: Run) -> None:
    request = urllib.request.Request(run.console_url + "api/pipelines", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(run.console_url + "api/pipelines/df-NOSUCHPIPELINE/graph", timeout=10)
    assert missing.value.code == 404
    assert "df-NOSUCHPIPELINE" in missing.value.read().decode()


def test_a_hundred_objects_and_ten_thousand_instances_stay_usable(
    start_custom_service: Any, browser: webdriver.Chrome
) -> None:
    """98 activities on a 15-minute schedule that started 25 hours ago: the
    service backfills about 10,000 instances at activation. The runs grid
    comes a page of scheduled times at a time, and the graph draws 100
    nodes."""
    service = start_custom_service("--long-poll-wait", "1s", "--time-scale", "1")
    client = boto3_client(service.endpoint)
    start = (datetime.now(timezone.utc) - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S")
    objects: list[dict[str, Any]] = [
        {"id": "Default", "name": "Default", "scheduleType": "cron", "workerGroup": "nobody-polls",
         "schedule": {"ref": "Every15"}},
        {"id": "Every15", "name": "Every15", "type": "Schedule", "period": "15 minutes", "startDateTime": start},
    ]
    for number in range(98):
        activity: dict[str, Any] = {"id": f"Step{number:02}", "name": f"Step{number:02}",
                                    "type": "ShellCommandActivity", "command": "true"}
        if number % 10:
            activity["dependsOn"] = {"ref": f"Step{number - 1:02}"}
        objects.append(activity)
    pipeline_id = client.create_pipeline(name="console-scale", uniqueId="console-scale")["pipelineId"]
    put = client.put_pipeline_definition(pipelineId=pipeline_id, **to_api({"objects": objects}))
    assert not put["errored"], put
    client.activate_pipeline(pipelineId=pipeline_id)
    console = service.endpoint + "/console/"

    def grid() -> dict[str, Any]:
        with urllib.request.urlopen(f"{console}api/pipelines/{pipeline_id}/runs", timeout=30) as response:
            return json.loads(response.read())

    first = wait_for(lambda: (answer := grid())["totalInstances"] >= 9_000 and answer,
                     timeout=60, message="the backfill")
    assert len(first["times"]) == 20 and first["pages"] >= 5
    assert all(len(row["cells"]) == 20 for row in first["rows"])

    browser.get(f"{console}#/pipeline/{pipeline_id}/runs")
    wait(browser, "the first page", lambda: len(attributes(browser, "#runs td.cell", "data-instance")) >= 98 * 19)
    assert len(attributes(browser, "#runs th.time", "class")) == 20
    shown = set(attributes(browser, "#runs td.cell", "data-instance"))
    click(browser, "#older")
    # Anchored at the first page's latest time: a scheduled time that
    # arrives meanwhile (every 15 minutes here) does not shift this page.
    wait(browser, "the second page", lambda: "page 2 of" in text_of(browser, "#page-label"))
    assert "back from 20" in text_of(browser, "#page-label"), text_of(browser, "#page-label")
    wait(browser, "other instances", lambda: not shown & set(attributes(browser, "#runs td.cell", "data-instance")))
    click(browser, "#newer")
    wait(browser, "the first page again", lambda: "page 1 of" in text_of(browser, "#page-label"))
    assert "back from" not in text_of(browser, "#page-label")

    browser.get(f"{console}#/pipeline/{pipeline_id}/graph")
    wait(browser, "100 nodes", lambda: len(attributes(browser, "g.node", "data-id")) == 100)
    # Each activity's schedule comes from Default, and 88 steps depend on the one before.
    assert len(attributes(browser, "g.edge", "data-label")) == 1 + 88
