"""XSS payloads and a helper that puts them into every text field of a story.

Shared by the embed tests and the desk-app tests. Every payload that would run calls
``alert(n)`` (or sets ``window.__xss``), so a browser test proves "nothing ran" by seeing no
dialog and no ``window.__xss``; the literal payload text must still be on the page.
"""

from __future__ import annotations

from typing import Any

TEXT_PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "</script><script>alert(3)</script>",
    "${alert(4)}",
    "`;alert(5);`",
    '"><svg onload=alert(6)>',
    "' onmouseover='alert(7)' x='",
    "javascript:alert(8)",
    "<!--<script>alert(9)//-->",
    "a\u2028alert(10)\u2029b",
    "{{7*7}}{% raw %}",
    '<a href="javascript:alert(11)">click</a>',
    "&lt;script&gt;alert(12)&lt;/script&gt;",
    '=HYPERLINK("http://evil.example","x")',
    "<iframe src=javascript:alert(13)></iframe>",
    "<style>*{display:none}</style>",
    "]]><script>window.__xss=1</script>",
    "\\u003cscript\\u003ealert(14)\\u003c/script\\u003e",
    "<details open ontoggle=alert(15)>",
    "');alert(16);//",
)

#: What Streamlit's markdown (st.markdown, st.title, radio labels, …) would turn into links,
#: images, LaTeX or styled text if user copy reached it unescaped. Numbered like the others.
MARKDOWN_PAYLOADS: tuple[str, ...] = (
    "[md-link](javascript:alert(30))",
    "![md-img](x onerror=alert(31))",
    "<javascript:alert(32)>",
    "[ref][r] [r]: javascript:alert(33)",
    "$\\href{javascript:alert(34)}{tex}$",
    ":red[directive] :material/warning: **bold**",
    "[offsite](https://evil.example/md)",
)

URL_PAYLOADS: tuple[str, ...] = (
    "javascript:alert(20)",
    "JaVaScRiPt:alert(21)",
    "data:text/html,<script>alert(23)</script>",
    "vbscript:msgbox(24)",
    "//evil.example/x",
    "https://example.org/a?b=<x>&c=\"'`${alert(25)}",
)

#: The one payload URL that is http(s) and must become a real link (escaped, not dropped).
SAFE_URL = URL_PAYLOADS[-1]

TEXT_KEYS = {
    "title",
    "summary",
    "region",
    "source",
    "attributed_to",
    "qualifier",
    "note",
    "actor",
    "statement",
    "name",
    "place",
    "district",
    "province",
    "outcome",
    "notes",
    "text",
}
MAX_LEN = {"qualifier": 50, "district": 200, "province": 200, "region": 200, "period": 200}


def all_payloads(payloads: tuple[str, ...] = TEXT_PAYLOADS) -> str:
    return " ".join(payloads)


def _fill(node: Any, pick, counter: list[int]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "url":
                out[key] = URL_PAYLOADS[counter[0] % len(URL_PAYLOADS)]
                counter[0] += 1
            elif key == "cues" and isinstance(value, list):
                out[key] = [pick(counter, "cues") for _ in value] or [pick(counter, "cues")]
            elif (
                key in TEXT_KEYS
                or (key == "period" and isinstance(value, str))
                or (key == "source" and isinstance(value, str))
            ) and (value is None or isinstance(value, str)):
                out[key] = pick(counter, key)
            else:
                out[key] = _fill(value, pick, counter)
        return out
    if isinstance(node, list):
        return [_fill(v, pick, counter) for v in node]
    return node


def poison_story(
    story: Any, round_: int | None = None, payloads: tuple[str, ...] = TEXT_PAYLOADS
) -> Any:
    """A copy of ``story`` with a payload in every text field and a hostile URL on every
    source. ``round_=None`` puts all payloads (cut to each field's limit) in every field;
    ``round_=k`` gives field j the single payload (j + k) mod N."""
    from geo.model import Story

    def pick(counter: list[int], key: str) -> str:
        counter[0] += 1
        if round_ is None:
            text = all_payloads(payloads)
        else:
            text = payloads[(counter[0] + round_) % len(payloads)]
        return text[: MAX_LEN.get(key, 500)].strip()

    doc = story.model_dump(mode="json")
    for claim in doc.get("claims", []):
        claim["period"] = claim.get("period") or "x"
    for inc in doc.get("incidents", []):
        for key in ("place", "outcome", "actor", "notes", "district", "province"):
            inc.setdefault(key, "x")
            if inc[key] is None:
                inc[key] = "x"
        if not inc.get("sources"):
            inc["sources"] = [{"name": "x", "url": None}]
        for src in inc["sources"]:
            src["url"] = src.get("url") or "x"
    for src in doc.get("sources", []):
        src["url"] = src.get("url") or "x"
    doc["region"] = doc.get("region") or "x"
    for r in doc.get("responsibility", []):
        r["statement"] = r.get("statement") or "x"
    return Story.model_validate(_fill(doc, pick, [0]))
