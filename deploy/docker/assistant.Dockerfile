# The assistant image: Rasa (scripts/rasa_server.py) and the action server (python -m
# actions.server) from the same image, with different commands (deploy/compose.yml).
# Build from the repository root:
#   docker build -f deploy/docker/assistant.Dockerfile -t mina-sidor-assistant .
# The model is trained in the build, from the same data and pinned dependencies as `make train`.

FROM python:3.10-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
RUN apt-get update \
    && apt-get install --yes --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv && /venv/bin/pip install "pip==24.3.1"
WORKDIR /app
COPY requirements.lock ./
RUN /venv/bin/pip install -r requirements.lock
COPY config.yml pyproject.toml ./
COPY bot/ bot/
COPY actions/ actions/
COPY common/ common/
COPY connectors/ connectors/
COPY locales/ locales/
COPY web/src/ web/src/
COPY web/demo/ web/demo/
COPY scripts/rasa_server.py scripts/api_token.py scripts/
COPY deploy/docker/endpoints.yml deploy/docker/credentials.yml deploy/docker/
RUN for po in locales/*/LC_MESSAGES/messages.po; do \
        /venv/bin/pybabel compile -i "$po" -o "${po%.po}.mo"; \
    done
RUN /venv/bin/rasa train --config config.yml --domain bot/domain --data bot/data \
        --out models --fixed-model-name current

FROM python:3.10-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONPATH=/app PYTHONUNBUFFERED=1 \
    PYTHONWARNINGS=ignore::DeprecationWarning \
    TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false LOG_FORMAT=json \
    TZ=Europe/Stockholm
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin assistant
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
# var/: the SQLite files that remain per deployment (SMS and voice stores); a volume.
RUN mkdir -p /app/var && chown assistant /app/var
USER assistant
EXPOSE 5005 5055
# Rasa by default; the action server: python -m actions.server --host 0.0.0.0 --port 5055
CMD ["python", "scripts/rasa_server.py", "--model", "models/current.tar.gz", \
     "--endpoints", "deploy/docker/endpoints.yml", \
     "--credentials", "deploy/docker/credentials.yml", \
     "--interface", "0.0.0.0", "--port", "5005"]
