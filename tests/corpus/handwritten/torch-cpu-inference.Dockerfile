FROM python:3.11-slim AS deps
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --index-url https://download.pytorch.org/whl/cpu torch==2.3.1 \
 && pip install --extra-index-url https://download.pytorch.org/whl/cpu \
        transformers==4.41.2 tokenizers sentencepiece

FROM deps AS app
WORKDIR /opt/classifier
COPY model_server/ model_server/
# Weights are mounted at /models at runtime.
ENV MODEL_DIR=/models/intent-classifier OMP_NUM_THREADS=4
EXPOSE 8080
HEALTHCHECK CMD ["python", "-m", "model_server.healthcheck"]
CMD ["python", "-m", "model_server", "--port", "8080"]
