from faster_whisper import WhisperModel


def load(name: str, device: str) -> WhisperModel:
    compute_type = "float16" if device == "cuda" else "int8"
    return WhisperModel(name, device=device, compute_type=compute_type)


def transcribe(model: WhisperModel, wav: str) -> list[dict]:
    segments, _ = model.transcribe(wav, word_timestamps=True, vad_filter=True)
    return [{"start": s.start, "end": s.end, "text": s.text.strip()} for s in segments]
