"""Tiny random-weight pipelines for the diffusers engine, saved like real checkpoints.

Each builder makes a family's components with small configs (after diffusers' own pipeline
tests), a word-level tokenizer written here (nothing comes from a model hub), and saves the
pipeline with `save_pretrained`, so tests load it back through the engine's production path.
Wan and LTX builders live in `tiny_wan.py` and `tiny_ltx.py`; CogVideoX, HunyuanVideo 1.5 and
Stable Audio Open are here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from engines.diffusers.tiny_ltx import build_ltx, build_ltx2
from engines.diffusers.tiny_text import t5_encoder, tokenizer
from engines.diffusers.tiny_wan import (
    build_wan22_i2v_a14b,
    build_wan22_t2v_a14b,
    build_wan22_ti2v,
    build_wan_i2v,
    build_wan_t2v,
    build_wan_vace,
)
from reelbox.blobs.local import LocalBlobStore
from reelbox.engines.diffusers import DiffusersEngine


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


def build_hunyuanvideo15_t2v(path: Path, *, task: str = "t2v") -> None:
    import torch
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideo15Pipeline,
        HunyuanVideo15Transformer3DModel,
    )
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=1,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=12,
        rope_axes_dim=(2, 2, 4),
        target_size=16,
        task_type=task,
    )
    vae = AutoencoderKLHunyuanVideo15(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16),
        layers_per_block=1,
        spatial_compression_ratio=4,
        temporal_compression_ratio=2,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    text_encoder = Qwen2_5_VLTextModel(
        Qwen2_5_VLTextConfig(
            hidden_size=16,
            intermediate_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            rope_theta=1000000.0,
            rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        )
    )
    chat = tokenizer()
    chat.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    components = dict(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=text_encoder,
        tokenizer=chat,
        text_encoder_2=t5_encoder(),
        tokenizer_2=ByT5Tokenizer(),
        guider=ClassifierFreeGuidance(guidance_scale=6.0),
    )
    if task == "t2v":
        HunyuanVideo15Pipeline(**components).save_pretrained(path)
        return
    from diffusers import HunyuanVideo15ImageToVideoPipeline
    from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

    image_encoder = SiglipVisionModel(
        SiglipVisionConfig(
            hidden_size=12,
            intermediate_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=28,
            patch_size=14,
        )
    )
    HunyuanVideo15ImageToVideoPipeline(
        **components,
        image_encoder=image_encoder,
        feature_extractor=SiglipImageProcessor(size={"height": 28, "width": 28}),
    ).save_pretrained(path)


def build_stable_audio(path: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )

    torch.manual_seed(0)
    StableAudioPipeline(
        transformer=StableAudioDiTModel(
            sample_size=500,  # x hop 2 / 1 kHz: one-second calls
            in_channels=3,
            num_layers=2,
            attention_head_dim=4,
            num_key_value_attention_heads=2,
            out_channels=3,
            cross_attention_dim=4,
            time_proj_dim=8,
            global_states_input_dim=8,
            cross_attention_input_dim=4,
        ),
        # The published checkpoint's scheduler (its SDE noise needs torchsde).
        scheduler=CosineDPMSolverMultistepScheduler(
            solver_order=2,
            prediction_type="v_prediction",
            sigma_data=1.0,
            sigma_schedule="exponential",
        ),
        vae=AutoencoderOobleck(
            encoder_hidden_size=6,
            downsampling_ratios=[1, 2],
            decoder_channels=3,
            decoder_input_channels=3,
            audio_channels=2,
            channel_multiples=[2, 4],
            sampling_rate=1000,
        ),
        text_encoder=t5_encoder(),
        tokenizer=tokenizer(),
        projection_model=StableAudioProjectionModel(
            text_encoder_dim=32, conditioning_dim=4, min_value=0, max_value=32
        ),
    ).save_pretrained(path)


TinyWeights = Callable[[str], Path]

BUILDERS: dict[str, Callable[[Path], None]] = {
    "wan2.1-t2v": build_wan_t2v,
    "wan2.1-i2v": build_wan_i2v,
    "wan2.1-vace": build_wan_vace,
    "wan2.2-ti2v-5b": build_wan22_ti2v,
    "wan2.2-t2v-a14b": build_wan22_t2v_a14b,
    "wan2.2-i2v-a14b": build_wan22_i2v_a14b,
    "ltx-video": build_ltx,
    "cogvideox": build_cogvideox,
    "cogvideox-i2v": build_cogvideox_i2v,
    "ltx-2": build_ltx2,
    "hunyuanvideo1.5-t2v": build_hunyuanvideo15_t2v,
    "hunyuanvideo1.5-i2v": partial(build_hunyuanvideo15_t2v, task="i2v"),
    "stable-audio-open": build_stable_audio,
}


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> TinyWeights:
    """`tiny_weights(family)`: the folder of that family's tiny checkpoint, built once."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            path = tmp_path_factory.mktemp(family.replace(".", "_"))
            BUILDERS[family](path)
            built[family] = path
        return built[family]

    return get


@pytest.fixture(scope="module")
def engines(tiny_weights: TinyWeights) -> Iterator[Callable[..., DiffusersEngine]]:
    """`engines(family, **options)`: a CPU profile of the tiny checkpoint, kept warm per module."""
    made: dict[str, DiffusersEngine] = {}

    def get(family: str, **options: Any) -> DiffusersEngine:
        key = f"{family}{sorted(options.items())}"
        if key not in made:
            made[key] = DiffusersEngine(
                {
                    "family": family,
                    "path": str(tiny_weights(family)),
                    "device": "cpu",
                    "dtype": "float32",
                    "resolutions": ["64x32", "32x64"],
                    "steps": 2,
                    **options,
                }
            )
        return made[key]

    yield get


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")
