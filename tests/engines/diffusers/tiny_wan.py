"""Tiny Wan checkpoints: 2.1 T2V, I2V and VACE, and 2.2 TI2V-5B and the A14B two-expert pair.

Configs follow diffusers' own Wan pipeline tests; Wan 2.2 TI2V-5B has the 2.2 VAE (48 latent
channels, residual blocks, 2x2 patchified pixels, 16x spatial compression) and timesteps
expanded per token; A14B has a second transformer for the low-noise steps (`boundary_ratio`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.diffusers.tiny_text import t5_encoder, tokenizer


def _wan_vae() -> Any:
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _wan_transformer(cls_name: str = "WanTransformer3DModel", **extra: Any) -> Any:
    import diffusers

    settings: dict[str, Any] = dict(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    settings.update(extra)
    return getattr(diffusers, cls_name)(**settings)


def build_wan_t2v(path: Path) -> None:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    WanPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan_vae(),
        transformer=_wan_transformer(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    ).save_pretrained(path)


def build_wan_i2v(path: Path) -> None:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            intermediate_size=16,
            patch_size=1,
        )
    )
    WanImageToVideoPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan_vae(),
        transformer=_wan_transformer(in_channels=36, image_dim=4),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        image_encoder=image_encoder,
        image_processor=CLIPImageProcessor(crop_size=32, size=32),
    ).save_pretrained(path)


def build_wan_vace(path: Path) -> None:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanVACEPipeline

    torch.manual_seed(0)
    WanVACEPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan_vae(),
        transformer=_wan_transformer(
            "WanVACETransformer3DModel", num_layers=3, vace_layers=[0, 2], vace_in_channels=96
        ),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    ).save_pretrained(path)


def _wan22_vae() -> Any:
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )


def build_wan22_ti2v(path: Path) -> None:
    """TI2V-5B: one WanPipeline for text and image, saved with `expand_timesteps`."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    WanPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan22_vae(),
        transformer=_wan_transformer(in_channels=48, out_channels=48),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        expand_timesteps=True,
    ).save_pretrained(path)


def build_wan22_t2v_a14b(path: Path) -> None:
    """T2V-A14B: a high-noise and a low-noise expert, switched at `boundary_ratio`."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    WanPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan_vae(),
        transformer=_wan_transformer(),
        transformer_2=_wan_transformer(),
        # shift 3 puts the last of 4 steps below the boundary, so both experts run.
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        boundary_ratio=0.875,
    ).save_pretrained(path)


def build_wan22_i2v_a14b(path: Path) -> None:
    """I2V-A14B: two experts, the image as encoded latents only (no CLIP image encoder)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline

    torch.manual_seed(0)
    WanImageToVideoPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder("umt5"),
        vae=_wan_vae(),
        transformer=_wan_transformer(in_channels=36),
        transformer_2=_wan_transformer(in_channels=36),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        boundary_ratio=0.9,
    ).save_pretrained(path)
