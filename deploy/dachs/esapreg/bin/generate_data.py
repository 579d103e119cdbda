#!/usr/bin/env python3
"""Deterministic test data of the esapreg DaCHS resource (DataLink rows).

Standard library only.  Writes

  <outdir>/linked.csv   -- 12 ObsCore rows (esapreg.linked, collection
                           esaptest-linked), access_url = their DataLink document
  <outdir>/links/       -- previews/N.png and logs/N.txt of each row, served as
                           DataLink links by the esapreg/q/dl service

The output is byte-identical on every run (fixed seed, fixed formatting).

  python3 generate_data.py [--outdir DIR]
"""

import argparse
import csv
import math
import os
import random
import struct
import sys
import urllib.parse
import zlib

SEED = 20240502
# far from every esaptest field (200, 50), (10, -30), (150, 2)
FIELD_L = (300.0, -50.0)
LINKED_COUNT = 12
# numbered after the 300 esaptest images and cubes
FIRST_NUMBER = 301
DATALINK_URL = "http://localhost:8080/esapreg/q/dl/dlmeta"
DATALINK_FORMAT = "application/x-votable+xml;content=datalink"

IMAGES_COLUMNS = [
    "obs_publisher_did", "obs_id", "obs_collection", "obs_title",
    "obs_creator_did", "dataproduct_type", "dataproduct_subtype",
    "calib_level", "target_name", "target_class",
    "s_ra", "s_dec", "s_fov", "s_region", "s_resolution",
    "s_xel1", "s_xel2", "s_pixel_scale",
    "t_min", "t_max", "t_exptime", "t_resolution", "t_xel",
    "em_min", "em_max", "em_res_power", "em_xel", "em_ucd",
    "o_ucd", "pol_states", "pol_xel",
    "facility_name", "instrument_name",
    "access_url", "access_format", "access_estsize", "preview",
]

def ang_dist(ra1, dec1, ra2, dec2):
    """great-circle distance in degrees (haversine)."""
    ra1, dec1, ra2, dec2 = map(math.radians, (ra1, dec1, ra2, dec2))
    s = (math.sin((dec2 - dec1) / 2) ** 2
        + math.cos(dec1) * math.cos(dec2) * math.sin((ra2 - ra1) / 2) ** 2)
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(s))))


def offset(ra0, dec0, r, pa):
    """position at distance r (deg) and position angle pa (deg) from
    (ra0, dec0)."""
    ra0, dec0, r, pa = map(math.radians, (ra0, dec0, r, pa))
    dec = math.asin(math.sin(dec0) * math.cos(r)
        + math.cos(dec0) * math.sin(r) * math.cos(pa))
    ra = ra0 + math.atan2(math.sin(pa) * math.sin(r) * math.cos(dec0),
        math.cos(r) - math.sin(dec0) * math.sin(dec))
    return math.degrees(ra) % 360.0, math.degrees(dec)


def point_in_disk(rng, centre, rmin, rmax):
    """uniform (in area) position in the annulus rmin..rmax deg."""
    cmin, cmax = math.cos(math.radians(rmin)), math.cos(math.radians(rmax))
    r = math.degrees(math.acos(cmin - rng.random() * (cmin - cmax)))
    ra, dec = offset(centre[0], centre[1], r, rng.uniform(0, 360))
    return round(ra, 7), round(dec, 7)


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def square_region(ra, dec, size):
    """DALI polygon (flat list, degrees) of a size x size deg square."""
    h = size / 2
    cosd = math.cos(math.radians(dec))
    pts = [(ra - h / cosd, dec - h), (ra + h / cosd, dec - h),
        (ra + h / cosd, dec + h), (ra - h / cosd, dec + h)]
    return " ".join("%.7f %.7f" % (p[0] % 360.0, p[1]) for p in pts)


def make_linked(rng):
    """LOFAR visibility sets whose access_url is their DataLink document
    (ObsCore's way of saying "ask DataLink"), numbered after the images and
    cubes; the links are the measurement set, a preview and an observing log.

    Their product type (visibility), calibration level (1) and field keep
    every documented count of the esaptest rows.
    """
    rows = []
    first = FIRST_NUMBER
    for n in range(first, first + LINKED_COUNT):
        ra, dec = point_in_disk(rng, FIELD_L, 0, 1.0)
        fov = round(rng.uniform(2.0, 4.0), 4)
        t_min = round(58000 + rng.random() * 2000, 6)
        exptime = float(rng.choice([14400, 28800]))
        did = "ivo://esap.test/linked?%d" % n
        rows.append(dict(
            obs_publisher_did=did,
            obs_id="vis-%04d" % n,
            obs_collection="esaptest-linked",
            obs_title="ESAP test visibilities %d" % n,
            obs_creator_did=None,
            dataproduct_type="visibility",
            dataproduct_subtype=None,
            calib_level=1,
            target_name="ESAP Field L",
            target_class="galaxy",
            s_ra=ra, s_dec=dec, s_fov=fov,
            s_region=square_region(ra, dec, fov),
            s_resolution=round(rng.uniform(5.0, 20.0), 3),
            s_xel1=None, s_xel2=None, s_pixel_scale=None,
            t_min=t_min, t_max=round(t_min + exptime / 86400, 6),
            t_exptime=exptime, t_resolution=1.0, t_xel=None,
            em_min=1.6655, em_max=2.4983, em_res_power=None, em_xel=None,
            em_ucd="em.freq", o_ucd="phot.flux.density;em.radio",
            pol_states="/XX/XY/YX/YY/", pol_xel=4,
            facility_name="LOFAR", instrument_name="HBA",
            access_url=DATALINK_URL + "?ID=" + urllib.parse.quote(did, safe=""),
            access_format=DATALINK_FORMAT,
            access_estsize=rng.randint(1000000, 4000000),
            preview=None,
        ))
    return rows


def png_bytes(width, height, shade):
    """A grey PNG image (standard library only)."""
    def chunk(kind, data):
        body = kind + data
        return (struct.pack(">I", len(data)) + body
            + struct.pack(">I", zlib.crc32(body) & 0xffffffff))
    raw = b"".join(b"\0" + bytes([shade]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_link_files(outdir, linked):
    """data/links/previews/N.png and data/links/logs/N.txt per linked row."""
    for sub in ("previews", "logs"):
        os.makedirs(os.path.join(outdir, "links", sub), exist_ok=True)
    for row in linked:
        n = int(row["obs_publisher_did"].rsplit("?", 1)[1])
        write_bytes(os.path.join(outdir, "links", "previews", "%d.png" % n),
            png_bytes(16, 16, (n * 37) % 256))
        log = ("obs_id: %s\ntarget: %s\nra: %r\ndec: %r\nexptime: %r s\n" % (
            row["obs_id"], row["target_name"], row["s_ra"], row["s_dec"],
            row["t_exptime"])).encode("utf-8")
        write_bytes(os.path.join(outdir, "links", "logs", "%d.txt" % n), log)


def write_bytes(path, data):
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def write_csv(path, columns, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([fmt(row[c]) for c in columns])
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outdir", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
    args = parser.parse_args()
    linked = make_linked(random.Random(SEED))
    os.makedirs(args.outdir, exist_ok=True)
    write_csv(os.path.join(args.outdir, "linked.csv"), IMAGES_COLUMNS, linked)
    write_link_files(args.outdir, linked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
