FROM rocm/dev-ubuntu-22.04:6.1-complete
ENV HIP_VISIBLE_DEVICES=0 \
    PYTORCH_ROCM_ARCH="gfx90a;gfx942"
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m pip install --no-cache-dir torch torchvision \
      --index-url https://download.pytorch.org/whl/rocm6.0
WORKDIR /bench
COPY bench.py .
CMD ["python3", "bench.py", "--dtype", "bf16"]
