"""Every connector reads its `source:` block into a frozen settings dataclass, and
schemas/config.schema.json (what editors and `hrsync validate` check) says the same: the same keys,
the same required ones, the same defaults, the same values accepted and refused."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.errors import ConfigError
from reconciler.gitops.workflows import DEFAULT_ENV
from reconciler.scaffold import init_repository
from reconciler.sources import SOURCE_MODULES, open_source
from reconciler.sources.afas import AfasSettings
from reconciler.sources.file import FileSettings
from reconciler.sources.hibob import HiBobSettings
from reconciler.sources.nmbrs import NmbrsSettings
from reconciler.sources.personio import PersonioSettings
from reconciler.state.schemas import schema, validator

SETTINGS = {
    "file": FileSettings,
    "personio": PersonioSettings,
    "hibob": HiBobSettings,
    "afas": AfasSettings,
    "nmbrs": NmbrsSettings,
}
# The least a block of each type needs.
MINIMAL = {
    "file": {"path": "hris/export.csv"},
    "personio": {},
    "hibob": {},
    "afas": {"base_url": "https://12345.rest.afas.online/ProfitRestServices"},
    "nmbrs": {"domain": "acme", "company_id": 12345},
}
# Values of every kind, each tried in every key of every source type.
SAMPLES = [
    None,
    True,
    False,
    0,
    1,
    8,
    15,
    100,
    101,
    300,
    1000,
    -1,
    2.0,
    2.5,
    "",
    " ",
    "x",
    " padded ",
    "12",
    "0",
    "007",
    "1" * 30,
    "tab",
    "\t",
    ",",
    ";",
    "|",
    "team",
    "dynamic_12",
    "office",
    "current",
    "off",
    "weekly",
    "quarterly",
    "utf-8",
    "cp1252",
    "5a1f3e2b-8c4d-4e6f-9a0b-1c2d3e4f5a6b",
    "{5a1f3e2b-8c4d-4e6f-9a0b-1c2d3e4f5a6b}",
    [],
    ["2", 3],
    [""],
    {},
    {"employees": "X"},
    {"employments": None},
    {"employees": None},
    {"id": "Nummer"},
    {"id": 3},
    {"nope": "X"},
]
# Where the schema cannot say all: whether Python knows an encoding.
BEYOND_THE_SCHEMA = {("file", "encoding")}


def source_schema(kind: str) -> dict:
    return schema("config")["$defs"][f"{kind}_source"]


def schema_accepts(kind: str, block: dict) -> bool:
    return validator("config").is_valid({"source": {"type": kind, **block}})


def settings_accept(kind: str, block: dict) -> bool:
    try:
        SETTINGS[kind].from_settings({"type": kind, **block})
    except ConfigError:
        return False
    return True


def test_every_source_type_has_a_settings_class_and_a_schema():
    assert set(SETTINGS) == set(SOURCE_MODULES)
    assert schema("config")["properties"]["source"]["properties"]["type"]["enum"] == list(
        SOURCE_MODULES
    )
    for kind, settings_class in SETTINGS.items():
        assert dataclasses.is_dataclass(settings_class)
        assert settings_class.__dataclass_params__.frozen, kind
        assert source_schema(kind)["additionalProperties"] is False, kind


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_the_schema_allows_exactly_the_fields_of_the_settings_class(kind):
    allowed = set(source_schema(kind)["properties"]) - {"type"}
    assert allowed == {f.name for f in dataclasses.fields(SETTINGS[kind])}


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_required_keys_and_defaults_agree(kind):
    properties = source_schema(kind)["properties"]
    required = set()
    for spec in dataclasses.fields(SETTINGS[kind]):
        if spec.default is not dataclasses.MISSING:
            default = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            default = spec.default_factory()
        else:
            required.add(spec.name)
            continue
        # base_url: a URL with /v1 is read as the host; the default is the host already
        assert properties[spec.name].get("default") == default, spec.name
    assert set(source_schema(kind).get("required", [])) == required
    assert set(MINIMAL[kind]) == required


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_the_default_variables_of_the_workflows_are_the_settings_defaults(kind):
    """gitops/workflows.DEFAULT_ENV names the secrets CI must pass; they are the defaults of the
    `*_env` fields, which are the variables a connector reads."""
    env_defaults = {
        f.name: f.default for f in dataclasses.fields(SETTINGS[kind]) if f.name.endswith("_env")
    }
    assert DEFAULT_ENV.get(("source", kind), {}) == env_defaults


@pytest.mark.parametrize(
    ("kind", "key"),
    [(k, f.name) for k in sorted(SETTINGS) for f in dataclasses.fields(SETTINGS[k])],
)
def test_schema_and_settings_accept_and_refuse_the_same_values(kind, key):
    differ = []
    for value in SAMPLES:
        block = {**MINIMAL[kind], key: value}
        by_schema, by_settings = schema_accepts(kind, block), settings_accept(kind, block)
        if by_schema != by_settings and not (
            (kind, key) in BEYOND_THE_SCHEMA and by_schema and not by_settings
        ):
            differ.append((value, f"schema {by_schema}", f"settings {by_settings}"))
    assert differ == []


def test_every_template_block_is_valid_for_both():
    from reconciler.scaffold import SOURCE_BLOCKS

    for kind, block in SOURCE_BLOCKS.items():
        settings = yaml.safe_load(block.format(path="hris/export.csv"))["source"]
        assert validator("config").is_valid({"source": settings}), kind
        assert isinstance(SETTINGS[kind].from_settings(settings), SETTINGS[kind])


# -- the errors a person sees ---------------------------------------------------------------

BAD_TYPE = {
    "file": ("delimiter", "|"),
    "personio": ("page_size", "many"),
    "hibob": ("show_inactive", "yes"),
    "afas": ("take", "ten"),
    "nmbrs": ("company_id", "acme"),
}


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_an_unknown_key_is_named_with_the_file_and_a_near_miss(kind):
    near = (
        next(f.name for f in dataclasses.fields(SETTINGS[kind]) if f.name.endswith("_env"))
        if (kind != "file")
        else "encoding"
    )
    typo = near[:-1] + near[-1] * 2  # token_envv, encodingg
    with pytest.raises(ConfigError) as raised:
        SETTINGS[kind].from_settings({"type": kind, **MINIMAL[kind], typo: "X"})
    message = str(raised.value)
    assert message.startswith("hrsync.yaml: ")
    assert f"'source.{typo}' is not a setting of source type {kind}" in message
    assert f"did you mean {near}?" in message


def test_an_unknown_key_without_a_near_miss_lists_the_settings():
    with pytest.raises(ConfigError, match="the settings are path, encoding, delimiter"):
        FileSettings.from_settings({"type": "file", "path": "x.csv", "salary_column": "x"})


def test_an_unknown_nested_key_is_named_with_its_block():
    with pytest.raises(
        ConfigError, match=r"'source.connectors.employes' .* did you mean employees"
    ):
        AfasSettings.from_settings({**MINIMAL["afas"], "connectors": {"employes": "X"}})


@pytest.mark.parametrize("kind", sorted(BAD_TYPE))
def test_a_value_of_the_wrong_kind_is_named(kind):
    key, value = BAD_TYPE[kind]
    with pytest.raises(ConfigError) as raised:
        SETTINGS[kind].from_settings({"type": kind, **MINIMAL[kind], key: value})
    assert str(raised.value).startswith(f"hrsync.yaml: source.{key} must be ")
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize(("kind", "key"), [(k, key) for k in sorted(MINIMAL) for key in MINIMAL[k]])
def test_a_missing_required_key_is_named(kind, key):
    block = {k: v for k, v in MINIMAL[kind].items() if k != key}
    with pytest.raises(
        ConfigError, match=f"^hrsync.yaml: source.{key} is required for source type {kind}"
    ):
        SETTINGS[kind].from_settings({"type": kind, **block})


def test_null_means_the_default_only_where_the_default_is_none():
    assert AfasSettings.from_settings({**MINIMAL["afas"], "dossier_item_type": None}) == (
        AfasSettings.from_settings(MINIMAL["afas"])
    )
    with pytest.raises(ConfigError, match=r"source.take is empty \(null\)"):
        AfasSettings.from_settings({**MINIMAL["afas"], "take": None})


def test_a_huge_value_is_quoted_cut_short():
    with pytest.raises(ConfigError) as raised:
        PersonioSettings.from_settings({"page_size": "9" * 100_000})
    assert len(str(raised.value)) < 200


def test_the_connector_reads_only_its_settings_after_construction():
    """What the block held is in the dataclass; the source keeps no dict of settings."""
    settings = AfasSettings.from_settings(
        {**MINIMAL["afas"], "fields": {"email": "Mail"}, "dossier_item_type": "19"}
    )
    assert settings.fields["email"] == "Mail" and settings.fields["id"] == "Medewerker"
    assert settings.dossier_item_type == 19
    assert settings.employments_order_by == "Medewerker,Begindatum_functie"
    assert settings.connectors["functions"] is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.take = 5


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_every_source_holds_its_settings_and_no_raw_block(kind, tmp_path):
    from tests.e2e.vendors import VENDORS

    block = {"type": kind, **MINIMAL[kind], "base_url": "http://127.0.0.1:9"}
    block = {k: v for k, v in block.items() if k in source_schema(kind)["properties"]}
    source = open_source(block, tmp_path, VENDORS[kind].env if kind in VENDORS else {})
    try:
        assert source.config == SETTINGS[kind].from_settings(block)
        assert block not in vars(source).values() and not hasattr(source, "settings")
    finally:
        source.close()


# -- the same through the command line: exit 1, the file, the line, the key ---------------


def edited(root: Path, change) -> None:
    path = root / "hrsync.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config["source"])
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def fetch_refused(root: Path) -> str:
    result = CliRunner().invoke(cli, ["-C", str(root), "fetch"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


CLI_CASES = {
    "unknown key": lambda kind: (
        lambda block: block.update(salary_column="x"),
        "unknown key 'salary_column'",
    ),
    "bad type": lambda kind: (
        lambda block: block.update({BAD_TYPE[kind][0]: BAD_TYPE[kind][1]}),
        f"source.{BAD_TYPE[kind][0]}: ",
    ),
}


@pytest.mark.parametrize(("kind", "case"), list(itertools.product(sorted(SETTINGS), CLI_CASES)))
def test_hrsync_names_the_key_and_the_line(kind, case, tmp_path):
    root = tmp_path / "company"
    init_repository(root, source=kind)
    change, expected = CLI_CASES[case](kind)
    edited(root, change)

    stderr = fetch_refused(root)

    assert "Invalid hrsync.yaml, line" in stderr and expected in stderr


@pytest.mark.parametrize(("kind", "key"), [(k, key) for k in sorted(MINIMAL) for key in MINIMAL[k]])
def test_hrsync_names_a_missing_required_key(kind, key, tmp_path):
    root = tmp_path / "company"
    init_repository(root, source=kind)
    edited(root, lambda block: block.pop(key))

    assert f"source: '{key}' is a required property" in fetch_refused(root)


def test_what_only_the_connector_can_check_still_ends_in_one_line(tmp_path):
    root = tmp_path / "company"
    init_repository(root, source="file")
    edited(root, lambda block: block.update(encoding="klingon"))

    stderr = fetch_refused(root)

    assert stderr.strip() == (
        "Error: hrsync.yaml: source.encoding 'klingon' is not known (e.g. utf-8, cp1252, utf-16)"
    )
