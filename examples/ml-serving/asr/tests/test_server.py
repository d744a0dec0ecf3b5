from __future__ import annotations

import numpy as np
import soundfile
from asr_service.server import transcribe


def test_transcribe_reports_duration(tmp_path) -> None:
    path = tmp_path / "tone.wav"
    soundfile.write(path, np.zeros(16000, dtype="float32"), 16000)
    assert transcribe({"audio_path": str(path)})["seconds"] == 1.0
