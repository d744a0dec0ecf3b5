FROM python:3.12-slim AS api
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --start-interval=5s --retries=5 \
    CMD ["curl", "-fsS", "http://localhost:8080/ready"]
EXPOSE 8080/tcp

FROM api AS api-nohealth
# Inherited checks can be switched off.
HEALTHCHECK NONE

FROM api AS api-shellcheck
HEALTHCHECK --interval=5m --timeout=3s CMD wget -qO- http://localhost:8080/ || exit 1
