#!/usr/bin/env python3
"""Deterministic test-data generator for the esaptest DaCHS resource.

Standard library only.  Writes

  <outdir>/images.csv   -- ~300 ObsCore-like rows (esaptest.images)
  <outdir>/sources.csv  -- 12,000 catalogue rows (esaptest.sources)

The output is byte-identical on every run (fixed seed, fixed formatting).

  python3 generate_data.py [--outdir DIR] [--stats]

--stats prints exact cone counts (computed from the *written*, rounded
values) that tests can rely on; deploy/dachs/README.md quotes them.

Every generated position keeps a margin of MARGIN_DEG from every radius
that is a multiple of 0.5 deg around each of the documented cone centres,
so counts for those cones do not depend on floating-point details of
q3c/pgsphere versus this script.
"""

import argparse
import csv
import math
import os
import random
import sys

SEED = 20240501
MARGIN_DEG = 1e-4

# Documented cone centres (ra, dec) in degrees.
FIELD_A = (200.0, 50.0)    # main obscore cluster
FIELD_B = (10.0, -30.0)    # secondary obscore cluster
FIELD_S = (150.0, 2.0)     # dense source-catalogue field
CENTRES = (FIELD_A, FIELD_B, FIELD_S)

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

SOURCES_COLUMNS = ["id", "ra", "dec", "mag", "name"]

# awkward target names (apostrophe, non-ASCII, SQL/XML-ish characters)
AWKWARD_TARGETS = ["Barnard's Star", "\u03a9 Cen", "Sgr A*",
    "O'Brien \"quoted\" <field> & co"]


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


def is_safe(ra, dec):
    for cra, cdec in CENTRES:
        d = ang_dist(ra, dec, cra, cdec)
        if abs(d - round(d * 2) / 2) < MARGIN_DEG:
            return False
    return True


def rounded(ra, dec):
    return round(ra, 7), round(dec, 7)


def point_in_disk(rng, centre, rmin, rmax):
    """uniform (in area) position in the annulus rmin..rmax deg."""
    while True:
        cmin, cmax = math.cos(math.radians(rmin)), math.cos(math.radians(rmax))
        r = math.degrees(math.acos(cmin - rng.random() * (cmin - cmax)))
        ra, dec = rounded(*offset(centre[0], centre[1], r, rng.uniform(0, 360)))
        if is_safe(ra, dec):
            return ra, dec


def point_elsewhere(rng, avoid_deg):
    """uniform position with |dec| <= 70 deg at least avoid_deg from every
    centre."""
    while True:
        ra = rng.uniform(0, 360)
        dec = math.degrees(math.asin(rng.uniform(-1, 1)))
        ra, dec = rounded(ra, dec)
        if abs(dec) > 70:
            continue
        if all(ang_dist(ra, dec, c[0], c[1]) > avoid_deg for c in CENTRES
                ) and is_safe(ra, dec):
            return ra, dec


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


# -------------------------------------------------------------- images

# (collection, field, count); field None means "elsewhere"
IMAGE_LAYOUT = [
    ("esaptest-images", FIELD_A, 140),
    ("esaptest-images", FIELD_B, 40),
    ("esaptest-images", None, 20),
    ("esaptest-cubes", FIELD_A, 70),
    ("esaptest-cubes", FIELD_B, 20),
    ("esaptest-cubes", None, 10),
]

OPTICAL_BANDS = [  # name, em_min, em_max [m]
    ("g", 4.0e-7, 5.5e-7), ("r", 5.5e-7, 7.0e-7), ("i", 7.0e-7, 8.5e-7)]


def make_images(rng):
    rows = []
    n = 0
    for collection, field, count in IMAGE_LAYOUT:
        for k in range(count):
            n += 1
            if field is FIELD_A:
                ra, dec = point_in_disk(rng, field, 0, 3.0)
                target = "ESAP Field A"
            elif field is FIELD_B:
                ra, dec = point_in_disk(rng, field, 0, 2.0)
                target = "ESAP Field B"
            else:
                ra, dec = point_elsewhere(rng, 10.0)
                target = "ESAP Survey %03d" % n
            if k < len(AWKWARD_TARGETS):
                target = AWKWARD_TARGETS[k]

            t_min = round(58000 + rng.random() * 2000, 6)
            if collection == "esaptest-images":
                band, em_min, em_max = OPTICAL_BANDS[n % 3]
                exptime = float(rng.choice([60, 120, 300, 600, 900]))
                fov = round(rng.uniform(0.2, 0.5), 4)
                xel = 4096
                row = dict(
                    obs_publisher_did="ivo://esap.test/images?%d" % n,
                    obs_id="img-%04d" % n,
                    obs_title="ESAP test image %d (%s band)" % (n, band),
                    dataproduct_type="image",
                    calib_level=2,
                    target_class="galaxy",
                    s_resolution=round(rng.uniform(0.8, 2.0), 3),
                    t_xel=1, em_xel=1,
                    em_min=em_min, em_max=em_max,
                    em_res_power=round((em_min + em_max) / 2
                        / (em_max - em_min), 4),
                    em_ucd="em.wl",
                    o_ucd="phot.flux.density;em.opt",
                    pol_states=None,
                    pol_xel=None,
                    facility_name="Isaac Newton Telescope",
                    instrument_name="WFC",
                    access_estsize=rng.randint(8000, 32000),
                )
            else:
                nchan = rng.choice([64, 128, 256])
                exptime = float(rng.choice([14400, 28800]))
                fov = round(rng.uniform(2.0, 5.0), 4) if field is None else \
                    round(rng.uniform(0.5, 1.5), 4)
                xel = 1024
                row = dict(
                    obs_publisher_did="ivo://esap.test/cubes?%d" % n,
                    obs_id="cube-%04d" % n,
                    obs_title="ESAP test cube %d (%d channels)" % (n, nchan),
                    dataproduct_type="cube",
                    calib_level=3,
                    target_class="galaxy",
                    s_resolution=round(rng.uniform(5.0, 20.0), 3),
                    t_xel=1, em_xel=nchan,
                    em_min=1.6655, em_max=2.4983,
                    em_res_power=round(nchan * 2.0, 1),
                    em_ucd="em.freq",
                    o_ucd="phot.flux.density;em.radio",
                    pol_states="/I/Q/U/V/",
                    pol_xel=4,
                    facility_name="LOFAR",
                    instrument_name="HBA",
                    access_estsize=rng.randint(100000, 500000),
                )
            row.update(
                obs_collection=collection,
                obs_creator_did=None,
                dataproduct_subtype=None,
                target_name=target,
                s_ra=ra, s_dec=dec, s_fov=fov,
                s_region=square_region(ra, dec, fov),
                s_xel1=xel, s_xel2=xel,
                s_pixel_scale=round(fov * 3600 / xel, 5),
                t_min=t_min,
                t_max=round(t_min + exptime / 86400, 6),
                t_exptime=exptime,
                t_resolution=exptime,
                access_url="http://localhost:8080/esaptest/data/%d.fits" % n,
                access_format="image/fits",
                preview=None,
            )
            rows.append(row)
    return rows


# ------------------------------------------------------------- sources

SOURCE_LAYOUT = [  # (what, count)
    ("core", 11000),     # within 1 deg of FIELD_S
    ("ring", 400),       # 1.2..5 deg from FIELD_S
    ("fieldA", 300),     # within 2 deg of FIELD_A
    ("sky", 300),        # all-sky, > 5 deg from every centre
]

AWKWARD_SOURCE_NAMES = {7: "O'Neil's source", 77: "\u03a9 Cen knot",
    777: "src <a&b>"}


def iau_name(ra, dec):
    h = ra / 15
    hh, mm = int(h), int((h * 60) % 60)
    ss = (h * 3600) % 60
    sign = "+" if dec >= 0 else "-"
    ad = abs(dec)
    dd, dm = int(ad), int((ad * 60) % 60)
    ds = (ad * 3600) % 60
    return "ESAPT J%02d%02d%05.2f%s%02d%02d%04.1f" % (
        hh, mm, ss, sign, dd, dm, ds)


def make_sources(rng):
    rows = []
    n = 0
    for what, count in SOURCE_LAYOUT:
        for _ in range(count):
            n += 1
            if what == "core":
                ra, dec = point_in_disk(rng, FIELD_S, 0, 1.0)
            elif what == "ring":
                ra, dec = point_in_disk(rng, FIELD_S, 1.2, 5.0)
            elif what == "fieldA":
                ra, dec = point_in_disk(rng, FIELD_A, 0, 2.0)
            else:
                ra, dec = point_elsewhere(rng, 5.0)
            rows.append(dict(
                id="src-%06d" % n,
                ra=ra, dec=dec,
                mag=round(rng.uniform(12.0, 22.0), 3),
                name=AWKWARD_SOURCE_NAMES.get(n, iau_name(ra, dec)),
            ))
    return rows


def write_csv(path, columns, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([fmt(row[c]) for c in columns])
    os.replace(tmp, path)


def count_within(rows, rakey, deckey, centre, radius, pred=None):
    return sum(1 for r in rows
        if (pred is None or pred(r))
        and ang_dist(r[rakey], r[deckey], centre[0], centre[1]) <= radius)


def print_stats(images, sources):
    print("esaptest.images / ivoa.obscore: %d rows" % len(images))
    for coll in ("esaptest-images", "esaptest-cubes"):
        print("  %s: %d rows" % (coll,
            sum(1 for r in images if r["obs_collection"] == coll)))
    for centre in (FIELD_A, FIELD_B, FIELD_S):
        for radius in (0.5, 1.0, 2.0, 3.0, 5.0, 10.0):
            all_ = count_within(images, "s_ra", "s_dec", centre, radius)
            per = [count_within(images, "s_ra", "s_dec", centre, radius,
                lambda r, c=coll: r["obs_collection"] == c)
                for coll in ("esaptest-images", "esaptest-cubes")]
            print("  s_ra/s_dec within %4.1f deg of %s: %3d"
                " (images %d, cubes %d)" % (radius, centre, all_, *per))
    print("  awkward target names:")
    for t in AWKWARD_TARGETS:
        print("    %r: %d rows" % (t,
            sum(1 for r in images if r["target_name"] == t)))
    print("esaptest.sources: %d rows" % len(sources))
    for centre in (FIELD_S, FIELD_A):
        for radius in (0.5, 1.0, 2.0, 5.0):
            print("  within %3.1f deg of %s: %d" % (radius, centre,
                count_within(sources, "ra", "dec", centre, radius)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outdir", default=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
    parser.add_argument("--stats", action="store_true",
        help="print exact cone counts")
    args = parser.parse_args()

    rng = random.Random(SEED)
    images = make_images(rng)
    sources = make_sources(rng)

    os.makedirs(args.outdir, exist_ok=True)
    write_csv(os.path.join(args.outdir, "images.csv"), IMAGES_COLUMNS, images)
    write_csv(os.path.join(args.outdir, "sources.csv"),
        SOURCES_COLUMNS, sources)
    if args.stats:
        print_stats(images, sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
