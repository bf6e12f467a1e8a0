"""A throwaway OpenLDAP slapd with syncprov (and StartTLS/LDAPS from a test CA) for the directory tests.

Recipe: /work/shared/recipes/slapd.md (variant A, slapd.conf). ``-d 0`` keeps slapd in the foreground
so the fixture holds its process; stop/start reuse the same data directory and ports.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from pathlib import Path

import ldap
import ldap.modlist
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SUFFIX = "dc=example,dc=be"
ADMIN_DN, ADMIN_PW = f"cn=admin,{SUFFIX}", "secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for localhost/127.0.0.1: (ca.pem, server.pem, server.key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rights test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


CONF = """\
include   /etc/ldap/schema/core.schema
include   /etc/ldap/schema/cosine.schema
include   /etc/ldap/schema/nis.schema
include   /etc/ldap/schema/inetorgperson.schema
pidfile   {d}/slapd.pid
argsfile  {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
{syncprov_module}
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by * read
database  mdb
suffix    "{suffix}"
rootdn    "{admin}"
rootpw    {pw}
directory {d}/data
maxsize   104857600
index     objectClass eq
index     entryCSN,entryUUID eq
index     cn,uid,member eq
{syncprov}
"""

SYNCPROV = "overlay syncprov\nsyncprov-checkpoint 100 10\nsyncprov-sessionlog 1000\n"


class Slapd:
    def __init__(self, directory: Path, tls: tuple[Path, Path, Path], *, syncprov: bool = True,
                 syncprov_conf: str = SYNCPROV) -> None:
        self.dir = directory
        (directory / "data").mkdir(parents=True)
        self.ca = tls[0]
        self.port, self.tls_port = free_port(), free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}/"
        self.ldaps_uri = f"ldaps://127.0.0.1:{self.tls_port}/"  # the certificate names the IP
        self.starttls_uri = self.uri
        (directory / "slapd.conf").write_text(CONF.format(
            d=directory, ca=tls[0], cert=tls[1], key=tls[2], suffix=SUFFIX, admin=ADMIN_DN, pw=ADMIN_PW,
            syncprov_module="moduleload syncprov" if syncprov else "", syncprov=syncprov_conf if syncprov else ""))
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.dir / "slapd.log", "ab")  # noqa: SIM115 - slapd keeps it for its lifetime
        self.proc = subprocess.Popen(
            ["/usr/sbin/slapd", "-f", str(self.dir / "slapd.conf"), "-h",
             f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.tls_port}/", "-d", "0"],
            stdout=log, stderr=log)
        log.close()
        for _ in range(200):
            try:
                conn = ldap.initialize(self.uri)
                conn.search_s("", ldap.SCOPE_BASE, "(objectClass=*)")
                conn.unbind_s()
                return
            except ldap.SERVER_DOWN:
                time.sleep(0.025)
        raise RuntimeError("slapd did not start: " + (self.dir / "slapd.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def kill(self) -> None:
        """``kill -9``: no clean shutdown, no last checkpoint of the context CSN."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def copy_data(self, dest: Path) -> None:
        """A copy of the database files (take it while slapd is stopped), for ``restore_data``."""
        shutil.copytree(self.dir / "data", dest)

    def restore_data(self, src: Path) -> None:
        """Put an earlier copy back: slapd then starts with an older context CSN than consumers hold."""
        shutil.rmtree(self.dir / "data")
        shutil.copytree(src, self.dir / "data")

    def admin(self) -> ldap.ldapobject.LDAPObject:
        conn = ldap.initialize(self.uri)
        conn.simple_bind_s(ADMIN_DN, ADMIN_PW)
        return conn

    def add(self, dn: str, **attrs: str | list[str]) -> None:
        entry = {k: [v.encode() for v in (a if isinstance(a, list) else [a])] for k, a in attrs.items()}
        conn = self.admin()
        try:
            conn.add_s(dn, ldap.modlist.addModlist(entry))
        finally:
            conn.unbind_s()

    def modify(self, dn: str, **attrs: str | list[str] | None) -> None:
        """Replace attribute values (None deletes the attribute)."""
        mods = [(ldap.MOD_REPLACE, k, None if a is None else [v.encode() for v in (a if isinstance(a, list) else [a])])
                for k, a in attrs.items()]
        conn = self.admin()
        try:
            conn.modify_s(dn, mods)
        finally:
            conn.unbind_s()

    def delete(self, dn: str) -> None:
        conn = self.admin()
        try:
            conn.delete_s(dn)
        finally:
            conn.unbind_s()

    def rename(self, dn: str, new_rdn: str, new_superior: str | None = None) -> None:
        conn = self.admin()
        try:
            conn.rename_s(dn, new_rdn, new_superior, delold=1)
        finally:
            conn.unbind_s()

    def search(self, base: str, filterstr: str = "(objectClass=*)", attrs: list[str] | None = None) -> dict:
        conn = self.admin()
        try:
            return {dn.lower(): {k: sorted(v.decode() for v in vs) for k, vs in a.items()}
                    for dn, a in conn.search_s(base, ldap.SCOPE_SUBTREE, filterstr, attrs)}
        finally:
            conn.unbind_s()
