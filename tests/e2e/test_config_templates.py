"""The `source:` block `hrsync init --source <vendor>` writes is one its connector accepts: as
written it opens (without touching the network), and every key in it, the commented optional
ones included, is a key the connector reads."""

from __future__ import annotations

import importlib
import re
import socket
from collections.abc import Mapping

import pytest
import yaml

from reconciler.config import load_config
from reconciler.scaffold import SOURCE_BLOCKS, init_repository
from reconciler.sources import SOURCE_MODULES, open_source
from tests.e2e.vendors import VENDORS
from tests.fakes import nmbrs_server
from tests.fakes.sample_pdf import small_pdf

_COMMENTED_KEY = re.compile(r"^(\s*)# (\s*[a-z_]+:.*)$", re.M)
# Template placeholders a fake cannot answer to, beyond what `Vendor.settings` sets.
FAKE_VALUES = {"nmbrs": {"debtor_id": nmbrs_server.DEBTOR_ID}}


class ReadRecorder(dict):
    """Settings that remember which keys the connector asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self.read.add(key)
        return super().__contains__(key)


def uncommented(block: str) -> dict:
    """The template's source settings with every commented optional key switched on."""
    return yaml.safe_load(_COMMENTED_KEY.sub(r"\1\2", block))["source"]


def merged(template: Mapping, overrides: Mapping) -> dict:
    result = dict(template)
    for key, value in overrides.items():
        both = isinstance(value, Mapping) and isinstance(result.get(key), Mapping)
        result[key] = {**result[key], **value} if both else value
    return result


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("opening a source must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_the_template_as_written_opens_without_network(name, tmp_path, no_network):
    root = tmp_path / "company"
    init_repository(root, source=name)
    config = load_config(root)
    assert config.source["type"] == name
    source = open_source(config.source, root, env=VENDORS[name].env)
    assert source.name == name


def test_the_network_guard_bites(no_network):
    with pytest.raises(AssertionError, match="must not touch the network"):
        socket.create_connection(("127.0.0.1", 9))


def test_every_template_key_is_one_the_connector_reads(running, tmp_path):
    vendor = running.vendor
    template = uncommented(SOURCE_BLOCKS[vendor.name])
    module = importlib.import_module(SOURCE_MODULES[vendor.name])
    for key, value in template.items():
        if isinstance(value, Mapping):  # e.g. AFAS connectors: ids merged over DEFAULT_CONNECTORS
            known = getattr(module, f"DEFAULT_{key.upper()}")
            assert set(value) <= set(known), f"{key}: {set(value) - set(known)}"

    overrides = {**vendor.settings(running.base_url), **FAKE_VALUES.get(vendor.name, {})}
    settings = ReadRecorder(merged(template, overrides))
    source = module.open_source(settings, tmp_path, vendor.env)
    snapshot = source.fetch()
    employee = next(e for e in snapshot.employees if e.active)
    source.upload_document(employee.id, "check.pdf", small_pdf(), title="Check")
    source.find_document(employee.id, "check.pdf")
    assert len(vendor.uploads(running.fake)) == 1

    assert set(template) - {"type"} - settings.read == set()
