"""Every word clinicline says, one catalog per language (fr, en), with voice and SMS variants.

A catalog is the TOML files of `prompts/<lang>/`, merged (each area keeps its own file: common.toml,
dialog.toml, sms.toml, voice.toml, notices.toml…; a key lives in one file only). A value is either a string,
used on every channel, or a table with `sms` and/or `voice` (and optionally `any`) entries:

    greeting = "Bonjour, ici {clinic}."
    choose_slot = { sms = "Répondez 1, 2 ou 3.", voice = "Appuyez sur 1, 2 ou 3." }

Placeholders are `str.format` fields; both languages have the same keys with the same placeholders
(tests/test_prompts.py proves it).
"""

from __future__ import annotations

import re
import string
import tomllib
from functools import cache
from pathlib import Path

LANGS = ("fr", "en")
HERE = Path(__file__).parent


class MissingPrompt(KeyError):
    pass


@cache
def catalog(lang: str) -> dict[str, object]:
    """The merged catalog of a language."""
    merged: dict[str, object] = {}
    for path in sorted((HERE / lang).glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, value in data.items():
            if key in merged:
                raise ValueError(f"prompt {key!r} defined twice ({path.name})")
            merged[key] = value
    return merged


def text(key: str, lang: str, channel: str = "sms") -> str:
    """The raw template of a key for a language and channel."""
    lang = lang if lang in LANGS else "fr"
    try:
        value = catalog(lang)[key]
    except KeyError as exc:
        raise MissingPrompt(f"{lang}:{key}") from exc
    if isinstance(value, dict):
        for variant in (channel, "any", "sms"):
            if variant in value:
                return value[variant]
        raise MissingPrompt(f"{lang}:{key}:{channel}")
    return value


# A value that ends a sentence with its own period ("jeu. 17 déc." before "."): one period, not two.
_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")


# French elides "de" before a name that starts with a vowel: "au nom d'Eve Roy", "le RDV d'Émile", never
# "de Eve" (only names: "de onze heures" keeps its "de").
_FR_DE_FIELD = re.compile(r"\b([Dd])e \{(name|\w+_name)\}")
_VOWEL_FIRST = re.compile(r"[AEIOUÀÂÄÉÈÊËÎÏÔÖÙÛÜaeiouàâäéèêëîïôöùûü]")


def _elided(template: str, values: dict) -> str:
    def field(m: re.Match) -> str:
        value = values.get(m.group(2))
        if isinstance(value, str) and _VOWEL_FIRST.match(value):
            return f"{m.group(1)}'{{{m.group(2)}}}"
        return m.group(0)

    return _FR_DE_FIELD.sub(field, template)


def render(key: str, lang: str, channel: str = "sms", **values) -> str:
    """A prompt with its placeholders filled in."""
    template = text(key, lang, channel)
    if lang == "fr" and "e {" in template and "name}" in template:
        template = _elided(template, values)
    said = template.format(**values)
    return _DOUBLE_PERIOD.sub(".", said) if ".." in said else said


def placeholders(template: str) -> set[str]:
    """The field names a template uses."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
