# syntax=docker/dockerfile:1
# esap-graphql: the gateway (default command) and the job worker (`worker`).
#   docker build -t esap-graphql .
#   docker run -p 8000:8000 esap-graphql                   # gateway on embedded defaults
#   docker run esap-graphql worker                         # a worker (needs ESAP_REDIS_URL)
# The web interface is in the package (esap_graphql/static/app, built by scripts/build-web.sh).
# tests/deploy/test_image_command.py runs this file's runtime stage on the host: it reads
# ENV, WORKDIR, USER, ENTRYPOINT, CMD and HEALTHCHECK from here.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY esap_graphql ./esap_graphql
COPY queue ./queue
# Every runtime dependency ships wheels for this platform: no compiler in the image.
RUN python -m venv /opt/esap \
    && /opt/esap/bin/pip install --no-compile --upgrade pip \
    && /opt/esap/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && /opt/esap/bin/pip install /tmp/wheels/*.whl \
    && /opt/esap/bin/pip uninstall --yes pip \
    && /opt/esap/bin/python -m compileall -q /opt/esap/lib

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="esap-graphql" \
      org.opencontainers.image.description="GraphQL gateway of the ESCAPE Science Analysis Platform" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 esap \
    && useradd --system --uid 10001 --gid esap --home-dir /var/lib/esap --shell /usr/sbin/nologin esap \
    && mkdir -p /var/lib/esap/data /var/lib/esap/results \
    && chown -R esap:esap /var/lib/esap
COPY --from=build /opt/esap /opt/esap
ENV PATH=/opt/esap/bin:/usr/local/bin:/usr/bin:/bin \
    HOME=/var/lib/esap \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ESAP_DATA_DIR=/var/lib/esap/data \
    ESAP_PORT=8000
WORKDIR /var/lib/esap
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = f\"http://127.0.0.1:{os.environ.get('ESAP_PORT', '8000')}/health\"; sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
ENTRYPOINT ["esap-graphql"]
CMD ["serve", "--host", "0.0.0.0"]
