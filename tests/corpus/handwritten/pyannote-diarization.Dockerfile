ARG BASE=pytorch/pytorch:2.2.2-cuda12.1-cudnn8-runtime
FROM ${BASE}

ENV PIP_NO_CACHE_DIR=1 \
    PYANNOTE_CACHE=/models/pyannote

RUN apt-get update && \
    apt-get install -y --no-install-recommends sox libsox-fmt-all && \
    apt-get clean && rm -rf /var/lib/apt/lists/*

RUN pip install pyannote.audio==3.1.1 "numpy<2" soundfile

WORKDIR /diarize
COPY diarize/ ./diarize
COPY --chmod=755 scripts/entrypoint.sh /usr/local/bin/entrypoint.sh
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["python", "-m", "diarize.worker"]
