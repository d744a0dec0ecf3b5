FROM node:18-bookworm-slim AS ui
WORKDIR /ui
COPY web/package.json web/yarn.lock ./
RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile
COPY web/ .
RUN yarn build

FROM python:3.11-slim-bookworm AS app
ENV PIP_NO_CACHE_DIR=off \
    PIP_DEFAULT_TIMEOUT=100 \
    UV_SYSTEM_PYTHON=1
RUN pip install uv
WORKDIR /label
COPY pyproject.toml uv.lock ./
RUN uv pip install -r pyproject.toml
COPY label/ ./label
COPY --from=ui /ui/build ./label/static
RUN python -m compileall -q label
EXPOSE 8080
VOLUME ["/label/data"]
CMD ["gunicorn", "label.wsgi:application", "--bind", ":8080", "--workers", "3"]
