"""Decoding a call's latents chunk by chunk, so frames reach the encoder as the VAE makes them.

The Wan VAE (`AutoencoderKLWan`, every Wan family) decodes causally: one latent frame at a time
(the first gives one picture, each later one four), carrying a feature cache from each to the
next. Its own `decode` gathers every chunk into one float video (growing it with `torch.cat`),
which the pipeline then turns into a float array, all before the first frame can be encoded.
Here the pipeline runs with `output_type="latent"` and the same loop hands each chunk on as
soon as it is decoded. The operations and their order are the pipeline's own, so the frames are
identical; but the whole video in floats never exists, only one chunk of it.

Other families keep the pipeline's decode (docs/models.md): CogVideoX decodes in frame batches
but its pipelines trim and rescale latents per version; LTX-Video's VAE takes the timestep and
noise of the last step and blends overlapping temporal tiles; LTX-2 makes its sound with the
picture; HunyuanVideo 1.5's VAE decodes the clip as a whole. So does any Wan profile whose VAE
decodes in spatial tiles (`vae_tiling`, where every tile runs through all frames), or whose
weights move with `offload = "sequential"` or `"group"` (their hooks follow `decode`, not the
decoder's parts).

Imported only inside worker processes (it imports torch and diffusers).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from diffusers.models.autoencoders.autoencoder_kl_wan import unpatchify
from diffusers.utils.torch_utils import get_module_execution_device

from reelbox.engines.diffusers.options import ProfileOptions

Pipeline = Any  # a diffusers.DiffusionPipeline

# Every Wan pipeline decodes its final latents the same way (VACE first drops the latent
# frames of its reference images).
_WAN_PIPELINES = frozenset(
    {"WanPipeline", "WanImageToVideoPipeline", "WanVideoToVideoPipeline", "WanVACEPipeline"}
)


def decodes_in_chunks(pipe: Pipeline, options: ProfileOptions) -> bool:
    """Whether this pipeline's latents are decoded here chunk by chunk (else by the pipeline)."""
    vae = getattr(pipe, "vae", None)
    return (
        options.streaming_decode
        and type(pipe).__name__ in _WAN_PIPELINES
        and type(vae).__name__ == "AutoencoderKLWan"
        and not getattr(vae, "use_tiling", False)
        and options.offload in (None, "model")
    )


def leading_latents(pipe: Pipeline, arguments: dict[str, Any]) -> int:
    """Latent frames before the video's own: VACE puts one per reference image first."""
    if type(pipe).__name__ != "WanVACEPipeline":
        return 0
    return len(arguments.get("reference_images") or ())


def decoded_chunks(
    pipe: Pipeline, latents: torch.Tensor, *, skip: int = 0
) -> Generator[npt.NDArray[np.float32], None, None]:
    """The video of `latents` (1, channels, frames, h, w) after its first `skip` latent frames,
    chunk by chunk: each a (frames, height, width, 3) float array in [0, 1], exactly as the
    pipeline's `output_type="np"` would have it."""
    vae = pipe.vae
    # Copied from diffusers' `apply_forward_hook`: model offload moves the VAE onto the device.
    hook = getattr(vae, "_hf_hook", None)
    if hook is not None and hasattr(hook, "pre_forward"):
        hook.pre_forward(vae)
    config = vae.config
    # Copied from WanPipeline.__call__ (diffusers 0.42): un-normalise the latents.
    latents = latents[:, :, skip:].to(get_module_execution_device(vae), dtype=vae.dtype)
    shape = (1, config.z_dim, 1, 1, 1)
    mean = torch.tensor(config.latents_mean).view(shape).to(latents.device, latents.dtype)
    std = 1.0 / torch.tensor(config.latents_std).view(shape).to(latents.device, latents.dtype)
    latents = latents / std + mean
    # Copied from AutoencoderKLWan._decode, yielding each chunk instead of concatenating.
    # (No grad mode spans a `yield`: it is thread state the consumer would inherit.)
    vae.clear_cache()
    try:
        with torch.no_grad():
            x = vae.post_quant_conv(latents)
        for index in range(x.shape[2]):
            vae._conv_idx = [0]
            with torch.no_grad():
                out = vae.decoder(
                    x[:, :, index : index + 1],
                    feat_cache=vae._feat_map,
                    feat_idx=vae._conv_idx,
                    first_chunk=index == 0,
                )
                if config.patch_size is not None:
                    out = unpatchify(out, patch_size=config.patch_size)  # type: ignore[no-untyped-call]
                out = torch.clamp(out, min=-1.0, max=1.0)
                frames = pipe.video_processor.postprocess_video(out, output_type="np")[0]
            del out
            yield frames
    finally:
        vae.clear_cache()  # the feature cache holds activations of the last chunk
        free_hooks = getattr(pipe, "maybe_free_model_hooks", None)
        if hook is not None and callable(free_hooks):
            free_hooks()  # as the pipeline does after its own decode
