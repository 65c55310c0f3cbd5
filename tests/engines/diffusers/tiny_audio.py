"""A tiny Stable Audio Open checkpoint: one-second calls at 1 kHz, for text-to-audio profiles."""

from __future__ import annotations

from pathlib import Path

from engines.diffusers.tiny_text import t5_encoder, tokenizer


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
