"""helpers.datasets: data location, registry, and the download path end to end on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

import _imagefactory as factory
from _archiveserver import ArchiveServer, tar_bytes, zip_bytes
from helpers import datasets
from helpers.datasets import DatasetSpec, DownloadError, Source, UnsafeArchiveError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_CATS_DOGS = SHARED / "cats-dogs"

INSIDE = "tutorial/images"  # the folder inside the test archives, behind a "mini-master/" wrapper


def mini_spec(url: str, **changes) -> DatasetSpec:
    fields = dict(
        name="mini", url=url, description="a tiny test dataset",
        sources=(Source(f"{INSIDE}/training_data/cats", "cats", "training_data"),
                 Source(f"{INSIDE}/training_data/dogs", "dogs", "training_data"),
                 Source(f"{INSIDE}/testing_data/cats", "cats", "testing_data"),
                 Source(f"{INSIDE}/testing_data/dogs", "dogs", "testing_data")),
        min_counts={"training_data": 3, "testing_data": 2},
    )
    fields.update(changes)
    return DatasetSpec(**fields)


def mini_files(train: int = 3, test: int = 2) -> dict[str, bytes]:
    """Archive members as GitHub would pack them, with junk beside the photos."""
    files = {}
    for split, count in (("training_data", train), ("testing_data", test)):
        for class_index, name in enumerate(("cats", "dogs")):
            for i in range(count):
                data = factory.jpeg_bytes(factory.photo(8, 10, seed=class_index * 50 + i))
                files[f"mini-master/{INSIDE}/{split}/{name}/{name[:-1]}.{i}.jpg"] = data
    files[f"mini-master/{INSIDE}/training_data/cats/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    files[f"mini-master/{INSIDE}/training_data/cats/Thumbs.db"] = b"junk"
    files[f"mini-master/{INSIDE}/training_data/dogs/._dog.0.jpg"] = b"\x00\x05\x16\x07"
    files[f"mini-master/{INSIDE}/README.md"] = b"# the tutorial\n"
    files["mini-master/other/elsewhere.jpg"] = factory.jpeg_bytes(factory.photo(4, 4))
    return files


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def server():
    with ArchiveServer() as running:
        yield running


@pytest.fixture
def quiet():
    return io.StringIO()


# ---- where the data is ----------------------------------------------------------------------


def test_data_root_explicit_argument_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "from-env"))
    assert datasets.data_root(tmp_path / "explicit") == tmp_path / "explicit"


def test_data_root_from_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "from-env"))
    assert datasets.data_root() == tmp_path / "from-env"
    assert datasets.dataset_dir() == tmp_path / "from-env" / "cats-dogs"
    assert datasets.dataset_dir("petimages") == tmp_path / "from-env" / "petimages"


def test_data_root_defaults_to_data_in_the_repository(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    repo = Path(datasets.__file__).resolve().parent.parent
    assert datasets.data_root() == repo / "data"
    assert datasets.dataset_dir(root="/somewhere") == Path("/somewhere/cats-dogs")


# ---- the registry ---------------------------------------------------------------------------


def test_registry_has_the_three_datasets_mapped_to_the_course_layout():
    assert {"cats-dogs", "cats_and_dogs_filtered", "petimages"} <= set(datasets.REGISTRY)
    for spec in datasets.REGISTRY.values():
        assert spec.class_names == ["cats", "dogs"]
        assert set(spec.min_counts) == {"training_data", "testing_data"}
        assert spec.url.startswith("https://")
    assert datasets.get_spec("cats-dogs").archive_name == "cats-dogs.zip"
    assert "tutorial-2-image-classifier" in datasets.get_spec("cats-dogs").sources[0].folder
    assert datasets.get_spec("cats_and_dogs_filtered").min_counts == {"training_data": 1000, "testing_data": 500}


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError, match="cats-dogs"):
        datasets.get_spec("kittens")


def test_petimages_is_split_by_file_number_highest_tenth_for_testing():
    spec = datasets.get_spec("petimages")
    names = [f"PetImages/Cat/{i}.jpg" for i in range(20)] + ["PetImages/Cat/Thumbs.db"]
    names += [f"PetImages/Dog/{i}.jpg" for i in range(10)]
    plan = datasets.plan_extraction(names, spec)
    testing = sorted(v for v in plan.values() if v.startswith("testing_data/cats"))
    assert testing == ["testing_data/cats/18.jpg", "testing_data/cats/19.jpg"]  # 18 after 9: by number
    assert plan["PetImages/Cat/9.jpg"] == "training_data/cats/9.jpg"
    assert plan["PetImages/Dog/9.jpg"] == "testing_data/dogs/9.jpg"
    assert "PetImages/Cat/Thumbs.db" not in plan
    assert len(plan) == 30


@pytest.mark.skipif(not SHARED_CATS_DOGS.is_dir(), reason="the shared course photos are not here")
def test_shared_photos_satisfy_the_cats_dogs_layout():
    assert datasets.layout_problems(SHARED_CATS_DOGS, datasets.get_spec("cats-dogs")) == []
    assert datasets.is_present("cats-dogs", SHARED)


def test_layout_problems_name_the_missing_and_the_short(tmp_path):
    spec = mini_spec("http://unused")
    factory.make_dataset(tmp_path / "mini" / "training_data", {"cats": 3, "dogs": 1})
    problems = datasets.layout_problems(tmp_path / "mini", spec)
    assert any("dogs holds 1 images, expected at least 3" in p for p in problems)
    assert any("testing_data/cats is missing" in p for p in problems)


# ---- download: already there ---------------------------------------------------------------


@pytest.mark.skipif(not SHARED_CATS_DOGS.is_dir(), reason="the shared course photos are not here")
def test_download_of_the_shared_copy_says_already_there_and_writes_nothing(quiet):
    before = sorted(os.listdir(SHARED))
    path = datasets.download("cats-dogs", SHARED, stream=quiet)
    assert path == SHARED_CATS_DOGS
    assert "already there" in quiet.getvalue()
    assert sorted(os.listdir(SHARED)) == before


def test_download_skips_a_complete_dataset_without_touching_the_network(tmp_path, quiet):
    for split, count in (("training_data", 3), ("testing_data", 2)):
        factory.make_dataset(tmp_path / "mini" / split, {"cats": count, "dogs": count})
    before = tree(tmp_path)
    spec = mini_spec("http://127.0.0.1:9/never-asked.zip")
    assert datasets.download(spec, tmp_path, stream=quiet) == tmp_path / "mini"
    assert quiet.getvalue().strip() == f"mini: already there in {tmp_path / 'mini'}"
    assert tree(tmp_path) == before


def test_download_refuses_to_touch_an_incomplete_folder(tmp_path, quiet):
    factory.make_dataset(tmp_path / "mini" / "training_data", {"cats": 1})
    before = tree(tmp_path)
    with pytest.raises(DownloadError, match="exists but is not a complete mini"):
        datasets.download(mini_spec("http://127.0.0.1:9/x.zip"), tmp_path, stream=quiet)
    assert tree(tmp_path) == before


# ---- download: end to end -------------------------------------------------------------------


def assert_mini_installed(root: Path) -> None:
    assert tree(root / "mini") == [
        "testing_data", "testing_data/cats", "testing_data/cats/cat.0.jpg", "testing_data/cats/cat.1.jpg",
        "testing_data/dogs", "testing_data/dogs/dog.0.jpg", "testing_data/dogs/dog.1.jpg",
        "training_data", "training_data/cats", "training_data/cats/cat.0.jpg",
        "training_data/cats/cat.1.jpg", "training_data/cats/cat.2.jpg",
        "training_data/dogs", "training_data/dogs/dog.0.jpg", "training_data/dogs/dog.1.jpg",
        "training_data/dogs/dog.2.jpg",
    ]
    files = mini_files()
    assert (root / "mini/training_data/dogs/dog.2.jpg").read_bytes() == \
        files[f"mini-master/{INSIDE}/training_data/dogs/dog.2.jpg"]
    assert [p.name for p in root.iterdir()] == ["mini"]  # no archive, no .part, no temp folder left


def test_download_zip_end_to_end(tmp_path, server, quiet):
    server.files["mini.zip"] = zip_bytes(mini_files())
    path = datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert path == tmp_path / "mini"
    assert_mini_installed(tmp_path)
    assert "mini: 10 images in" in quiet.getvalue()
    assert server.requests == [("mini.zip", None)]


def test_download_tar_gz_end_to_end(tmp_path, server, quiet):
    server.files["mini.tar.gz"] = tar_bytes(mini_files())
    datasets.download(mini_spec(server.url("mini.tar.gz")), tmp_path, progress=False, stream=quiet)
    assert_mini_installed(tmp_path)


def test_download_keeps_the_archive_when_asked(tmp_path, server, quiet):
    server.files["mini.zip"] = zip_bytes(mini_files())
    datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet,
                      keep_archive=True)
    assert (tmp_path / ".downloads" / "mini.zip").read_bytes() == server.files["mini.zip"]


@pytest.mark.parametrize("how", ["cut", "reset"])
def test_transfer_cut_off_midway_is_resumed_with_range(tmp_path, server, quiet, how):
    archive = zip_bytes(mini_files())
    server.files["mini.zip"] = archive
    server.break_next = [how]
    datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert_mini_installed(tmp_path)
    assert len(server.requests) == 2
    assert server.requests[0] == ("mini.zip", None)
    offset = int(server.requests[1][1].removeprefix("bytes=").removesuffix("-"))
    assert 0 < offset < len(archive)


def test_server_without_range_support_makes_it_start_again(tmp_path, server, quiet):
    server.files["mini.zip"] = zip_bytes(mini_files())
    server.honour_range = False
    server.break_next = ["cut"]
    datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert_mini_installed(tmp_path)
    assert len(server.requests) == 2


def test_part_file_is_never_taken_for_complete_and_a_later_run_resumes_it(tmp_path, server, quiet):
    archive = zip_bytes(mini_files())
    server.files["mini.zip"] = archive
    server.break_next = ["cut"]
    spec = mini_spec(server.url("mini.zip"))
    with pytest.raises(DownloadError, match="did not complete.*run the same command again"):
        datasets.download(spec, tmp_path, progress=False, retries=0, stream=quiet)
    part = tmp_path / ".downloads" / "mini.zip.part"
    assert 0 < part.stat().st_size < len(archive)
    assert not (tmp_path / ".downloads" / "mini.zip").exists()
    assert not (tmp_path / "mini").exists()
    have = part.stat().st_size

    datasets.download(spec, tmp_path, progress=False, stream=quiet)  # the next run, as after Ctrl-C
    assert_mini_installed(tmp_path)
    assert server.requests[-1] == ("mini.zip", f"bytes={have}-")


def test_a_full_size_part_of_garbage_is_downloaded_anew(tmp_path, server, quiet):
    archive = zip_bytes(mini_files())
    server.files["mini.zip"] = archive
    (tmp_path / ".downloads").mkdir()
    (tmp_path / ".downloads" / "mini.zip.part").write_bytes(b"x" * len(archive))
    datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert_mini_installed(tmp_path)
    assert [r[1] for r in server.requests] == [f"bytes={len(archive)}-", None]  # 416, then from 0


def test_progress_bar_reaches_100_percent(tmp_path, server):
    server.files["mini.zip"] = zip_bytes(mini_files())
    stderr = io.StringIO()
    datasets.fetch(server.url("mini.zip"), tmp_path / "mini.zip", stream=stderr)
    assert "mini.zip" in stderr.getvalue() and "100%" in stderr.getvalue()
    assert "[####################]" in stderr.getvalue()


def test_offline_gives_one_clear_line(tmp_path, quiet):
    with socket_closed_port() as port:
        spec = mini_spec(f"http://127.0.0.1:{port}/mini.zip")
        with pytest.raises(DownloadError) as info:
            datasets.download(spec, tmp_path, progress=False, stream=quiet, timeout=5)
    message = str(info.value)
    assert "cannot reach 127.0.0.1" in message and "offline" in message and "\n" not in message
    assert "COURSE_DATA_DIR" in message
    assert not (tmp_path / "mini").exists()


def test_http_error_is_reported(tmp_path, server, quiet):
    with pytest.raises(DownloadError, match="HTTP 404"):
        datasets.download(mini_spec(server.url("missing.zip")), tmp_path, progress=False, stream=quiet)


def test_an_error_page_instead_of_an_archive_is_refused_and_deleted(tmp_path, server, quiet):
    server.files["mini.zip"] = b"<html>rate limited</html>"
    with pytest.raises(DownloadError, match="neither a zip nor a tar"):
        datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert not (tmp_path / "mini").exists()
    assert not (tmp_path / ".downloads" / "mini.zip").exists()


def test_checksum_is_verified_when_known(tmp_path, server, quiet):
    archive = zip_bytes(mini_files())
    server.files["mini.zip"] = archive
    wrong = mini_spec(server.url("mini.zip"), sha256="0" * 64)
    with pytest.raises(DownloadError, match="sha256 does not match"):
        datasets.download(wrong, tmp_path, progress=False, stream=quiet)
    assert not (tmp_path / "mini").exists() and not (tmp_path / ".downloads" / "mini.zip").exists()
    right = mini_spec(server.url("mini.zip"), sha256=hashlib.sha256(archive).hexdigest())
    datasets.download(right, tmp_path, progress=False, stream=quiet)
    assert_mini_installed(tmp_path)


def test_archive_with_too_few_images_is_not_installed(tmp_path, server, quiet):
    server.files["mini.zip"] = zip_bytes(mini_files(train=2))
    with pytest.raises(DownloadError, match="does not hold what the registry expects.*holds 2 images"):
        datasets.download(mini_spec(server.url("mini.zip")), tmp_path, progress=False, stream=quiet)
    assert not (tmp_path / "mini").exists()
    assert [p.name for p in tmp_path.iterdir()] == [".downloads"]  # no half-extracted folder


# ---- malicious archives ------------------------------------------------------------------------

EVIL = b"evil"


def evil_zips(outside: Path) -> dict[str, bytes]:
    good = mini_files()
    return {
        "dotdot": zip_bytes({**good, f"mini-master/{INSIDE}/training_data/cats/../../../../../evil.jpg": EVIL}),
        "absolute": zip_bytes({**good, str(outside / "evil.jpg"): EVIL}),
        "windows": zip_bytes({**good, "C:\\temp\\evil.jpg": EVIL}),
        "symlink": zip_bytes(good, symlinks={f"mini-master/{INSIDE}/training_data/cats/link.jpg": "/etc/passwd"}),
    }


def evil_tars(outside: Path) -> dict[str, bytes]:
    good = mini_files()
    cats = f"mini-master/{INSIDE}/training_data/cats"
    return {
        "tar-dotdot": tar_bytes({**good, f"{cats}/../../../../../../evil.jpg": EVIL}),
        "tar-absolute": tar_bytes({**good, str(outside / "evil.jpg"): EVIL}),
        "tar-symlink": tar_bytes(good, links={f"{cats}/link.jpg": (tarfile.SYMTYPE, "/etc/passwd")}),
        "tar-hardlink": tar_bytes(good, links={f"{cats}/link.jpg": (tarfile.LNKTYPE, "/etc/passwd")}),
    }


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "windows", "symlink",
                                  "tar-dotdot", "tar-absolute", "tar-symlink", "tar-hardlink"])
def test_malicious_archive_is_refused_whole(tmp_path, server, quiet, kind):
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    archives = {**evil_zips(outside), **evil_tars(outside)}
    server.files["mini.zip"] = archives[kind]
    with pytest.raises(UnsafeArchiveError, match="refusing mini.zip: member .*"):
        datasets.download(mini_spec(server.url("mini.zip")), root, progress=False, stream=quiet)
    assert not list(tmp_path.rglob("evil.jpg")) and not list(tmp_path.rglob("link.jpg"))
    assert not (root / "mini").exists()
    assert [p.name for p in root.iterdir()] == [".downloads"]
    assert list((root / ".downloads").iterdir()) == []  # the bad archive is not kept either


def test_unwritable_destination_is_one_line(tmp_path, quiet):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(DownloadError, match="cannot write to"):
        datasets.download(mini_spec("http://127.0.0.1:9/x.zip"), tmp_path / "a-file", stream=quiet)


# ---- helpers ----------------------------------------------------------------------------------


class socket_closed_port:
    """A loopback port that nothing listens on (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def __exit__(self, *exc) -> None:
        pass
