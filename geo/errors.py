"""The one error tree users see: every class is a one-line message naming the field and the fix.

::

    SitmapError                      bad input or a missing resource (exit 2)
    ├── DataError                    a story, incident or value is wrong: change the input
    │   └── StoryError               a story file or form (geo.model)
    │       └── PointError           a located incident outside its country (or lat/lon swapped)
    ├── BoundaryError                district boundaries cannot be had or read
    │   └── DistrictsNotFound        no boundary file anywhere (geo.districts)
    ├── GeocodeError                 a place lookup: bad query or the online geocoder
    │   ├── GeocodeTimeout           the online geocoder did not answer in time
    │   ├── GeocodeQuota             it refused: rate limit or quota
    │   └── GeocodeUnavailable       it cannot be reached or answered with an error
    ├── StoreError                   the story store (geo.store)
    │   └── ConflictError            someone saved the story since it was loaded
    ├── OutputError                  an output path cannot be written, or its format is unknown
    └── ExtraMissing                 a feature needs an optional extra (pip install 'sitmap[…]')

The CLI prints ``error: <message>`` and exits with the class's ``exit_code``. Each class is
importable from here and, for compatibility, from the module that used to define it
(``geo.model.StoryError``, ``geo.districts.DistrictsNotFound``, ``geo.gazetteer.GeocodeError``,
``geo.store.StoreError``/``ConflictError``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from geo.merge import FieldConflict
    from geo.model import Story
    from geo.store import StoryDiff


class SitmapError(ValueError):
    """Bad input or a missing resource. The CLI prints it on one line and exits with 2."""

    exit_code: ClassVar[int] = 2


# --- data ------------------------------------------------------------------------------------


class DataError(SitmapError):
    """A story, an incident or a value is wrong; the message names where and the fix."""


class StoryError(DataError):
    """A one-line, user-facing problem with a story: where, which field, and the fix."""


class PointError(StoryError):
    """A located incident whose point is outside the story's country (``swapped`` when the
    point read as (lat, lon) would be inside: latitude and longitude look swapped)."""

    def __init__(
        self,
        message: str,
        incident_id: str | None = None,
        lon: float | None = None,
        lat: float | None = None,
        swapped: bool = False,
    ) -> None:
        super().__init__(message)
        self.incident_id = incident_id
        self.lon = lon
        self.lat = lat
        self.swapped = swapped


# --- boundaries ------------------------------------------------------------------------------


class BoundaryError(SitmapError):
    """District boundaries cannot be had, read or used."""


class DistrictsNotFound(BoundaryError):
    """No boundary file could be had; the message lists the three fixes."""


# --- geocoding -------------------------------------------------------------------------------


class GeocodeError(SitmapError):
    """A place lookup failed: a bad query, or the online geocoder (see the subclasses)."""


class GeocodeTimeout(GeocodeError):
    """The online geocoder did not answer in time."""


class GeocodeQuota(GeocodeError):
    """The online geocoder refused the request: rate limit or usage quota."""


class GeocodeUnavailable(GeocodeError):
    """The online geocoder cannot be reached, or answered with an error."""


# --- the store -------------------------------------------------------------------------------


class StoreError(SitmapError):
    """The store file is missing, unreadable or not a GeoPackage; or a story is not in it."""


class ConflictError(StoreError):
    """Someone saved (or deleted/created) this story since the caller loaded it.

    Carries the stored side: ``current_revision`` (None if the story was deleted),
    ``saved_by``/``saved_at``, ``theirs`` (the stored Story) and ``changes`` — what the other
    editor changed since ``base_revision`` when that version is still in the history, else the
    difference between the caller's story and the stored one (``compared_to`` says which).
    """

    def __init__(
        self,
        story_id: str,
        base_revision: int | None,
        current_revision: int | None,
        saved_by: str | None = None,
        saved_at: str | None = None,
        changes: StoryDiff | None = None,
        compared_to: str = "base",
        theirs: Story | None = None,
        fields: list[FieldConflict] | None = None,
        merged: Story | None = None,
    ) -> None:
        if changes is None:
            from geo.store import StoryDiff

            changes = StoryDiff()
        self.story_id = story_id
        self.base_revision = base_revision
        self.current_revision = current_revision
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.changes: StoryDiff = changes
        self.compared_to = compared_to
        self.theirs = theirs
        # Set when the save was merged field by field: only these fields conflict, and
        # ``merged`` is the merge with the stored value in each (see geo.merge.apply_choices).
        self.fields: list[FieldConflict] = list(fields or [])
        self.merged = merged
        super().__init__(self._message())

    def _message(self) -> str:
        sid = f"story '{self.story_id}'"
        if self.current_revision is None:
            return (
                f"{sid} was deleted from the store after you loaded revision {self.base_revision}; "
                "fix: import or save it as a new story"
            )
        who = f" by {self.saved_by}" if self.saved_by else ""
        when = f" at {self.saved_at}" if self.saved_at else ""
        if self.base_revision is None:
            return (
                f"{sid} already exists (revision {self.current_revision}, saved{who}{when}); "
                "fix: choose another id, or replace it explicitly (--replace)"
            )
        if self.fields:
            shown = "; ".join(str(c) for c in self.fields[:5])
            more = f"; +{len(self.fields) - 5} more" if len(self.fields) > 5 else ""
            return (
                f"{sid} was saved{who}{when} as revision {self.current_revision} after you "
                f"loaded revision {self.base_revision}, and you both changed {shown}{more} "
                "(everything else merges); fix: choose yours or theirs for each of those "
                "fields (the desk app shows both), or reload"
            )
        what = self.changes.summary()
        lead = "their changes" if self.compared_to == "base" else "stored version differs"
        return (
            f"{sid} was saved{who}{when} as revision {self.current_revision} after you loaded "
            f"revision {self.base_revision} — {lead}: {what}; "
            "fix: reload to see their version, or keep yours to save over it"
        )


# --- outputs and extras ----------------------------------------------------------------------


class OutputError(SitmapError):
    """An output cannot be written: a folder, a missing or read-only folder, an unknown
    format. Raised before anything is rendered whenever it can be told in advance."""


class ExtraMissing(SitmapError):
    """A feature needs an optional extra that is not installed."""

    def __init__(self, extra: str, feature: str) -> None:
        self.extra = extra
        super().__init__(f"{feature} needs the '{extra}' extra; fix: pip install 'sitmap[{extra}]'")


# What a terminal would act on rather than show: C0 controls (ESC starts an escape
# sequence), DEL, C1 controls (CSI), bidirectional overrides, lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """Text safe to print on a terminal, on one line: control characters (escape sequences,
    NUL, tabs, line breaks), bidi overrides and lone surrogates shown as Python escapes."""
    return _UNPRINTABLE.sub(_escape, text)


def one_line(error: BaseException) -> str:
    text = printable(" ".join(str(error).split()))
    return text or type(error).__name__


def exit_code(error: BaseException) -> int:
    """The CLI's exit code for an error (2 for every SitmapError unless a class says else)."""
    return getattr(error, "exit_code", 2) if isinstance(error, SitmapError) else 1


__all__ = [
    "BoundaryError",
    "ConflictError",
    "DataError",
    "DistrictsNotFound",
    "ExtraMissing",
    "GeocodeError",
    "GeocodeQuota",
    "GeocodeTimeout",
    "GeocodeUnavailable",
    "OutputError",
    "PointError",
    "SitmapError",
    "StoreError",
    "StoryError",
    "one_line",
    "exit_code",
    "printable",
]
