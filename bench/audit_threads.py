"""The previous listing of `mediactl audit`, kept for `python -m bench audit` to measure beside the
current one (mediactl/listing.py): every folder listed on a thread of its own in the tool's
process, 16 at a time, botocore parsing each page on that thread."""

from mediactl.listing import WORKERS, _drain


def list_objects(s3, bucket: str, prefix: str, on_page, workers: int = WORKERS) -> None:
    """Every object under `prefix`, handed to `on_page` a page (a list of ListObjectsV2 entries)
    at a time. Folders are opened a level at a time (the objects right in them handed on, their
    subfolders found: `archive/`, then its years, then their months) while there are fewer of
    them than workers; then each folder is listed whole, side by side, one per thread."""
    paginator = s3.get_paginator("list_objects_v2")

    def open_folder(folder: str, put) -> None:
        subfolders = _Subfolders()
        for page in paginator.paginate(Bucket=bucket, Prefix=folder, Delimiter="/"):
            subfolders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            if page.get("Contents"):
                put(page["Contents"])
        put(subfolders)

    def list_folder(folder: str, put) -> None:
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            if page.get("Contents"):
                put(page["Contents"])

    folders = [prefix]
    while 0 < len(folders) < workers:
        found: list[str] = []
        _drain(folders, open_folder, lambda page: found.extend(page) if isinstance(page, _Subfolders) else on_page(page), workers)
        folders = found
    if folders:
        _drain(folders, list_folder, on_page, workers)


class _Subfolders(list):
    """The subfolders an opened folder holds (its objects were handed on)."""


