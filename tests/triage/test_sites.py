"""Importing sites again, on both databases: a row without a location keeps the site's, and a
grid column that names another cell than the location wins, with a note for each."""

from firecircle.sample import load_sample_district
from triage.fieldwork.sites import import_sites, list_sites, parse_sites

HEADER = "name,address,type,lat,lon,grid\n"


async def test_notes_on_a_kept_location_and_a_grid_column_that_disagrees(sessions):
    await load_sample_district(sessions)
    first = HEADER + "幸福小区3号楼,幸福路12号3栋,住宅,30.5415,114.3320,\n"
    done = await import_sites(sessions, parse_sites(first, geojson=False))
    assert (done.added, done.updated, done.notes) == (1, 0, ())

    again = HEADER + "幸福小区3号楼,幸福路12号3栋,住宅,,,DH-02-01\n"
    done = await import_sites(sessions, parse_sites(again, geojson=False))
    assert (done.added, done.updated) == (0, 1)
    assert [note.split(" / ")[1] for note in done.notes] == [
        "line 2 (幸福小区3号楼): no lat,lon in the file, kept its old 30.5415,114.332",
        "line 2 (幸福小区3号楼): its location is in cell DH-01-01 but its grid column says"
        " DH-02-01: placed in DH-02-01 (the grid column wins)",
    ]
    (entry,) = await list_sites(sessions)
    assert (entry.site.latitude, entry.site.longitude, entry.grid) == (30.5415, 114.332, "DH-02-01")
