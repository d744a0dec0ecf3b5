from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16_000


def load_mono(path: Path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path}: expected {SAMPLE_RATE} Hz, got {rate}")
    return audio.mean(axis=1)
