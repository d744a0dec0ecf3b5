"""The CI workflow (.github/workflows/docker.yml): lint to SARIF, build each variant with the
BuildKit cache in GitHub's cache (one scope per variant), scan the image."""

from __future__ import annotations

from collections.abc import Sequence

from dockopt import __version__
from dockopt.scaffold.variants import Variant

TRIVY_ACTION = "aquasecurity/trivy-action@0.28.0"


def render_workflow(project_name: str, python: str, dockerfiles: Sequence[tuple[Variant, str]]) -> str:
    matrix = []
    for variant, dockerfile in dockerfiles:
        matrix += [f"          - variant: {variant.name}", f"            dockerfile: {dockerfile}"]
    image = f"{project_name}:ci-${{{{ matrix.variant }}}}"
    return (
        "\n".join(
            [
                f"# CI for the images of {project_name}, written by `dockopt init`.",
                "# On every push to main and every pull request: lint the Dockerfiles (the findings show in the",
                "# Security tab and on the pull request), build each variant with BuildKit's layer cache kept in",
                "# GitHub's cache, and scan the image for known vulnerabilities.",
                "# The actions are referenced by version tag; pin them to a commit SHA for a supply chain that",
                "# cannot move under you (Dependabot keeps SHAs up to date).",
                "name: docker",
                "",
                "on:",
                "  push:",
                "    branches: [main]",
                "  pull_request:",
                "",
                "permissions:",
                "  contents: read",
                "  security-events: write  # upload-sarif puts lint and scan results into code scanning",
                "",
                "jobs:",
                "  lint:",
                "    runs-on: ubuntu-latest",
                "    steps:",
                "      - uses: actions/checkout@v4",
                "      - uses: actions/setup-python@v5",
                "        with:",
                f'          python-version: "{python}"',
                "      # dockopt, pinned to the version that wrote these files. Where your team gets it from is",
                "      # yours to say: a package index, or a git URL or wheel (git+https://…/dockopt@v0.1.0).",
                '      - run: pip install "$DOCKOPT_SPEC"',
                "        env:",
                f'          DOCKOPT_SPEC: "dockopt=={__version__}"',
                "      # Exits 1 on warnings, which fails the job (and skips the builds) after the upload below.",
                "      - name: dockopt lint",
                "        run: dockopt lint --format sarif -o dockopt.sarif .",
                "      - name: Upload lint results",
                "        if: always()",
                "        uses: github/codeql-action/upload-sarif@v3",
                "        with:",
                "          sarif_file: dockopt.sarif",
                "          category: dockopt",
                "",
                "  build:",
                "    needs: lint",
                "    runs-on: ubuntu-latest",
                "    strategy:",
                "      fail-fast: false",
                "      matrix:",
                "        include:",
                *matrix,
                "    steps:",
                "      - uses: actions/checkout@v4",
                "      # buildx: BuildKit with the GitHub Actions cache backend.",
                "      - uses: docker/setup-buildx-action@v3",
                "      - name: Build",
                "        uses: docker/build-push-action@v6",
                "        with:",
                "          context: .",
                "          file: ${{ matrix.dockerfile }}",
                "          target: runtime",
                f"          tags: {image}",
                "          # Into the runner's engine, for the scan (GPU images are large: watch the runner's disk).",
                "          load: true",
                "          # Every layer kept in GitHub's cache (mode=max: the builder stage's too), in one scope per",
                "          # variant so that the variants do not evict each other's layers.",
                f"          cache-from: type=gha,scope={project_name}-${{{{ matrix.variant }}}}",
                f"          cache-to: type=gha,mode=max,scope={project_name}-${{{{ matrix.variant }}}}",
                "      # Known vulnerabilities with a fix available, CRITICAL and HIGH. Reported, not failing the",
                '      # build: set exit-code: "1" to fail it.',
                "      - name: Scan the image",
                f"        uses: {TRIVY_ACTION}",
                "        with:",
                f"          image-ref: {image}",
                "          format: sarif",
                "          output: trivy-${{ matrix.variant }}.sarif",
                "          severity: CRITICAL,HIGH",
                "          ignore-unfixed: true",
                "      - name: Upload scan results",
                "        if: always()",
                "        uses: github/codeql-action/upload-sarif@v3",
                "        with:",
                "          sarif_file: trivy-${{ matrix.variant }}.sarif",
                "          category: trivy-${{ matrix.variant }}",
            ]
        )
        + "\n"
    )
