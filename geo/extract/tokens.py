"""Stage 4, tokens: words with their lemmas, so rules name a word once ('storm') and match
every form the copy uses ('stormed', 'storming', 'storms').

Lemmas come from simplemma (a lookup lemmatizer with an English table; no model to
download), numbers from text2num (see :func:`geo.extract.claims._spelled_numbers`). A lemma
phrase in a rule file is a sequence of lemmas; ``*`` between two of them allows up to two
other words ('come under * fire' matches 'came under heavy fire').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
MAX_GAP = 2  # words a '*' in a lemma phrase may stand for


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lemma: str

    @property
    def inflected(self) -> bool:
        """The word is not its own lemma ('stormed', not 'storm')."""
        return self.text.lower() != self.lemma


@lru_cache(maxsize=65_536)
def lemma(word: str) -> str:
    import simplemma

    low = word.lower().replace("’", "'")
    if "-" in low:  # 'explosive-laden': lemmatise the head word, keep the compound
        head, _, tail = low.rpartition("-")
        return f"{head}-{simplemma.lemmatize(tail, lang='en').lower()}"
    return str(simplemma.lemmatize(low, lang="en")).lower()


class Tokens(tuple[Token, ...]):
    """A sentence's tokens, with the set of their lemmas and lower-cased forms (so a rule
    can tell at once that a word it needs is missing)."""

    vocabulary: frozenset[str]

    def __new__(cls, toks: list[Token]) -> Tokens:
        self = super().__new__(cls, toks)
        self.vocabulary = frozenset([t.lemma for t in toks] + [t.text.lower() for t in toks])
        return self


@lru_cache(maxsize=1024)
def tokenize(text: str) -> Tokens:
    """The words of a sentence with lemmas (cached: several stages read one sentence)."""
    return Tokens(
        [Token(m.group(), m.start(), m.end(), lemma(m.group())) for m in _WORD.finditer(text)]
    )


@dataclass(frozen=True)
class LemmaPhrase:
    """One phrase of lemmas, e.g. ('come', 'under', '*', 'fire')."""

    parts: tuple[str, ...]
    inflected_only: bool = False  # a one-word phrase matches only an inflected form

    @classmethod
    def parse(cls, phrase: str, inflected_only: bool = False) -> LemmaPhrase:
        return cls(tuple(phrase.lower().split()), inflected_only)

    def find(self, toks: tuple[Token, ...]) -> tuple[int, int] | None:
        """Character span of the first match in ``toks``, or None."""
        words = [p for p in self.parts if p != "*"]
        vocabulary = toks.vocabulary if isinstance(toks, Tokens) else {t.lemma for t in toks}
        if not words or not vocabulary.issuperset(words):
            return None  # a word of the phrase is missing: no need to walk the tokens
        for i, tok in enumerate(toks):
            if tok.lemma != words[0] and tok.text.lower() != words[0]:
                continue
            if self.inflected_only and len(words) == 1 and not tok.inflected:
                continue
            end = self._rest(toks, i + 1, 1)
            if end is not None:
                return tok.start, toks[end].end
        return None

    def _rest(self, toks: tuple[Token, ...], at: int, part: int) -> int | None:
        """Index of the last token when parts[part:] match from ``at`` (else None)."""
        if part >= len(self.parts):
            return at - 1
        want = self.parts[part]
        if want == "*":
            for skip in range(MAX_GAP + 1):
                end = self._rest(toks, at + skip, part + 1)
                if end is not None:
                    return end
            return None
        if at < len(toks) and (toks[at].lemma == want or toks[at].text.lower() == want):
            return self._rest(toks, at + 1, part + 1)
        return None
