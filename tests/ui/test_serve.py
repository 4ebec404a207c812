"""ui.serve's download grace: a clicked download's file outlives other sessions' script runs."""

from __future__ import annotations

import pytest
from streamlit.runtime import media_file_manager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from ui import serve


def clicked_download(manager: MediaFileManager, storage: MemoryMediaFileStorage) -> str:
    """Register a deferred download, run it as a click does, and return the stored file's id."""
    placeholder = manager.add_deferred(
        lambda: b"quadrant,met\nNW,3\n", "text/csv", "chart.csv", "Y.0"
    )
    url = manager.execute_deferred(placeholder)
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    assert storage.get_file(file_id).content == b"quadrant,met\nNW,3\n"
    return file_id


@pytest.fixture
def manager_and_storage(monkeypatch):
    monkeypatch.setattr(
        media_file_manager, "MediaFileMetadata", media_file_manager.MediaFileMetadata
    )
    storage = MemoryMediaFileStorage("/media")
    return MediaFileManager(storage), storage


def test_without_the_grace_two_other_runs_delete_a_clicked_download(manager_and_storage):
    # Streamlit 1.67's own behaviour, the reason for the grace: if this starts failing,
    # Streamlit has fixed it and serve.keep_downloads_for_a_grace_period can go.
    manager, storage = manager_and_storage
    file_id = clicked_download(manager, storage)
    manager.remove_orphaned_files()
    manager.remove_orphaned_files()
    with pytest.raises(MediaFileStorageError):
        storage.get_file(file_id)


def test_with_the_grace_the_file_is_served_until_the_grace_has_passed(
    manager_and_storage, monkeypatch
):
    manager, storage = manager_and_storage
    clock = [1000.0]
    monkeypatch.setattr(serve.time, "monotonic", lambda: clock[0])
    serve.keep_downloads_for_a_grace_period()
    file_id = clicked_download(manager, storage)
    for _ in range(10):  # ten other sessions' runs end before the browser asks for the file
        manager.remove_orphaned_files()
    assert storage.get_file(file_id).content == b"quadrant,met\nNW,3\n"
    clock[0] += serve.DOWNLOAD_GRACE_S - 1
    manager.remove_orphaned_files()
    assert storage.get_file(file_id).content == b"quadrant,met\nNW,3\n"
    clock[0] += 1
    manager.remove_orphaned_files()
    with pytest.raises(MediaFileStorageError):
        storage.get_file(file_id)


def test_a_pages_folder_left_from_an_older_copy_stops_the_start(tmp_path):
    serve.refuse_a_pages_folder(tmp_path)  # none: nothing said
    (tmp_path / "pages").mkdir()
    with pytest.raises(SystemExit, match=r"pages is left over from an older version"):
        serve.refuse_a_pages_folder(tmp_path)
    serve.refuse_a_pages_folder()  # this checkout has none
