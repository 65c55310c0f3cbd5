"""Cluster-mode settings: refused at start with the setting named, defaults unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelbox.settings import Settings

PG = "postgresql://postgres@127.0.0.1:5432/reelbox"
S3 = "s3://bucket/prefix"


def test_the_defaults_are_one_machine(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert (settings.role, settings.executor, settings.blob_url) == ("all", "local", None)
    assert not settings.download_redirect and settings.ray_profiles == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"role": "api"}, "role = 'api' \\(--no-workers\\) needs a PostgreSQL database_url"),
        (
            {"role": "api", "database_url": PG},
            "role = 'api' \\(--no-workers\\) needs executor = 'ray': with the local executor",
        ),
        ({"executor": "ray", "blob_url": S3}, "executor = 'ray' needs a PostgreSQL database_url"),
        ({"executor": "ray", "database_url": PG}, "executor = 'ray' needs a blob_url"),
        ({"blob_url": "ftp://host/x"}, "blob_url 'ftp://host/x' must start with s3://"),
        ({"download_redirect": True}, "download_redirect needs a blob_url on s3://"),
        (
            {"download_redirect": True, "blob_url": "file:///tmp/x"},
            "download_redirect needs a blob_url on s3://",
        ),
        ({"ray_profiles": {"nope": {"replicas": 1}}}, "ray_profiles.nope: no such profile"),
        ({"ray_profiles": {"reelbox-procedural": {"gpus": 1}}}, "Extra inputs"),
    ],
)
def test_bad_cluster_settings_are_refused_naming_the_setting(
    tmp_path: Path, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_a_full_cluster_configuration_is_accepted(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        role="api",
        executor="ray",
        database_url=PG,
        blob_url=S3,
        blob_options={"region": "eu-west-1"},
        download_redirect=True,
        ray_address="ray://head:10001",
        ray_profiles={"reelbox-procedural": {"replicas": 2, "num_gpus": 0.5}},
    )
    assert settings.ray_profiles["reelbox-procedural"].replicas == 2
    assert settings.ray_profiles["reelbox-procedural"].max_restarts == 3
