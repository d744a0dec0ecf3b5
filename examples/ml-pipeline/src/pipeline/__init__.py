"""Speech pipeline: ingest -> asr -> diarize -> align -> summarize."""
