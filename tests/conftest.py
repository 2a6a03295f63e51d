import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests import the oracle helpers as `oracle`


@pytest.fixture(autouse=True)
def _seed():
    import chainrule
    import torch
    chainrule.manual_seed(0)
    torch.manual_seed(0)


# Every chainrule.compile test runs twice: as written, and with check=True as the default
# (each call then runs compiled and eager side by side and fails at the first value that
# differs). Tests about what check=True itself does, or about the replay's own internals,
# opt out with @pytest.mark.plain_compile.
_COMPILE_MODULES = ("test_compile_guards", "test_compile_passes", "test_compile_tracing", "test_compile_training",
                    "test_compile_values", "test_compile_python_state", "test_compile_value_checks",
                    "test_compile_properties")


def pytest_configure(config):
    config.addinivalue_line("markers", "plain_compile: a compile test that does not run again with check=True")


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__ in _COMPILE_MODULES and "_compile_check_mode" in metafunc.fixturenames:
        checked = metafunc.definition.get_closest_marker("plain_compile") is None
        metafunc.parametrize("_compile_check_mode", ["plain", "checked"] if checked else ["plain"], indirect=True)


@pytest.fixture(autouse=True)
def _compile_check_mode(request, monkeypatch):
    mode = getattr(request, "param", "plain")
    if mode == "checked":
        import chainrule
        from chainrule import jit
        plain = jit.compile

        def checked(fn=None, *, check=True, **options):
            return plain(fn, check=check, **options)
        monkeypatch.setattr(jit, "compile", checked)
        monkeypatch.setattr(chainrule, "compile", checked)
    return mode
