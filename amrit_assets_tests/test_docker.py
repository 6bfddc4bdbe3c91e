"""The Docker deployment files (docker/): parsed and checked, since no Docker engine runs here."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"

ROLES = ("SOURCE", "WORKSPACE", "UAT")
AMRIT_VARS = [
    *(f"AMRIT_{role}_{part}" for role in ROLES for part in ("HOST", "PORT", "USER", "PASSWORD", "SOCKET")),
    "AMRIT_ANON_KEY",
    "AMRIT_DATA_DIR",
    "AMRIT_UAT_CREDENTIAL",
    "AMRIT_CATALOG",
    "AMRIT_MIGRATIONS_DIR",
]
POSTGRES_VARS = ["DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD", "DAGSTER_POSTGRES_DB"]
SECRET = re.compile(r"PASSWORD|_KEY$|SECRET|TOKEN|CREDENTIAL|WEBHOOK")  # a webhook URL carries its token
# ${NAME}, ${NAME:?message} or ${NAME:-} (empty default): a reference with no value to leak
SECRET_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*|:?-)?\}$")
# ${NAME}, ${NAME:-default}, ${NAME:?message}
ANY_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:?[-?][^}]*)?\}$")
REQUIRED_SERVICES = {
    "postgres",
    "amrit_user_code",
    "dagster_webserver",
    "dagster_daemon",
    "amrit_source",
    "amrit_workspace",
    "amrit_uat",
}
DATA_DIR = "/opt/amrit/data"
MIGRATIONS_MOUNT = "/opt/amrit/migrations"
TRIAL_SERVERS = {"SOURCE": "amrit_source", "WORKSPACE": "amrit_workspace", "UAT": "amrit_uat"}


def load(name: str):
    return yaml.safe_load((DOCKER / name).read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return load("docker-compose.yml")


@pytest.fixture(scope="module")
def instance_yaml() -> dict:
    return load("dagster.yaml")


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def _strings(node) -> list[str]:
    """Every key and string value in a parsed YAML document (comments are gone)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def launcher_env_vars(instance_yaml: dict) -> list[str]:
    return instance_yaml["run_launcher"]["config"]["env_vars"]


def test_compose_has_the_services_and_shared_network(compose):
    services = compose["services"]
    assert REQUIRED_SERVICES <= set(services)
    network_names = {key: (cfg or {}).get("name", key) for key, cfg in compose["networks"].items()}
    for name in REQUIRED_SERVICES:
        assert services[name].get("networks"), f"{name} is on no network"
        for net in services[name]["networks"]:
            assert net in network_names
    assert "3000:3000" in [str(p) for p in services["dagster_webserver"]["ports"]]
    for name in ("dagster_webserver", "dagster_daemon"):
        assert "/var/run/docker.sock:/var/run/docker.sock" in services[name]["volumes"]
    assert services["dagster_webserver"]["entrypoint"][-2:] == ["-w", "workspace.yaml"]
    # the daemon reads workspace.yaml from its working directory, DAGSTER_HOME
    assert services["dagster_daemon"]["entrypoint"] == ["dagster-daemon", "run"]


def test_trial_mysql_servers(compose):
    for name in ("amrit_source", "amrit_workspace", "amrit_uat"):
        svc = compose["services"][name]
        assert svc["image"] == "mysql:8.0"
        assert "--lower-case-table-names=1" in svc["command"]
        assert "--innodb-strict-mode=OFF" in svc["command"]
        assert svc["healthcheck"]["test"]
        assert SECRET_REF.match(env_of(svc)["MYSQL_ROOT_PASSWORD"])
    assert compose["services"]["postgres"]["healthcheck"]["test"]


def test_every_amrit_variable_reaches_the_code_server_the_daemon_and_run_containers(compose, instance_yaml):
    user_code = env_of(compose["services"]["amrit_user_code"])
    daemon = env_of(compose["services"]["dagster_daemon"])
    launched = launcher_env_vars(instance_yaml)
    for var in AMRIT_VARS:
        assert var in user_code, f"{var} not passed to amrit_user_code"
        # bare names in env_vars are read from the launching process: the daemon must define them
        assert var in daemon, f"{var} not set on dagster_daemon, which copies it into run containers"
        assert var in launched, f"{var} missing from DockerRunLauncher env_vars"
        assert user_code[var] == daemon[var]
    for var in POSTGRES_VARS:
        assert var in launched and var in daemon and var in env_of(compose["services"]["dagster_webserver"])
    for role in ROLES:
        assert user_code[f"AMRIT_{role}_SOCKET"] == ""


def test_no_literal_secrets(compose, instance_yaml):
    for name, svc in compose["services"].items():
        for key, value in env_of(svc).items():
            if SECRET.search(key):
                assert SECRET_REF.match(value), f"{name}.{key} must be a ${{VAR}} reference, not {value!r}"
            elif value and "$" in value:
                assert ANY_REF.match(value), f"{name}.{key}: malformed reference {value!r}"
    # the instance's env_vars are names only (no NAME=value), and postgres credentials come from env
    assert all("=" not in v for v in launcher_env_vars(instance_yaml))
    db = instance_yaml["storage"]["postgres"]["postgres_db"]
    for field in ("username", "password", "db_name"):
        assert set(db[field]) == {"env"}
    # the .env.example placeholders appear in neither file
    placeholders = {
        line.split("=", 1)[1].strip()
        for line in (DOCKER / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#") and SECRET.search(line.split("=", 1)[0])
    } - {""}
    assert placeholders == {"changeme"}
    for name in ("docker-compose.yml", "dagster.yaml"):
        assert "changeme" not in (DOCKER / name).read_text()


def test_env_example_documents_every_variable(compose):
    example = (DOCKER / ".env.example").read_text()
    defined = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    referenced = {ref for text in _strings(compose) for ref in re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text)}
    assert referenced <= defined, f"used in compose but not in .env.example: {referenced - defined}"
    for var in AMRIT_VARS:
        if not var.endswith("_SOCKET") and var != "AMRIT_DATA_DIR":
            assert var in defined


def test_data_volume_shared_by_code_server_and_run_containers(compose, instance_yaml):
    volumes = compose["volumes"]
    volume_names = {key: (cfg or {}).get("name", key) for key, cfg in volumes.items()}
    user_code = compose["services"]["amrit_user_code"]
    assert env_of(user_code)["AMRIT_DATA_DIR"] == DATA_DIR
    compose_mounts = dict(v.split(":", 1) for v in user_code["volumes"])
    key = next(k for k, target in compose_mounts.items() if target == DATA_DIR)
    config = instance_yaml["run_launcher"]["config"]
    run_mounts = dict(v.split(":", 1) for v in config["container_kwargs"]["volumes"])
    # run containers are created by the Docker API, outside compose: they need the volume's real name
    assert run_mounts[volume_names[key]] == DATA_DIR
    assert config["network"] in {(cfg or {}).get("name") for cfg in compose["networks"].values()}
    # compute logs: written by run containers, read by the webserver
    log_dir = instance_yaml["compute_logs"]["config"]["base_dir"]
    log_volume = next(name for name, target in run_mounts.items() if target == log_dir)
    assert log_volume in volume_names.values()
    web_mounts = dict(v.split(":", 1) for v in compose["services"]["dagster_webserver"]["volumes"])
    assert volume_names.get(next(k for k, t in web_mounts.items() if t == log_dir)) == log_volume


def test_run_containers_use_the_user_code_image(compose):
    svc = compose["services"]["amrit_user_code"]
    assert env_of(svc)["DAGSTER_CURRENT_IMAGE"] == svc["image"]
    assert svc["build"]["context"] == ".."
    assert svc["build"]["dockerfile"] == "docker/Dockerfile_user_code"
    assert (DOCKER / compose["services"]["dagster_webserver"]["build"]["dockerfile"]).exists()


def test_instance_classes_are_importable(instance_yaml):
    import dagster_docker

    assert dagster_docker.DockerRunLauncher
    for section in ("run_launcher", "run_coordinator", "scheduler", "compute_logs"):
        entry = instance_yaml[section]
        cls = getattr(importlib.import_module(entry["module"]), entry["class"])
        assert isinstance(cls, type)
    assert (instance_yaml["run_launcher"]["module"], instance_yaml["run_launcher"]["class"]) == (
        "dagster_docker",
        "DockerRunLauncher",
    )
    assert instance_yaml["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_instance_yaml_validates_against_dagster_schema(instance_yaml, tmp_path, monkeypatch):
    for var in POSTGRES_VARS:
        monkeypatch.setenv(var, "x")
    shutil.copy(DOCKER / "dagster.yaml", tmp_path / "dagster.yaml")
    # Dagster's own loader: the instance schema (storage, including postgres_db, fully typed)
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == "postgres"
    # each configurable class's config against that class's own schema
    for section in ("run_launcher", "run_coordinator", "compute_logs"):
        entry = instance_yaml[section]
        cls = getattr(importlib.import_module(entry["module"]), entry["class"])
        result = validate_config(cls.config_type(), entry.get("config", {}))
        assert result.success, f"{section}: {[e.message for e in result.errors]}"
    # and the launcher builds from it (no Docker connection is made until a run is launched)
    from dagster._serdes import ConfigurableClassData

    launcher_cfg = instance_yaml["run_launcher"]
    launcher = ConfigurableClassData(
        launcher_cfg["module"], launcher_cfg["class"], yaml.safe_dump(launcher_cfg["config"])
    ).rehydrate()
    assert launcher.networks == ["amrit_network"]
    assert list(launcher.env_vars) == launcher_env_vars(instance_yaml)


def test_instance_storage_host_is_the_compose_postgres(compose, instance_yaml):
    assert instance_yaml["storage"]["postgres"]["postgres_db"]["hostname"] in compose["services"]


def test_workspace_points_at_the_user_code_server(compose):
    workspace = load("workspace.yaml")
    (entry,) = workspace["load_from"]
    server = entry["grpc_server"]
    assert server["host"] == "amrit_user_code" and server["host"] in compose["services"]
    assert server["location_name"] == "amrit_anon"
    cmd = _dockerfile_cmd(DOCKER / "Dockerfile_user_code")
    assert cmd[:3] == ["dagster", "code-server", "start"]
    assert cmd[cmd.index("-p") + 1] == str(server["port"]) == "4000"
    assert cmd[cmd.index("-h") + 1] == "0.0.0.0"
    assert cmd[cmd.index("-m") + 1] == "amrit_assets.definitions"
    assert cmd[cmd.index("--location-name") + 1] == server["location_name"]
    health = compose["services"]["amrit_user_code"]["healthcheck"]["test"]
    assert health[-2:] == ["-p", str(server["port"])]


def _dockerfile_cmd(path: Path) -> list[str]:
    import json

    (line,) = [line for line in path.read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(line[len("CMD ") :])


def _pins(text: str) -> dict[str, str]:
    return {name.lower(): version for name, version in re.findall(r"\b(dagster[a-z-]*)==([0-9][0-9.]*)", text)}


def test_dockerfiles_pin_the_project_dagster_versions():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = _pins("\n".join(pyproject["project"]["dependencies"]))
    assert {"dagster", "dagster-webserver", "dagster-docker"} <= set(project)

    dagster_image = (DOCKER / "Dockerfile_dagster").read_text()
    pins = _pins(dagster_image)
    assert set(pins) == {"dagster", "dagster-webserver", "dagster-docker", "dagster-postgres"}
    for name in ("dagster", "dagster-webserver", "dagster-docker"):
        assert pins[name] == project[name], name
    # integration libraries share one version line (0.x pairs with 1.x)
    assert pins["dagster-postgres"] == project["dagster-docker"]
    assert "COPY dagster.yaml workspace.yaml $DAGSTER_HOME" in dagster_image

    user_image = (DOCKER / "Dockerfile_user_code").read_text()
    assert re.search(r"^FROM python:3\.11-slim", user_image, re.M)
    assert re.search(r"^FROM python:3\.11-slim", dagster_image, re.M)
    # the project (and so pyproject's pins, within the lock) is what the user code image installs, not editable
    assert re.search(r"pip install -c requirements\.lock \.(\s|$)", user_image)
    for name, version in _pins(user_image).items():
        assert project.get(name) == version, name
    for src in ("pyproject.toml", "requirements.lock", "amrit_assets/", "sql/", "workspace.yaml"):
        assert re.search(rf"^COPY .*{re.escape(src)}", user_image, re.M), src
    assert "mariadb-client" in user_image or "mysql-client" in user_image


# --- trial servers, the migrations checkout, alerts ----------------------------------------------------


def _mounts(volumes: list[str]) -> dict[str, tuple[str, str]]:
    """``{target: (source, mode)}`` from ``source:target[:mode]`` entries."""
    out = {}
    for v in volumes:
        source, target, *mode = v.split(":")
        out[target] = (source, mode[0] if mode else "rw")
    return out


def test_trial_mysql_servers_are_the_default_roles(compose):
    """The three MySQL 8.0 trial containers are what AMRIT_<ROLE>_HOST points at unless .env says otherwise."""
    user_code = env_of(compose["services"]["amrit_user_code"])
    declared = {k: (v or {}).get("name", k) for k, v in compose["volumes"].items()}
    for role, service in TRIAL_SERVERS.items():
        svc = compose["services"][service]
        assert svc["image"] == "mysql:8.0" and "--character-set-server=utf8mb4" in svc["command"]
        assert user_code[f"AMRIT_{role}_HOST"] == f"${{AMRIT_{role}_HOST:-{service}}}"
        assert user_code[f"AMRIT_{role}_PORT"] == f"${{AMRIT_{role}_PORT:-3306}}"
        # root's password is the role's password: the code logs in with exactly what the server was given
        assert env_of(svc)["MYSQL_ROOT_PASSWORD"].startswith(f"${{AMRIT_{role}_PASSWORD:?")
        assert user_code[f"AMRIT_{role}_USER"] == f"${{AMRIT_{role}_USER:-root}}"
        source, _ = _mounts(svc["volumes"])["/var/lib/mysql"]
        assert source in declared, f"{service}: its data is in a named volume"
        assert "amrit_network" in svc["networks"] and svc["restart"] == "unless-stopped"


def test_migrations_dir_reaches_the_sensor_and_run_containers_with_its_checkout(compose, instance_yaml):
    """flyway_sensor runs in the code server, the schema gate and migration_preview in run containers: both
    need AMRIT_MIGRATIONS_DIR and the same read-only checkout at the same path."""
    user_code = compose["services"]["amrit_user_code"]
    assert env_of(user_code)["AMRIT_MIGRATIONS_DIR"] == "${AMRIT_MIGRATIONS_DIR:-}", "off unless .env sets it"
    assert "AMRIT_MIGRATIONS_DIR" in env_of(compose["services"]["dagster_daemon"])
    assert "AMRIT_MIGRATIONS_DIR" in launcher_env_vars(instance_yaml)
    code_mount = _mounts(user_code["volumes"])[MIGRATIONS_MOUNT]
    run_mount = _mounts(instance_yaml["run_launcher"]["config"]["container_kwargs"]["volumes"])[MIGRATIONS_MOUNT]
    assert code_mount[1] == run_mount[1] == "ro"
    volume_names = {key: (cfg or {}).get("name", key) for key, cfg in compose["volumes"].items()}
    assert volume_names[code_mount[0]] == run_mount[0], "run containers need the volume's real (fixed) name"
    example = (DOCKER / ".env.example").read_text()
    assert MIGRATIONS_MOUNT in example and "amrit_migrations" in (DOCKER / "README.md").read_text()
    # the preview's throwaway server: a server binary in the image, and room for it in /dev/shm
    assert "mariadb-server" in (DOCKER / "Dockerfile_user_code").read_text()
    shm = str(instance_yaml["run_launcher"]["config"]["container_kwargs"]["shm_size"]).lower()
    assert shm.endswith("g") and int(shm[:-1]) >= 1


def test_alert_settings_reach_the_code_server_only(compose):
    """Sensors are evaluated by the code server; the webhook (a token in its URL) goes nowhere else."""
    from amrit_assets import alerts

    read = set(re.findall(r"AMRIT_(?:ALERT_[A-Z_]+|DAGSTER_URL)", Path(alerts.__file__).read_text()))
    assert read == set(alerts.ALERT_ENV), "alerts.ALERT_ENV lists what the sensor reads"
    user_code = env_of(compose["services"]["amrit_user_code"])
    example = {line.split("=", 1)[0] for line in (DOCKER / ".env.example").read_text().splitlines() if "=" in line and not line.startswith("#")}
    for var in alerts.ALERT_ENV:
        assert ANY_REF.match(user_code[var]) and var in user_code[var], var
        assert var in example, var
    for name, svc in compose["services"].items():
        if name != "amrit_user_code":
            assert "AMRIT_ALERT_WEBHOOK" not in env_of(svc), name
    assert user_code["AMRIT_ALERT_WEBHOOK"] == "${AMRIT_ALERT_WEBHOOK:-}", "optional, and never a literal"


def test_trial_workspace_runs_without_an_event_scheduler(compose):
    """MySQL 8 starts its event scheduler by default; preflight refuses a workspace that runs one."""
    assert "--event-scheduler=OFF" in compose["services"]["amrit_workspace"]["command"]
