import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from tasks_app.conf import DEFAULTS, conf
from tasks_app.dispatch import get_executor
from tasks_app.worker.executors.immediate import ImmediateExecutor


def test_defaults_apply_when_unset():
    assert conf.ABORT_POLL_INTERVAL == DEFAULTS["ABORT_POLL_INTERVAL"] == 1.0
    assert conf.MAX_VALUE_BYTES == 65535


def test_override_settings_takes_effect_at_once():
    with override_settings(GTF={"PROGRESS_THROTTLE": 7}):
        assert conf.PROGRESS_THROTTLE == 7
    assert conf.PROGRESS_THROTTLE == 1.0


def test_unknown_setting_is_an_error():
    with pytest.raises(AttributeError, match="Unknown GTF setting 'NOPE'"):
        conf.NOPE  # noqa: B018


def test_executor_is_imported_from_the_setting():
    assert isinstance(get_executor(), ImmediateExecutor)
    with (
        override_settings(GTF={"EXECUTOR": "no.such.Executor"}),
        pytest.raises(ImproperlyConfigured, match="cannot be imported"),
    ):
        get_executor()


def test_unknown_key_check_warns():
    from tasks_app.checks import check_gtf_settings

    with override_settings(GTF={"TYPO_SETTING": 1}):
        assert [m.id for m in check_gtf_settings()] == ["gtf.W001"]


@pytest.mark.parametrize("name", ["MAX_VALUE_DEPTH", "MAX_PARAMETERS_DEPTH"])
def test_depth_settings_are_bounded_by_what_json_can_nest(name):
    from tasks_app.checks import check_gtf_settings
    from tasks_app.jsonvalues import MAX_DEPTH

    with override_settings(GTF={name: MAX_DEPTH}):
        assert getattr(conf, name) == MAX_DEPTH
    with override_settings(GTF={name: MAX_DEPTH + 1}):
        with pytest.raises(ImproperlyConfigured, match=f"must be at most {MAX_DEPTH}, not 257"):
            getattr(conf, name)
        assert [m.id for m in check_gtf_settings()] == ["gtf.E003"]
