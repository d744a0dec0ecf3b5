FROM python:3.11-slim AS runtime
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir --index-url ${TORCH_INDEX} torch==2.3.1 && \
    pip install --no-cache-dir sentence-transformers==3.0.1 fastapi uvicorn
# Pre-download the model into the image (slow builds, big image: a known trade-off).
RUN python -c "from sentence_transformers import SentenceTransformer as S; S('all-MiniLM-L6-v2', cache_folder='/models')"
COPY embed_api.py /srv/embed_api.py
WORKDIR /srv
EXPOSE 7997
CMD ["uvicorn", "embed_api:app", "--host", "0.0.0.0", "--port", "7997", "--workers", "2"]
