from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import botocore.session
import pytest
from pydantic import ValidationError

import remediations
from remediations import registry
from remediations.base import Remediation

HERE = Path(__file__).parent
SERVICES = ("iam", "organizations")
OPERATIONS = {s: set(botocore.session.get_session().get_service_model(s).operation_names) for s in SERVICES}
# the test that proves a remediation's declared permissions are exactly what it needs
PERMISSION_TESTS = ("test_declared_permissions_are_exactly_enough", "test_declared_permissions_are_exactly_the_calls")


def _defined() -> list[type[Remediation]]:
    """Every concrete remediation class defined in the remediations package."""
    found = []
    for info in pkgutil.iter_modules(remediations.__path__):
        module = importlib.import_module(f"remediations.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Remediation) and obj.__module__ == module.__name__ and "id" in vars(obj):
                found.append(obj)
    return found


def test_every_remediation_is_registered_once_under_a_unique_id():
    defined = _defined()
    ids = [cls.id for cls in defined]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert {cls.id: cls for cls in defined} == registry.REMEDIATIONS
    assert registry.ids() == list(registry.REMEDIATIONS)
    assert len(registry.ids()) == 28


@pytest.mark.parametrize("rid", registry.ids())
def test_ids_are_kebab_case_and_name_their_module(rid):
    cls = registry.get(rid)
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rid), rid
    assert cls.__module__ == "remediations." + rid.replace("-", "_")
    assert registry.titles()[rid] == cls.title and cls.title.strip()


def test_unknown_ids_are_none():
    assert registry.get("delete-everything") is None


@pytest.mark.parametrize("rid", registry.ids())
def test_declared_permissions_are_real_actions_of_its_service(rid):
    cls = registry.get(rid)
    assert cls.service in SERVICES
    assert cls.permissions and len(set(cls.permissions)) == len(cls.permissions)
    for perm in cls.permissions:
        service, _, action = perm.partition(":")
        assert service == cls.service and action in OPERATIONS[service], perm
    for job in cls.jobs():
        for perm in job.permissions:
            service, _, action = perm.partition(":")
            assert service == cls.service and action in OPERATIONS[service], (job.name, perm)


@pytest.mark.parametrize("rid", registry.ids())
def test_unknown_parameters_are_refused(rid):
    with pytest.raises(ValidationError, match="Extra inputs"):
        registry.get(rid).parse({"unexpected": "x"})


@pytest.mark.parametrize("rid", registry.ids())
def test_every_remediation_has_a_permission_scenario(rid):
    # its own test module proves, under moto's permission checking (or by recording its calls where
    # moto cannot run it), that the declared permissions are exactly what it uses
    path = HERE / f"test_{rid.replace('-', '_')}.py"
    assert path.exists(), path
    tests = {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
    assert any(name.startswith(PERMISSION_TESTS) for name in tests), (path.name, sorted(tests))
