# Build matrix: python version x accelerator.
ARG PYTHON_VERSION=3.11
ARG VARIANT=cpu
ARG REGISTRY="registry.example.com/ml"
ARG CUDA_TAG='12.1.1-cudnn8-runtime-ubuntu22.04'

FROM python:${PYTHON_VERSION}-slim AS base-cpu
FROM nvidia/cuda:${CUDA_TAG} AS base-cuda
FROM ${REGISTRY}/rocm-base:6.1 AS base-rocm

FROM base-${VARIANT} AS final
ARG VARIANT
ARG PYTHON_VERSION
RUN echo "building ${VARIANT} for python ${PYTHON_VERSION}"
COPY requirements-${VARIANT}.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt
