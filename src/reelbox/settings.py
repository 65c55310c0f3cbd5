"""Settings: environment variables `REELBOX_*`, an optional TOML file, and command-line flags.

Precedence, highest first: values passed by the entry point (command-line flags), environment
variables, the TOML file given with `--config`, defaults. Everything is validated at start-up with
a message that names the setting; nothing is built at import time.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

EMBEDDED_PROFILE = "reelbox-procedural"

SORA_ALIASES = (
    "sora-2",
    "sora-2-pro",
    "sora-2-2025-10-06",
    "sora-2-pro-2025-10-06",
    "sora-2-2025-12-08",
)


class ProfileSettings(BaseModel):
    """One engine profile: which engine, and the options it is built with.

    Keys beside the fields below are engine options too, so a profile may say
    `family = "wan2.1-t2v"` next to `engine = "diffusers"` instead of inside `options = {...}`.
    """

    model_config = ConfigDict(extra="forbid")

    engine: str = "procedural"
    description: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    # What a second of video from this profile costs (USD), for the studio's estimate. None: free
    # on this server (the estimate shows the expected time), unless sora_prices is set.
    price_per_second: float | None = Field(default=None, ge=0)
    # The Sora names this profile serves are estimated at Sora's published prices (a profile
    # configured to charge them); price_per_second, when set, wins.
    sora_prices: bool = False
    # Placement (with `gpus` set): devices per job (a multi-GPU job runs one rank per device,
    # with `parallel = { ulysses = N }` or `ring`), and how many workers serve the profile
    # ("fill": as many as the free devices allow). See executors/placement.py.
    gpus_per_job: Literal[1, 2, 4, 8] | None = None
    replicas: Annotated[int, Field(ge=1, le=256)] | Literal["fill"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _extra_keys_are_options(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        extra = {k: v for k, v in data.items() if k not in cls.model_fields}
        options = data.get("options", {})
        if not extra or not isinstance(options, dict):
            return data
        twice = sorted(set(extra) & set(options))
        if twice:
            raise ValueError(f"option(s) {', '.join(twice)} given both in options and beside it")
        kept = {k: v for k, v in data.items() if k in cls.model_fields}
        return {**kept, "options": {**options, **extra}}


class ClassifierSettings(BaseModel):
    """An OpenAI-compatible `/v1/moderations` endpoint asked beside the built-in checks."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Base URL, e.g. 'http://127.0.0.1:9000/v1'.")
    model: str | None = None
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    on_error: Literal["allow", "block"] = Field(
        default="allow",
        description="When it cannot answer: allow (fail open) or block (fail closed).",
    )
    images: bool = Field(
        default=False, description="It accepts images: send inputs and output frames."
    )
    thresholds: dict[str, float] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the classifier url must start with http:// or https://")
        return value.rstrip("/")


class ModerationPolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    block: list[str] = Field(description="Categories blocked, e.g. ['sexual/minors', 'hate'].")


class ModerationSettings(BaseModel):
    """Moderation of prompts, inputs and outputs (docs/moderation.md)."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(
        default="sora", description="The policy of every project not listed in projects."
    )
    projects: dict[str, str] = Field(default_factory=dict, description="project -> policy")
    policies: dict[str, ModerationPolicySettings] = Field(default_factory=dict)
    terms: list[Path] = Field(
        default_factory=list, description="Operator term files or folders added to the lists."
    )
    classifier: ClassifierSettings | None = None
    output_frames: int = Field(default=4, ge=1, le=16, description="Output frames checked.")
    input_video_frames: int = Field(default=4, ge=1, le=16, description="Input video frames.")

    @model_validator(mode="after")
    def _known_policies(self) -> ModerationSettings:
        known = {"sora", "standard", "off", *self.policies}
        for name in (self.policy, *self.projects.values()):
            if name not in known:
                raise ValueError(
                    f"unknown moderation policy {name!r}; known: {', '.join(sorted(known))}"
                )
        return self

    def policy_name(self, project: str) -> str:
        return self.projects.get(project, self.policy)


# An API replica has no workers; with the local executor no process would run its jobs.
NO_WORKERS_LOCAL = (
    "role = 'api' (--no-workers) needs executor = 'ray': with the local executor no replica "
    "runs jobs (docs/cluster.md)"
)


class RayProfileSettings(BaseModel):
    """How a profile's actors are placed on a Ray cluster (`[ray_profiles.NAME]`)."""

    model_config = ConfigDict(extra="forbid")

    replicas: int = Field(1, ge=0, le=4096, description="Actors (0: not served on Ray).")
    num_gpus: float = Field(0, ge=0)
    num_cpus: float = Field(1, ge=0)
    resources: dict[str, float] = Field(default_factory=dict, description="Custom resources.")
    runtime_env: dict[str, Any] = Field(default_factory=dict)
    max_restarts: int = Field(3, ge=-1, description="Ray restarts of a dead actor (-1: always).")
    spread: bool = Field(True, description="Place the actors on different nodes where possible.")


def _default_profiles() -> dict[str, ProfileSettings]:
    return {
        EMBEDDED_PROFILE: ProfileSettings(
            engine="procedural",
            description="Embedded procedural CPU renderer (not an AI model).",
        )
    }


def _default_aliases() -> dict[str, str]:
    return dict.fromkeys(SORA_ALIASES, EMBEDDED_PROFILE)


def _default_deployments() -> dict[str, str]:
    # Azure deployment names → catalogue names (DECISIONS D7).
    return {
        "sora": EMBEDDED_PROFILE,
        "sora-1": EMBEDDED_PROFILE,
        "sora-2": "sora-2",
        "sora-2-pro": "sora-2-pro",
    }


def parse_api_keys(value: str) -> dict[str, str]:
    """Parse `key1=projectA,key2=projectB` into {key: project}."""
    keys: dict[str, str] = {}
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, project = entry.rpartition("=")
        if not sep or not key.strip() or not project.strip():
            raise ValueError(f"API key entries look like 'key=project', got {entry!r}")
        keys[key.strip()] = project.strip()
    return keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REELBOX_", env_nested_delimiter="__", extra="forbid"
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("reelbox-data")
    database_url: str | None = None
    api_keys: Annotated[dict[SecretStr, str], NoDecode] = Field(default_factory=dict)
    insecure: bool = False
    # Encrypts webhook signing secrets at rest (Fernet keys, comma-separated: the first
    # encrypts, all decrypt). Unset: generated into `data_dir/secret.key` (mode 0600) on first
    # start. Servers sharing one PostgreSQL database must share this key.
    secret_key: SecretStr | None = None
    # The edge (docs/security.md): which Host and Origin headers open local mode serves, and
    # whether the docs and metrics need a key when keys are configured.
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names served in open mode besides loopback ('.example.com': and "
        "subdomains; '*': any).",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (e.g. 'http://localhost:3000') allowed to make state-changing "
        "requests in open mode besides the server's own.",
    )
    public_docs: bool = Field(False, description="/docs and /openapi.json answer without a key.")
    public_metrics: bool = Field(False, description="/metrics answers without a key.")

    workers: int = Field(2, ge=1, le=256, description="Global worker slots (processes).")
    pipelined_output: bool = Field(
        True, description="Store a diffusion job's video while the next job denoises."
    )
    gpus: Literal["all"] | list[str] | None = Field(
        None,
        description="Devices for placed profiles: 'all' or ['cuda:0', ...] ('cpu:N': CPU "
        "pseudo-devices, for testing placement). Unset: every worker loads every profile.",
    )
    max_running_per_project: int = Field(2, ge=1)
    max_queued_per_project: int = Field(50, ge=1)
    requests_per_minute: int = Field(0, ge=0, description="Per-project create limit; 0 = off.")
    retention_seconds: int = Field(86400, ge=1)
    max_attempts: int = Field(3, ge=1)
    job_timeout_seconds: float = Field(
        1800,
        gt=0,
        description="Time limit per job, from when a worker takes it until its files are stored.",
    )
    lease_seconds: float = Field(30, gt=0)
    scheduler_interval_seconds: float = Field(0.2, gt=0)
    sweep_interval_seconds: float = Field(60, gt=0)
    poll_after_ms: int = Field(1000, ge=0)
    worker_memory_mb: int = Field(0, ge=0, description="Address-space cap per worker; 0 = off.")
    min_free_bytes: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description="Free space below which blobs/database count as full: not ready, no new jobs.",
    )
    orphan_grace_seconds: float = Field(
        3600, gt=0, description="Blobs no row owns are removed once untouched this long."
    )

    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_image_pixels: int = Field(4096 * 4096, ge=1)
    max_input_video_seconds: float = Field(60, gt=0)
    fetch_image_urls: bool = False
    image_url_hosts: list[str] = Field(default_factory=list)
    max_concurrent_decodes: int = Field(
        2, ge=1, le=64, description="Uploaded images and videos decoded at once by the API."
    )
    decode_wait_seconds: float = Field(
        10, ge=0, description="How long an upload waits for a decode slot before a 503."
    )

    # Webhooks (SORA_API.md A8, D8) and the live event stream.
    webhook_allow_http: bool = Field(False, description="Accept http:// endpoint URLs.")
    webhook_allow_private_addresses: bool = Field(
        False, description="Deliver to loopback, private and link-local addresses."
    )
    webhook_allowed_networks: list[str] = Field(
        default_factory=list, description="CIDRs always allowed, e.g. ['10.1.2.0/24']."
    )
    webhook_timeout_seconds: float = Field(10, gt=0, le=60)
    webhook_max_age_seconds: float = Field(72 * 3600, gt=0)
    webhook_backoff_seconds: float = Field(5, gt=0, description="First retry delay.")
    webhook_backoff_max_seconds: float = Field(3600, gt=0, description="Retry delay cap.")
    webhook_concurrency: int = Field(16, ge=1, le=256)
    webhook_poll_interval_seconds: float = Field(0.5, gt=0)
    webhook_delivery_retention_seconds: float = Field(30 * 86400, gt=0)
    events_poll_interval_seconds: float = Field(0.25, gt=0)
    events_keepalive_seconds: float = Field(15, gt=0)

    moderation: ModerationSettings = Field(default_factory=ModerationSettings)

    # Operations (docs/operations.md): quotas of every project (a project's own row in the
    # database overrides them), how long key lookups are cached, metrics and logs.
    quota_seconds_per_day: float | None = Field(None, ge=0, description="Video seconds a day.")
    quota_seconds_per_month: float | None = Field(None, ge=0, description="Video seconds a month.")
    quota_concurrent_jobs: int | None = Field(None, ge=1, description="Unfinished jobs at once.")
    key_cache_seconds: float = Field(
        2.0, ge=0, le=60, description="Database key lookups are cached this long."
    )
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Serve /metrics on this port only (no key needed)."
    )
    otel_endpoint: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="Export OpenTelemetry traces over OTLP/HTTP to this collector (extra `otel`).",
    )
    otel_service_name: str = Field(
        "reelbox", min_length=1, max_length=128, description="service.name of the traces."
    )
    log_format: Literal["text", "json"] = "text"
    log_prompts: bool = Field(False, description="Write prompts into the logs.")
    # Cluster mode (docs/cluster.md): media in an object store.
    blob_url: str | None = Field(
        default=None, description="s3://bucket/prefix, gs://…, az://…, file://…; None: data_dir."
    )
    blob_options: dict[str, Any] = Field(
        default_factory=dict,
        description="obstore options: endpoint, region, access_key_id, allow_http, …",
    )
    download_redirect: bool = Field(
        False, description="Answer content requests with a 302 to a signed URL."
    )
    download_url_seconds: float = Field(300, gt=0, le=7 * 86400)
    # Cluster mode: API replicas (`reelbox serve --no-workers` is role "api") and the executor.
    role: Literal["all", "api"] = Field(
        "all", description="all: API + scheduler + workers; api: a replica without workers."
    )
    executor: Literal["local", "ray"] = Field("local", description="Where jobs run.")
    ray_address: str = Field("auto", description="'auto', 'ray://host:10001' or 'host:6379'.")
    ray_namespace: str = "reelbox"
    ray_profiles: dict[str, RayProfileSettings] = Field(default_factory=dict)

    default_model: str = "sora-2"
    profiles: dict[str, ProfileSettings] = Field(default_factory=_default_profiles)
    aliases: dict[str, str] = Field(default_factory=_default_aliases)
    deployments: dict[str, str] = Field(
        default_factory=_default_deployments,
        description="Azure deployment names and the profile or alias each one serves.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("profiles", mode="after")
    @classmethod
    def _keep_embedded(cls, value: dict[str, ProfileSettings]) -> dict[str, ProfileSettings]:
        # The embedded engine is always there, so the Sora aliases always have a target.
        return {**_default_profiles(), **value}

    @field_validator("aliases", mode="after")
    @classmethod
    def _keep_sora_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        return {**_default_aliases(), **value}

    @field_validator("deployments", mode="after")
    @classmethod
    def _keep_default_deployments(cls, value: dict[str, str]) -> dict[str, str]:
        return {**_default_deployments(), **value}

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        return parse_api_keys(value) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _models_section_is_profiles(cls, data: Any) -> Any:
        # `[models.NAME]` in a settings file is another spelling of `[profiles.NAME]`.
        if isinstance(data, dict) and "models" in data:
            data = dict(data)
            models = data.pop("models")
            if not isinstance(models, dict):
                raise ValueError("[models] must be a table of profiles")
            twice = sorted(set(models) & set(data.get("profiles") or {}))
            if twice:
                raise ValueError(f"profile(s) {', '.join(twice)} in both [models] and [profiles]")
            data["profiles"] = {**(data.get("profiles") or {}), **models}
        return data

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("gpus")
    @classmethod
    def _check_gpus(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list):
            for device in value:
                if not re.fullmatch(r"(cuda|cpu):\d+", device):
                    raise ValueError(f"{device!r} is not a device like 'cuda:0' (or 'cpu:0')")
            if len(set(value)) != len(value):
                raise ValueError("a device is listed twice")
        return value

    @field_validator("blob_url")
    @classmethod
    def _check_blob_url(cls, value: str | None) -> str | None:
        if value is not None:
            from reelbox.blobs.object_store import check_url

            check_url(value)
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not a network like '10.1.2.0/24'") from None
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        profiles = set(self.profiles)
        for alias, target in self.aliases.items():
            if target not in profiles:
                raise ValueError(f"alias {alias!r} points at unknown profile {target!r}")
            if alias in profiles:
                raise ValueError(f"{alias!r} is both a profile and an alias")
        for deployment, target in self.deployments.items():
            if target not in profiles and target not in self.aliases:
                raise ValueError(f"deployment {deployment!r} points at unknown model {target!r}")
        if self.default_model not in profiles and self.default_model not in self.aliases:
            raise ValueError(f"default_model {self.default_model!r} is not a profile or alias")
        signing = ("s3:", "s3a:", "gs:", "az:", "azure:", "abfs:", "abfss:", "adl:")
        if self.download_redirect and not (self.blob_url or "").startswith(signing):
            raise ValueError("download_redirect needs a blob_url on s3://, gs:// or az://")
        if self.role == "api" and not self.resolved_database_url.startswith("postgresql"):
            raise ValueError(
                "role = 'api' (--no-workers) needs a PostgreSQL database_url: "
                "API replicas share one database, and SQLite serves one machine"
            )
        if self.role == "api" and self.executor == "local":
            raise ValueError(NO_WORKERS_LOCAL)
        if self.executor == "ray":
            if not self.resolved_database_url.startswith("postgresql"):
                raise ValueError("executor = 'ray' needs a PostgreSQL database_url")
            if self.blob_url is None:
                raise ValueError("executor = 'ray' needs a blob_url that every Ray node reaches")
        for name in self.ray_profiles:
            if name not in profiles:
                raise ValueError(f"ray_profiles.{name}: no such profile")
        if not self.api_keys and not self.insecure and not is_loopback(self.host):
            raise ValueError(
                f"refusing to listen on {self.host!r} without API keys: set REELBOX_API_KEYS, "
                "or pass --insecure to serve an open instance beyond this machine"
            )
        return self

    @property
    def open_mode(self) -> bool:
        """No keys configured: every request belongs to project `default`."""
        return not self.api_keys

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'reelbox.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from flags (`overrides`, None values ignored), env and a TOML file."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if config_file is None:
        return Settings(**values)
    if not config_file.is_file():
        raise ValueError(f"config file not found: {config_file}")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    return FileSettings(**values)
