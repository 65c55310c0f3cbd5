"""Loading a family's pipeline once and applying the profile's speed and memory levers.

Imported only inside worker processes (it imports torch and diffusers). Each lever is applied
only when its option is set; a lever the installed libraries or the device cannot honour fails
the load with a message naming the option.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import diffusers
import torch

from reelbox.engines.base import EngineError
from reelbox.engines.diffusers.options import ProfileOptions

log = logging.getLogger(__name__)

Pipeline = Any  # a diffusers.DiffusionPipeline; diffusers ships no type information

LORA_ADAPTER = "reelbox"

_T = TypeVar("_T")


def load_pipeline(options: ProfileOptions) -> Pipeline:
    """The family's base pipeline from `options.path`, on its device, with its levers applied."""
    family = options.family
    pipeline_class = getattr(diffusers, family.pipeline, None)
    if pipeline_class is None:
        raise EngineError(
            f"diffusers {diffusers.__version__} has no {family.pipeline} (family {family.name}); "
            "upgrade diffusers"
        )
    dtype: Any = getattr(torch, options.dtype)
    if options.vae_dtype is not None:
        dtype = {"default": dtype, "vae": getattr(torch, options.vae_dtype)}
    started = time.monotonic()
    try:
        pipe = pipeline_class.from_pretrained(
            options.path, dtype=dtype, local_files_only=not options.allow_download
        )
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise EngineError(
            f"cannot load {family.name} weights from {options.path}: {type(exc).__name__}: {exc}"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    _apply(pipe, options)
    log.info(
        "loaded %s from %s on %s in %.1f s",
        family.name,
        options.path,
        options.device,
        time.monotonic() - started,
    )
    return pipe


def derive_pipeline(pipeline_class_name: str, base: Pipeline) -> Pipeline:
    """Another pipeline class over the same components (no copy of the weights).

    Like `DiffusionPipeline.from_pipe`, without its cast of every component to one dtype, which
    would undo a float32 VAE next to a bfloat16 transformer.
    """
    pipeline_class = getattr(diffusers, pipeline_class_name)
    parameters = inspect.signature(pipeline_class.__init__).parameters
    components = {k: v for k, v in base.components.items() if k in parameters}
    settings = {k: v for k, v in base.config.items() if k in parameters and k not in components}
    derived = pipeline_class(**components, **settings)
    derived.set_progress_bar_config(disable=True)
    return derived


def place(pipe: Pipeline, options: ProfileOptions) -> None:
    """Model offload keeps hooks per pipeline object: enable it on the one about to run."""
    if options.offload == "model":
        pipe.enable_model_cpu_offload(device=options.device)


def call_parameters(pipe: Pipeline) -> frozenset[str]:
    return frozenset(inspect.signature(pipe.__call__).parameters)


def recover_device(device: str) -> None:
    """After a failed call: free the accelerator's cached memory for the next job."""
    import gc

    gc.collect()
    if device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device.startswith("xpu") and hasattr(torch, "xpu") and torch.xpu.is_available():
        torch.xpu.empty_cache()


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError | MemoryError)


def _apply(pipe: Pipeline, options: ProfileOptions) -> None:
    family = options.family
    if options.lora is not None:
        lora = options.lora
        _lever(
            "lora",
            lambda: pipe.load_lora_weights(
                lora.path, weight_name=lora.weight_name, adapter_name=LORA_ADAPTER
            ),
        )
        _lever("lora", lambda: pipe.set_adapters([LORA_ADAPTER], adapter_weights=[lora.scale]))
    if options.guidance_set and hasattr(pipe, "guider") and not family.callback:
        # HunyuanVideo 1.5 keeps its guidance scale in a guider component, not a call argument.
        pipe.guider = pipe.guider.new(guidance_scale=options.guidance)
    denoisers = [
        m
        for m in (getattr(pipe, "transformer", None), getattr(pipe, "transformer_2", None))
        if m is not None
    ]
    if options.attention_backend is not None:
        for module in denoisers:
            _lever(
                "attention_backend",
                partial(module.set_attention_backend, options.attention_backend),
            )
    if options.cache is not None:
        cache = options.cache
        config_class = getattr(diffusers, cache.config_class)
        config = _lever("cache", partial(config_class, **cache.settings))
        for module in denoisers:
            _lever("cache", partial(module.enable_cache, config))
    if options.vae_tiling:
        _lever("vae_tiling", pipe.vae.enable_tiling)
    if options.vae_slicing:
        _lever("vae_slicing", pipe.vae.enable_slicing)
    if options.offload == "sequential":
        _lever("offload", lambda: pipe.enable_sequential_cpu_offload(device=options.device))
    elif options.offload == "group":
        _lever(
            "offload",
            lambda: pipe.enable_group_offload(
                onload_device=torch.device(options.device),
                offload_device=torch.device("cpu"),
                offload_type="block_level",
                num_blocks_per_group=1,
                use_stream=True,
            ),
        )
    elif options.offload is None:
        _lever("device", lambda: pipe.to(options.device))
    if options.parallel is not None:
        _parallelize(denoisers, options)
    if options.compile is not None:
        for module in denoisers:
            if options.compile == "regional":
                _lever("compile", partial(module.compile_repeated_blocks, fullgraph=True))
            else:
                _lever("compile", partial(module.compile, fullgraph=True))


def _lever(option: str, apply: Callable[[], _T]) -> _T:
    try:
        return apply()
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(
            f"option {option} cannot be applied here: {type(exc).__name__}: {exc}"
        ) from exc


def _parallelize(denoisers: list[Any], options: ProfileOptions) -> None:
    """Context parallelism over the job group's ranks (`executors.ranks`), when there is one.

    Outside a process group (e.g. `reelbox generate`) the profile runs on one device as usual.
    """
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() == 1:
        log.info("option parallel: no process group; running on one device")
        return
    assert options.parallel is not None
    ulysses, ring = options.parallel
    if ulysses * ring != dist.get_world_size():
        raise EngineError(
            f"option parallel: ulysses {ulysses} x ring {ring} does not match the job's "
            f"{dist.get_world_size()} ranks (gpus_per_job)"
        )
    config = diffusers.ContextParallelConfig(  # type: ignore[no-untyped-call]
        ulysses_degree=ulysses if ulysses > 1 else None, ring_degree=ring if ring > 1 else None
    )
    with _one_device_per_rank_on_cpu(options.device):
        for module in denoisers:
            _lever("parallel", partial(module.enable_parallelism, config=config))


@contextlib.contextmanager
def _one_device_per_rank_on_cpu(device: str) -> Iterator[None]:
    """diffusers 0.42 places rank r on `r % torch.accelerator.device_count()`, which divides by
    zero on a machine without an accelerator. For CPU ranks (gloo; tests and CPU-only hosts)
    report one device while parallelism is enabled; GPU ranks are left untouched."""
    if not device.startswith("cpu") or torch.accelerator.device_count() > 0:
        yield
        return
    real = torch.accelerator.device_count
    torch.accelerator.device_count = lambda: 1
    try:
        yield
    finally:
        torch.accelerator.device_count = real
