"""Wire copy → draft incidents: rule-based, deterministic, explainable, offline.

Desk editors get copy like the seed article and today type each incident by hand. This
package reads the copy and proposes drafts (``status: draft``) for the editor to check: one
per attacked place per attack, with the attack type, the infrastructure hit, the outcome,
casualty figures with who gave them, the sentences as evidence (with character offsets into
:attr:`Extraction.text`) and the cues that produced it, so an editor can see *why*.
Story-wide totals become casualty claims, kept apart from incidents and never summed.

The pipeline is a row of small stages over one article (see each module):

1. :mod:`~geo.extract.clean` — HTML, page furniture, invisible characters, not-English;
2. :mod:`~geo.extract.layout` — date stamp, dateline (where the copy was filed), filing date;
3. :mod:`~geo.extract.sentences` — sentences with exact offsets;
4. :mod:`~geo.extract.tokens` — words with lemmas (simplemma) and numbers (text2num);
5. :mod:`~geo.extract.mentions` — place mentions, which are sites, and where they are;
6. :mod:`~geo.extract.events` — attack triggers, targets and outcomes (rules as data in
   ``geo/extract/rules/*.toml``, each entry with example sentences that a test runs);
7. :mod:`~geo.extract.discourse` — background, refer-back sentences, one draft per attack;
8. :mod:`~geo.extract.claims` — casualty figures with attribution;
9. :mod:`~geo.extract.drafts` — the drafts and the story.

No model, no network: rules over sentences plus the offline gazetteer (``geo.gazetteer``)
and the district layer. A place is an attack site only when it is a Pakistani town or
district standing alone in its phrase, is not a demonym, a province or a foreign place, is
not the dateline and is not only the start or end of a route. An attack with no such place
becomes an unlocated draft, never a guess.
"""

from geo.extract.claims import attribution, casualties, deaths_total
from geo.extract.clean import clean_text, not_english, read_article, strip_html
from geo.extract.drafts import Extraction, extract_article, reference_date
from geo.extract.events import attack_cues, infrastructure, outcome
from geo.extract.layout import find_dateline
from geo.extract.mentions import _finder
from geo.extract.sentences import split_sentences

__all__ = [
    "Extraction",
    "_finder",
    "attack_cues",
    "attribution",
    "casualties",
    "clean_text",
    "deaths_total",
    "extract_article",
    "find_dateline",
    "infrastructure",
    "not_english",
    "outcome",
    "read_article",
    "reference_date",
    "split_sentences",
    "strip_html",
]
