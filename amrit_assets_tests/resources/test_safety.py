"""A target that is the source, or looks like production, is refused before anything is written."""

from __future__ import annotations

import pytest

from amrit_assets.resources.embedded import EmbeddedServer
from amrit_assets.resources.mysql import ServerAddress
from amrit_assets.resources.safety import (
    ALLOW_ENV,
    ServerIdentity,
    UnsafeTargetError,
    endpoint,
    require_safe_targets,
    unsafe_target_problems,
)


def ident(role: str, endpoint: str = "db1:3306", host: str = "db1", port: int = 3306, datadir: str = "/var/lib/mysql/", server_id: int = 1, uuid: str = "") -> ServerIdentity:
    return ServerIdentity(role, endpoint, server_id, host, port, datadir, "8.0.36", uuid)


def addr(host: str, port: int = 3306) -> ServerAddress:
    return ServerAddress(host, port, "amrit")


SOURCE = ident("source", "prod-db:3306", "amrit-db-01")
SOURCE_ADDR = addr("prod-db")


def test_separate_servers_are_safe():
    targets = {"workspace": ident("workspace", "ws:3306", "ws"), "uat": ident("uat", "uat:3306", "uat")}
    assert unsafe_target_problems(SOURCE, targets, {"workspace": addr("ws"), "uat": addr("uat")}) == []


def test_a_target_at_the_source_address_is_refused_and_cannot_be_overridden(monkeypatch):
    monkeypatch.setenv(ALLOW_ENV, "prod-db:3306")
    problems = unsafe_target_problems(SOURCE, {"uat": ident("uat", "prod-db:3306", "amrit-db-01")}, {"uat": addr("prod-db")})
    assert any("the uat server" in p and "is the source server" in p and "cannot be overridden" in p for p in problems)


def test_the_source_behind_another_name_is_recognised_by_what_the_server_says():
    alias = ident("uat", "10.0.0.5:3306", "amrit-db-01")  # same hostname, port and datadir: the same instance
    problems = unsafe_target_problems(SOURCE, {"uat": alias}, {"uat": addr("10.0.0.5")})
    assert problems and "is the source server" in problems[0]
    same_uuid = unsafe_target_problems(
        ident("source", "a:3306", "a", uuid="u-1"), {"uat": ident("uat", "b:3306", "b", uuid="u-1")}, {"uat": addr("b")}
    )
    assert same_uuid and "is the source server" in same_uuid[0]


def test_the_same_non_default_server_id_on_the_same_host_is_refused():
    src = ident("source", "a:3306", "h", port=3306, datadir="/a/", server_id=42)
    tgt = ident("uat", "a-proxy:6033", "h", port=3307, datadir="/b/", server_id=42)
    assert any("server_id 42" in p for p in unsafe_target_problems(src, {"uat": tgt}, {"uat": addr("a-proxy", 6033)}))


def test_a_production_looking_name_is_refused_unless_deliberately_allowed(monkeypatch):
    targets = {"uat": ident("uat", "amrit-prod-replica:3306", "amrit-prod-replica")}
    where = {"uat": addr("amrit-prod-replica")}
    problems = unsafe_target_problems(SOURCE, targets, where)
    assert len(problems) == 1 and "looks like production" in problems[0] and f"{ALLOW_ENV}=amrit-prod-replica:3306" in problems[0]
    monkeypatch.setenv(ALLOW_ENV, "amrit-prod-replica:3306")
    assert unsafe_target_problems(SOURCE, targets, where) == []
    for fine in ("uat-products", "reproduce", "uat"):  # "prod" inside a word is not production
        assert unsafe_target_problems(SOURCE, {"uat": ident("uat", f"{fine}:3306", fine)}, {"uat": addr(fine)}) == []


def test_workspace_and_uat_on_one_server_is_refused():
    both = ident("workspace", "shared:3306", "shared")
    problems = unsafe_target_problems(SOURCE, {"workspace": both, "uat": ident("uat", "shared:3306", "shared")}, {"workspace": addr("shared"), "uat": addr("shared")})
    assert any("workspace and uat servers are the same server" in p for p in problems)


def test_local_names_fold_together():
    assert endpoint(ServerAddress("localhost", 3306, "u")) == endpoint(ServerAddress("127.0.0.1", 3306, "u"))
    assert endpoint(ServerAddress("127.0.0.1", 3306, "u")) != endpoint(ServerAddress("127.0.0.1", 3307, "u"))


def test_real_servers_same_instance_over_socket_and_tcp_is_refused(server):
    over_tcp = ServerAddress(server.host, server.port, server.user, server.password)
    over_socket = ServerAddress("", 0, server.user, server.password, server.unix_socket)
    with pytest.raises(UnsafeTargetError, match="refusing to run, nothing was changed: the uat server .* is the source server"):
        require_safe_targets(over_socket, {"uat": over_tcp})


def test_real_separate_servers_pass(server):
    with EmbeddedServer("other") as other:
        require_safe_targets(server, {"uat": other.address})
