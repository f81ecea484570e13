"""A real HTTP server on 127.0.0.1 that answers like Nominatim's /search and /reverse.

Its places are test fixtures written for these tests (not copied from OpenStreetMap). It
records every request (path, query parameters, User-Agent, arrival time) so tests can check
what the geocoder sent, how often, and how fast."""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"

PLACES = {
    "mach central jail": {
        "place_id": 9001,
        "licence": LICENCE,
        "osm_type": "way",
        "osm_id": 123456,
        "lat": "29.8702",
        "lon": "67.3301",
        "class": "amenity",
        "type": "prison",
        "place_rank": 30,
        "importance": 0.2,
        "addresstype": "amenity",
        "name": "Mach Central Jail",
        "display_name": "Mach Central Jail, Mach, Kachhi District, Balochistan, Pakistan",
        "address": {
            "amenity": "Mach Central Jail",
            "town": "Mach",
            "state_district": "Kachhi District",
            "state": "Balochistan",
            "country": "Pakistan",
            "country_code": "pk",
        },
        "boundingbox": ["29.8690", "29.8714", "67.3290", "67.3312"],
    },
    "kohlu bazaar": {
        "place_id": 9002,
        "licence": LICENCE,
        "osm_type": "node",
        "osm_id": 654321,
        "lat": "29.8961",
        "lon": "69.2532",
        "class": "place",
        "type": "neighbourhood",
        "place_rank": 22,
        "importance": 0.1,
        "addresstype": "neighbourhood",
        "name": "Kohlu Bazaar",
        "display_name": "Kohlu Bazaar, Kohlu, Balochistan, Pakistan",
        "address": {
            "town": "Kohlu",
            "state": "Balochistan",
            "country": "Pakistan",
            "country_code": "pk",
        },
        "boundingbox": ["29.8951", "29.8971", "69.2522", "69.2542"],
    },
}


@dataclass
class Request:
    path: str
    params: dict[str, str]
    user_agent: str
    at: float


@dataclass
class FakeNominatim:
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def searches(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/search")]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def start() -> FakeNominatim:
    fake = FakeNominatim()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            fake.requests.append(
                Request(parts.path, params, self.headers.get("User-Agent", ""), time.monotonic())
            )
            if parts.path.endswith("/search"):
                q = params.get("q", "").strip().lower()
                if q == "server error please":
                    self._send(500, {"error": "internal error"})
                    return
                codes = params.get("countrycodes")
                place = PLACES.get(q)
                hits = [place] if place and (not codes or "pk" in codes.split(",")) else []
                self._send(200, hits)
            elif parts.path.endswith("/reverse"):
                lat, lon = float(params["lat"]), float(params["lon"])
                best = min(
                    PLACES.values(),
                    key=lambda p: (float(p["lat"]) - lat) ** 2 + (float(p["lon"]) - lon) ** 2,
                )
                self._send(200, best)
            else:
                self._send(404, {"error": "not found"})

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.server = server
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake


if __name__ == "__main__":  # run by hand: python -m tests.nominatim_fake
    f = start()
    print(f.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        f.stop()
