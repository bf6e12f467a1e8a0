"""python-ldap is the optional extra ``rights[ldap]``: only the directory commands and the operator login
by LDAP bind need it. They call :func:`require_ldap` first, so a deployment without it gets one clear
sentence instead of a traceback, and everything else runs without it."""

from __future__ import annotations

import importlib

MISSING = ("python-ldap is not installed: the LDAP directory integration needs the optional extra "
           "`pip install 'rights[ldap]'` (it builds against libldap2-dev and libsasl2-dev)")


class LdapMissing(RuntimeError):
    """python-ldap cannot be imported."""


def require_ldap() -> None:
    try:
        importlib.import_module("ldap")
    except ImportError as exc:
        raise LdapMissing(MISSING) from exc
