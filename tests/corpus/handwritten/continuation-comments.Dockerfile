FROM ubuntu:22.04
# Comments and blank lines inside a continuation are dropped by BuildKit.
RUN apt-get update \
    # tools for debugging
    && apt-get install -y --no-install-recommends \
        curl \
        # jq parses the health output
        jq \

        ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN set -eux; \
	for pkg in numpy scipy; do \
		echo "$pkg"; \
	done
     # an indented comment between instructions
  RUN echo indented instruction   
RUN echo "trailing spaces after the backslash" \   
    && echo ok
RUN echo 'not a continuation: escaped backslash' \\
RUN echo "a # inside a string is not a comment" # but BuildKit keeps this text too
