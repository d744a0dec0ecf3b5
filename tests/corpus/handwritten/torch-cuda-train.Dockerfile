# syntax=docker/dockerfile:1
ARG CUDA_VERSION=12.1.1
ARG UBUNTU_VERSION=22.04
FROM nvidia/cuda:${CUDA_VERSION}-cudnn8-devel-ubuntu${UBUNTU_VERSION} AS train

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    TORCH_CUDA_ARCH_LIST="7.0 7.5 8.0 8.6 9.0+PTX" \
    HF_HOME=/cache/huggingface

RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        python3.10 python3.10-venv python3-pip git ninja-build

RUN python3.10 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

ARG TORCH_VERSION=2.3.1
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install "torch==${TORCH_VERSION}" torchvision torchaudio \
        --index-url https://download.pytorch.org/whl/cu121

COPY requirements-train.txt /tmp/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r /tmp/requirements-train.txt

# flash-attn compiles against the installed torch
RUN --mount=type=cache,target=/root/.cache/pip \
    MAX_JOBS=8 pip install flash-attn==2.5.9.post1 --no-build-isolation

WORKDIR /workspace
COPY configs/ configs/
COPY train/ train/
VOLUME ["/cache", "/checkpoints"]
ENTRYPOINT ["torchrun", "--standalone", "--nproc_per_node=gpu"]
CMD ["train/main.py", "--config", "configs/base.yaml"]
