"""The UI flow in a real browser: the webserver on the embedded default, the whole refresh launched by
clicking (Jobs → refresh → Launchpad → Launch Run) in headless Chromium, which then shows the order of
the steps (the job's description, the Runs page), the asset graph, the four partitions and the checks
that passed. GraphQL only reads what the clicks did (and marks the community modal as seen).

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) and selenium:
``./run test`` installs them when they are missing. Screenshots are kept in pytest's tmp dir
(``ui-screens/``; the path is printed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from amrit_assets.demo.environment import demo_environment
from amrit_assets.partitions import DATABASES
from amrit_assets.paths import ROOT

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LOCATION = "amrit_anon"
BENEFICIARIES = 60
SERVER_START_TIMEOUT = 180  # webserver up and the code location loaded
RUN_TIMEOUT = 900  # the whole refresh, one launch of the `refresh` job
UI_TIMEOUT = 60  # one page showing what it must show

ASSETS = ("source_schema", "raw_dump", "staging", "benregid_mapping", "anonymized", "anonymized_dump", "uat", "uat_swap", "audit_report")
ANONYMIZED_CHECKS = ("zero_pii_leaks", "zero_new_orphans", "row_counts_preserved", "unique_indexes_hold")
# what one launch of `refresh` runs, in order: every gate, extract every database, the mapping once,
# publish every database, then the swap and the audit
STAGES: list[tuple[str, tuple[str | None, ...]]] = [
    ("schema_gate", DATABASES), ("extract", DATABASES), ("mapping", (None,)), ("publish", DATABASES), ("audit", (None,))
]


# --- the webserver -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    """In the child: default handlers, nothing blocked, so SIGTERM/SIGKILL to its group stop it."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


@dataclass
class Webserver:
    url: str
    proc: subprocess.Popen
    log: Path
    launched: list[str] = field(default_factory=list)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            out = json.loads(resp.read())
        if out.get("errors"):
            raise AssertionError(f"GraphQL errors: {out['errors']}")
        return out["data"]


def _stop_group(proc: subprocess.Popen) -> bool:
    """SIGTERM the webserver's process group (code server and run workers included), then SIGKILL; True once it is gone."""
    pgid = proc.pid  # start_new_session: the child leads its own group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                proc.wait(timeout=0.2)  # reap the leader, so the group can be seen to be gone
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
    return False


def _wait_until(what: str, probe: Callable[[], object], timeout: float, server: Webserver | None = None, interval: float = 1.0):
    """probe() until it returns something truthy; fail naming ``what`` (and the server's last log lines)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if server is not None and server.proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited ({server.proc.returncode}) while waiting for {what}:\n{server.log_tail()}")
        try:
            result = probe()
            if result:
                return result
            last = result
        except (OSError, urllib.error.URLError, AssertionError) as e:
            last = e
        time.sleep(interval)
    tail = f"\nwebserver log:\n{server.log_tail()}" if server is not None else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r}){tail}")


LOCATION_STATUS = """
query { workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } ... on PythonError { message } } }
"""


def _location_loaded(server: Webserver) -> bool:
    data = server.graphql(LOCATION_STATUS)["workspaceOrError"]
    entries = {e["name"]: e for e in data.get("locationEntries", [])}
    entry = entries.get(LOCATION)
    if not entry or entry["loadStatus"] != "LOADED":
        return False
    loaded = entry["locationOrLoadError"]
    if loaded and loaded["__typename"] == "PythonError":
        pytest.fail(f"code location {LOCATION} failed to load: {loaded['message']}")
    return True


@contextlib.contextmanager
def running_webserver(root: Path) -> Iterator[Webserver]:
    """The embedded default (servers, synthetic production) and dagster-webserver on it, on a free port."""
    home = root / "dagster_home"
    home.mkdir()
    # No daemon: runs launched from the UI/GraphQL start at once, and no sensor adds runs of its own.
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
    )
    with demo_environment(beneficiaries=BENEFICIARIES, data_dir=root / "data"):
        port = _free_port()
        env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        log = root / "webserver.log"
        binary = Path(sys.executable).with_name("dagster-webserver")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(binary), "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_default_signals, start_new_session=True,
            )
        server = Webserver(f"http://127.0.0.1:{port}", proc, log)
        try:
            _wait_until("the webserver to answer /server_info", lambda: urllib.request.urlopen(f"{server.url}/server_info", timeout=5).status == 200,
                        SERVER_START_TIMEOUT, server)
            _wait_until(f"the code location {LOCATION} to load", lambda: _location_loaded(server), SERVER_START_TIMEOUT, server)
            # the "community" newsletter modal covers the UI until it has been seen once
            assert server.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True
            yield server
        finally:
            stopped = _stop_group(proc)
        assert stopped, f"processes of the webserver's group {proc.pid} survived SIGTERM and SIGKILL"


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Iterator[Webserver]:
    with running_webserver(tmp_path_factory.mktemp("ui")) as server:
        yield server


# --- the browser ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screens(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ui-screens")
    print(f"\nscreenshots: {path}")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    assert not missing, f"{', '.join(missing)} missing: `./run test` installs Debian's chromium and chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    # an explicit driver path: selenium's own manager never looks for (or downloads) a driver
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=str(profile / "chromedriver.log")), options=options)
    driver.set_page_load_timeout(UI_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


# --- what the runs did (read through GraphQL) ---------------------------------------------------------

RUN_STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } ... on PythonError { message } } }
"""

RUN_FAILURES = """
query Failures($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename
      ... on ExecutionStepFailureEvent { stepKey error { message causes { message } } }
      ... on RunFailureEvent { message error { message causes { message } } }
      ... on AssetCheckEvaluationEvent { evaluation { checkName success } } } }
  }
}
"""

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _innermost(error: dict | None) -> str:
    if not error:
        return ""
    causes = error.get("causes") or []
    return (causes[-1] if causes else error)["message"].strip()


def _failure_of(server: Webserver, run_id: str) -> str:
    """What went wrong in a run, from its event log: failed steps and checks, and the run's own error."""
    events = server.graphql(RUN_FAILURES, {"runId": run_id})["logsForRun"].get("events", [])
    messages = []
    for e in events:
        if e["__typename"] == "ExecutionStepFailureEvent":
            messages.append(f"step {e['stepKey']}: {_innermost(e['error'])}")
        elif e["__typename"] == "AssetCheckEvaluationEvent" and not e["evaluation"]["success"]:
            messages.append(f"check {e['evaluation']['checkName']} failed")
        elif e["__typename"] == "RunFailureEvent" and not messages:  # the run's own error only when no step says more
            messages.append(f"{e['message']} {_innermost(e.get('error'))}".strip())
    return "; ".join(messages) or "no failure event in its log"


GRAPH_NODES = """
return Array.from(document.querySelectorAll('svg foreignObject')).map(node => {
  const box = node.querySelector('[style*="--minimal-bg"]');
  const green = box && box.getAttribute('style').includes('--minimal-bg: var(--color-background-green)');
  return node.textContent.trim() + (green ? ' [materialized]' : '');
}).join('\\n');
"""


def _page_text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''") or ""


def _wait_for(driver, what: str, expected: list[str], shot: Path, text: Callable = _page_text) -> str:
    """Wait until every expected string is in text(driver); screenshot either way; fail naming what is missing."""
    deadline = time.monotonic() + UI_TIMEOUT
    missing, seen = expected, ""
    while time.monotonic() < deadline:
        seen = text(driver)
        missing = [s for s in expected if s not in seen]
        if not missing:
            break
        time.sleep(0.5)
    time.sleep(0.5)  # let the last frame paint before the screenshot
    driver.save_screenshot(str(shot))
    assert not missing, (
        f"{what} ({driver.current_url}) did not show {missing} within {UI_TIMEOUT}s; screenshot {shot}; it showed:\n{seen[:2000]}"
    )
    return seen


def _open(driver, server: Webserver, path: str) -> None:
    driver.get(f"{server.url}{path}")


def _click(driver, xpath: str, what: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, UI_TIMEOUT).until(ec.element_to_be_clickable((By.XPATH, xpath))).click()
    except Exception as e:  # noqa: BLE001 - name what was not there
        raise AssertionError(f"no clickable {what} on {driver.current_url}: {e!r}") from e


def _click_tab(driver, label: str) -> None:
    _click(driver, f"//button[@role='tab' and normalize-space()='{label}']", f"'{label}' tab")


# --- the refresh, launched by clicking --------------------------------------------------------------------

# what the job's page says about the order, in the refresh job's description
ORDER_TEXT = "every database's schema gate and preflight, then extract per database, the mapping, publish per database, and the swap + audit"


def _refresh_by_clicking(server: Webserver, driver, screens: Path) -> float:
    """The whole refresh as a DBA starts it: Jobs → refresh (its description says the order) → Launchpad
    → Launch Run, with the Launchpad's own default config; the run it opens must succeed."""
    start = time.monotonic()
    _open(driver, server, "/")
    _click(driver, "//a[@href='/jobs' and normalize-space()='Jobs']", "'Jobs' in the navigation")
    _wait_for(driver, "the Jobs page", ["refresh", "schema_gate", "extract", "mapping", "publish", "audit"], screens / "jobs.png")
    _click(driver, f"//a[@href='/locations/{LOCATION}/jobs/refresh']", "the 'refresh' job")
    _wait_for(driver, "the refresh job's page", ["refresh_in_order", ORDER_TEXT], screens / "job-refresh.png")
    _click(driver, "//a[@role='tab' and normalize-space()='Launchpad']", "'Launchpad' tab")
    _wait_for(driver, "the refresh job's Launchpad", ["refresh_in_order", "db_reporting", "No errors", "Launch Run"], screens / "launchpad.png")
    _click(driver, "//button[normalize-space()='Launch Run']", "'Launch Run' button")
    run_url = _wait_until("the browser to open the launched run", lambda: "/runs/" in driver.current_url and driver.current_url, UI_TIMEOUT, server)
    run_id = run_url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    server.launched.append(run_id)
    status: dict[str, str] = {}

    def done() -> bool:
        status["refresh"] = server.graphql(RUN_STATUS, {"runId": run_id})["runOrError"].get("status", "?")
        return status["refresh"] in TERMINAL

    _wait_until("the refresh run to finish", done, RUN_TIMEOUT, server, interval=2.0)
    assert status["refresh"] == "SUCCESS", f"the refresh launched by clicking did not succeed: {_failure_of(server, run_id)}"
    return time.monotonic() - start


@pytest.fixture(scope="module")
def refreshed(webserver: Webserver, browser, screens: Path) -> Webserver:
    seconds = _refresh_by_clicking(webserver, browser, screens)
    print(f"\nrefresh launched by clicking: {seconds:.1f} s")
    return webserver


# --- what a person sees ---------------------------------------------------------------------------------

RUNS = """
query { runsOrError { __typename ... on Runs { results { runId jobName status tags { key value } } } } }
"""


def test_the_refresh_launched_by_clicking_ran_every_step_in_order(refreshed: Webserver):
    runs = refreshed.graphql(RUNS)["runsOrError"]["results"]
    assert refreshed.launched and set(refreshed.launched) <= {r["runId"] for r in runs}
    # newest first in the UI's list: the steps, oldest first, each a run of its own job under its own name
    steps = [(r["jobName"], next((t["value"] for t in r["tags"] if t["key"] == "dagster/partition"), "-"), r["status"]) for r in reversed(runs)]
    expected = [("refresh", "-", "SUCCESS")] + [(job, p or "-", "SUCCESS") for job, partitions in STAGES for p in partitions]
    assert steps == expected


# The Runs page's rows (a virtual list: a tall window renders them all): "<target> <partition or -> <status>"
RUN_ROWS = """
return Array.from(document.querySelectorAll('div[data-index]'))
  .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
  .map(row => {
    const cells = Array.from(row.firstElementChild ? row.firstElementChild.children : []).map(c => c.innerText.trim());
    const partition = ((cells[1] || '').match(/partition: (\\S+)/) || [null, '-'])[1];
    return `${cells[2] || '?'} ${partition} ${cells[4] || '?'}`;
  }).join('\\n');
"""
STEP_LINE = re.compile(r"^(db_\w+|all databases)\s+(schema_gate|extract|mapping|publish|audit)\s+[\d.]+s\b.*\bok$")


@contextlib.contextmanager
def _tall_window(driver) -> Iterator[None]:
    """Long lists render only the rows in view: a window tall enough for every run and log line."""
    driver.set_window_size(1600, 8000)
    try:
        yield
    finally:
        driver.set_window_size(1600, 1000)


def test_runs_page_and_the_refresh_log_show_the_steps_in_order(refreshed: Webserver, browser, screens: Path):
    expected = [("refresh", "-")] + [(job, p or "-") for job, partitions in STAGES for p in partitions]
    rows = "\n".join(f"{job} {p} Success" for job, p in reversed(expected))  # newest first
    with _tall_window(browser):
        _open(browser, refreshed, "/runs")
        _wait_for(browser, "the Runs page", [rows], screens / "runs.png", lambda d: d.execute_script(RUN_ROWS) or "")
        # the refresh run's own log: one line per step, in the order of the stages
        _open(browser, refreshed, f"/runs/{refreshed.launched[0]}")
        text = _wait_for(browser, "the refresh run's log", ["refresh_in_order", "refresh done: "], screens / "run-refresh.png")
    steps = [(m.group(2), m.group(1)) for line in text.splitlines() if (m := STEP_LINE.match(line.strip()))]
    assert steps == [(job, p or "all databases") for job, partitions in STAGES for p in partitions], text[-3000:]


def test_asset_graph_shows_every_asset_materialized(refreshed: Webserver, browser, screens: Path):
    _open(browser, refreshed, "/asset-groups")
    nodes = _wait_for(browser, "the global asset graph", [*ASSETS, *(f"{a} [materialized]" for a in ASSETS)],
                      screens / "asset-graph.png", lambda d: d.execute_script(GRAPH_NODES) or "")
    assert set(nodes.replace(" [materialized]", "").split("\n")) == set(ASSETS), nodes


def test_partitions_page_shows_the_four_databases_in_uat(refreshed: Webserver, browser, screens: Path):
    _open(browser, refreshed, "/assets/uat?view=partitions")
    _wait_for(browser, "uat's partitions page", ["uat", *DATABASES, f"Materialized ({len(DATABASES)})", "Missing (0)", "Failed (0)"],
              screens / "uat-partitions.png")


def test_checks_page_shows_every_check_passed_on_every_database(refreshed: Webserver, browser, screens: Path):
    _open(browser, refreshed, "/assets/anonymized?view=checks")
    _wait_for(browser, "anonymized's checks tab", [f"Checks ({len(ANONYMIZED_CHECKS)})", *(f"{c}\nSucceeded" for c in ANONYMIZED_CHECKS)],
              screens / "anonymized-checks.png")
    # each partitioned check's own partitions tab: passed on every database, nothing failed or missing
    for asset, check in [*(("anonymized", c) for c in ANONYMIZED_CHECKS), ("source_schema", "catalog_covers_schema")]:
        _open(browser, refreshed, f"/assets/{asset}?view=checks&checkDetail={check}")
        _wait_for(browser, f"the check {check} of {asset}", [f"{check}\nSucceeded", f"{check}\nExecute", "This is a blocking asset check.",
                  "Evaluation result\nPassed"], screens / f"check-{check}.png")
        _click_tab(browser, "Partitions")
        _wait_for(browser, f"the partitions of the check {check}",
                  [f"{check}\nExecute", *DATABASES, f"Passed ({len(DATABASES)})", "Failed (0)", "Execution Failed (0)", "Missing (0)"],
                  screens / f"check-{check}-partitions.png")
    _open(browser, refreshed, "/assets/benregid_mapping?view=checks&checkDetail=mapping_is_bijection")
    _wait_for(browser, "the bijection check of benregid_mapping", ["mapping_is_bijection\nSucceeded", "This is a blocking asset check.",
              "Evaluation result\nPassed"], screens / "check-mapping_is_bijection.png")
