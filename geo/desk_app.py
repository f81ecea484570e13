"""sitmap desk: browse, correct and publish situation maps (``sitmap desk``, or
``streamlit run streamlit_app.py`` in a checkout, which runs this script).

A thin UI: every decision (filters, validation, locating, imports, saves, exports) is made by
``geo.desk`` and ``geo.ops`` (the operations the CLI calls too); this file only lays out widgets. The map is
the export's own page (``geo.embed.render_html``) in a sandboxed iframe, wrapped in a small
bidirectional component: a marker click selects that incident here, and in "pick" mode a
click on the map drops the selected incident's point.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from contextlib import suppress
from typing import Any

try:
    import streamlit as st
except ImportError:  # the desk extra is not installed
    raise SystemExit(
        "error: the desk app needs the 'desk' extra; fix: pip install 'sitmap[desk]'"
    ) from None

from geo import desk, ops
from geo.errors import SitmapError, one_line
from geo.merge import apply_choices
from geo.model import Story
from geo.store import ConflictError, Store
from geo.taxonomy import AttackType, DatePrecision, GeoPrecision, Infrastructure, Status

st.set_page_config(page_title="sitmap desk", page_icon="🗺️", layout="wide")

MAP_SHARED_JS = """
/* The map's frame and what it is to show, shared by the two components below (both run in
   this page's window) and kept across their remounts: `want` is the view the desk asked
   for, `filtered` and `shown` what the frame was last told. */
const desk = window.__sitmapDesk || (window.__sitmapDesk = {
  frame: null, want: null, filtered: 'null', shown: ''
});
function tell(msg) {
  if (desk.frame && desk.frame.contentWindow) desk.frame.contentWindow.postMessage(msg, '*');
}
/* Bring the frame to the wanted view: its filter (only these ids, null: all) without
   reloading it, the selected incident's popup, pick mode. After a new map has loaded
   (`loaded`): its filter again, and the popup only when the selection changed too, or the
   popup's pan would push the other markers out. Nothing is told to a map page that has
   not loaded yet, or that is not the one the view was made for: its load tells it. */
function applyView(loaded) {
  const frame = desk.frame, want = desk.want;
  if (!frame || !want) return;
  frame.dataset.pick = want.pick ? '1' : '';
  frame.parentElement.classList.toggle('sm-picking', !!want.pick);
  if (!frame.dataset.loaded || frame.dataset.key !== want.key) return;
  const only = Array.isArray(want.show) ? want.show : null, onlyKey = JSON.stringify(only);
  if (loaded ? only !== null : desk.filtered !== onlyKey) tell({ type: 'sitmap:show', ids: only });
  desk.filtered = onlyKey;
  const selected = want.selected || '';
  if (desk.shown !== selected && selected) tell({ type: 'sitmap:highlight', id: selected });
  desk.shown = selected;
}
"""
MAP_JS = (
    MAP_SHARED_JS
    + r"""
/* After a marker click, once the rerun has put that incident in the editor, bring the
   editor into view and put the cursor in its Place field. */
function focusEditor(id) {
  const until = Date.now() + 8000;
  const step = () => {
    const ids = document.querySelector('input[aria-label="Incident id"]');
    const place = document.querySelector('input[aria-label="Place"]');
    if (ids && place && ids.value === id) {
      place.scrollIntoView({ block: 'nearest' });
      place.focus({ preventScroll: true });
    } else if (Date.now() < until) {
      requestAnimationFrame(step);
    }
  };
  requestAnimationFrame(step);
}

/* The map page: its HTML changes only with the story (an edit applied, a story switch),
   so on a filter or selection rerun this component's message is the one Streamlit already
   sent, and goes again as a reference to it (not the page's megabytes). */
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let host = parentElement.querySelector('div.sm-host');
  if (!host) {
    host = document.createElement('div');
    host.className = 'sm-host';
    parentElement.appendChild(host);
  }
  let frame = host.querySelector('iframe.sitmap-frame');
  if (!frame) {
    frame = document.createElement('iframe');
    frame.className = 'sitmap-frame';
    frame.setAttribute('sandbox', 'allow-scripts allow-popups allow-popups-to-escape-sandbox');
    frame.style.cssText = 'width:100%;border:1px solid #d9d6cf;border-radius:4px;display:block;background:#fff';
    host.appendChild(frame);
  }
  desk.frame = frame;
  frame.setAttribute('title', data.title);
  frame.style.height = data.height + 'px';
  if (frame.dataset.key !== data.key) {
    frame.dataset.key = data.key;
    frame.dataset.loaded = '';
    frame.onload = () => { frame.dataset.loaded = '1'; applyView(true); };
    frame.srcdoc = data.html;
  }
  applyView(false);
  if (frame._onMessage) window.removeEventListener('message', frame._onMessage);
  frame._onMessage = (e) => {
    if (e.source !== frame.contentWindow || !e.data) return;
    if (e.data.type === 'sitmap:select' && typeof e.data.id === 'string') {
      desk.shown = e.data.id;
      setTriggerValue('select', e.data.id);
      focusEditor(e.data.id);
    } else if (e.data.type === 'sitmap:click' && frame.dataset.pick) {
      const lat = Number(e.data.lat), lon = Number(e.data.lon);
      if (isFinite(lat) && isFinite(lon)) setTriggerValue('click', { lat: lat, lon: lon });
    }
  };
  window.addEventListener('message', frame._onMessage);
  return () => { if (frame._onMessage) window.removeEventListener('message', frame._onMessage); };
}
"""
)
MAP_VIEW_JS = (
    MAP_SHARED_JS
    + r"""
/* What the map shows (filters, selection, pick mode): a few bytes on most reruns. */
export default function (component) {
  desk.want = component.data;
  applyView(false);
}
"""
)
MAP_CSS = ".sm-picking iframe { outline: 3px solid #b3261e; outline-offset: -3px; }"
sitmap_map = st.components.v2.component("sitmap_map", js=MAP_JS, css=MAP_CSS)
sitmap_map_view = st.components.v2.component("sitmap_map_view", js=MAP_VIEW_JS)

#: Closing or reloading the tab with unsaved work asks first (the browser's own "Leave
#: site?" dialog): the working copy lives only in this page's session.
GUARD_JS = """
export default function (component) {
  window.__sitmapUnsaved = !!component.data.unsaved;
  if (!window.__sitmapGuard) {
    window.__sitmapGuard = (e) => {
      if (window.__sitmapUnsaved) { e.preventDefault(); e.returnValue = ''; }
    };
    window.addEventListener('beforeunload', window.__sitmapGuard);
  }
}
"""
unsaved_guard = st.components.v2.component("sitmap_unsaved_guard", js=GUARD_JS)

#: The map's frame and the editor beside it: both in view at 1280×800 under the header.
MAP_HEIGHT = 360
MAP_FRAME_HEIGHT = 560
EDITOR_HEIGHT = 600
#: Less chrome above the work: Streamlit's top padding and a title sized for a laptop.
PAGE_CSS = """<style>
.block-container { padding-top: 2.2rem; padding-bottom: 2rem; }
.block-container h1 { font-size: 1.7rem; padding: 0 0 .2rem; }
</style>"""

#: How often an open page asks the store whether someone else saved this story (seconds).
STALE_POLL_S = 3.0
#: Steps "Undo last change" can go back (per story, in this page).
UNDO_DEPTH = 20

ss = st.session_state


# --- helpers ---------------------------------------------------------------------------------


#: Every piece of user copy (and every message that may quote it) goes through this before
#: any Streamlit call that renders markdown: see ``geo.desk.md``.
md = desk.md
#: A widget label is also its accessible name, so it is written to need no escaping.
SOURCES_LABEL = "Sources (one per line: Name | link)"
SOURCES_HELP = "A link is optional and must start with http:// or https://."


# The resources below are keyed by their class: when `streamlit run` in a checkout re-imports
# the geo modules after a source edit, a cached object of the old class would fail the new
# modules' isinstance checks, so it is loaded again.


@st.cache_resource(show_spinner="Loading district boundaries…")
def _districts_layer(cls_id: int) -> Any:
    from geo import districts

    try:
        return districts.load(download=False, progress=False)
    except SitmapError:
        return None


def districts_layer() -> Any:
    from geo import districts

    return _districts_layer(id(districts.Districts))


@st.cache_resource(show_spinner="Building the place-name index once (about 15 s)…")
def _place_index(cls_id: int) -> Any:
    from geo.gazetteer import Gazetteer

    return Gazetteer.default()


def place_index() -> None:
    """Open the place-name index that geocoding and the paste step use (building it when
    this machine has none yet) under a spinner, before the first lookup or extraction.

    Called in the page where the button is, not in a callback: a callback's spinner is drawn
    at the top of the page, out of sight of the editor who clicked."""
    from geo import gazetteer

    with suppress(SitmapError):  # the lookup that needs it says why, on one line
        _place_index(id(gazetteer.Gazetteer))


def store() -> Store:
    return desk.open_store(os.environ.get("SITMAP_STORE") or None)


def flash(kind: str, text: str) -> None:
    ss.setdefault("flash", []).append((kind, text))


def editor_name() -> str:
    return (ss.get("editor") or "").strip() or "desk editor"


def load_story(story_id: str) -> None:
    """Load the stored version (discarding any working copy of that story)."""
    loaded = store().load(story_id)
    ss.docs[story_id] = {
        "base": loaded.story,
        "rev": loaded.revision,
        "work": loaded.story,
        "saved": (loaded.saved_by, loaded.saved_at),
        "undo": [],
    }
    ss.story_id = story_id
    keep_selection()
    ss.gen = ss.get("gen", 0) + 1
    ss.pop("conflict", None)
    ss.pop("inc_errors", None)
    ss.pop("meta_errors", None)
    ss.pop("cands", None)
    ss.pop("exports", None)
    ss.pop("extract_msg", None)  # the sidebar's note was about the story left behind


def doc() -> dict[str, Any]:
    return ss.docs[ss.story_id]


def set_work(story: Story, undoable: bool = True) -> None:
    """Replace the working copy; the previous one can be brought back with Undo."""
    d = doc()
    if undoable and story != d["work"]:
        d.setdefault("undo", []).append(d["work"])
        del d["undo"][:-UNDO_DEPTH]
        # a conflict panel shown before this edit describes an older working copy: saving
        # again shows a fresh one (choosing from the old one would drop this edit)
        ss.pop("conflict", None)
    d["work"] = story
    keep_selection()


def refresh_forms(before: Story | None = None) -> None:
    """The working copy changed under the forms (a merge, undo, their changes brought in):
    new form keys, so every field shows the new values and a later Apply cannot write the
    old ones back over someone else's change. Text typed into the open incident but not
    applied yet (its field differs from ``before``, the copy it was typed over) is carried
    into the new form, so no keystroke is lost."""
    typed: dict[str, Any] = {}
    inc = (
        next((i for i in before.incidents if i.id == ss.get("inc_select")), None)
        if before
        else None
    )
    if inc is not None:
        old = prefix()
        typed = {
            k: ss[old + k]
            for k, v in desk.incident_values(inc).items()
            if old + k in ss and not desk.same_value(ss[old + k], v)
        }
    ss.gen = ss.get("gen", 0) + 1
    new = prefix()
    for k, v in typed.items():
        ss[new + k] = v
    ss.pop("inc_errors", None)
    ss.pop("meta_errors", None)


def keep_selection() -> None:
    """Re-assert the selected incident after its label may have changed (renamed place).

    The incident picker's browser side holds the option's *label*, not the id: a rename
    would make the next run's label unknown and drop the selection (closing the editor and
    the text just typed). Assigning the id again sends the new label to the browser."""
    if ss.get("inc_select") is not None:
        ss.inc_select = ss.inc_select


def select(incident_id: str | None) -> None:
    ss.inc_select = incident_id
    ss.pop("inc_errors", None)
    ss.pop("cands", None)


def prefix() -> str:
    return f"e{ss.gen}:{ss.get('inc_select')}:"


# --- callbacks -------------------------------------------------------------------------------


def on_pick_story() -> None:
    sid = ss.story_pick
    ss.pop("extract_msg", None)
    if sid in ss.docs:
        ss.story_id = sid
        ss.gen += 1
    else:
        load_story(sid)


def on_apply_incident() -> None:
    work = doc()["work"]
    old_id = ss.inc_select
    base = next((i for i in work.incidents if i.id == old_id), None)
    if base is None:
        return
    p = prefix()
    values = {k: ss.get(p + k) for k in desk.incident_values(base)}
    values["district_match"] = ss.get(p + "district_match", base.district_match)
    inc, errors = desk.build_incident(values, base)
    if inc is None:
        ss.inc_errors = errors
        return
    outside, _ = ops.check_incident(inc, work.country, districts_layer())
    if outside:
        ss.inc_errors = {"_": outside}
        return
    if inc == base:
        ss.pop("inc_errors", None)
        flash("info", f"Nothing to apply: “{inc.place or inc.id}” is unchanged.")
        return
    new, problem = desk.replace_incident(work, old_id, inc)
    if new is None:
        ss.inc_errors = {"id": problem}
        return
    set_work(new)
    ss.pop("inc_errors", None)
    if inc.id != old_id:
        ss.inc_select = inc.id
    kept = desk.remember_place(store(), base, inc, work.id, editor_name(), districts_layer())
    flash(
        "success",
        f"Incident “{inc.place or inc.id}” updated — not saved yet." + (f" {kept}" if kept else ""),
    )


def on_add_incident() -> None:
    work = doc()["work"]
    inc = desk.blank_incident(work)
    new, problem = desk.add_incident(work, inc)
    if new is None:
        flash("error", problem or "the incident could not be added")
        return
    set_work(new)
    select(inc.id)
    flash("info", "New incident added as a draft: fill in its fields, then apply and save.")


def on_delete_incident() -> None:
    iid = ss.inc_select
    set_work(desk.delete_incident(doc()["work"], iid))
    select(None)
    flash("info", f"Incident '{iid}' deleted — not saved yet (Undo brings it back).")


def on_undo() -> None:
    d = doc()
    if d.get("undo"):
        d["work"] = d["undo"].pop()
        keep_selection()
        refresh_forms()
        flash("info", "Undid the last change.")


def on_discard() -> None:
    load_story(ss.story_id)
    flash("info", "Discarded your unsaved changes; this is the stored version.")


def on_rebase() -> None:
    """Bring the latest stored revision into this page without saving: their changes plus
    my unsaved ones. When we both changed a field nothing moves; saving shows both values."""
    d = doc()
    loaded = store().load(ss.story_id)
    merged, conflicts = desk.rebase(d["base"], d["work"], loaded.story)
    if conflicts:
        what = ", ".join(c.label or c.field for c in conflicts[:5])
        flash(
            "warning",
            f"You both changed {what}: nothing was brought in. Save to choose, field by "
            "field, whose value to keep.",
        )
        return
    before = d["work"]
    d.update(
        base=loaded.story,
        rev=loaded.revision,
        work=merged,
        saved=(loaded.saved_by, loaded.saved_at),
        undo=[],
    )
    keep_selection()
    refresh_forms(before)
    flash("success", f"Now at revision {loaded.revision}: their changes are in, yours kept.")


def set_fields(updates: dict[str, Any]) -> None:
    p = prefix()
    for k, v in updates.items():
        ss[p + k] = v


def look_up() -> None:
    query = ss.get(prefix() + "query") or ""
    if query.strip():
        place_index()
    ss.cands, ss.cands_msg = desk.geocode(
        query, online=bool(ss.get("geocode_online")), store=store()
    )


def on_use_candidate() -> None:
    cands = {desk.candidate_label(c): c for c in ss.get("cands") or []}
    chosen = cands.get(ss.get(prefix() + "cand") or "")
    if chosen is None:
        return
    set_fields(desk.candidate_updates(chosen))
    ss.pop("cands", None)
    flash("info", "Location filled in from the gazetteer: check it, then apply.")


def on_unlocate() -> None:
    set_fields(desk.UNLOCATED_UPDATES)


def on_save(base_revision: int | None = None) -> None:
    d = doc()
    base = d["rev"] if base_revision is None else base_revision
    try:
        rev, found = ops.save_story(
            store(), d["work"], base, editor=editor_name(), districts=districts_layer()
        )
    except ConflictError as err:
        ss.conflict = err
        for k in [k for k in ss if str(k).startswith("choice:")]:
            del ss[k]  # choices made for an earlier conflict do not carry over
        return
    except SitmapError as err:
        flash("error", f"Not saved: {one_line(err)}")
        return
    ss.pop("conflict", None)
    ss.pop("exports", None)
    d.update(saved=(editor_name(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
    d["undo"] = []
    merged = base is not None and rev != base + 1 and store().load_revision(d["work"].id, rev)
    if merged:  # the store merged another editor's save with mine: show what was written
        before = d["work"]
        d.update(base=merged, work=merged, rev=rev)
        keep_selection()
        refresh_forms(before)
        flash("success", f"Saved as revision {rev}, merged with the changes saved since {base}.")
    else:
        d.update(base=d["work"], rev=rev)
        flash("success", f"Saved as revision {rev}.")
    for line in found.warnings[:5]:
        flash("warning", line)


def on_resolve() -> None:
    """Save with the editor's choice in each field we both changed (keep mine / take
    theirs) and theirs everywhere else: the store's merge (err.merged) already holds their
    other changes, so nothing of theirs reverts."""
    err: ConflictError = ss.conflict
    if not err.fields or err.merged is None:
        return
    mine = {n for n in range(len(err.fields)) if ss.get(f"choice:{n}", KEEP_MINE) == KEEP_MINE}
    before = doc()["work"]
    set_work(apply_choices(err.merged, err.fields, keep_mine=mine), undoable=False)
    doc().update(base=err.theirs or doc()["base"], rev=err.current_revision)
    refresh_forms(before)
    on_save(err.current_revision)


def on_recreate() -> None:
    """The story was deleted after I loaded it: save my version as a new story."""
    on_save(None)


KEEP_MINE, TAKE_THEIRS = "Keep mine", "Take theirs"


def review_marks(work: Story) -> list[Any]:
    """The copy review's marks for this story's pasted copy (remembered per copy and
    working copy: see ``desk.remembered``)."""
    rv = ss.get("review") or {}
    if rv.get("story") != work.id:
        return []
    marks = desk.remembered(
        rv,
        "marks",
        (rv["copy"], work),
        lambda: desk.review_marks(rv["copy"], work, store=store(), layer=districts_layer()),
    )
    return list(marks)


def map_page(work: Story, layer: Any) -> tuple[str, str]:
    """The map's page for this working copy and the key the component reloads it by."""
    html = desk.map_html(work, layer, height=MAP_HEIGHT)
    return html, hashlib.sha1(html.encode("utf-8")).hexdigest()


def on_review_place(start: int) -> None:
    """A place mention no draft uses → a draft pinned where the extractor would pin it."""
    from geo.extract.review import draft_from_mark

    work = doc()["work"]
    mark = next((m for m in review_marks(work) if m.start == start and m.place), None)
    if mark is None:
        return
    inc = draft_from_mark(work, mark, ss.review["copy"])
    new, problem = desk.add_incident(work, inc)
    if new is None:
        flash("error", problem or "the draft could not be added")
        return
    set_work(new)
    select(inc.id)
    flash("info", f"Draft “{inc.place}” added from the copy: set its attack type and date.")


def on_review_figure(start: int) -> None:
    """A figure no claim holds → a casualty claim, attributed as its sentence says."""
    from geo.extract.review import claim_from_mark

    work = doc()["work"]
    mark = next((m for m in review_marks(work) if m.start == start and m.figures), None)
    if mark is None:
        return
    claim = claim_from_mark(mark, ss.review["copy"])
    set_work(work.model_copy(update={"claims": [*work.claims, claim]}))
    refresh_forms(work)  # the claims grid shows the new row
    flash("info", f"Claim from “{mark.text}” added: check its source and attribution.")


def on_reload() -> None:
    load_story(ss.story_id)
    flash("info", "Reloaded the stored version; your unsaved changes were discarded.")


def on_apply_meta() -> None:
    work = doc()["work"]
    p = f"m{ss.gen}:{work.id}:"
    values = {k: ss.get(p + k) for k in desk.story_meta_values(work)}
    new, errors = desk.update_story_meta(work, values)
    rows = desk.edited_rows(desk.claim_rows(work), ss.get(p + "claims"))
    claims, claim_errors = desk.claims_from_rows(rows)
    if claim_errors:
        errors["claims"] = "; ".join(claim_errors)
    if errors or new is None:
        ss.meta_errors = errors
        return
    set_work(new.model_copy(update={"claims": claims}))
    ss.pop("meta_errors", None)
    flash("success", "Story details updated — not saved yet.")


def on_new_story() -> None:
    story, errors = desk.new_story(ss.get("new_id", ""), ss.get("new_title", ""))
    if story is None:
        ss.new_errors = errors
        return
    try:
        store().save(story, None, editor=editor_name())
    except ConflictError:
        ss.new_errors = {"id": f"a story with id '{story.id}' already exists; choose another"}
        return
    ss.pop("new_errors", None)
    load_story(story.id)
    flash("success", f"Created “{story.title}”.")


def on_import() -> None:
    up = ss.get("upload")
    ss.pop("import_errors", None)
    if up is None:
        ss.import_errors = ["choose a story GeoJSON file first"]
        return
    layer = districts_layer()
    story, errors = desk.parse_upload(up.name, up.getvalue(), layer)
    if story is None:
        ss.import_errors = errors
        return
    try:
        report, found = ops.import_story(
            story,
            store(),
            replace=bool(ss.get("import_replace")),
            editor=editor_name(),
            districts=layer,
        )
    except SitmapError as err:
        ss.import_errors = [one_line(err)]
        return
    load_story(report.story_id)
    verb = "Replaced" if report.replaced else "Imported"
    flash("success", f"{verb} “{story.title}” ({report.incidents} incidents).")
    for line in found.warnings[:5]:
        flash("warning", line)


def extract() -> None:
    """Drafts from the pasted copy (run in the sidebar, before the editor's widgets)."""
    text = ss.get("article") or ""
    work = doc()["work"]
    if text.strip():
        place_index()
    found, reason = desk.extract(text, work.id, ss.get("article_published"), store=store())
    if found is not None and found.text.strip():
        ss.review = {"story": work.id, "copy": found.text}  # the copy review reads it
    drafts: Story | None = None
    if found is not None:
        if found.story.incidents or found.story.claims:
            drafts, reason = found.story, found.reason
        else:
            reason = found.reason or "no attacks found in this text"
    if drafts is None:
        ss.extract_msg = ("warning", reason or "no draft incidents found")
        return
    new, result = desk.add_drafts(work, drafts)
    added = result.added
    set_work(new)
    refresh_forms(work)  # drafts that got their date now show it in the editor
    note = f" ({reason})" if reason else ""
    undated = sum(1 for i in drafts.incidents if i.date is None)
    if undated:
        note += (
            f". {undated} of them have no date: the copy gives no year — set "
            "“Published” and extract again, or enter the dates"
        )
    known = ""
    if result.known:
        known = f" {len(result.known)} were already in the story and were not added again"
        known += f" ({len(result.dated)} of them now dated)." if result.dated else "."
    ss.extract_msg = (
        "success",
        f"Added {len(added)} draft incident(s) for review{note}.{known} Drafts are never "
        "verified automatically: check each one, then save.",
    )
    if added:
        select(added[0])


# --- page --------------------------------------------------------------------------------------

ss.setdefault("docs", {})
ss.setdefault("gen", 0)
ss.setdefault("editor", os.environ.get("SITMAP_EDITOR", ""))

try:
    with st.spinner("Opening the story store…"):
        infos = store().list()
except SitmapError as failure:
    st.error(md(one_line(failure)))
    st.stop()

with st.sidebar:
    st.markdown("## sitmap desk")
    st.text_input("Your name (recorded with each save)", key="editor", placeholder="desk editor")
    st.markdown("#### Stories")
    if not infos:
        st.info("No stories yet: create one or import a story file below.")
    else:
        ids = [s.id for s in infos]
        if ss.get("story_id") not in ids:
            load_story(ids[0])
        ss.story_pick = ss.story_id
        by_id = {s.id: s for s in infos}
        st.radio(
            "Story",
            ids,
            key="story_pick",
            on_change=on_pick_story,
            label_visibility="collapsed",
            format_func=lambda i: (
                f"**{md(by_id[i].title)}**  \n{md(by_id[i].period or 'no dates')} · "
                f"{by_id[i].incident_count} incidents · rev {by_id[i].revision}, edited "
                f"{by_id[i].saved_at[:10]} by {md(by_id[i].saved_by or '?')}"
            ),
        )
    with st.expander("New story"):
        errs = ss.get("new_errors", {})
        st.text_input("Story id", key="new_id", placeholder="karachi-2026-03-05")
        if errs.get("id"):
            st.error(md(errs["id"]))
        st.text_input("Title", key="new_title")
        if errs.get("title"):
            st.error(md(errs["title"]))
        st.button("Create story", on_click=on_new_story)
    with st.expander("Import a story file"):
        st.file_uploader(
            "Story GeoJSON", type=["geojson", "json"], key="upload", help="Up to 20 MB."
        )
        st.checkbox("Replace the stored story with the same id", key="import_replace")
        st.button("Import", on_click=on_import)
        if ss.get("import_errors"):
            errs = ss.import_errors
            shown = errs[: desk.MAX_ERRORS_SHOWN]
            more = f"\n\n…and {len(errs) - len(shown)} more." if len(errs) > len(shown) else ""
            st.error(
                f"Nothing was imported ({len(errs)} problem{'s' if len(errs) > 1 else ''}):\n\n"
                + "\n".join(f"- {md(e)}" for e in shown)
                + more
            )
    if infos:
        with st.expander("Paste wire copy → draft incidents"):
            st.text_area("Article text", key="article", height=180)
            st.date_input(
                "Published",
                value=None,
                key="article_published",
                format="YYYY-MM-DD",
                help="The day the copy was filed. Used only when its dateline has no year "
                "(“QUETTA, Feb. 1 (Reuters)”); a dated dateline always wins. Left empty, "
                "such drafts stay undated rather than guessed.",
            )
            if st.button("Extract drafts"):
                extract()
            if ss.get("extract_msg"):
                kind, text = ss.extract_msg
                getattr(st, kind)(md(text))

if not infos:
    st.title("sitmap desk")
    st.write("Create a story or import a story file from the sidebar to begin.")
    st.stop()

st.html(PAGE_CSS)

d = doc()
work: Story = d["work"]
layer = districts_layer()
info = {s.id: s for s in infos}[ss.story_id]
# what this page works out from the story on every rerun, kept with the working copy it
# was made from (a filter or a click reruns the whole script: nothing here is redone)
memo = d.setdefault("memo", {})
#: located incidents in the working copy: each Story.located is a pass over every incident
located_n = desk.remembered(memo, "located", (work,), lambda: len(work.located))
incident_by_id = desk.remembered(
    memo, "incident_by_id", (work,), lambda: {i.id: i for i in work.incidents}
)

# header and save bar
saved_by, saved_at = d.get("saved") or (info.saved_by, info.saved_at)
st.title(md(work.title))
st.caption(
    f"{md(work.region or work.country)} · {md(desk.period_text(work))} · "
    f"{len(work.incidents)} incidents ({located_n} located) · "
    f"your copy is revision {d['rev']}, saved {(saved_at or '')[:16].replace('T', ' ')} UTC"
    f" by {md(saved_by or 'unknown')}"
)
changes = desk.remembered(memo, "unsaved", (d["base"], work), lambda: desk.unsaved(d["base"], work))
bar, s1, s2, s3 = st.columns([5, 2, 2, 2], vertical_alignment="center")
if changes.empty:
    bar.caption("All changes saved.")
else:
    bar.warning(f"Unsaved changes — {md(changes.summary(3))}")
s1.button(
    "Save to store",
    type="primary",
    on_click=on_save,
    disabled=changes.empty,
    key="save",
    width="stretch",
)
s2.button(
    "Undo last change",
    on_click=on_undo,
    disabled=not d.get("undo"),
    key="undo",
    width="stretch",
    help="Brings back the working copy as it was before your last apply, add, delete "
    "or extraction (not saved until you save).",
)
with s3.popover("Discard…", disabled=changes.empty, width="stretch"):
    st.markdown("Throw away every unsaved change and load the stored version?")
    st.button("Discard my unsaved changes", on_click=on_discard, key="discard")
unsaved_guard(key="guard", data={"unsaved": not changes.empty})


@st.fragment(run_every=STALE_POLL_S)
def behind_the_store() -> None:
    """Says, within seconds, when someone else saved this story after this page loaded it,
    what they changed, and offers to bring their changes in (mine are kept)."""
    d = doc()
    sid = ss.story_id
    try:
        current = store().revision(sid)
    except SitmapError:
        return  # the next save says why, on one line
    if current is None:
        st.warning(
            "This story was deleted from the store after you loaded it. Saving creates it "
            "again from your copy."
        )
        return
    if current == d["rev"]:
        ss.pop("behind", None)
        return
    key = (sid, d["rev"], current)
    if (ss.get("behind") or {}).get("key") != key:
        loaded = store().load(sid)
        ss.behind = {
            "key": key,
            "who": loaded.saved_by or "another editor",
            "when": (loaded.saved_at or "")[:16].replace("T", " "),
            "what": desk.unsaved(d["base"], loaded.story).summary(3),
        }
    b = ss.behind
    with st.container(border=True, key="behind"):
        st.warning(
            f"**This page is behind the store:** {md(b['who'])} saved revision {current} at "
            f"{md(b['when'])} UTC after you loaded revision {d['rev']}. They changed "
            f"{md(b['what'])}."
        )
        if st.button("Bring in their changes (yours are kept)", key="rebase", type="primary"):
            on_rebase()
            st.rerun(scope="app")


# Messages and panels that come and go sit in one container that is always there: what
# follows keeps its place in the page, so the map is not unmounted and drawn again.
notices = st.container()
with notices:
    for kind, text in ss.pop("flash", []):
        getattr(st, kind)(md(text))
    behind_the_store()

with notices:
    if ss.get("conflict") is not None:
        err: ConflictError = ss.conflict
        with st.container(border=True, key="conflict"):
            st.error("**Not saved: someone else saved this story after you opened it.**")
            st.markdown("\n".join(f"- {md(line)}" for line in desk.conflict_summary(err)))
            who = md(err.saved_by or "another editor")
            if err.fields and err.merged is not None:
                st.markdown(
                    f"Everything else merges. You and {who} both changed "
                    f"{len(err.fields)} field(s): choose whose value to keep in each."
                )
                for n, (what, mine, theirs) in enumerate(desk.conflict_choices(err)):
                    with st.container(border=True):
                        st.markdown(f"**{md(what)}**")
                        v1, v2 = st.columns(2)
                        v1.markdown(f"*Yours:* {md(mine)}")
                        v2.markdown(f"*{who}'s (revision {err.current_revision}):* {md(theirs)}")
                        st.radio(
                            f"Whose value to keep (field {n + 1})",  # a label is markdown: no copy
                            [KEEP_MINE, TAKE_THEIRS],
                            key=f"choice:{n}",
                            horizontal=True,
                            label_visibility="collapsed",
                        )
            c1, c2 = st.columns(2)
            if err.fields and err.merged is not None:
                c1.button(
                    "Save with these choices",
                    on_click=on_resolve,
                    key="resolve",
                    type="primary",
                )
            elif err.current_revision is None:
                c1.button("Save my version as a new story", on_click=on_recreate, key="recreate")
            c2.button("Reload their version (discard mine)", on_click=on_reload, key="reload")

# filters
opts = desk.remembered(memo, "options", (work,), lambda: desk.filter_options(work))
fk = f"f:{work.id}:"
c = st.columns([2, 2, 2, 2, 3])
hidden: Any = "collapsed"  # the label stays the accessible name; the placeholder shows it
flt = desk.Filters(
    attack_types=c[0].multiselect(
        "Attack type",
        opts["attack_types"],
        key=fk + "attack",
        format_func=desk.attack_label,
        placeholder="Attack type",
        label_visibility=hidden,
    ),
    infrastructure=c[1].multiselect(
        "Infrastructure",
        opts["infrastructure"],
        key=fk + "infra",
        format_func=desk.infra_label,
        placeholder="Infrastructure",
        label_visibility=hidden,
    ),
    districts=c[2].multiselect(
        "District",
        opts["districts"],
        key=fk + "district",
        placeholder="District",
        label_visibility=hidden,
    ),
    precisions=c[3].multiselect(
        "Precision",
        opts["precisions"],
        key=fk + "prec",
        format_func=desk.precision_label,
        placeholder="Precision",
        label_visibility=hidden,
    ),
)
bounds = desk.remembered(memo, "bounds", (work,), lambda: desk.date_bounds(work))
if bounds:
    # keyed by the story's date range: a later incident widens the filter to the new range
    dates = c[4].date_input(
        "Dates",
        value=bounds,
        min_value=None,
        max_value=None,
        key=f"{fk}dates:{bounds[0]}:{bounds[1]}",
        format="YYYY-MM-DD",
        label_visibility=hidden,
    )
    if isinstance(dates, tuple | list) and len(dates) == 2 and tuple(dates) != bounds:
        flt.date_from, flt.date_to = dates
shown = desk.filtered(work, flt)
# counted once a rerun (a filtered copy is new on every rerun)
shown_located = located_n if shown is work else len(shown.located)
shown_unlocated = (
    desk.remembered(memo, "unlocated", (work,), lambda: work.unlocated)
    if shown is work
    else shown.unlocated
)

# The map and the incident editor side by side (both in view on a 1280×800 laptop), the
# claims, the not-located list and the table below. The table is drawn before the editor
# (a row pick selects an incident, which must happen before the picker widget exists).
left, right = st.columns([3, 2])
below = st.container()
with left:
    pick_mode = ss.get("pick", False) and ss.get("inc_select") is not None
    result = None
    if flt.active and not shown_located and located_n:
        st.info(
            "None of the incidents matching these filters has a location, so there is "
            "nothing to map: they are listed under “Not located” and in the table below."
        )
    else:
        try:
            with st.spinner("Drawing the map…"):
                # the whole story's map, filtered inside the page: a filter change
                # does not reload it
                html, html_key = desk.remembered(
                    memo, "map", (work, layer), lambda: map_page(work, layer)
                )
            result = sitmap_map(
                key="map",
                data={
                    "html": html,
                    "key": html_key,
                    "height": MAP_FRAME_HEIGHT,
                    "title": f"Map: {work.title}",
                },
                on_select_change=lambda: None,
                on_click_change=lambda: None,
            )
            sitmap_map_view(
                key="map_view",
                data={
                    "key": html_key,
                    "pick": bool(pick_mode),
                    "selected": ss.get("inc_select"),
                    "show": [i.id for i in shown.incidents] if shown is not work else None,
                },
            )
        except SitmapError as failure:
            st.error(md(f"The map could not be drawn: {one_line(failure)}"))
    if result is not None:
        clicked_id = getattr(result, "select", None)
        if clicked_id and clicked_id in incident_by_id:
            select(clicked_id)
        click = getattr(result, "click", None)
        if click and pick_mode:
            prec = ss.get(prefix() + "geo_precision") or "town"
            set_fields(desk.point_updates(click["lon"], click["lat"], layer, prec))
            flash_point = f"Point set to {click['lat']:.4f}, {click['lon']:.4f}: apply to keep it."
            st.info(flash_point)
    st.caption(
        f"Showing {shown_located} of {located_n} located incidents"
        + (" (filtered)" if flt.active or shown is not work else "")
        + ". Click a marker to edit that incident."
    )

with below:
    cl, nl = st.columns(2)
    with cl:
        st.markdown("##### Casualty claims")
        if not work.claims:
            st.caption("No casualty claims recorded.")
        for claim in work.claims:
            by, figs = desk.claim_text(claim)
            with st.container(border=True):
                st.markdown(f"**{md(by)}**")
                st.markdown("  \n".join(md(f) for f in figs) or "—")
                if claim.period:
                    st.caption(md(claim.period))
        st.caption("Figures are kept per source and never added together.")
    with nl:
        st.markdown(f"##### Not located ({len(shown_unlocated)})")
        for inc in shown_unlocated[:15]:
            cols = st.columns([5, 1])
            cols[0].markdown(
                f"**{md(inc.place or inc.id)}** — {md(desk.attack_label(inc.attack_type))}  \n"
                f"{md(inc.summary[:140])}"
            )
            cols[1].button("Edit", key=f"unloc:{inc.id}", on_click=select, args=(inc.id,))
        if len(shown_unlocated) > 15:
            st.caption(f"…and {len(shown_unlocated) - 15} more: filter precision “Not located”.")

with below:
    # table
    tk = f"t:{work.id}:"
    page_incidents, page, pages = desk.page_of(shown.incidents, ss.get(tk + "page", 1))
    page_rows = desk.incident_rows(page_incidents)  # only the page shown: not 10k rows a rerun
    tcol, pcol = st.columns([6, 1], vertical_alignment="bottom")
    tcol.markdown(f"##### Incidents ({len(shown.incidents)} shown of {len(work.incidents)})")
    if pages > 1:
        pcol.number_input(f"Page (of {pages})", 1, pages, key=tk + "page")
    table = st.dataframe(
        page_rows,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"{tk}table:{page}:{ss.gen}",
        column_config={
            "id": "Incident id",
            "place": "Place",
            "district": "District",
            "date": "Date",
            "attack": "Attack type",
            "infrastructure": "Infrastructure hit",
            "precision": "Location precision",
            "status": "Status",
            "summary": st.column_config.TextColumn("Summary", width="large"),
        },
    )
    picked = getattr(getattr(table, "selection", None), "rows", None)
    if picked:
        row_id = page_rows[picked[0]]["id"]
        if ss.get("_last_table_pick") != (page, row_id):
            ss._last_table_pick = (page, row_id)
            select(row_id)

# incident editor
with right, st.container(height=EDITOR_HEIGHT, border=False, key="incident_editor"):
    st.markdown("#### Edit incident")
    ids, places = desk.remembered(
        memo,
        "picker",
        (work,),
        lambda: (list(incident_by_id), {k: i.place for k, i in incident_by_id.items()}),
    )
    if ss.get("inc_select") not in incident_by_id:
        ss.inc_select = None
    st.selectbox(
        "Incident",
        ids,
        key="inc_select",
        index=None,
        placeholder="Choose an incident (or click a marker / a table row)",
        format_func=lambda i: f"{places[i] or '(no place)'} — {i}",
    )
    ec = st.columns(2)
    ec[0].button("Add incident", on_click=on_add_incident, width="stretch")
    chosen = ss.get("inc_select")  # read once: a session-state read per incident cost 0.4 s at 10k
    current = incident_by_id.get(chosen) if isinstance(chosen, str) else None
    if current is not None:
        with ec[1].popover("Delete incident", width="stretch"):
            st.markdown(f"Delete “{md(current.place or current.id)}” from this story?")
            st.button("Yes, delete it", on_click=on_delete_incident, key="delete_confirm")

    if current is not None:
        p = prefix()
        vals = desk.incident_values(current)
        for k, v in vals.items():
            ss.setdefault(p + k, v)
        errors = ss.get("inc_errors", {})

        def field_error(name: str, where: Any = st) -> None:
            if errors.get(name):
                where.error(md(f"{desk.FIELD_LABELS.get(name, name)}: {errors[name]}"))

        if errors.get("_"):
            st.error(md(errors["_"]))
        with st.container(border=True):
            a = b = st.container()  # one column beside the map: fields stacked
            with a:
                st.text_input("Place", key=p + "place")
                field_error("place")
                st.selectbox(
                    "Attack type",
                    [k.value for k in AttackType],
                    key=p + "attack_type",
                    format_func=desk.attack_label,
                )
                field_error("attack_type")
                st.multiselect(
                    "Infrastructure hit",
                    [k.value for k in Infrastructure],
                    key=p + "infrastructure",
                    format_func=desk.infra_label,
                )
                field_error("infrastructure")
                d1, d2, d3 = st.columns(3)
                d1.date_input("Date", key=p + "date", format="YYYY-MM-DD")
                d2.date_input("End date", key=p + "date_end", format="YYYY-MM-DD")
                d3.selectbox(
                    "Date precision", [k.value for k in DatePrecision], key=p + "date_precision"
                )
                field_error("date")
                field_error("date_end")
                st.text_area("Summary", key=p + "summary", height=100)
                field_error("summary")
                st.text_input("Outcome", key=p + "outcome")
                field_error("outcome")
                st.text_input("Actor", key=p + "actor")
                st.text_area(SOURCES_LABEL, key=p + "sources", height=80, help=SOURCES_HELP)
                field_error("sources")
                st.radio(
                    "Status",
                    [k.value for k in Status],
                    key=p + "status",
                    horizontal=True,
                    help="Drafts from extraction stay drafts until an editor verifies them.",
                )
                field_error("status")
                st.text_input("Incident id", key=p + "id")
                field_error("id")
            with b:
                st.markdown("**Location**")
                st.selectbox(
                    "Location precision",
                    [k.value for k in GeoPrecision],
                    key=p + "geo_precision",
                    format_func=desk.precision_label,
                )
                field_error("geo_precision")
                l1, l2 = st.columns(2)
                l1.number_input("Latitude", key=p + "lat", value=None, format="%.5f", step=0.01)
                l2.number_input("Longitude", key=p + "lon", value=None, format="%.5f", step=0.01)
                field_error("lat")
                field_error("lon")
                l3, l4 = st.columns(2)
                l3.text_input("District", key=p + "district")
                l4.text_input("Province", key=p + "province")
                field_error("district")
                _outside, district_warning = ops.check_incident(current, work.country, layer)
                if district_warning:
                    st.warning(md(district_warning))
                st.toggle(
                    "Drop the point by clicking the map",
                    key="pick",
                    help="Click anywhere on the map above; the district is looked up for you.",
                )
                st.button("Mark as not located", on_click=on_unlocate)
                st.markdown("**Re-geocode**")
                ss.setdefault(p + "query", current.place or "")
                q1, q2 = st.columns([3, 1], vertical_alignment="bottom")
                q1.text_input("Place name to look up", key=p + "query")
                lookup = q2.button("Look up")
                st.toggle(
                    "Also ask OpenStreetMap (Nominatim) online",
                    key="geocode_online",
                    help="The offline gazetteer is asked first; Nominatim only when it has no "
                    "good match (as `sitmap geocode --online`; server: $SITMAP_NOMINATIM_URL).",
                )
                if lookup:
                    look_up()
                if ss.get("cands"):
                    st.radio(
                        "Candidates (best first)",
                        [desk.candidate_label(c) for c in ss.cands],
                        key=p + "cand",
                        format_func=md,  # online providers' names are copy from the web
                    )
                    st.button("Use this place", on_click=on_use_candidate)
                if ss.get("cands_msg"):
                    st.caption(md(ss.cands_msg))
                st.text_area("Notes", key=p + "notes", height=68)
                if current.evidence:
                    with st.expander("Evidence from the copy"):
                        for ev in current.evidence:
                            st.caption(f"“{md(ev.text)}” (chars {ev.start}–{ev.end})")
                if current.cues:
                    st.caption("Extraction cues: " + md(", ".join(current.cues)))
            st.button("Apply changes", type="primary", on_click=on_apply_incident, key="apply")

# copy review: the pasted copy with every place mention and figure marked used or not
review = review_marks(work)
if review:
    unused = [m for m in review if not m.used and (m.place or m.figures)]
    with st.expander(
        f"Copy review — {len(review)} place mentions and figures, {len(unused)} not used",
        expanded=bool(unused),
    ):
        st.caption(
            "Green: used by a draft or claim. Orange: not used. Blue: the selected "
            "incident's evidence."
        )
        with st.container(height=300):
            for para in desk.highlighted(ss.review["copy"], review, current):
                st.markdown(para)
        for m in unused:
            r1, r2 = st.columns([4, 1], vertical_alignment="center")
            r1.markdown(md(desk.mark_label(m)))
            if m.place is not None:
                r2.button(
                    "Add a draft here",
                    key=f"review:place:{m.start}",
                    on_click=on_review_place,
                    args=(m.start,),
                    help="A draft incident at this place, located as the extractor would.",
                )
            else:
                r2.button(
                    "Add as a claim",
                    key=f"review:figure:{m.start}",
                    on_click=on_review_figure,
                    args=(m.start,),
                )
        if st.toggle("List every mark", key="review_all"):
            for m in review:
                st.caption(md(desk.mark_label(m)))

# story details and claims: a form, so typing (in the claims grid too) reruns nothing until
# "Apply story details" (a rerun between keystrokes under load dropped characters)
with (
    st.expander("Story details and casualty claims"),
    st.form(f"meta:{ss.gen}:{work.id}", border=False),
):
    mp = f"m{ss.gen}:{work.id}:"
    mvals = desk.story_meta_values(work)
    for k, v in mvals.items():
        ss.setdefault(mp + k, v)
    merr = ss.get("meta_errors", {})
    st.text_input("Title", key=mp + "title")
    if merr.get("title"):
        st.error(md(f"Title: {merr['title']}"))
    st.text_area("Summary", key=mp + "summary")
    if merr.get("summary"):
        st.error(md(f"Summary: {merr['summary']}"))
    st.text_area(
        "Description for screen readers and previews (optional)",
        key=mp + "description",
        help="What the map shows, in a sentence or two: the embed's text alternative and its "
        "preview text. Left empty, one is written from the incidents.",
    )
    if merr.get("description"):
        st.error(md(f"Description: {merr['description']}"))
    m1, m2, m3 = st.columns(3)
    m1.text_input("Region", key=mp + "region")
    m2.date_input("Period start", key=mp + "period_start", format="YYYY-MM-DD")
    m3.date_input("Period end", key=mp + "period_end", format="YYYY-MM-DD")
    if merr.get("period"):
        st.error(md(f"Period: {merr['period']}"))
    st.text_area(SOURCES_LABEL, key=mp + "sources", help=SOURCES_HELP)
    if merr.get("sources"):
        st.error(md(f"Sources: {merr['sources']}"))
    st.markdown("**Casualty claims** — one row per source; figures are never summed.")
    st.data_editor(
        desk.claim_rows(work),
        num_rows="dynamic",
        key=mp + "claims",
        width="stretch",
        placeholder="",  # a missing figure is an empty cell, not "None"
        column_config={
            k: (
                st.column_config.NumberColumn(label, min_value=0, step=1)
                if k in desk.CasualtyClaim.COUNT_FIELDS
                else st.column_config.TextColumn(label)
            )
            for k, label in desk.CLAIM_LABELS.items()
        },
    )
    if merr.get("claims"):
        st.error(md(f"Claims: {merr['claims']}"))
    st.form_submit_button("Apply story details", on_click=on_apply_meta)

# publish
with st.expander("Publish"):
    try:
        stored_rev = store().revision(work.id)
    except SitmapError:
        stored_rev = None
    st.caption(
        f"Downloads are made from the latest saved revision ({stored_rev or 'none yet'}"
        + ("" if stored_rev == d["rev"] else f"; your copy is revision {d['rev']}")
        + f") — the same files as `sitmap build {work.id} --out …` with these options."
        + ("" if changes.empty else " Save first to include your unsaved changes.")
    )
    o1, o2, o3 = st.columns([1, 2, 1])
    o1.selectbox("Basemap", ["none", "light", "labels", "osm"], key="pub_basemap")
    o2.text_input("Headline (default: the story title)", key="pub_title")
    o3.text_input("PNG size (WIDTHxHEIGHT)", value="1200x800", key="pub_png_size")
    options: ops.Options | None
    try:
        options = ops.Options(
            basemap=ss.get("pub_basemap") or "none",
            title=ss.get("pub_title") or None,
            png_size=ops.parse_png_size(ss.get("pub_png_size") or "1200x800"),
        )
    except SitmapError as failure:
        options = None
        st.error(md(one_line(failure)))
    if stored_rev == d["rev"] or stored_rev is None:
        to_publish = d["base"]
    else:  # someone saved since this page loaded: check what will really be published
        to_publish = store().load(work.id).story
    checks = desk.remembered(
        memo, "checklist", (to_publish,), lambda: desk.publish_checklist(to_publish)
    )
    if checks:
        st.markdown("**Before you publish:**")
        for line in checks:
            st.warning(md(line))
        overridden = st.checkbox(
            "I have read these and publish anyway", key=f"pub_override:{work.id}:{stored_rev}"
        )
    else:
        st.caption("Checklist: every incident verified and sourced, a period, claims attributed.")
        overridden = True
    ekey = (work.id, stored_rev, options)
    if options is None or not overridden:
        pass
    elif ss.get("exports", {}).get("key") != ekey:
        if st.button("Prepare downloads", key="prepare"):
            loaded = store().load(work.id)
            saved = loaded.story
            stored_rev = loaded.revision
            ekey = (work.id, stored_rev, options)
            files: dict[str, Any] = {}
            problems: list[str] = []
            with st.spinner("Rendering the embed, CSV, GeoJSON, PNG and SVG…"):
                for fmt in ops.FORMATS:  # one failing format (no Chromium) keeps the others
                    try:
                        files.update(desk.downloads(saved, layer, options, [fmt]))
                    except (SitmapError, OSError) as failure:
                        problems.append(f"{fmt}: {one_line(failure)}")
            ss.exports = {"key": ekey, "files": files, "problems": problems}
            st.rerun()
    else:
        files = ss.exports["files"]
        st.caption(f"Made from revision {ss.exports['key'][1]}.")
        for problem in ss.exports.get("problems", []):
            st.error(md(f"Could not render {problem}"))
        labels = {
            "html": "Embed HTML",
            "geojson": "GeoJSON",
            "csv": "CSV",
            "png": "PNG",
            "svg": "SVG (print)",
        }
        dl_cols = st.columns(len(labels))
        for col, (fmt, label) in zip(dl_cols, labels.items(), strict=True):
            if fmt in files:
                f = files[fmt]
                col.download_button(
                    label, f.data, file_name=f.filename, mime=f.mime, key=f"dl:{fmt}"
                )
        shown_notes = {n for f in files.values() for n in (*f.warnings, *f.notes)}
        for line in sorted(shown_notes):
            st.caption(md(line))
    url = st.text_input(
        "Where the embed HTML will be published (URL)",
        value=f"https://example.com/graphics/{work.id}.html",
        key=f"url:{work.id}",
        help=f"The iframe's address: {ops.SNIPPET_RULE}.",
    )
    snippet, problem = desk.embed_snippet(url, (options and options.title) or work.title)
    if snippet is None:
        st.error(md(problem))
    else:
        st.code(snippet, language="html")
        st.caption("Copy the snippet with the button at its top right.")
