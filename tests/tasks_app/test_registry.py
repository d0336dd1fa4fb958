import json
import os
import subprocess
import sys

import pytest

from tasks_app import register, task
from tasks_app.exceptions import DuplicateTaskType, InvalidTaskDefinition, ParameterError
from tasks_app.params import validate
from tasks_app.registry import TaskDefinition, registry


def test_autodiscovered_types_are_registered():
    assert {"demo.export_csv", "t.add", "t.async_add"} <= set(registry.names())
    assert registry.get("t.async_add").is_async is True
    assert registry.get("t.add").is_async is False


def test_duplicate_registration_leaves_registry_unchanged():
    before = {d.name: d for d in registry}

    def other_add(a: int) -> int:
        return a

    def brand_new() -> None:
        return None

    with pytest.raises(
        DuplicateTaskType, match="'t.add' is already registered by tests.testapp.tasks.add"
    ):
        registry.register(
            TaskDefinition(name="t.brand_new", func=brand_new),
            TaskDefinition(name="t.add", func=other_add),
        )
    assert {d.name: d for d in registry} == before
    assert "t.brand_new" not in registry


def test_imperative_and_decorator_forms():
    def imperative(x: int) -> int:
        return x

    handle = register(imperative, name="t.imperative", scope="shared")
    try:
        assert registry.get("t.imperative").scope == "shared"
        assert handle(3) == 3

        @task
        def plain_decorated(y: str) -> str:
            return y

        assert registry.get("plain_decorated").func is plain_decorated.__wrapped__
    finally:
        registry.unregister("t.imperative")
        registry.unregister("plain_decorated")


def test_bad_definitions_are_refused():
    def f(*args):
        return None

    with pytest.raises(InvalidTaskDefinition, match="must be passable by keyword"):
        TaskDefinition(name="t.bad", func=f)

    def g(x: set) -> None:
        return None

    with pytest.raises(InvalidTaskDefinition, match="cannot be checked as JSON"):
        TaskDefinition(name="t.bad2", func=g)
    with pytest.raises(InvalidTaskDefinition, match="Scope 'public'"):
        TaskDefinition(name="t.bad3", func=lambda: None, scope="public")
    assert "t.bad" not in registry


def test_injected_parameters_by_type_whatever_the_name():
    sig = registry.get("t.injected_any_name").signature
    assert sig.injected == {"whatever": ""}
    assert [p.name for p in sig.params] == ["n"]
    assert "whatever" not in sig.json_schema()["properties"]


SIG = registry.get("t.typed").signature


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({}, "count", "missing required parameter"),
        ({"count": 1, "extra": 2}, "extra", "unknown parameter"),
        ({"count": "3"}, "count", "must be integer, got string"),
        ({"count": True}, "count", "must be integer, got boolean"),
        ({"count": 1.5}, "count", "must be integer, got number"),
        ({"count": 1, "ratio": "x"}, "ratio", "must be integer or number, got string"),
        ({"count": 1, "flag": 1}, "flag", "must be boolean, got integer"),
        ({"count": 1, "tags": ["a", 2]}, "tags", "must be array or null"),
        ({"count": 1, "options": []}, "options", "must be null or object, got array"),
        ({"count": 1, "mode": "medium"}, "mode", 'must be one of "fast", "slow"'),
        ({"count": float("nan")}, "count", "is not a JSON value"),
        ({"count": 1, "options": {"a": float("inf")}}, "options", "is not a JSON value"),
        ({"count": 1, "name": object()}, "name", "is not a JSON value"),
        ({"count": 1, "ctx": None}, "ctx", "is provided by the framework"),
    ],
)
def test_parameter_errors_name_the_parameter(params, field, message):
    with pytest.raises(ParameterError) as info:
        validate(SIG, params)
    assert message in info.value.errors[field]


def test_parameters_must_be_an_object():
    with pytest.raises(ParameterError, match="parameters: must be a JSON object"):
        validate(SIG, [1, 2])


def test_valid_parameters_get_defaults():
    assert validate(SIG, {"count": 2, "ratio": 1}) == {
        "count": 2,
        "ratio": 1,
        "name": "x",
        "flag": False,
        "tags": None,
        "options": None,
        "mode": "fast",
    }


def test_json_schema_of_parameters():
    schema = SIG.json_schema()
    assert schema["required"] == ["count"]
    assert schema["properties"]["count"] == {"type": "integer"}
    assert schema["properties"]["mode"] == {"enum": ["fast", "slow"], "default": "fast"}
    assert schema["properties"]["tags"]["type"] == ["array", "null"]
    assert schema["additionalProperties"] is False


def test_autodiscover_none_imports_nothing(monkeypatch):
    # GTF["AUTODISCOVER_MODULE"] = None is documented: no module is imported at start-up.
    from tasks_app import registry as registry_module

    imported = []
    monkeypatch.setattr(registry_module, "autodiscover_modules", imported.append)
    registry_module.autodiscover(None)
    registry_module.autodiscover("jobs")
    assert imported == ["jobs"]


def test_autodiscover_none_starts_up(tmp_path):
    env = {
        **os.environ,  # DJANGO_SETTINGS_MODULE as pytest-django set it
        "GTF_TEST_GTF": json.dumps({"AUTODISCOVER_MODULE": None}),
        "GTF_VAR_DIR": str(tmp_path),
    }
    code = "import django; django.setup(); from tasks_app.registry import registry; " + (
        "print('t.add' in registry)"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"  # tests/testapp/tasks.py was not imported


def module_level_job() -> None:
    pass


class DjangoTaskLike:
    """What Django 6's ``@django.tasks.task`` returns: a Task holding the function."""

    def __init__(self, func):
        self.func = func


def test_registering_what_is_not_a_function_is_a_clear_error():
    def job() -> None:
        pass

    with pytest.raises(InvalidTaskDefinition, match="is not a function.*pass <function"):
        register(DjangoTaskLike(job), name="t.django_task")
    with pytest.raises(InvalidTaskDefinition, match="is not a function"):
        register(42, name="t.number")
    assert "t.django_task" not in registry and "t.number" not in registry


def test_a_real_django_task_is_refused_clearly():
    import django

    if django.VERSION < (6, 0):
        return  # django.tasks is new in Django 6; the stand-in above covers older versions
    from django.tasks import task as django_task

    job = django_task(module_level_job)  # django.tasks wants a module-level function

    with pytest.raises(InvalidTaskDefinition, match="is not a function"):
        register(job, name="t.real_django_task")


def test_a_partial_is_refused_clearly():
    import functools

    def add(a: int, b: int) -> int:
        return a + b

    with pytest.raises(InvalidTaskDefinition, match="is not a function"):
        register(functools.partial(add, b=1), name="t.partial_add")
