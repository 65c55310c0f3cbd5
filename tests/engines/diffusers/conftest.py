"""Tiny random-weight pipelines for the diffusers engine, saved like real checkpoints.

Each builder makes a family's components with small configs (after diffusers' own pipeline
tests), a word-level tokenizer written here (nothing comes from a model hub), and saves the
pipeline with `save_pretrained`, so tests load it back through the engine's production path.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

# The prompts tests use; any other word is <unk>.
WORDS = ("a", "the", "red", "blue", "cat", "dog", "car", "bird", "city", "night", "sea", "runs")


def tokenizer() -> Any:
    """A word-level tokenizer with T5's special tokens (pad 0, eos 1, unk 2)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=256,
    )


def t5_encoder(kind: str = "t5") -> Any:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    settings = dict(
        vocab_size=64,
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
    )
    if kind == "umt5":
        return UMT5EncoderModel(UMT5Config(**settings))
    return T5EncoderModel(T5Config(**settings))


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


def build_ltx(path: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=t5_encoder(),
        tokenizer=tokenizer(),
        transformer=transformer,
    ).save_pretrained(path)


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


def build_ltx2(path: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    torch.manual_seed(0)
    text = Gemma3TextConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=1,
        head_dim=8,
        sliding_window=64,
    )
    vision = SiglipVisionConfig(
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=14,
        patch_size=7,
    )
    text_encoder = Gemma3ForConditionalGeneration(
        Gemma3Config(
            text_config=text.to_dict(), vision_config=vision.to_dict(), mm_tokens_per_image=4
        )
    )
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=32,
        rope_double_precision=False,
        rope_type="split",
    )
    connectors = LTX2TextConnectors(
        caption_channels=32,
        text_proj_in_factor=3,
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_double_precision=False,
        rope_type="split",
    )
    # 4x in space and time both ways (the stride the pipeline reads from the config).
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        layers_per_block=(1, 1, 1),
        decoder_layers_per_block=(1, 1, 1),
        spatio_temporal_scaling=(True, True),
        decoder_spatio_temporal_scaling=(True, True),
        decoder_inject_noise=(False, False, False),
        downsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_residual=(False, False),
        upsample_factor=(1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        resolution=32,
        latent_channels=2,
        mel_bins=8,
    )
    vocoder = LTX2Vocoder(
        in_channels=16,
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[4, 4],
        upsample_factors=[2, 2],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        output_sampling_rate=16000,
    )
    LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer(),
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
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
        EDMDPMSolverMultistepScheduler,
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
        # The published checkpoint's CosineDPMSolverMultistepScheduler needs torchsde.
        scheduler=EDMDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction"),
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


BUILDERS: dict[str, Callable[[Path], None]] = {
    "wan2.1-t2v": build_wan_t2v,
    "wan2.1-i2v": build_wan_i2v,
    "wan2.1-vace": build_wan_vace,
    "ltx-video": build_ltx,
    "cogvideox": build_cogvideox,
    "cogvideox-i2v": build_cogvideox_i2v,
    "ltx-2": build_ltx2,
    "hunyuanvideo1.5-t2v": build_hunyuanvideo15_t2v,
    "hunyuanvideo1.5-i2v": partial(build_hunyuanvideo15_t2v, task="i2v"),
    "stable-audio-open": build_stable_audio,
}


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
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
