# The case backend image: `python -m casebackend` (the API), `alembic upgrade head` (migrations),
# `python -m casebackend.demo` (the demo persons, demos only). Build from the repository root:
#   docker build -f deploy/docker/casebackend.Dockerfile -t mina-casebackend .

FROM python:3.12-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv && /venv/bin/pip install "pip==26.3"
WORKDIR /app
COPY casebackend/requirements.lock ./
RUN /venv/bin/pip install -r requirements.lock
COPY casebackend/pyproject.toml casebackend/README.md casebackend/alembic.ini ./
COPY casebackend/src/ src/
COPY casebackend/migrations/ migrations/
# Editable, as scripts/setup-venv.sh: the package finds alembic.ini and migrations/ beside src/.
RUN /venv/bin/pip install --no-deps -e .

FROM python:3.12-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 LOG_FORMAT=json TZ=Europe/Stockholm \
    CASEBACKEND_HOST=0.0.0.0 CASEBACKEND_PORT=8100
RUN useradd --uid 10002 --create-home --shell /usr/sbin/nologin casebackend
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER casebackend
EXPOSE 8100
CMD ["python", "-m", "casebackend"]
