#!/bin/sh
# Builds the shared ML base image, then the services built FROM it.
set -eu
cd "$(dirname "$0")"
docker build -t dockopt-corpus/ml-base:1.0 base
docker build -t dockopt-corpus/asr:1.0 asr
