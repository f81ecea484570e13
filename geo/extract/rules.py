"""Rules as data: the extractor's vocabularies live in ``geo/extract/rules/*.toml``.

Each rule file holds entries a desk could read and extend: attack triggers per attack type
(``attack.toml``), target nouns per infrastructure (``targets.toml``), outcomes
(``outcomes.toml``), background and separate-event cues (``background.toml``), dateline
words and agencies (``datelines.toml``) and casualty group nouns (``casualties.toml``).
Every entry carries at least one positive and one negative example sentence of our own;
``tests/test_rules.py`` runs them all through the stage that uses the entry, so a rule is
added together with its proof. An entry matches by ``pattern`` (a regular expression on the
sentence, case-insensitive) and/or ``lemmas`` (lemma phrases, see :mod:`geo.extract.tokens`).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geo.extract.tokens import LemmaPhrase, Token


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positive: list[str] = Field(min_length=1, description="sentences the entry must match")
    negative: list[str] = Field(min_length=1, description="near misses it must not match")


class Entry(Examples):
    """One rule: what it means (``value``), how it is shown (``label``), how it matches."""

    value: str
    label: str
    pattern: str | None = None
    lemmas: list[str] = Field(default_factory=list)
    inflected_only: bool = False  # one-word lemmas: only 'stormed', never the noun 'storm'
    noun: bool = False  # a noun cue counts only when not a definite back-reference
    requires: str | None = None  # another pattern the sentence must also contain
    unless: str | None = None  # a pattern that cancels the entry in that sentence

    @model_validator(mode="after")
    def _matches_somehow(self) -> Entry:
        if not self.pattern and not self.lemmas:
            raise ValueError(f"rule '{self.label}': give a pattern or lemmas")
        return self

    @property
    def compiled(self) -> re.Pattern[str] | None:
        return _compile(self.pattern) if self.pattern else None

    @property
    def phrases(self) -> tuple[LemmaPhrase, ...]:
        return _phrases(tuple(self.lemmas), self.inflected_only)

    def search(self, sentence: str, toks: tuple[Token, ...]) -> tuple[int, int] | None:
        """Span of the first match in the sentence (pattern first, then lemma phrases)."""
        if self.requires and not _compile(self.requires).search(sentence):
            return None
        if self.unless and _compile(self.unless).search(sentence):
            return None
        rx = self.compiled
        if rx is not None:
            m = rx.search(sentence)
            if m:
                return m.span()
        for phrase in self.phrases:
            span = phrase.find(toks)
            if span:
                return span
        return None


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@cache
def _phrases(lemmas: tuple[str, ...], inflected_only: bool) -> tuple[LemmaPhrase, ...]:
    return tuple(LemmaPhrase.parse(p, inflected_only) for p in lemmas)


class Vocabulary(Examples):
    """A list of terms used as data (group nouns, casualty verbs), with its examples.
    Terms and prefixes are regular-expression fragments; ``expect`` says what a positive
    example must produce in the stage that uses the vocabulary."""

    value: str
    expect: str
    terms: list[str] = Field(min_length=1)
    prefixes: list[str] = Field(default_factory=list)


@cache
def load(name: str) -> dict[str, Any]:
    """A rule file as parsed TOML (package data: works from an installed wheel)."""
    text = (resources.files("geo.extract") / "rules" / f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def entries(name: str, table: str = "rule") -> tuple[Entry, ...]:
    """The ordered entries of one rule file (the order is their priority)."""
    return tuple(Entry(**raw) for raw in load(name).get(table, []))


@cache
def vocabulary(name: str, value: str) -> Vocabulary:
    for raw in load(name).get("vocabulary", []):
        if raw.get("value") == value:
            return Vocabulary(**raw)
    raise KeyError(f"{name}.toml has no vocabulary '{value}'")


def alternation(words: list[str]) -> str:
    """A regex alternation of words (longest first, so 'police officers' beats 'police')."""
    return "|".join(sorted(words, key=len, reverse=True))
