# Three RPM-based stages of an internal toolchain image; the last one ships.
FROM centos:7 AS legacy-tools
RUN yum install -y epel-release && yum install -y jq
RUN yum groupinstall -y "Development Tools" && yum clean all
RUN yum update -y
RUN yum install -y python3 && rm -rf /var/cache/yum

FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4 AS minimal
RUN microdnf install -y python3.11 && microdnf clean all
RUN microdnf install -y shadow-utils

FROM fedora:40
RUN dnf install -y python3-pip gcc && dnf clean all
RUN dnf install -y git-core && dnf clean metadata
RUN --mount=type=cache,target=/var/cache/dnf dnf install -y ffmpeg-free
RUN dnf upgrade -y --refresh
RUN dnf install -y sox && rm -rf /var/cache/dnf
COPY --from=legacy-tools /usr/bin/jq /usr/local/bin/jq
RUN useradd --system --uid 10001 worker
USER worker
CMD ["python3", "-m", "worker"]
