#!/usr/bin/env bash
# Builds every pipeline image. CI runs this on each merge to main, then pushes with PUSH=1.
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=${REGISTRY:-localhost:5000}
BASE_TAG=$(grep '^BASE_TAG=' docker/versions.txt | cut -d= -f2)
GIT_SHA=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export DOCKER_BUILDKIT=1

docker build -t "${REGISTRY}/pipeline-cpu-base:${BASE_TAG}" -f docker/base/cpu/Dockerfile .
docker build -t "${REGISTRY}/pipeline-cuda-base:${BASE_TAG}" -f docker/base/cuda/Dockerfile .

# Make every stage use this release's base, whatever its Dockerfile default says.
sed -i "s|FROM .*pipeline-base:.*|FROM ${REGISTRY}/pipeline-base:${BASE_TAG}|" docker/stages/*/Dockerfile

# CPU stages only need pipeline-cpu-base, so they start before the ml base is ready.
for stage in ingest align asr diarize; do
  docker build -t "${REGISTRY}/pipeline-${stage}:${BASE_TAG}" -f "docker/stages/${stage}/Dockerfile" \
    --build-arg REGISTRY="${REGISTRY}" --build-arg BASE_TAG="${BASE_TAG}" .
done

docker build -t "${REGISTRY}/pipeline-ml-base:${BASE_TAG}" -f docker/base/ml/Dockerfile \
  --build-arg REGISTRY="${REGISTRY}" --build-arg BASE_TAG="${BASE_TAG}" .

for stage in summarize train export; do
  docker build -t "${REGISTRY}/pipeline-${stage}:${BASE_TAG}" -f "docker/stages/${stage}/Dockerfile" \
    --build-arg REGISTRY="${REGISTRY}" --build-arg BASE_TAG="${BASE_TAG}" \
    --build-arg GIT_SHA="${GIT_SHA}" .
done

if [[ "${PUSH:-0}" == 1 ]]; then
  for image in cpu-base cuda-base ml-base ingest align asr diarize summarize train export; do
    docker push "${REGISTRY}/pipeline-${image}:${BASE_TAG}"
  done
fi
