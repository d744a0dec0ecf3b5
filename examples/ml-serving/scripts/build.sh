#!/usr/bin/env bash
# Builds the serving images: the shared base first, then the services built FROM it.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${TAG:-dev}
export DOCKER_BUILDKIT=1

docker build -t "mlserve/base:${TAG}" base

for service in asr llm; do
  docker build -t "mlserve/${service}:${TAG}" --build-arg BASE_TAG="${TAG}" "${service}"
done

docker build -t "mlserve/gateway:${TAG}" gateway
