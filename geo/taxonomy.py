"""Vocabularies: attack types, infrastructure, precision. The one place they live.

Colours come from colour-blind-safe palettes (Okabe-Ito for attack types, Paul Tol's
"bright"/"muted" sets for infrastructure). Prison, rail and highway also get distinct
marker shapes, so they stay apart even in greyscale print.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class AttackType(StrEnum):
    suicide_bombing = "suicide_bombing"
    bombing = "bombing"
    grenade = "grenade"
    armed_assault = "armed_assault"
    abduction = "abduction"
    sabotage = "sabotage"
    other = "other"


class Infrastructure(StrEnum):
    prison = "prison"
    rail = "rail"
    highway = "highway"
    police = "police"
    security_post = "security_post"
    paramilitary = "paramilitary"
    government_office = "government_office"
    civilians = "civilians"
    port = "port"
    airport = "airport"
    energy = "energy"
    telecom = "telecom"
    other = "other"


class GeoPrecision(StrEnum):
    site = "site"
    town = "town"
    district = "district"
    province = "province"
    unlocated = "unlocated"


class DatePrecision(StrEnum):
    day = "day"
    range = "range"  # somewhere between date and date_end
    week = "week"
    month = "month"


class Status(StrEnum):
    draft = "draft"
    reported = "reported"
    verified = "verified"


class AttackTypeInfo(NamedTuple):
    label: str
    color: str
    acled_event_type: str
    acled_sub_event_type: str
    gtd_attacktype1: int
    gtd_attacktype1_txt: str


class InfrastructureInfo(NamedTuple):
    label: str
    color: str
    shape: str  # marker glyph: circle, square, diamond, triangle, …
    gtd_targtype1: int


class PrecisionInfo(NamedTuple):
    label: str
    acled_geo_precision: int | None
    reader_note: str


ATTACK_TYPES: dict[AttackType, AttackTypeInfo] = {
    AttackType.suicide_bombing: AttackTypeInfo(
        "Suicide bombing",
        "#D55E00",
        "Explosions/Remote violence",
        "Suicide bomb",
        3,
        "Bombing/Explosion",
    ),
    AttackType.bombing: AttackTypeInfo(
        "Bombing (IED)",
        "#E69F00",
        "Explosions/Remote violence",
        "Remote explosive/landmine/IED",
        3,
        "Bombing/Explosion",
    ),
    AttackType.grenade: AttackTypeInfo(
        "Grenade attack",
        "#CC79A7",
        "Explosions/Remote violence",
        "Grenade",
        3,
        "Bombing/Explosion",
    ),
    AttackType.armed_assault: AttackTypeInfo(
        "Armed assault",
        "#0072B2",
        "Battles",
        "Armed clash",
        2,
        "Armed Assault",
    ),
    AttackType.abduction: AttackTypeInfo(
        "Abduction",
        "#009E73",
        "Violence against civilians",
        "Abduction/forced disappearance",
        6,
        "Hostage Taking (Kidnapping)",
    ),
    AttackType.sabotage: AttackTypeInfo(
        "Sabotage",
        "#56B4E9",
        "Strategic developments",
        "Looting/property destruction",
        7,
        "Facility/Infrastructure Attack",
    ),
    AttackType.other: AttackTypeInfo(
        "Other",
        "#7F7F7F",
        "Strategic developments",
        "Other",
        9,
        "Unknown",
    ),
}

INFRASTRUCTURE: dict[Infrastructure, InfrastructureInfo] = {
    Infrastructure.prison: InfrastructureInfo("Prison", "#882255", "square", 7),
    Infrastructure.rail: InfrastructureInfo("Rail", "#332288", "diamond", 19),
    Infrastructure.highway: InfrastructureInfo("Highway / road", "#DDAA33", "triangle", 19),
    Infrastructure.police: InfrastructureInfo("Police", "#0077BB", "circle", 3),
    Infrastructure.security_post: InfrastructureInfo("Security post", "#33BBEE", "circle", 4),
    Infrastructure.paramilitary: InfrastructureInfo("Paramilitary", "#117733", "circle", 4),
    Infrastructure.government_office: InfrastructureInfo(
        "Government office", "#EE7733", "circle", 2
    ),
    Infrastructure.civilians: InfrastructureInfo("Civilians", "#CC3311", "circle", 14),
    Infrastructure.port: InfrastructureInfo("Port", "#009988", "circle", 21),
    Infrastructure.airport: InfrastructureInfo("Airport", "#44AA99", "circle", 6),
    Infrastructure.energy: InfrastructureInfo("Energy", "#999933", "circle", 21),
    Infrastructure.telecom: InfrastructureInfo("Telecom", "#AA4499", "circle", 16),
    Infrastructure.other: InfrastructureInfo("Other", "#7F7F7F", "circle", 20),
}

# The kinds the desk asked to tell apart at a glance; the rest share the plain circle.
KEY_INFRASTRUCTURE: tuple[Infrastructure, ...] = (
    Infrastructure.prison,
    Infrastructure.rail,
    Infrastructure.highway,
)

PRECISIONS: dict[GeoPrecision, PrecisionInfo] = {
    GeoPrecision.site: PrecisionInfo("Exact site", 1, "Marker is at the reported site."),
    GeoPrecision.town: PrecisionInfo(
        "Town", 1, "Marker is at the town; the exact site was not reported."
    ),
    GeoPrecision.district: PrecisionInfo(
        "District", 2, "Marker is at the district's centre; only the district was reported."
    ),
    GeoPrecision.province: PrecisionInfo(
        "Province", 3, "Marker is at the province's centre; only the province was reported."
    ),
    GeoPrecision.unlocated: PrecisionInfo("Unlocated", None, "The reporting gives no location."),
}


def attack_label(value: str) -> str:
    return ATTACK_TYPES[AttackType(value)].label


def infrastructure_label(value: str) -> str:
    return INFRASTRUCTURE[Infrastructure(value)].label


def choices(enum: type[StrEnum]) -> str:
    """Comma-separated allowed values, for error messages that tell the fix."""
    return ", ".join(member.value for member in enum)
