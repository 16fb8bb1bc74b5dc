"""Moving `gs://` objects to and from local files, for Spark where the GCS connector is missing.

Spark reaches Cloud Storage through the Hadoop GCS connector (a jar Dataproc installs). That jar is
not on PyPI and cannot be fetched here, so locally the Spark job stages its `gs://` input to local
files and uploads its output afterwards, with the google-cloud-storage client — which talks to the
local emulator when `STORAGE_EMULATOR_HOST` is set and to Cloud Storage otherwise. This is a
staging copy, not Spark's gs:// filesystem; the README says so.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from google.cloud import storage


def split_gs(url: str) -> tuple[str, str]:
    """`gs://bucket/a/b` -> ("bucket", "a/b")."""
    if not url.startswith("gs://"):
        raise ValueError(f"not a gs:// URL: {url!r}")
    bucket, _, name = url[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, name


def client() -> storage.Client:
    """A storage client: the emulator's when STORAGE_EMULATOR_HOST is set (anonymous), else ADC."""
    return storage.Client()


def stage_in(pattern: str, local_dir: Path) -> Path:
    """Download the objects matching a gs:// file, glob or prefix into `local_dir`; return it."""
    bucket, name = split_gs(pattern)
    wildcard = any(ch in name for ch in "*?[")
    prefix = name.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0] if wildcard else name
    local_dir.mkdir(parents=True, exist_ok=True)
    found = 0
    for blob in client().list_blobs(bucket, prefix=prefix):
        exact = blob.name == name or (not wildcard and blob.name.startswith(name.rstrip("/") + "/"))
        if (wildcard and fnmatch.fnmatchcase(blob.name, name)) or exact:
            target = local_dir / f"{found:05d}-{Path(blob.name).name}"
            blob.download_to_filename(str(target))
            found += 1
    if not found:
        raise FileNotFoundError(f"no objects match {pattern}")
    return local_dir


def stage_out(local_dir: Path, url: str) -> int:
    """Replace the objects under gs:// prefix `url` with the files of `local_dir`; return how many."""
    bucket_name, prefix = split_gs(url)
    prefix = prefix.rstrip("/") + "/"
    gcs = client()
    bucket = gcs.bucket(bucket_name)
    for blob in list(gcs.list_blobs(bucket_name, prefix=prefix)):
        blob.delete()  # overwrite semantics, like Spark's mode("overwrite")
    uploaded = 0
    for path in sorted(local_dir.iterdir()):
        if path.is_file() and not path.name.startswith("."):  # skip Hadoop's .crc side files
            bucket.blob(prefix + path.name).upload_from_filename(str(path))
            uploaded += 1
    return uploaded
