"""The media store under uploads that race: the same photo written by two requests at once
(a double tap, a script's auto-submit beside a tap) is kept whole, once, and leaves no parts."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from storage.media import MediaStore


def test_the_same_photo_written_by_many_threads_at_once_is_kept_whole_and_leaves_no_part(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    content = b"\x89PNG" + bytes(range(256)) * 65536  # 16 MB: writes that overlap
    sha256 = hashlib.sha256(content).hexdigest()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def put() -> None:
        start.wait()
        try:
            media.put_bytes(content, sha256, "PNG")
        except BaseException as error:  # noqa: BLE001 - the test reports any
            failures.append(error)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert media.find(sha256).read_bytes() == content
    assert [p.name for p in (tmp_path / "media" / sha256[:2]).iterdir()] == [f"{sha256}.png"]


def test_a_write_that_fails_leaves_neither_the_photo_nor_a_part(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    missing = tmp_path / "gone.jpg"
    try:
        media.put(missing, "ab" * 32, "JPEG")
    except FileNotFoundError:
        pass
    else:
        raise AssertionError("a missing source must fail")
    assert media.find("ab" * 32) is None
    assert list((tmp_path / "media" / "ab").iterdir()) == []
