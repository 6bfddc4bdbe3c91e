"""Failure alerts: when a run fails, tell the team where to look, with names and counts only.

``refresh_failure_alert`` (a run-failure sensor, on by default) posts a JSON message to
``AMRIT_ALERT_WEBHOOK`` and/or e-mails ``AMRIT_ALERT_EMAIL_TO`` (comma-separated) through
``AMRIT_ALERT_SMTP_HOST``/``AMRIT_ALERT_SMTP_PORT`` from ``AMRIT_ALERT_EMAIL_FROM``. The message
holds the job (or refresh stage), run id, database, failed step keys, failed check names, the
errors' types, and a link to the run (``AMRIT_DAGSTER_URL``). Never an error message: one can quote
a data value (MySQL's ``Duplicate entry '…'``), and alerts travel to chat rooms and mailboxes.

It monitors every code location's runs (``monitor_all_code_locations``) because the runs of
``amrit-anon refresh`` (Jenkins) are in-process runs with no code-location origin; a sensor limited
to this location would never see them. With no destination configured it only logs.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from amrit_assets.failures import RunFailure, describe_run_failure, where

# What the sensor reads (docker-compose.yml gives these to the code server, where sensors are evaluated).
ALERT_ENV = (
    "AMRIT_ALERT_WEBHOOK",
    "AMRIT_ALERT_SMTP_HOST",
    "AMRIT_ALERT_SMTP_PORT",
    "AMRIT_ALERT_EMAIL_TO",
    "AMRIT_ALERT_EMAIL_FROM",
    "AMRIT_DAGSTER_URL",
)
WEBHOOK_TIMEOUT_SECONDS = 10
SMTP_TIMEOUT_SECONDS = 20


class AlertDeliveryError(RuntimeError):
    pass


@dataclass(frozen=True)
class AlertConfig:
    webhook: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    email_to: tuple[str, ...] = ()
    email_from: str = "amrit-anon@localhost"
    dagster_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AlertConfig:
        """Read at each evaluation, so a changed environment needs no code reload."""

        def get(name: str) -> str:
            return (environ.get(name) or "").strip()

        return cls(
            webhook=get("AMRIT_ALERT_WEBHOOK"),
            smtp_host=get("AMRIT_ALERT_SMTP_HOST"),
            smtp_port=int(get("AMRIT_ALERT_SMTP_PORT") or 25),
            email_to=tuple(a.strip() for a in get("AMRIT_ALERT_EMAIL_TO").split(",") if a.strip()),
            email_from=get("AMRIT_ALERT_EMAIL_FROM") or cls.email_from,
            dagster_url=get("AMRIT_DAGSTER_URL"),
        )

    @property
    def wants_email(self) -> bool:
        return bool(self.smtp_host and self.email_to)


def run_url(dagster_url: str, run_id: str) -> str | None:
    """The run's page in the Dagster UI (``<url>/runs/<id>``), if the UI's address is known."""
    return f"{dagster_url.rstrip('/')}/runs/{run_id}" if dagster_url else None


def summary_text(failure: RunFailure, url: str | None) -> str:
    """A chat-sized line (Slack and Teams webhooks show ``text``)."""
    parts = [f"amrit-anon: {failure.job} failed on {where(failure.partition)} (run {failure.run_id})"]
    if failure.failed_checks:
        parts.append("checks failed: " + ", ".join(f"{c.check} on {where(c.partition)}" for c in failure.failed_checks))
    if failure.failed_steps:
        parts.append("steps failed: " + ", ".join(failure.failed_steps))
    if url:
        parts.append(url)
    return " | ".join(parts)


def alert_message(failure: RunFailure, url: str | None) -> dict:
    """The JSON body: names, ids and counts; no error message (see the module doc)."""
    return {
        "text": summary_text(failure, url),
        "source": "amrit-anon",
        "job": failure.job,
        "run_id": failure.run_id,
        "database": failure.partition,
        "failed_steps": failure.failed_steps,
        "failed_checks": [{"asset": c.asset, "check": c.check, "database": c.partition} for c in failure.failed_checks],
        "failed_check_count": len(failure.failed_checks),
        "error_types": sorted(set(failure.error_types)),
        "url": url,
    }


def post_webhook(url: str, message: dict, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> int:
    """POST the message as JSON; the HTTP status, or an HTTPError/URLError."""
    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (an operator-set https URL)
        return response.status


def email_of(config: AlertConfig, message: dict) -> EmailMessage:
    """The chat line on top for a glance, then the same fields as the webhook's JSON for whoever digs in."""
    mail = EmailMessage()
    mail["Subject"] = f"[amrit-anon] {message['job']} failed on {message['database'] or 'all databases'}"
    mail["From"] = config.email_from
    mail["To"] = ", ".join(config.email_to)
    lines = [message["text"], "", json.dumps({k: v for k, v in message.items() if k != "text"}, indent=2)]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def send_email(config: AlertConfig, message: dict) -> None:
    """Plain SMTP to an internal relay (no login, no TLS): what an AMRIT data centre usually offers."""
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.send_message(email_of(config, message))


def deliver(config: AlertConfig, message: dict) -> tuple[list[str], list[str]]:
    """Try every configured destination; ``(delivered, failed)``, each an entry naming the destination and why, no URL."""
    delivered, failed = [], []
    if config.webhook:
        try:
            delivered.append(f"webhook (HTTP {post_webhook(config.webhook, message)})")
        except Exception as e:  # noqa: BLE001: report it, still try e-mail
            failed.append(f"webhook: {type(e).__name__} {getattr(e, 'code', '') or ''}".rstrip())
    if config.wants_email:
        try:
            send_email(config, message)
            delivered.append(f"e-mail to {len(config.email_to)} recipient(s)")
        except Exception as e:  # noqa: BLE001
            failed.append(f"e-mail: {type(e).__name__}")
    return delivered, failed


@run_failure_sensor(
    name="refresh_failure_alert",
    monitor_all_code_locations=True,
    default_status=DefaultSensorStatus.RUNNING,
    description="A failed run posts to AMRIT_ALERT_WEBHOOK and/or e-mails AMRIT_ALERT_EMAIL_TO: job, run, database, failed steps and checks.",
)
def refresh_failure_alert(context: RunFailureSensorContext) -> None:
    """Describe the failed run from its event log and send it; a delivery that fails fails the tick, to be seen."""
    config = AlertConfig.from_env()
    failure = describe_run_failure(context.instance, context.dagster_run.run_id)
    message = alert_message(failure, run_url(config.dagster_url, failure.run_id))
    if not config.webhook and not config.wants_email:
        context.log.info(f"no alert destination configured (AMRIT_ALERT_WEBHOOK, AMRIT_ALERT_SMTP_HOST + AMRIT_ALERT_EMAIL_TO): {message['text']}")
        return
    delivered, failed = deliver(config, message)
    if delivered:
        context.log.info(f"alert for run {failure.run_id} sent: {', '.join(delivered)}")
    if failed:
        raise AlertDeliveryError(f"alert for run {failure.run_id} not delivered: {'; '.join(failed)}")


ALERT_SENSORS = [refresh_failure_alert]
