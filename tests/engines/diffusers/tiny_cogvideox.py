"""Tiny CogVideoX checkpoints, text-to-video and image-to-video (after diffusers' own tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.diffusers.tiny_text import t5_encoder, tokenizer


def _cog_vae() -> Any:
    from diffusers import AutoencoderKLCogVideoX

    return AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )


def _cog_transformer(in_channels: int) -> Any:
    from diffusers import CogVideoXTransformer3DModel

    return CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=in_channels,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=4,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=226,
        use_rotary_positional_embeddings=True,
    )


def build_cogvideox(path: Path) -> None:
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXPipeline

    torch.manual_seed(0)
    CogVideoXPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder(),
        vae=_cog_vae(),
        transformer=_cog_transformer(4),
        scheduler=CogVideoXDDIMScheduler(),
    ).save_pretrained(path)


def build_cogvideox_i2v(path: Path) -> None:
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXImageToVideoPipeline

    torch.manual_seed(0)
    CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer(),
        text_encoder=t5_encoder(),
        vae=_cog_vae(),
        transformer=_cog_transformer(8),
        scheduler=CogVideoXDDIMScheduler(),
    ).save_pretrained(path)
