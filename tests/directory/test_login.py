"""Operator login by LDAP bind: success over StartTLS and LDAPS with certificate checking, wrong
password, unknown user, user not in a group, rate limiting per user and per address, server down."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rights.directory.client import DirectoryUnavailable, connect
from rights.directory.login import LoginRefused, LoginUnavailable, OperatorLogin, RateLimiter
from rights.directory.mapping import MappingError, load_mapping
from rights.domain.ports import PrincipalKind
from tests.directory.conftest import GROUPS, STAFF, mapping_yaml
from tests.directory.slapd import Slapd, make_ca

PASSWORD = "correct horse battery staple"


def operators(slapd: Slapd) -> None:
    for uid in ("op1", "boss", "visitor"):
        slapd.add(f"uid={uid},{STAFF}", objectClass="inetOrgPerson", uid=uid, cn=uid, sn=uid, userPassword=PASSWORD)
    slapd.add(f"cn=helpline,{GROUPS}", objectClass="groupOfNames", cn="helpline", member=f"uid=op1,{STAFF}")
    slapd.add(f"cn=platform,{GROUPS}", objectClass="groupOfNames", cn="platform", member=f"uid=boss,{STAFF}")


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_login_maps_groups_to_principals(slapd: Slapd, mapping, caplog) -> None:
    operators(slapd)
    login = OperatorLogin(mapping)
    with caplog.at_level(logging.DEBUG):
        op = await login.login("op1", PASSWORD, "10.0.0.1")
        boss = await login.login("boss", PASSWORD, "10.0.0.1")
    assert (op.kind, op.subject, op.address) == (PrincipalKind.HELPLINE, "ldap:op1", "10.0.0.1")
    assert boss.kind is PrincipalKind.PLATFORM_ADMIN
    with pytest.raises(LoginRefused) as refused:
        await login.login("visitor", PASSWORD, "10.0.0.1")
    assert refused.value.code == "ldap_not_an_operator"
    for user, password in (("op1", "wrong"), ("nobody", PASSWORD), ("op1", ""), ("*", PASSWORD)):
        with pytest.raises(LoginRefused) as refused:
            await login.login(user, password, "10.0.0.2")
        assert refused.value.code == "ldap_login_failed"  # same answer: no user enumeration
    assert PASSWORD not in caplog.text


async def test_failed_binds_are_rate_limited_per_user_and_per_address(slapd: Slapd, mapping) -> None:
    operators(slapd)
    clock = Clock()
    login = OperatorLogin(mapping, RateLimiter(900, clock))  # mapping: 3 per user, 5 per address
    for _ in range(3):
        with pytest.raises(LoginRefused):
            await login.login("op1", "wrong", "10.0.0.1")
    with pytest.raises(LoginRefused) as refused:
        await login.login("op1", PASSWORD, "10.0.0.9")  # right password, but the user is locked
    assert refused.value.code == "ldap_login_rate_limited"
    for user in ("a", "b"):
        with pytest.raises(LoginRefused):
            await login.login(user, "wrong", "10.0.0.1")
    with pytest.raises(LoginRefused) as refused:
        await login.login("boss", PASSWORD, "10.0.0.1")  # five failures from this address
    assert refused.value.code == "ldap_login_rate_limited"
    assert (await login.login("boss", PASSWORD, "10.0.0.2")).kind is PrincipalKind.PLATFORM_ADMIN
    clock.t += 901  # the window passes
    assert (await login.login("op1", PASSWORD, "10.0.0.1")).kind is PrincipalKind.HELPLINE


async def test_server_down_is_a_clear_error(slapd: Slapd, mapping) -> None:
    operators(slapd)
    slapd.stop()
    with pytest.raises(LoginUnavailable) as down:
        await OperatorLogin(mapping).login("op1", PASSWORD, "10.0.0.1")
    assert down.value.message_en == "The user directory cannot be reached; try again later."


@pytest.mark.parametrize("tls", ["starttls", "ldaps"])
async def test_login_over_tls_checks_the_certificate(slapd: Slapd, tmp_path: Path, tls: str) -> None:
    operators(slapd)
    uri = slapd.ldaps_uri if tls == "ldaps" else slapd.starttls_uri
    good = load_mapping(mapping_yaml(slapd, tmp_path, tls=tls, uri=uri))
    assert (await OperatorLogin(good).login("op1", PASSWORD)).kind is PrincipalKind.HELPLINE
    other = tmp_path / "other"
    other.mkdir()
    stranger_ca = make_ca(other)[0]
    text = mapping_yaml(slapd, tmp_path, tls=tls, uri=uri).read_text().replace(str(slapd.ca), str(stranger_ca))
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(DirectoryUnavailable):
        connect(load_mapping(tmp_path / "bad.yaml").connection)


def test_plain_ldap_needs_explicit_permission(slapd: Slapd, tmp_path: Path) -> None:
    text = mapping_yaml(slapd, tmp_path).read_text().replace("allow_plain: true", "allow_plain: false")
    (tmp_path / "plain.yaml").write_text(text)
    with pytest.raises(MappingError, match="plain LDAP needs allow_plain"):
        load_mapping(tmp_path / "plain.yaml")



async def test_a_missing_ca_or_password_file_is_named(slapd: Slapd, tmp_path: Path) -> None:
    """Said plainly (and survivable by follow, which retries: a mounted secret may arrive later), not as
    python-ldap's bare "option error" traceback."""
    from rights.directory.client import DirectoryUnavailable, connect

    text = mapping_yaml(slapd, tmp_path).read_text().replace(f"ca_file: {slapd.ca}", "ca_file: /nonexistent/ca.pem")
    (tmp_path / "noca.yaml").write_text(text.replace("tls: plain", "tls: starttls"))
    with pytest.raises(DirectoryUnavailable, match="connection.ca_file: no such file"):
        connect(load_mapping(tmp_path / "noca.yaml").connection)
    mapping = load_mapping(mapping_yaml(slapd, tmp_path))
    (tmp_path / "bind.pw").unlink()
    with pytest.raises(DirectoryUnavailable, match="connection.bind_password_file: no such file"):
        connect(mapping.connection)
