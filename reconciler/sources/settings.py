"""Reading a `source:` block of hrsync.yaml into a connector's settings dataclass.

Every connector has a frozen `<Vendor>Settings` dataclass: its fields are the keys the block
may hold and their defaults, the only place those live. `from_settings` reads each key once
through a `SettingsReader`, which refuses an unknown key, a missing required one, a value of
the wrong kind or out of range, each with a message naming hrsync.yaml and the key. After that
the connector reads only the dataclass.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import MISSING, fields

from reconciler.config import CONFIG_FILE
from reconciler.core.ids import shown
from reconciler.errors import ConfigError


class SettingsReader:
    def __init__(self, settings_class: type, settings: Mapping, source_type: str):
        self._settings = settings
        self._type = source_type
        self._fields = {f.name: f for f in fields(settings_class)}
        for key in settings:
            if key != "type" and key not in self._fields:
                raise self._unknown(f"source.{key}", key, self._fields)

    def _error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{CONFIG_FILE}: source.{key} {message}")

    def _unknown(self, path: str, key, known: Collection[str]) -> ConfigError:
        near = difflib.get_close_matches(str(key), list(known), n=1)
        hint = f"did you mean {near[0]}?" if near else f"the settings are {', '.join(known)}"
        return ConfigError(
            f"{CONFIG_FILE}: {shown(path)} is not a setting of source type {self._type}; {hint}"
        )

    def _default(self, key: str):
        spec = self._fields[key]
        if spec.default is not MISSING:
            return spec.default
        if spec.default_factory is not MISSING:
            return spec.default_factory()
        return MISSING

    def _given(self, key: str):
        """The value set for `key`, or MISSING. null counts as not set where the default is
        None (an optional setting); anywhere else it is an error."""
        if key not in self._settings:
            return MISSING
        value = self._settings[key]
        if value is None:
            if self._default(key) is None:
                return MISSING
            raise self._error(key, "is empty (null); leave it out for the default")
        return value

    def _value(self, key: str):
        value = self._given(key)
        if value is not MISSING:
            return value
        default = self._default(key)
        if default is MISSING:
            hint = self._fields[key].metadata.get("hint")
            raise self._error(
                key, f"is required for source type {self._type}" + (f", {hint}" if hint else "")
            )
        return default

    def text(self, key: str, *, numbers: bool = False) -> str | None:
        """Text with something in it, stripped; None only for an optional setting left out.
        With `numbers`, a number is taken as its digits: YAML reads `domain: 12345` or a folder
        id `4242` as a number where the HRIS means a name."""
        value = self._value(key)
        if value is None:  # an optional setting left out
            return None
        text = _text(value, numbers)
        if text is None:
            wanted = "must not be empty" if isinstance(value, str) else "must be text"
            raise self._error(key, f"{wanted}, not {shown(value)}")
        return text

    def whole(self, key: str, lowest: int = 1, highest: int | None = None) -> int:
        """A count: a whole number from `lowest` to `highest`."""
        value = self._value(key)
        number = _whole(value)
        if number is None or number < lowest or (highest is not None and number > highest):
            span = f"from {lowest} to {highest}" if highest is not None else f"of at least {lowest}"
            raise self._error(key, f"must be a whole number {span}, not {shown(value)}")
        return number

    def number_id(self, key: str, meaning: str) -> int | None:
        """The number of something in the HRIS (`meaning`): a number, or its digits in quotes
        (as copied from a URL); None for an optional setting left out."""
        value = self._value(key)
        if value is None:
            return None
        # a length bound before int(): 5000 digits make int() raise instead of this message
        digits = isinstance(value, str) and len(value) <= 18 and value.isascii()
        number = int(value) if digits and value.isdigit() else _whole(value)
        if number is None or number < 1:
            raise self._error(key, f"must be {meaning}, not {shown(value)}")
        return number

    def flag(self, key: str) -> bool:
        value = self._value(key)
        if not isinstance(value, bool):
            raise self._error(key, f"must be true or false, not {shown(value)}")
        return value

    def choice(self, key: str, allowed: Collection[str], described: str | None = None) -> str:
        """One of `allowed` (None for an optional setting left out); `described` says which
        where their plain list would not read well."""
        value = self._value(key)
        if value is not None and (not isinstance(value, str) or value not in allowed):
            described = described or ", ".join(allowed)
            raise self._error(key, f"must be one of {described}, not {shown(value)}")
        return value

    def names(self, key: str, nullable: Collection[str] = ()) -> dict[str, str | None]:
        """A mapping of names (connector or field ids) laid over the default one: only its own
        keys, each text, or null for those in `nullable` (that thing is not used)."""
        defaults = self._default(key)
        given = self._given(key)
        if given is MISSING:
            return dict(defaults)
        if not isinstance(given, Mapping):
            raise self._error(key, f"must be a mapping of {', '.join(defaults)}")
        merged = dict(defaults)
        for name, value in given.items():
            if name not in defaults:
                raise self._unknown(f"source.{key}.{name}", name, defaults)
            text = _text(value, numbers=False)
            if text is None and not (value is None and name in nullable):
                null = " or null" if name in nullable else ""
                raise self._error(f"{key}.{name}", f"must be text{null}, not {shown(value)}")
            merged[name] = text
        return merged

    def text_list(self, key: str) -> tuple[str, ...] | None:
        """A list of ids (text or numbers); None when not set."""
        value = self._value(key)
        if value is None:
            return None
        items = [_text(item, numbers=True) for item in value] if isinstance(value, list) else None
        if items is None or None in items:
            raise self._error(key, f"must be a list of ids, not {shown(value)}")
        return tuple(items)


def _text(value, numbers: bool) -> str | None:
    """`value` as text with something in it, or None when it is not that."""
    if numbers and _whole(value) is not None:
        return str(_whole(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _whole(value) -> int | None:
    """A whole number, or None. 1000.0 is one (JSON and its schemas say so); true is not."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None
