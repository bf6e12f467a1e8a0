"""LDAP directory integration (python-ldap): sync in, provisioning out, operator login. See docs/ldap.md.

mapping.py   the mapping file (msgspec)         client.py     connections, TLS, paged search, back-off
filters.py   RFC 4515 filters, evaluated locally records.py    entries -> validated records
reconcile.py records -> rights, with provenance  sync.py       batches, full sync, status rows
syncrepl.py  RFC 4533 consumer, polling fallback provision.py  grants -> groupOfNames, repair
login.py     operator login by bind, rate limits state.py      the directory's own tables
status.py / metrics.py  /readyz details, Prometheus        cli.py  `rights ldap …`
"""
