"""Read the repository's ``policies/`` directory into a validated :class:`Catalogue`.

Layout::

    policies/
      organisation-types.yaml   a list of OrgTypePolicy
      catalogue/*.yaml          each a list of Application (read in name order)
      successions.yaml          what each kind of succession may be and carry (optional; issue 17)
      tests/*.yaml              policy test cases (see rights.policies.testing)

Decoding is strict (the catalogue Structs forbid unknown keys); after decoding, the rules that span
fields and files are checked. Every refusal is a :class:`PolicyError` naming the file (relative to
the policies directory) and the key, in msgspec's path form (``$[0].roles[2].max_validity_days``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

import msgspec
import yaml

from rights.domain.catalogue import Application, Catalogue, OrgTypePolicy, Role, SuccessionPolicy
from rights.domain.identifiers import IdentifierKind
from rights.domain.model import OrgType

ORG_TYPES_FILE = "organisation-types.yaml"
CATALOGUE_DIR = "catalogue"
SUCCESSIONS_FILE = "successions.yaml"

T = TypeVar("T")

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)
_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<field>[^`]+)`")
# Claims are "<role>[-<measure>]:<organisation code>": a role code may not hold '-', no code ':' or space.
_BAD_CODE = re.compile(r"[\s:]")
_BAD_ROLE_CODE = re.compile(r"[\s:\-]")


class PolicyError(Exception):
    """A policy file that cannot be used, with the file and the key at fault."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: {key}: {message}")


def default_policies_dir() -> Path:
    """The repository's ``policies/``: the nearest parent of this package that holds one."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "policies"
        if (candidate / ORG_TYPES_FILE).is_file():
            return candidate
    raise PolicyError("policies", "$", f"no policies/{ORG_TYPES_FILE} found above {here.parent}")


def decode_policy_file(path: Path, base: Path, into: type[T]) -> T:
    """Decode one YAML file strictly into ``into``; any failure is a PolicyError naming file and key."""
    rel = relative_name(path, base)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PolicyError(rel, "$", f"cannot read the file ({e.strerror})") from None
    try:
        # YAML itself lets a repeated key silently win; in a policy that hides a mistake.
        _refuse_repeated_keys(rel, "$", yaml.compose(data, Loader=_Loader))
        return msgspec.yaml.decode(data, type=into)
    except msgspec.ValidationError as e:
        key, message = _split_validation_error(str(e))
        raise PolicyError(rel, key, message) from None
    except (msgspec.DecodeError, yaml.YAMLError) as e:
        detail = re.sub(r' in "<[^>]+>",', " at", _one_line(str(e)))
        raise PolicyError(rel, _yaml_position(e), f"not valid YAML: {detail}") from None


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_repeated_keys(file: str, at: str, node: yaml.Node | None) -> None:
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_repeated_keys(file, f"{at}[{i}]", item)
    elif isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            if key in seen and key != "<<":
                raise PolicyError(file, f"{at}.{key}", f"'{key}' is given twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
            _refuse_repeated_keys(file, f"{at}.{key}", value)


def relative_name(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _split_validation_error(text: str) -> tuple[str, str]:
    m = _AT.match(text)
    assert m is not None  # the pattern matches any text
    message, path = m.group("msg"), m.group("path") or "$"
    field = _FIELD.search(message)
    if field:  # point at the key itself, not at the object holding it
        path = f"{path}.{field.group('field')}"
    return path, message


def _yaml_position(error: Exception) -> str:
    cause = error if isinstance(error, yaml.YAMLError) else (error.__cause__ or error.__context__)
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
    if isinstance(cause, yaml.YAMLError) and mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return "$"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_catalogue(directory: Path) -> Catalogue:
    """Read and validate ``organisation-types.yaml`` and every ``catalogue/*.yaml`` under ``directory``."""
    directory = Path(directory)
    org_types_path = directory / ORG_TYPES_FILE
    if not org_types_path.is_file():
        raise PolicyError(ORG_TYPES_FILE, "$", "file missing")
    policies = decode_policy_file(org_types_path, directory, list[OrgTypePolicy])
    _check_org_types(policies)
    by_type = {p.type: p for p in policies}

    files = sorted((directory / CATALOGUE_DIR).glob("*.yaml"))
    if not files:
        raise PolicyError(CATALOGUE_DIR, "$", "no catalogue files (*.yaml)")
    applications: list[Application] = []
    app_seen: dict[str, str] = {}
    role_seen: dict[str, str] = {}
    for path in files:
        rel = relative_name(path, directory)
        apps = decode_policy_file(path, directory, list[Application])
        for i, app in enumerate(apps):
            _check_application(rel, f"$[{i}]", app, by_type, app_seen, role_seen)
        applications.extend(apps)
    _check_mandate_executor(applications, role_seen)
    successions: list[SuccessionPolicy] = []
    if (directory / SUCCESSIONS_FILE).is_file():
        successions = decode_policy_file(directory / SUCCESSIONS_FILE, directory, list[SuccessionPolicy])
        _check_successions(successions)
    return Catalogue(applications, policies, successions)


def _check_successions(policies: list[SuccessionPolicy]) -> None:
    file = SUCCESSIONS_FILE
    seen: set[str] = set()
    for i, p in enumerate(policies):
        if p.kind in seen:
            raise PolicyError(file, f"$[{i}].kind", f"succession kind '{p.kind}' is described twice")
        seen.add(p.kind)
        for side in ("predecessors", "successors"):
            low, high = getattr(p, f"min_{side}"), getattr(p, f"max_{side}")
            if low < 1:
                raise PolicyError(file, f"$[{i}].min_{side}", "must be at least 1")
            if high is not None and high < low:
                raise PolicyError(file, f"$[{i}].max_{side}", f"must be at least min_{side}")


def _check_mandate_executor(applications: list[Application], role_files: dict[str, str]) -> None:
    """At most one role executes mandates, and its measures name applications."""
    codes = {a.code for a in applications}
    executors = [(a, j, r) for a in applications for j, r in enumerate(a.roles) if r.executes_mandates]
    for a, j, role in executors[1:]:
        raise PolicyError(role_files[role.code], f"{a.code}.roles[{j}].executes_mandates",
                          f"only one role may execute mandates ('{executors[0][2].code}' already does)")
    for a, j, role in executors:
        for k, m in enumerate(role.measures):
            if m.code not in codes:
                raise PolicyError(role_files[role.code], f"{a.code}.roles[{j}].measures[{k}].code",
                                  f"'{m.code}' is not an application code")


def _check_org_types(policies: list[OrgTypePolicy]) -> None:
    file = ORG_TYPES_FILE
    seen: set[OrgType] = set()
    for i, p in enumerate(policies):
        if p.type in seen:
            raise PolicyError(file, f"$[{i}].type", f"organisation type '{p.type}' is described twice")
        seen.add(p.type)
        for j, kind in enumerate(p.required_identifiers):
            # An organisation has many establishment units: none of them can name or be required of it.
            if kind is IdentifierKind.ESTABLISHMENT_NUMBER:
                raise PolicyError(file, f"$[{i}].required_identifiers[{j}]",
                                  "establishment_number cannot be required or used as organisation code")
        if p.code_identifier not in p.required_identifiers:
            raise PolicyError(
                file,
                f"$[{i}].required_identifiers",
                f"code_identifier '{p.code_identifier}' must be one of the required identifiers",
            )
        if not p.user_types:
            raise PolicyError(file, f"$[{i}].user_types", "at least one user type is needed")
        if _BAD_CODE.search(p.target_group) or not p.target_group:
            raise PolicyError(file, f"$[{i}].target_group", "a target group is a code without spaces or ':'")


def _check_application(
    file: str,
    at: str,
    app: Application,
    by_type: dict[OrgType, OrgTypePolicy],
    app_seen: dict[str, str],
    role_seen: dict[str, str],
) -> None:
    _check_code(file, f"{at}.code", app.code, _BAD_CODE, "application")
    if app.code in app_seen:
        raise PolicyError(file, f"{at}.code", f"application code '{app.code}' is already used in {app_seen[app.code]}")
    app_seen[app.code] = file
    if not app.roles:
        raise PolicyError(file, f"{at}.roles", "an application needs at least one role")
    for j, role in enumerate(app.roles):
        where = f"{at}.roles[{j}]"
        _check_code(file, f"{where}.code", role.code, _BAD_ROLE_CODE, "role")
        if role.code in role_seen:
            raise PolicyError(
                file, f"{where}.code", f"role code '{role.code}' is already used in {role_seen[role.code]}"
            )
        role_seen[role.code] = file
        _check_role(file, where, role, by_type)


def _check_code(file: str, key: str, code: str, bad: re.Pattern[str], what: str) -> None:
    if not code or bad.search(code):
        allowed = "spaces, ':' or '-'" if bad is _BAD_ROLE_CODE else "spaces or ':'"
        raise PolicyError(file, key, f"{what} code '{code}' is empty or holds {allowed}")


def _check_role(file: str, at: str, role: Role, by_type: dict[OrgType, OrgTypePolicy]) -> None:
    if role.application:
        raise PolicyError(file, f"{at}.application", "set automatically from the enclosing application; leave it out")
    measures: set[str] = set()
    for k, measure in enumerate(role.measures):
        _check_code(file, f"{at}.measures[{k}].code", measure.code, _BAD_CODE, "measure")
        if measure.code in measures:
            raise PolicyError(file, f"{at}.measures[{k}].code", f"measure '{measure.code}' is listed twice")
        measures.add(measure.code)
    if not role.org_types:
        raise PolicyError(file, f"{at}.org_types", "a role needs at least one organisation type")
    for k, org_type in enumerate(role.org_types):
        if org_type not in by_type:
            raise PolicyError(
                file, f"{at}.org_types[{k}]", f"organisation type '{org_type}' has no entry in {ORG_TYPES_FILE}"
            )
    for k, org_type in enumerate(role.granted_by_org_types or ()):
        if org_type not in role.org_types:
            raise PolicyError(
                file,
                f"{at}.granted_by_org_types[{k}]",
                f"'{org_type}' is not one of the role's org_types {[t.value for t in role.org_types]}",
            )
    for k, user_type in enumerate(role.user_types or ()):
        if not any(user_type in by_type[t].user_types for t in role.org_types):
            raise PolicyError(
                file,
                f"{at}.user_types[{k}]",
                f"user type '{user_type}' is not allowed by any of the role's organisation types",
            )
    if role.max_validity_days <= 0:
        raise PolicyError(file, f"{at}.max_validity_days", "must be at least 1 day")
    if role.default_validity_days <= 0:
        raise PolicyError(file, f"{at}.default_validity_days", "must be at least 1 day")
    if role.default_validity_days > role.max_validity_days:
        raise PolicyError(
            file,
            f"{at}.default_validity_days",
            f"{role.default_validity_days} days is longer than max_validity_days ({role.max_validity_days})",
        )

