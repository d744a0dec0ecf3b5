# syntax=docker/dockerfile:1.4
FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04 AS asr

RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip ffmpeg libsndfile1
rm -rf /var/lib/apt/lists/*
EOF

WORKDIR /asr
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip3 install -r requirements.txt "faster-whisper==1.0.2" "ctranslate2>=4,<5"

COPY <<EOF /asr/config.yaml
model: large-v3
compute_type: float16
beam_size: 5
vad_filter: true
EOF

COPY asr_service/ asr_service/
ENV ASR_CONFIG=/asr/config.yaml
EXPOSE 9000
CMD ["python3", "-m", "asr_service.server"]
