ARG CUDA=12.4.1
FROM nvidia/cuda:${CUDA}-devel-ubuntu22.04 AS wheels
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3-dev python3-pip python3-venv git cmake ninja-build \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m pip install --upgrade pip wheel setuptools
WORKDIR /build
COPY third_party/ third_party/
# Build the CUDA extensions once, as wheels.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --no-deps -w /wheels ./third_party/apex ./third_party/xformers

FROM nvidia/cuda:${CUDA}-runtime-ubuntu22.04 AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir /wheels/*.whl
COPY app/ /app/
CMD ["python3", "/app/serve.py"]
