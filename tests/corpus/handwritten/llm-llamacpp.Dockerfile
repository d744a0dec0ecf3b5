ARG CUDA_VERSION=12.2.2
FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu22.04 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential cmake git python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
ENV CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=80;86;89" FORCE_CMAKE=1
RUN pip3 wheel --no-deps -w /wheels "llama-cpp-python==0.2.78"

FROM nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip3 install /wheels/*.whl "uvicorn[standard]" "fastapi" "sse-starlette" && rm -rf /wheels
# GGUF files are mounted, never copied.
ENV MODEL=/models/model.gguf N_GPU_LAYERS=-1
EXPOSE 8000
CMD python3 -m llama_cpp.server --model $MODEL --n_gpu_layers $N_GPU_LAYERS --host 0.0.0.0
