"""When the hub stays offline, and what an error tells the user to switch."""

import pytest

from ncnet.runtime import hub


@pytest.mark.parametrize(("env", "off", "switch"), [
    ({}, True, "set NCNET_ALLOW_HUB=1 (with network) to allow the hub"),
    ({"NCNET_ALLOW_HUB": "1"}, False, "set NCNET_ALLOW_HUB=1"),
    ({"HF_HUB_OFFLINE": "1"}, True, "HF_HUB_OFFLINE=1 is set: unset it (with network)"),
    ({"HF_HUB_OFFLINE": "1", "NCNET_ALLOW_HUB": "1"}, True, "HF_HUB_OFFLINE=1 is set"),
    ({"HF_HUB_OFFLINE": "0"}, False, "set NCNET_ALLOW_HUB=1"),
    ({"HF_HUB_OFFLINE": "true"}, True, "HF_HUB_OFFLINE=true is set"),
])
def test_hub_off_and_the_switch_named(monkeypatch, env, off, switch):
    for var in ("NCNET_ALLOW_HUB", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert hub.hub_off() is off
    assert hub.hub_switch().startswith(switch)
