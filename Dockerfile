# Routewijzer in a container: small, runs as a user without privileges, keeps its state in /data.
#
#   docker build -t routewijzer .
#   docker run -d --name routewijzer --env-file .env -v routewijzer-data:/data routewijzer
#
# The knowledge is built in, and can be replaced by mounting a directory on /app/knowledge
# (then /reload picks up edits). See compose.yaml and the README's "Run it for your
# neighbourhood".

# --- build: install the bot and its dependencies into a virtualenv -------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

# --- run: only the virtualenv, the start script and the knowledge -------------------------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin routewijzer \
    && mkdir -p /data && chown routewijzer:routewijzer /data && chmod 700 /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY run_bot.py ./
COPY knowledge ./knowledge
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ROUTEWIJZER_DATA_DIR=/data \
    ROUTEWIJZER_HEALTH_PORT=8081 \
    ROUTEWIJZER_LOG_FORMAT=json \
    XDG_CACHE_HOME=/tmp/cache
# The learned crisis safety net caches its fitted model under XDG_CACHE_HOME: in /tmp, so the
# image can run read-only (compose.yaml) and refits in a second or two after a restart.
VOLUME ["/data"]
USER routewijzer
EXPOSE 8081
# /healthz answers 200 once the bot runs: on ROUTEWIJZER_HEALTH_PORT with long polling, on the
# webhook port (use --port 8081) in webhook mode.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
# The installed package cannot find the knowledge beside itself: name it.
ENTRYPOINT ["python", "run_bot.py", "--knowledge", "/app/knowledge"]
