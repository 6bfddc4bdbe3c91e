"""The failure alert, end to end on this machine: a real failed Dagster run (ephemeral instance), a real
HTTP server receiving the webhook and a real SMTP conversation with a local sink, over sockets."""

from __future__ import annotations

import email
import json
import socketserver
import threading
import warnings
from collections.abc import Iterator
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import (
    AssetCheckResult,
    DagsterInstance,
    DefaultSensorStatus,
    StaticPartitionsDefinition,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_sensor_context,
    materialize,
)

from amrit_assets.alerts import AlertConfig, AlertDeliveryError, alert_message, refresh_failure_alert, run_url
from amrit_assets.failures import STAGE_TAG, describe_run_failure, reason_line, redact

warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")

SECRET_VALUE = "9876543210"  # stands for a data value an error message quotes
PARTS = StaticPartitionsDefinition(["db_iemr"])


# --- a real failed run: a failing blocking check, and a step whose error quotes a value ---------------


@asset(partitions_def=PARTS)
def toy_anonymized() -> None:
    return None


@asset_check(asset=toy_anonymized, blocking=True, partitions_def=PARTS)
def zero_pii_leaks() -> AssetCheckResult:
    return AssetCheckResult(passed=False, metadata={"findings": 3, "problems": "3 findings in 2 columns"})


@asset(partitions_def=PARTS)
def toy_restore() -> None:
    raise ValueError(f"(1062, \"Duplicate entry '{SECRET_VALUE}' for key 'uk_phone'\")")


@pytest.fixture(scope="module")
def failed_run() -> Iterator[tuple[DagsterInstance, object]]:
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [toy_anonymized, zero_pii_leaks, toy_restore], instance=instance, partition_key="db_iemr", raise_on_error=False, tags={STAGE_TAG: "publish"}
        )
        assert not result.success
        yield instance, result


# --- local receivers ------------------------------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class _SMTPSink(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == b"MAIL":
                envelope["from"] = line.decode().strip()
                self.reply("250 OK")
            elif verb == b"RCPT":
                envelope["rcpt"].append(line.decode().strip())
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                envelope["data"] = self.read_data()
                self.server.received.append(envelope)
                envelope = {"rcpt": []}
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


def _serve(server) -> Iterator:
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.status = 200
    yield from _serve(server)


@pytest.fixture
def smtp() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPSink)
    server.daemon_threads = True
    yield from _serve(server)


@pytest.fixture
def alert_env(monkeypatch, webhook, smtp) -> dict:
    env = {
        "AMRIT_ALERT_WEBHOOK": f"http://127.0.0.1:{webhook.server_address[1]}/hooks/amrit",
        "AMRIT_ALERT_SMTP_HOST": "127.0.0.1",
        "AMRIT_ALERT_SMTP_PORT": str(smtp.server_address[1]),
        "AMRIT_ALERT_EMAIL_TO": "dba@example.org, qa@example.org",
        "AMRIT_ALERT_EMAIL_FROM": "amrit-anon@example.org",
        "AMRIT_DAGSTER_URL": "http://dagster.example:3000/",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _context(instance, result):
    return build_run_status_sensor_context(
        sensor_name="refresh_failure_alert", dagster_event=result.get_run_failure_event(), dagster_instance=instance, dagster_run=result.dagster_run
    )


# --- tests --------------------------------------------------------------------------------------------


def test_the_run_failure_is_described_by_names_only(failed_run):
    instance, result = failed_run
    failure = describe_run_failure(instance, result.run_id)
    assert failure.job == "publish" and failure.partition == "db_iemr"
    assert [(c.asset, c.check, c.partition) for c in failure.failed_checks] == [("toy_anonymized", "zero_pii_leaks", "db_iemr")]
    assert set(failure.failed_steps) == {"toy_anonymized_zero_pii_leaks", "toy_restore"}
    assert set(failure.error_types) == {"DagsterAssetCheckFailedError", "ValueError"}
    message = alert_message(failure, run_url("http://ui", result.run_id))
    assert SECRET_VALUE not in json.dumps(message) and "Duplicate" not in json.dumps(message)
    # the console line names the check and the database
    assert reason_line(failure).startswith("check failed: zero_pii_leaks [3 findings in 2 columns] on db_iemr (toy_anonymized)")
    assert "findings" not in json.dumps(message), "alerts carry check names, not what a check says"


def test_webhook_and_email_receive_the_alert(failed_run, alert_env, webhook, smtp):
    instance, result = failed_run
    assert refresh_failure_alert(_context(instance, result)) is None

    [(path, content_type, body)] = webhook.received
    assert path == "/hooks/amrit" and content_type == "application/json"
    message = json.loads(body)
    url = f"http://dagster.example:3000/runs/{result.run_id}"
    assert message["run_id"] == result.run_id and message["url"] == url
    assert message["job"] == "publish" and message["database"] == "db_iemr"
    assert message["failed_checks"] == [{"asset": "toy_anonymized", "check": "zero_pii_leaks", "database": "db_iemr"}]
    assert sorted(message["failed_steps"]) == ["toy_anonymized_zero_pii_leaks", "toy_restore"]
    assert url in message["text"] and "zero_pii_leaks on db_iemr" in message["text"]
    assert SECRET_VALUE not in body.decode()

    [mail] = smtp.received
    assert "amrit-anon@example.org" in mail["from"]
    assert sorted(r.split(":", 1)[1].strip(" <>") for r in mail["rcpt"]) == ["dba@example.org", "qa@example.org"]
    parsed = email.message_from_bytes(mail["data"], policy=default_policy)
    assert parsed["Subject"] == "[amrit-anon] publish failed on db_iemr"
    text = parsed.get_content()
    assert result.run_id in text and url in text and "zero_pii_leaks" in text
    assert SECRET_VALUE not in mail["data"].decode()


def test_a_failed_delivery_is_an_error_and_email_is_still_sent(failed_run, alert_env, webhook, smtp):
    instance, result = failed_run
    webhook.status = 500
    with pytest.raises(AlertDeliveryError, match="webhook: HTTPError 500") as raised:
        refresh_failure_alert(_context(instance, result))
    assert "127.0.0.1" not in str(raised.value), "a webhook URL can hold a token: never in the error"
    assert len(webhook.received) == 1 and len(smtp.received) == 1


def test_without_a_destination_it_only_logs(failed_run, monkeypatch):
    instance, result = failed_run
    for name in ("AMRIT_ALERT_WEBHOOK", "AMRIT_ALERT_SMTP_HOST", "AMRIT_ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    assert refresh_failure_alert(_context(instance, result)) is None


def test_the_daemon_path_alerts_on_in_process_runs(alert_env, webhook):
    """Through the sensor machinery: a run with no code-location origin (as ``amrit-anon refresh`` makes) is seen."""
    assert refresh_failure_alert.default_status == DefaultSensorStatus.RUNNING
    with DagsterInstance.ephemeral() as instance:
        first = refresh_failure_alert.evaluate_tick(build_sensor_context(instance=instance))
        result = materialize([toy_anonymized, zero_pii_leaks], instance=instance, partition_key="db_iemr", raise_on_error=False)
        assert not result.success and result.dagster_run.remote_job_origin is None
        refresh_failure_alert.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
    [(_, _, body)] = webhook.received
    assert json.loads(body)["run_id"] == result.run_id


def test_config_and_redaction():
    config = AlertConfig.from_env({"AMRIT_ALERT_EMAIL_TO": " a@x.org ,, b@x.org", "AMRIT_ALERT_SMTP_HOST": "mail"})
    assert config.email_to == ("a@x.org", "b@x.org") and config.smtp_port == 25 and config.wants_email and not config.webhook
    assert not AlertConfig.from_env({"AMRIT_ALERT_EMAIL_TO": "a@x.org"}).wants_email
    assert run_url("", "r1") is None and run_url("http://ui:3000/", "r1") == "http://ui:3000/runs/r1"
    assert redact("(1062, \"Duplicate entry '98765' for key 'uk'\")\ntrace") == "(1062, \"Duplicate entry '…' for key 'uk'\")"
    assert redact("Incorrect integer value: 'abc' for column 'x' at row 1") == "Incorrect integer value: '…' for column 'x' at row 1"
    assert redact("catalog file /x/amrit.catalog not found") == "catalog file /x/amrit.catalog not found"


def test_the_code_location_runs_the_alert_sensor():
    from amrit_assets.definitions import defs

    assert refresh_failure_alert in defs.sensors and refresh_failure_alert.default_status == DefaultSensorStatus.RUNNING
