"""A diffusers profile's options, checked when the profile is built (at start-up, without torch).

```toml
[profiles.wan-1_3b]
engine = "diffusers"
family = "wan2.1-t2v"                        # a preset from presets.FAMILIES
path = "/models/Wan2.1-T2V-1.3B-Diffusers"   # local weights (a hub id only with allow_download)
device = "cuda:0"
dtype = "bfloat16"
```

Every other key is optional and applied only when set; `docs/models.md` describes each with its
published effect. A wrong key or value is a ValueError whose message names the option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelbox.engines.diffusers.presets import AUDIO_FAMILIES, FAMILIES, AudioFamily, Family, Size

DTYPES = ("bfloat16", "float16", "float32")
OFFLOADS = ("model", "sequential", "group")
COMPILES = ("regional", "full")
# diffusers' AttentionBackendName values (0.42); diffusers checks availability at load time.
ATTENTION_BACKENDS = frozenset(
    {
        "flash",
        "flash_hub",
        "flash_varlen",
        "flash_varlen_hub",
        "flash_4_hub",
        "_flash_3",
        "_flash_varlen_3",
        "_flash_3_hub",
        "_flash_3_varlen_hub",
        "aiter_fa2_hub",
        "flex",
        "native",
        "_native_cudnn",
        "_native_efficient",
        "_native_flash",
        "_native_math",
        "_native_npu",
        "_native_xla",
        "sage",
        "sage_hub",
        "sage_blackwell_hub",
        "sage_varlen",
        "_sage_qk_int8_pv_fp8_cuda",
        "_sage_qk_int8_pv_fp8_cuda_sm90",
        "_sage_qk_int8_pv_fp16_cuda",
        "_sage_qk_int8_pv_fp16_triton",
        "xformers",
    }
)
# `cache = { type = ..., ... }`: diffusers config class and the fields it accepts.
CACHES: Mapping[str, tuple[str, frozenset[str]]] = {
    "first_block": ("FirstBlockCacheConfig", frozenset({"threshold"})),
    "mag": (
        "MagCacheConfig",
        frozenset(
            {
                "threshold",
                "max_skip_steps",
                "retention_ratio",
                "num_inference_steps",
                "mag_ratios",
                "calibrate",
            }
        ),
    ),
    "taylorseer": (
        "TaylorSeerCacheConfig",
        frozenset(
            {
                "cache_interval",
                "disable_cache_before_step",
                "disable_cache_after_step",
                "max_order",
                "use_lite_mode",
            }
        ),
    ),
}
MAX_SECONDS = 120.0
SEGMENTED_SECONDS = 20.0  # default longest clip for families that continue in segments
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?|xpu(:\d+)?)$")
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")

_KNOWN = frozenset(
    {
        "family",
        "path",
        "device",
        "dtype",
        "vae_dtype",
        "allow_download",
        "resolutions",
        "sizes",
        "max_seconds",
        "steps",
        "guidance",
        "guidance_2",
        "negative_prompt",
        "strength",
        "attention_backend",
        "compile",
        "cache",
        "lora",
        "offload",
        "vae_tiling",
        "vae_slicing",
        "streaming_decode",
        "audio",
        "warm",
        "parallel",
    }
)
_AUDIO_KNOWN = frozenset(
    {"family", "path", "device", "dtype", "steps", "guidance", "allow_download"}
)
_LORA_KNOWN = frozenset({"path", "weight_name", "scale", "steps", "guidance", "guidance_2"})


@dataclass(frozen=True, kw_only=True)
class LoraOptions:
    """A LoRA fused into the transformer; step-distilled LoRAs bring their own defaults."""

    path: str
    weight_name: str | None = None
    scale: float = 1.0
    steps: int | None = None
    guidance: float | None = None
    guidance_2: float | None = None


@dataclass(frozen=True, kw_only=True)
class CacheOptions:
    """`transformer.enable_cache(<config>(**settings))`."""

    kind: str
    config_class: str
    settings: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class AudioOptions:
    """A text-to-audio model that scores a silent family's videos from the prompt."""

    family: AudioFamily
    path: str
    device: str
    dtype: str
    steps: int
    guidance: float
    allow_download: bool = False


@dataclass(frozen=True, kw_only=True)
class ProfileOptions:
    family: Family
    path: str
    device: str = "cuda"
    dtype: str = "bfloat16"
    vae_dtype: str | None = None
    allow_download: bool = False
    resolutions: tuple[Size, ...] = ()  # the native sizes this profile renders at
    sizes: tuple[Size, ...] = ()  # extra output sizes beyond the native ones
    max_seconds: float = 0.0
    steps: int = 0
    guidance: float = 0.0
    guidance_2: float | None = None
    guidance_set: bool = False  # `guidance` came from the profile or a LoRA, not the preset
    negative_prompt: str = ""
    strength: float = 0.7
    attention_backend: str | None = None
    compile: str | None = None
    cache: CacheOptions | None = None
    lora: LoraOptions | None = None
    offload: str | None = None
    vae_tiling: bool = False
    vae_slicing: bool = False
    # Decode chunk by chunk into the encoder where the family allows (decoding.py).
    streaming_decode: bool = True
    audio: AudioOptions | None = None
    warm: bool = True  # workers load the weights when they start (false: on the first job)
    # Context parallelism over a multi-GPU job's ranks: (ulysses degree, ring degree).
    parallel: tuple[int, int] | None = None


def parse_options(options: Mapping[str, Any]) -> ProfileOptions:
    """Check a diffusers profile's options and fill in the family's defaults."""
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ValueError(
            f"unknown diffusers engine options: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KNOWN))}"
        )
    name = options.get("family")
    if name is None:
        raise ValueError(f"diffusers profiles need a family; one of: {', '.join(FAMILIES)}")
    family = FAMILIES.get(name) if isinstance(name, str) else None
    if family is None:
        raise ValueError(f"unknown diffusers family {name!r}; known: {', '.join(FAMILIES)}")
    path = _string(options, "path", required=True)
    assert path is not None
    allow_download = _bool(options, "allow_download")
    device = _device(options, "device", "cuda")
    dtype = _choice(options, "dtype", DTYPES) or "bfloat16"
    if device == "cpu" and dtype == "float16":
        raise ValueError("option dtype: float16 is not supported on the CPU; use bfloat16/float32")

    resolutions = _resolutions(options, family)
    lora = _lora(options.get("lora"))
    steps = _positive_int(options, "steps") or (lora.steps if lora and lora.steps else 0)
    guidance = _number(options, "guidance", low=0.0, high=50.0)
    guidance_2 = _number(options, "guidance_2", low=0.0, high=50.0)
    if guidance_2 is not None and family.guidance_2 is None:
        raise ValueError(f"option guidance_2 applies to two-expert families; {family.name} has one")
    if lora is not None:
        guidance = guidance if guidance is not None else lora.guidance
        guidance_2 = guidance_2 if guidance_2 is not None else lora.guidance_2
    strength = _number(options, "strength", low=0.0, high=1.0, open_low=True)
    max_seconds = _number(options, "max_seconds", low=1.0, high=MAX_SECONDS)
    limit = SEGMENTED_SECONDS if family.continuation is not None else family.segment_seconds
    if max_seconds is not None and family.continuation is None and max_seconds > limit:
        raise ValueError(
            f"option max_seconds: {family.name} makes at most {limit} s in one piece and cannot "
            "continue from frames, so it cannot make longer clips"
        )

    offload = _choice(options, "offload", OFFLOADS)
    if offload is not None and not device.startswith(("cuda", "xpu")):
        raise ValueError(f"option offload needs an accelerator device, not {device!r}")
    compile_mode = options.get("compile")
    if compile_mode is True:
        compile_mode = "regional"
    elif compile_mode is False:
        compile_mode = None
    if compile_mode is not None and compile_mode not in COMPILES:
        raise ValueError(f"option compile must be true, false or one of {COMPILES}")
    if compile_mode is not None and offload == "sequential":
        raise ValueError("option compile does not work with offload = 'sequential'")
    backend = _string(options, "attention_backend")
    if backend is not None and backend not in ATTENTION_BACKENDS:
        raise ValueError(
            f"option attention_backend {backend!r} is not a diffusers attention backend; "
            f"known: {', '.join(sorted(ATTENTION_BACKENDS))}"
        )

    return ProfileOptions(
        family=family,
        path=path,
        device=device,
        dtype=dtype,
        vae_dtype=_choice(options, "vae_dtype", DTYPES),
        allow_download=allow_download,
        resolutions=resolutions,
        sizes=_sizes(options, family),
        max_seconds=max_seconds if max_seconds is not None else float(limit),
        steps=steps or family.steps,
        guidance=guidance if guidance is not None else family.guidance,
        guidance_2=guidance_2 if guidance_2 is not None else family.guidance_2,
        guidance_set=guidance is not None,
        negative_prompt=_string(options, "negative_prompt") or "",
        strength=strength if strength is not None else family.strength,
        attention_backend=backend,
        compile=compile_mode,
        cache=_cache(options.get("cache")),
        lora=lora,
        offload=offload,
        vae_tiling=_bool(options, "vae_tiling"),
        vae_slicing=_bool(options, "vae_slicing"),
        streaming_decode=_bool(options, "streaming_decode", default=True),
        audio=_audio(options.get("audio"), device=device, dtype=dtype),
        warm=_bool(options, "warm", default=True),
        parallel=_parallel(options.get("parallel")),
    )


def _parallel(value: Any) -> tuple[int, int] | None:
    """`parallel = { ulysses = N, ring = M }` (placement checks the product against the GPUs)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not value:
        raise ValueError("option parallel must be a table like { ulysses = 2 }")
    unknown = sorted(set(value) - {"ulysses", "ring"})
    if unknown:
        raise ValueError(
            f"option parallel: unknown degree(s) {', '.join(unknown)}; known: ulysses, ring "
            "(diffusers' enable_parallelism offers no CFG parallelism)"
        )
    degrees = []
    for key in ("ulysses", "ring"):
        degree = value.get(key, 1)
        if not isinstance(degree, int) or isinstance(degree, bool) or degree < 1:
            raise ValueError(f"option parallel.{key} must be a positive integer")
        degrees.append(degree)
    return degrees[0], degrees[1]


def _resolutions(options: Mapping[str, Any], family: Family) -> tuple[Size, ...]:
    """Tier names ("480p") and explicit render sizes ("960x544", for fine-tuned checkpoints)."""
    value = options.get("resolutions", family.default_resolutions)
    if isinstance(value, str):
        value = [value]
    tiers = ", ".join(family.resolutions)
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"option resolutions must list tiers of {family.name} ({tiers}) or sizes")
    sizes: list[Size] = []
    for item in value:
        if isinstance(item, str) and item in family.resolutions:
            sizes += family.resolutions[item]
            continue
        match = _SIZE.match(item) if isinstance(item, str) else None
        if match is None:
            raise ValueError(
                f"option resolutions: {item!r} is neither a tier of {family.name} ({tiers}) "
                "nor a size like '960x544'"
            )
        width, height = int(match.group(1)), int(match.group(2))
        if width % family.multiple or height % family.multiple:
            raise ValueError(
                f"option resolutions: {item} must be multiples of {family.multiple} for "
                f"{family.name}"
            )
        sizes.append((width, height))
    return tuple(dict.fromkeys(sizes))


def _sizes(options: Mapping[str, Any], family: Family) -> tuple[Size, ...]:
    value = options.get("sizes", [])
    if not isinstance(value, list | tuple):
        raise ValueError(f"option sizes must be a list like ['1280x720'], got {value!r}")
    sizes: list[Size] = []
    for item in value:
        match = _SIZE.match(item) if isinstance(item, str) else None
        if match is None:
            raise ValueError(f"option sizes: {item!r} is not a size like '1280x720'")
        width, height = int(match.group(1)), int(match.group(2))
        if width < 64 or height < 64 or width % 2 or height % 2:
            raise ValueError(f"option sizes: {item!r} must be even and at least 64 each way")
        sizes.append((width, height))
    return tuple(sizes)


def _lora(value: Any) -> LoraOptions | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, Mapping):
        raise ValueError("option lora must be a path or a table like { path = '...', steps = 4 }")
    unknown = sorted(set(value) - _LORA_KNOWN)
    if unknown:
        raise ValueError(f"unknown lora options: {', '.join(unknown)}")
    path = _string(value, "lora.path", key="path", required=True)
    assert path is not None
    scale = _number(value, "lora.scale", key="scale", low=0.0, high=10.0)
    return LoraOptions(
        path=path,
        weight_name=_string(value, "lora.weight_name", key="weight_name"),
        scale=1.0 if scale is None else scale,
        steps=_positive_int(value, "lora.steps", key="steps"),
        guidance=_number(value, "lora.guidance", key="guidance", low=0.0, high=50.0),
        guidance_2=_number(value, "lora.guidance_2", key="guidance_2", low=0.0, high=50.0),
    )


def _cache(value: Any) -> CacheOptions | None:
    if value is None or value is False:
        return None
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise ValueError(
            f"option cache must be a table like {{ type = 'first_block', threshold = 0.05 }}; "
            f"types: {', '.join(CACHES)}"
        )
    kind = value["type"]
    if kind not in CACHES:
        raise ValueError(f"option cache: unknown type {kind!r}; known: {', '.join(CACHES)}")
    config_class, fields = CACHES[kind]
    settings = {k: v for k, v in value.items() if k != "type"}
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise ValueError(
            f"option cache: {kind} takes {', '.join(sorted(fields))}; got {', '.join(unknown)}"
        )
    if kind == "mag" and "mag_ratios" not in settings and not settings.get("calibrate"):
        raise ValueError(
            "option cache: mag needs mag_ratios measured for this checkpoint (run once with "
            "calibrate = true to print them)"
        )
    return CacheOptions(kind=kind, config_class=config_class, settings=settings)


def _audio(value: Any, *, device: str, dtype: str) -> AudioOptions | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("option audio must be a table like { family = 'stable-audio-open', ... }")
    unknown = sorted(set(value) - _AUDIO_KNOWN)
    if unknown:
        raise ValueError(f"unknown audio options: {', '.join(unknown)}")
    name = value.get("family")
    family = AUDIO_FAMILIES.get(name) if isinstance(name, str) else None
    if family is None:
        raise ValueError(
            f"option audio.family must be one of {', '.join(AUDIO_FAMILIES)}, got {name!r}"
        )
    path = _string(value, "audio.path", key="path", required=True)
    assert path is not None
    steps = _positive_int(value, "audio.steps", key="steps")
    guidance = _number(value, "audio.guidance", key="guidance", low=0.0, high=50.0)
    return AudioOptions(
        family=family,
        path=path,
        device=_device(value, "device", device),
        dtype=_choice(value, "dtype", DTYPES, label="audio.dtype") or dtype,
        steps=steps or family.steps,
        guidance=family.guidance if guidance is None else guidance,
        allow_download=_bool(value, "allow_download"),
    )


def _string(
    options: Mapping[str, Any], label: str, *, key: str | None = None, required: bool = False
) -> str | None:
    value = options.get(key or label)
    if value is None:
        if required:
            raise ValueError(f"option {label} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"option {label} must be a non-empty string, got {value!r}")
    return value


def _bool(options: Mapping[str, Any], key: str, *, default: bool = False) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"option {key} must be true or false, got {value!r}")
    return value


def _choice(
    options: Mapping[str, Any], key: str, choices: tuple[str, ...], *, label: str | None = None
) -> str | None:
    value = options.get(key)
    if value is not None and value not in choices:
        raise ValueError(
            f"option {label or key} must be one of {', '.join(choices)}, got {value!r}"
        )
    return value


def _device(options: Mapping[str, Any], key: str, default: str) -> str:
    value = options.get(key, default)
    if not isinstance(value, str) or not _DEVICE.match(value):
        raise ValueError(
            f"option {key} must look like 'cuda', 'cuda:1', 'cpu' or 'mps', got {value!r}"
        )
    return value


def _positive_int(options: Mapping[str, Any], label: str, *, key: str | None = None) -> int | None:
    value = options.get(key or label)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"option {label} must be an integer from 1 to 1000, got {value!r}")
    return value


def _number(
    options: Mapping[str, Any],
    label: str,
    *,
    key: str | None = None,
    low: float,
    high: float,
    open_low: bool = False,
) -> float | None:
    value = options.get(key or label)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"option {label} must be a number, got {value!r}")
    if not (low < value <= high if open_low else low <= value <= high):
        interval = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
        raise ValueError(f"option {label} must be within {interval}, got {value!r}")
    return float(value)
