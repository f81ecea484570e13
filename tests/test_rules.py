"""Every rule-file entry proves itself: its positive sentences fire it through the stage
that uses it, its negative sentences (near misses) do not. A rule is added with its proof."""

from __future__ import annotations

import pytest

from geo.extract import attack_cues, casualties, events, infrastructure, outcome, rules
from geo.extract.tokens import LemmaPhrase, tokenize


def _cases(name: str) -> list[tuple[rules.Entry, str, bool]]:
    out = []
    for entry in rules.entries(name):
        out += [(entry, s, True) for s in entry.positive]
        out += [(entry, s, False) for s in entry.negative]
    return out


def _id(case: tuple[rules.Entry, str, bool]) -> str:
    entry, sentence, positive = case
    return f"{entry.label}:{'+' if positive else '-'}:{sentence[:30]}"


@pytest.mark.parametrize("case", _cases("attack"), ids=_id)
def test_attack_trigger_examples(case):
    entry, sentence, positive = case
    assert (events._matches(entry, sentence, tokenize(sentence)) is not None) is positive
    if positive:  # and the stage reads the sentence as an attack (the cheap pass lets it in)
        assert attack_cues(sentence) is not None


@pytest.mark.parametrize("case", _cases("targets"), ids=_id)
def test_target_examples(case):
    entry, sentence, positive = case
    values = [v.value for v in infrastructure(sentence)[0]]
    assert (entry.value in values) is positive, values


@pytest.mark.parametrize("case", _cases("background"), ids=_id)
def test_background_and_discourse_cue_examples(case):
    entry, sentence, positive = case
    assert (entry.search(sentence, ()) is not None) is positive


@pytest.mark.parametrize("case", _cases("outcomes"), ids=_id)
def test_outcome_examples(case):
    entry, sentence, positive = case
    found = outcome(sentence)[0] or ""
    assert (entry.label in found) is positive, found


@pytest.mark.parametrize(
    "case",
    [
        (v, s, pos)
        for v in (
            rules.vocabulary("casualties", name)
            for name in ("security", "militants", "civilians", "dead_after")
        )
        for s, pos in [(x, True) for x in v.positive] + [(x, False) for x in v.negative]
    ],
    ids=lambda c: f"{c[0].value}:{'+' if c[2] else '-'}:{c[1][:30]}",
)
def test_casualty_vocabulary_examples(case):
    vocab, sentence, positive = case
    assert (getattr(casualties(sentence), vocab.expect) is not None) is positive


def test_every_rule_file_entry_has_both_kinds_of_example():
    for name in ("attack", "targets", "outcomes", "background"):
        for entry in rules.entries(name):
            assert entry.positive and entry.negative, (name, entry.label)


def test_an_entry_without_pattern_or_lemmas_is_refused():
    with pytest.raises(ValueError, match="give a pattern or lemmas"):
        rules.Entry(value="bombing", label="empty", positive=["x"], negative=["y"])


@pytest.mark.parametrize(
    ("phrase", "sentence", "hit"),
    [
        ("come under * fire", "The convoy came under heavy fire at dusk.", "came under heavy fire"),
        ("come under * fire", "The convoy comes under fire often.", "comes under fire"),
        ("storm", "Attackers stormed the jail.", "stormed"),
        ("bid to storm", "a failed bid to storm the camp", "bid to storm"),
    ],
)
def test_lemma_phrases_match_every_form(phrase, sentence, hit):
    span = LemmaPhrase.parse(phrase).find(tokenize(sentence))
    assert span is not None and sentence[span[0] : span[1]] == hit


def test_inflected_only_lemmas_skip_the_bare_noun():
    phrase = LemmaPhrase.parse("storm", inflected_only=True)
    assert phrase.find(tokenize("A storm hit the coast.")) is None
    assert phrase.find(tokenize("Gunmen stormed the post.")) is not None


@pytest.mark.parametrize(
    "example", rules.load("datelines")["example"], ids=lambda e: e["line"][:30]
)
def test_dateline_examples(example):
    from geo.extract import find_dateline

    found = find_dateline(example["line"])
    assert (found.place if found else "") == example["place"]
