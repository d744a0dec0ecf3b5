FROM python:3.10-slim AS wheelhouse
COPY requirements.lock /req/requirements.lock
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels -r /req/requirements.lock

FROM python:3.10-slim
RUN --mount=type=bind,from=wheelhouse,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock \
    pip install --no-index --find-links=/wheels -r /tmp/requirements.lock
RUN --mount="type=bind,source=scripts,target=/scripts" /scripts/post-install.sh
RUN --mount=type=tmpfs,target=/tmp/scratch python -c "print('tmpfs')"
COPY --from=wheelhouse --link /req /req
CMD ["python"]
