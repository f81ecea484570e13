"""The objects every stage shares: a sentence with its offsets, and a draft in the making."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from geo.taxonomy import AttackType, Infrastructure

if TYPE_CHECKING:  # annotations only: the stages import this module, not the other way
    from geo.extract.claims import Counts
    from geo.extract.events import Cues
    from geo.extract.mentions import Site


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


@dataclass
class _Draft:
    sentence: Sentence
    index: int
    attack: Cues
    site: Site | None
    infra: list[Infrastructure]
    infra_cues: list[str]
    outcome: str | None
    outcome_cues: list[str]
    counts: Counts | None
    who: str | None
    agency: str | None
    unnamed: str | None = None
    unknown: str | None = None  # a place the copy names that the gazetteer does not know
    province: str | None = None
    extra: list[Sentence] = field(default_factory=list)
    extra_cues: list[str] = field(default_factory=list)
    actor: str | None = None
    second: AttackType | None = None  # another attack type the copy gives this attack
